// CURVE on the bus (docs/protocol.md, Authentication and roles): a real baton-broker with keys, a
// real baton-node, and the real `baton` as operator, monitor and stranger. Every key is made by
// `baton keygen`; the broker's authorized-keys file gives them their roles.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "common/net/curve_keys.hpp"
#include "harness/bus_watcher.hpp"
#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/baton_runner.hpp"

// A namespace of its own: the test files of an executable compile as one unity source.
namespace baton::test::broker_auth_test {

using namespace harness;

namespace {

namespace bus = proto::bus;
namespace control = proto::control;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class BrokerAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"broker", "m1", "alice", "graf", "eve"}) {
      CliRun made = baton_.run({"keygen", name, "--dir", dir_.path()});
      ASSERT_EQ(made.code, 0) << describe(made);
    }
    authorize("node m1 m1\noperator alice alice\nmonitor graf graf\n");
    std::ofstream(dir_ / "SharedConfig.xml")
        << "<Shared>\n"
           "  <App AppIdTuple=\"m1.sleeper\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "  <App AppIdTuple=\"m2.sleeper\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "  <App AppIdTuple=\"m10.sleeper\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "  <App AppIdTuple=\"m1.chatter\" ExeFullPath=\"/bin/sh\" "
           "CmdLineArgs=\"-c &quot;while :; do echo tick; sleep 0.05; done&quot;\"/>\n"
           "</Shared>\n";
    broker_ = std::make_unique<BrokerProcess>(
        dir_, dir_ / "SharedConfig.xml", BrokerEndpoints::loopback_tcp(),
        std::vector<std::string>{"--key", dir_ / "broker.key", "--authorized-keys",
                                 dir_ / "authorized_keys"},
        "broker", keys_of("alice"));
    node_ = std::make_unique<FleetNode>(dir_, "m1", endpoints().control, node_keys("m1"));
    operator_ = std::make_unique<ControlClient>(endpoints().control, keys_of("alice"));
    ASSERT_TRUE(operator_->wait_app("m1.sleeper", [](const auto& s) { return s.online; }))
        << logs();
  }

  // Writes the authorized keys: each line "ROLE KEYNAME NAME" becomes "ROLE <key of KEYNAME> NAME".
  void authorize(const std::string& lines) {
    std::istringstream in(lines);
    std::ofstream out(dir_ / "authorized_keys");
    out << "# written by the test\n";
    for (std::string role, key_name, name; in >> role >> key_name >> name;) {
      out << role << ' ' << *read_public_key(dir_ / (key_name + ".pub")) << ' ' << name << '\n';
    }
  }

  CurveClientKeys keys_of(const std::string& name) {
    return CurveClientKeys{*read_secret_key_file(dir_ / (name + ".key")),
                           *read_public_key(dir_ / "broker.pub")};
  }
  std::vector<std::string> node_keys(const std::string& key_name) {
    return {"--key", dir_ / (key_name + ".key"), "--broker-key", dir_ / "broker.pub"};
  }
  // `baton` with a key; "" for none.
  CliRun baton_as(const std::string& key_name, std::vector<std::string> args) {
    std::vector<std::string> argv{"--broker", endpoints().control, "--timeout", "10000"};
    if (!key_name.empty()) {
      argv.insert(argv.end(),
                  {"--key", dir_ / (key_name + ".key"), "--broker-key", dir_ / "broker.pub"});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return baton_.run(argv);
  }
  const BrokerEndpoints& endpoints() const { return broker_->endpoints(); }
  std::string logs() { return "--- broker\n" + broker_->log() + "--- node m1\n" + node_->log(); }

  TempDir dir_;
  BatonRunner baton_{dir_};
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<FleetNode> node_;
  std::unique_ptr<ControlClient> operator_;
};

TEST_F(BrokerAuth, KeygenWritesAPrivatePairAndTheLineToAuthorizeIt) {
  CliRun made = baton_.run({"keygen", "web1", "--dir", dir_.path(), "--role", "node"});
  ASSERT_EQ(made.code, 0) << describe(made);
  const auto key = read_public_key(dir_ / "web1.pub");
  ASSERT_TRUE(key);
  EXPECT_TRUE(contains(made.out, "node " + *key + " web1")) << made.out;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "web1.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  CliRun again = baton_.run({"keygen", "web1", "--dir", dir_.path()});
  EXPECT_EQ(again.code, 1) << describe(again);
  EXPECT_TRUE(contains(again.err, "exists already")) << describe(again);
}

TEST_F(BrokerAuth, OperatorsCommandMonitorsOnlyQuery) {
  CliRun launched = baton_as("alice", {"launch", "m1.sleeper"});
  ASSERT_EQ(launched.code, 0) << describe(launched) << logs();
  ASSERT_TRUE(operator_->wait_app("m1.sleeper", [](const control::AppStatus& s) {
    return has_flag(s.state, "Running");
  })) << logs();
  const auto pid = operator_->app("m1.sleeper")->state.pid;

  CliRun status = baton_as("graf", {"status", "--json"});
  EXPECT_EQ(status.code, 0) << describe(status);
  EXPECT_TRUE(contains(status.out, std::to_string(pid))) << describe(status);

  CliRun kill = baton_as("graf", {"kill", "m1.sleeper"});
  EXPECT_EQ(kill.code, 1) << describe(kill);
  EXPECT_TRUE(contains(kill.err, "not allowed: monitor key 'graf' may only query")) << kill.err;
  CliRun plan = baton_as("graf", {"kill-all"});
  EXPECT_EQ(plan.code, 1) << describe(plan);
  EXPECT_TRUE(wait_until([&] {
    return contains(broker_->log(), "refused kill from monitor key 'graf'") &&
           contains(broker_->log(), "refused kill_all from monitor key 'graf'");
  })) << logs();
  // Nothing happened to the app.
  EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0);
  EXPECT_EQ(operator_->app("m1.sleeper")->state.pid, pid);
}

TEST_F(BrokerAuth, StrangersAndKeylessClientsAreRefusedWithAReason) {
  CliRun stranger = baton_as("eve", {"status"});
  EXPECT_EQ(stranger.code, 1) << describe(stranger);
  EXPECT_TRUE(contains(stranger.err, "refused this side's key")) << stranger.err;
  EXPECT_TRUE(wait_until([&] {
    return contains(broker_->log(),
                    *read_public_key(dir_ / "eve.pub") + " is not in the authorized keys");
  })) << logs();

  CliRun keyless = baton_as("", {"status"});
  EXPECT_EQ(keyless.code, 1) << describe(keyless);
  EXPECT_TRUE(contains(keyless.err, "requires keys")) << keyless.err;

  // The operator's key pair, but a wrong key for the broker: the broker cannot read the hello.
  CliRun wrong = baton_.run({"--broker", endpoints().control, "--key", dir_ / "alice.key",
                             "--broker-key", dir_ / "alice.pub", "status"});
  EXPECT_EQ(wrong.code, 1) << describe(wrong);
  EXPECT_TRUE(contains(wrong.err, "is --broker-key the broker's public key?")) << wrong.err;
}

TEST_F(BrokerAuth, ReloadReadsTheAuthorizedKeysAgain) {
  EXPECT_EQ(baton_as("eve", {"machines"}).code, 1);
  authorize("node m1 m1\noperator alice alice\nmonitor graf graf\nmonitor eve eve\n");
  CliRun reload = baton_as("alice", {"reload"});
  ASSERT_EQ(reload.code, 0) << describe(reload);
  CliRun now = baton_as("eve", {"machines"});
  EXPECT_EQ(now.code, 0) << describe(now);
  EXPECT_TRUE(contains(now.out, "m1")) << describe(now);

  // A broken file is refused whole: the keys in use stay.
  std::ofstream(dir_ / "authorized_keys", std::ios::app) << "admin nonsense\n";
  CliRun broken = baton_as("alice", {"reload"});
  EXPECT_EQ(broken.code, 1) << describe(broken);
  EXPECT_TRUE(contains(broken.err, "unknown role 'admin'")) << broken.err;
  EXPECT_EQ(baton_as("eve", {"machines"}).code, 0);
}

// A key replaced in the file (alice's role and name now go with eve's key) is revoked at the
// reload: for new connections, and for alice's connection that was open all along, whose requests
// are refused from then on. The keys that did not change go on as before.
TEST_F(BrokerAuth, ARevokedKeysOpenConnectionIsRefusedFromTheReloadOn) {
  auto before = operator_->app("m1.sleeper");
  ASSERT_TRUE(before) << logs();
  const auto old_pid = before->state.pid;

  authorize("node m1 m1\noperator eve alice\nmonitor graf graf\n");
  CliRun reload = baton_as("alice", {"reload"});
  ASSERT_EQ(reload.code, 0) << describe(reload);

  auto after = operator_->request("machines");
  ASSERT_TRUE(after) << logs();
  EXPECT_FALSE(after->ok);
  EXPECT_TRUE(contains(after->error, "not allowed")) << after->error;
  EXPECT_TRUE(contains(broker_->log(), "ignored a message from operator key 'alice'")) << logs();
  CliRun revoked = baton_as("alice", {"machines"});
  EXPECT_EQ(revoked.code, 1) << describe(revoked);

  // The new key is alice now, and the node, whose key stayed, still serves m1.
  CliRun restart = baton_as("eve", {"restart", "m1.sleeper"});
  EXPECT_EQ(restart.code, 0) << describe(restart);
  ControlClient eve(endpoints().control, keys_of("eve"));
  EXPECT_TRUE(wait_until([&] {
    auto sleeper = eve.app("m1.sleeper");
    return sleeper && sleeper->online && sleeper->state.pid != 0 && sleeper->state.pid != old_pid;
  })) << logs();
}

TEST_F(BrokerAuth, ANodeKeyServesItsOwnMachineOnly) {
  // A node for m2 with m1's key: its hello is refused, so it never links.
  FleetNode impostor(dir_, "m2", endpoints().control, node_keys("m1"));
  EXPECT_TRUE(wait_until([&] {
    return contains(impostor.log(), "not allowed: node key 'm1' is machine m1's, not 'm2's");
  })) << impostor.log();

  // m1's key publishing on ingest: its own machine's status is taken, another's is dropped.
  zmq::context_t context;
  zmq::socket_t ingest(context, zmq::socket_type::xpub);
  ingest.set(zmq::sockopt::linger, 0);
  apply_curve_client(ingest, keys_of("m1"));
  ingest.connect(endpoints().ingest);
  zmq::message_t subscription;  // the broker's subscription: from now on it listens
  zmq::pollitem_t item{ingest.handle(), 0, ZMQ_POLLIN, 0};
  ASSERT_TRUE(wait_until([&] {
    return zmq::poll(&item, 1, std::chrono::milliseconds(10)) > 0 &&
           ingest.recv(subscription, zmq::recv_flags::dontwait);
  }));
  auto publish = [&](const std::string& machine, const std::string& app) {
    bus::AppState state{1,    machine,      app,         {"Started", "Running"},
                        4242, std::nullopt, 0,           "",
                        1.0,  1ULL << 62,   std::nullopt};
    const std::string payload = proto::pack_to_string(state);
    ingest.send(zmq::buffer(bus::status_topic(machine, app)), zmq::send_flags::sndmore);
    ingest.send(zmq::buffer(payload));
  };
  publish("m2", "sleeper");
  publish("m1", "ghost");
  ASSERT_TRUE(wait_until([&] {
    auto ghost = operator_->app("m1.ghost");
    return ghost && ghost->state.pid == 4242;
  })) << logs();
  // Sent before the ghost on the same connection, so it has been handled: dropped.
  EXPECT_EQ(operator_->app("m2.sleeper")->state.pid, 0);
  EXPECT_FALSE(operator_->app("m2.sleeper")->online);
  EXPECT_TRUE(contains(broker_->log(),
                       "dropped a message on 'status/m2/sleeper' from node key "
                       "'m1': not allowed"))
      << logs();
}

TEST_F(BrokerAuth, MonitorsSeeStatusButNotCommands) {
  BusWatcher monitor(endpoints().bus, {""}, keys_of("graf"));
  BusWatcher monitor_commands(endpoints().bus, {"cmd/"}, keys_of("graf"));
  BusWatcher op(endpoints().bus, {"cmd/m1/"}, keys_of("alice"));
  auto seen = [](const BusWatcher& watcher, const std::string& prefix) {
    for (const auto& [topic, payload] : watcher.messages()) {
      if (topic.starts_with(prefix)) return true;
    }
    return false;
  };
  // Restart until both the operator has seen a command and the monitor a status: the
  // subscriptions take a moment to reach the broker.
  ASSERT_TRUE(wait_until([&] {
    (void)baton_as("alice", {"restart", "m1.sleeper"});
    for (int i = 0; i < 20; ++i) {
      monitor.pump();
      monitor_commands.pump();
      op.pump();
    }
    return seen(op, "cmd/m1/") && seen(monitor, "status/m1/sleeper");
  })) << logs();
  EXPECT_FALSE(seen(monitor, "cmd/"));
  EXPECT_TRUE(monitor_commands.messages().empty());
  EXPECT_TRUE(contains(broker_->log(), "refused monitor key 'graf''s subscription to 'cmd/'"))
      << logs();
}

// Apps' output is for operators and monitors: a node key gets none, not even its own machine's.
TEST_F(BrokerAuth, MonitorsFollowAppsOutputNodeKeysDoNot) {
  CliRun launched = baton_as("alice", {"launch", "m1.chatter"});
  ASSERT_EQ(launched.code, 0) << describe(launched) << logs();
  BusWatcher node_key(endpoints().bus, {"log/", "log/m1/", "log/m1/chatter/"}, keys_of("m1"));
  BusWatcher monitor(endpoints().bus, {"log/m1/chatter/"}, keys_of("graf"));
  // Refusals are logged once per thousand: the first one says the others come after it.
  ASSERT_TRUE(wait_until([&] {
    return contains(broker_->log(), "refused node key 'm1''s subscription to 'log/'");
  })) << logs();
  // The node publishes the lines because the monitor follows them; the node key's connection,
  // refused, gets none of them.
  auto ticks = [](const BusWatcher& watcher) {
    std::size_t lines = 0;
    for (const auto& [topic, payload] : watcher.messages()) {
      auto decoded = proto::decode_frame<bus::LogLines>(payload.data(), payload.size());
      if (topic == "log/m1/chatter/" && decoded) lines += decoded->lines.size();
    }
    return lines;
  };
  ASSERT_TRUE(monitor.pump_until([&] { return ticks(monitor) >= 5; })) << logs();
  for (int i = 0; i < 20; ++i)
    node_key.pump();
  EXPECT_TRUE(node_key.messages().empty());

  // A monitor's `baton logs -f` works too.
  RunningBaton follower = baton_.start({"--broker", endpoints().control, "--key",
                                        dir_ / "graf.key", "--broker-key", dir_ / "broker.pub",
                                        "logs", "m1.chatter", "-n", "0", "-f"});
  EXPECT_TRUE(wait_until([&] { return contains(read_file(follower.out_path), "tick\ntick\n"); }))
      << read_file(follower.err_path) << logs();
}

// ZeroMQ matches subscriptions by prefix: were m1's command topic cmd/m1, it would match m10's
// commands too. Topics end with "/" and a node key is granted exactly its own.
TEST_F(BrokerAuth, ANodeKeyGetsNoCommandOfAMachineWhoseIdItsOwnIsAPrefixOf) {
  CliRun made = baton_.run({"keygen", "m10", "--dir", dir_.path()});
  ASSERT_EQ(made.code, 0) << describe(made);
  authorize("node m1 m1\nnode m10 m10\noperator alice alice\nmonitor graf graf\n");
  CliRun reload = baton_as("alice", {"reload"});
  ASSERT_EQ(reload.code, 0) << describe(reload);
  FleetNode m10(dir_, "m10", endpoints().control, node_keys("m10"));
  ASSERT_TRUE(operator_->wait_linked("m10")) << logs() << "--- node m10\n" << m10.log();

  // m1's key asks for the prefix that used to be its topic, and for its own topic.
  BusWatcher m1_key(endpoints().bus, {"cmd/m1", "cmd/m1/"}, keys_of("m1"));
  BusWatcher op(endpoints().bus, {"cmd/m10/"}, keys_of("alice"));
  auto seen = [](const BusWatcher& watcher, const std::string& topic) {
    for (const auto& [t, payload] : watcher.messages()) {
      if (t == topic) return true;
    }
    return false;
  };
  ASSERT_TRUE(wait_until([&] {
    (void)baton_as("alice", {"restart", "m10.sleeper"});
    (void)baton_as("alice", {"restart", "m1.sleeper"});
    for (int i = 0; i < 20; ++i) {
      m1_key.pump();
      op.pump();
    }
    return seen(op, "cmd/m10/") && seen(m1_key, "cmd/m1/");
  })) << logs();
  EXPECT_FALSE(seen(m1_key, "cmd/m10/"));
  EXPECT_TRUE(contains(broker_->log(), "refused node key 'm1''s subscription to 'cmd/m1'"))
      << logs();
}

}  // namespace
}  // namespace baton::test::broker_auth_test
