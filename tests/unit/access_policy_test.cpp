// The broker's authorized-keys file and what each role may do (broker/access/access_policy.hpp).
#include "broker/access/access_policy.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "broker/access/authorized_keys.hpp"
#include "common/net/curve_keys.hpp"
#include "harness/temp_dir.hpp"

namespace baton::broker {
namespace {

using harness::TempDir;

std::string key() {
  return generate_curve_key_pair()->public_key;
}

Expected<AuthorizedKeys> load(const TempDir& dir, const std::string& text) {
  std::ofstream(dir / "authorized_keys") << text;
  return AuthorizedKeys::load(dir / "authorized_keys");
}

TEST(AuthorizedKeys, GivesEachKeyItsRoleAndName) {
  TempDir dir;
  const std::string node = key(), op = key(), mon = key(), unnamed = key();
  auto keys = load(dir, "# role key name\n\nnode " + node + " m1\noperator\t" + op +
                            " alice  # the on-call\n  monitor " + mon + " grafana\nmonitor " +
                            unnamed + "\n");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->size(), 4u);
  EXPECT_EQ(keys->count(Role::monitor), 2u);
  EXPECT_EQ(keys->find(node), (Peer{Role::node, "m1"}));
  EXPECT_EQ(keys->find(op), (Peer{Role::operator_, "alice"}));
  EXPECT_EQ(keys->find(mon), (Peer{Role::monitor, "grafana"}));
  EXPECT_EQ(keys->find(unnamed), (Peer{Role::monitor, unnamed.substr(0, 8)}));
  EXPECT_EQ(keys->find(key()), std::nullopt);
}

TEST(AuthorizedKeys, MistakesNameFileAndLine) {
  TempDir dir;
  const std::string k = key();
  const std::pair<std::string, std::string> cases[] = {
      {"admin " + k + " bob\n", ":1: unknown role 'admin'"},
      {"# ok\noperator abc bob\n", ":2: expected a public key"},
      {"node " + k + "\n", ":1: a node key needs the id of its machine"},
      {"node " + k + " m1.app\n", ":1: a node key needs the id of its machine"},
      {"operator " + k + " bob extra\n", ":1: unexpected 'extra'"},
      {"operator " + k + " bob\nmonitor " + k + " eve\n",
       ":2: this key is listed already, as operator key 'bob'"},
  };
  for (const auto& [text, expected] : cases) {
    auto keys = load(dir, text);
    ASSERT_FALSE(keys) << text;
    EXPECT_NE(keys.error().message.find(dir / "authorized_keys" + expected), std::string::npos)
        << keys.error().message;
  }
  EXPECT_FALSE(AuthorizedKeys::load(dir / "missing"));
}

TEST(AccessPolicy, UserIdsRoundTrip) {
  for (const Peer& peer :
       {Peer{Role::node, "m1"}, Peer{Role::operator_, "a:b"}, Peer{Role::monitor, "grafana"}}) {
    EXPECT_EQ(parse_user_id(user_id_of(peer)), peer);
  }
  EXPECT_EQ(parse_user_id("root"), std::nullopt);
  EXPECT_EQ(parse_user_id("admin:x"), std::nullopt);
}

TEST(AccessPolicy, MonitorsQueryNodesSayHelloOperatorsDoAll) {
  const Peer monitor{Role::monitor, "grafana"}, node{Role::node, "m1"},
      op{Role::operator_, "alice"};
  for (const char* query :
       {"hello", "get_app_state", "get_all_apps_state", "plan_status", "plans", "machines"}) {
    EXPECT_EQ(refuse_request(monitor, query), std::nullopt) << query;
  }
  for (const char* command : {"launch", "kill", "restart", "plan_start", "plan_stop", "plan_kill",
                              "plan_restart", "set_vars", "kill_all", "reload", "bogus"}) {
    auto refusal = refuse_request(monitor, command);
    ASSERT_TRUE(refusal) << command;
    EXPECT_TRUE(refusal->starts_with("not allowed: monitor key 'grafana'")) << *refusal;
    EXPECT_TRUE(refuse_request(node, command)) << command;
    EXPECT_EQ(refuse_request(op, command), std::nullopt) << command;
    EXPECT_EQ(refuse_request(Peer{}, command), std::nullopt) << command;
  }
  EXPECT_EQ(refuse_request(node, "hello"), std::nullopt);
  EXPECT_TRUE(refuse_request(node, "get_all_apps_state"));
}

TEST(AccessPolicy, NodesPublishForTheirOwnMachineOnly) {
  EXPECT_TRUE(may_publish_for(Peer{Role::node, "m1"}, "m1"));
  EXPECT_FALSE(may_publish_for(Peer{Role::node, "m1"}, "m2"));
  EXPECT_FALSE(may_publish_for(Peer{Role::node, "m1"}, ""));
  EXPECT_FALSE(may_publish_for(Peer{Role::operator_, "alice"}, "m1"));
  EXPECT_FALSE(may_publish_for(Peer{Role::monitor, "g"}, "m1"));
  EXPECT_TRUE(may_publish_for(Peer{}, "m1"));
}

TEST(AccessPolicy, SubscriptionsKeepCommandsFromMonitorsAndOtherNodes) {
  using List = std::vector<std::string>;
  const Peer node{Role::node, "m1"}, monitor{Role::monitor, "g"};
  EXPECT_EQ(granted_subscriptions(node, "cmd/m1/"), List{"cmd/m1/"});
  EXPECT_EQ(granted_subscriptions(node, "cmd/m1"), List{});  // a prefix of cmd/m10/ too
  EXPECT_EQ(granted_subscriptions(node, "cmd/m10/"), List{});
  EXPECT_EQ(granted_subscriptions(node, "cmd/m2/"), List{});
  EXPECT_EQ(granted_subscriptions(node, ""), List{});
  EXPECT_EQ(granted_subscriptions(node, "status/"), List{});
  // A node key never gets apps' output, its own machine's included.
  EXPECT_EQ(granted_subscriptions(node, "log/"), List{});
  EXPECT_EQ(granted_subscriptions(node, "log/m1/"), List{});
  EXPECT_EQ(granted_subscriptions(node, "log/m2/db/"), List{});

  EXPECT_EQ(granted_subscriptions(monitor, "status/m1/"), List{"status/m1/"});
  EXPECT_EQ(granted_subscriptions(monitor, "cmd/m1/"), List{});
  EXPECT_EQ(granted_subscriptions(monitor, "cmd/"), List{});
  EXPECT_EQ(granted_subscriptions(monitor, ""),
            (List{"status/", "event/", "node/", "usage/", "plan/", "reply/", "log/"}));
  EXPECT_EQ(granted_subscriptions(monitor, "usage/m1"), List{"usage/m1"});
  EXPECT_EQ(granted_subscriptions(monitor, "log/m1/web/"), List{"log/m1/web/"});
  EXPECT_EQ(granted_subscriptions(monitor, "c"), List{});

  for (const Peer& full : {Peer{Role::operator_, "a"}, Peer{}}) {
    EXPECT_EQ(granted_subscriptions(full, ""), List{""});
    EXPECT_EQ(granted_subscriptions(full, "cmd/m1/"), List{"cmd/m1/"});
  }
}

}  // namespace
}  // namespace baton::broker
