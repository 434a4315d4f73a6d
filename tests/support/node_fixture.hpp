#pragma once
// A test fixture with a real baton-node (machine "m1") driven by a FakeBroker: the broker deploys
// definitions and sends commands as baton-broker would, and sees everything the node publishes.
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/fake_broker.hpp"

namespace baton::test {

using namespace harness;

class NodeFixture : public ::testing::Test {
 protected:
  // Starts the node with `extra_args` and waits until it subscribed to its commands (this node:
  // a node started again subscribes again).
  void start_node(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args{"--broker", broker_.control_endpoint()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    const std::size_t before = broker_.subscriptions("m1");
    node_.emplace(dir_, std::move(args));
    ASSERT_TRUE(broker_.pump_until([&] { return broker_.subscriptions("m1") > before; }, kDeadline))
        << node_->log();
  }

  // kill -9: the node has no chance to stop its apps or to write anything more.
  void kill_node() {
    node_->process().signal(SIGKILL);
    ASSERT_TRUE(node_->process().wait_exit().has_value());
  }
  // A new node on the same folders; returns once it has said hello to the broker.
  void restart_node(std::vector<std::string> extra_args = {}) {
    const std::size_t hellos = broker_.hellos();
    node_.reset();
    start_node(std::move(extra_args));
    ASSERT_TRUE(broker_.pump_until([&] { return broker_.hellos() > hellos; })) << node_->log();
  }

  // An app running `script` under /bin/sh in the test folder.
  config::AppDef shell_app(const std::string& app, const std::string& script) const {
    config::AppDef spec;
    spec.machine = "m1";
    spec.app = app;
    spec.exe_full_path = "/bin/sh";
    spec.cmd_line_args = "-c '" + script + "'";
    spec.config_dir = dir_.path();
    return spec;
  }
  void deploy(const std::vector<config::AppDef>& apps) {
    auto reply = broker_.wait_reply(broker_.deploy("m1", apps));
    ASSERT_TRUE(reply.has_value()) << node_->log();
    ASSERT_TRUE(reply->ok) << reply->error.value_or("");
  }
  // Sends an app command and returns the node's reply (a failed expectation if none came).
  proto::bus::ReplyHeader command(const std::string& op, const std::string& app,
                                  std::optional<std::string> plan = std::nullopt,
                                  std::optional<bool> by_plan = std::nullopt) {
    auto reply = broker_.wait_reply(
        broker_.command("m1", op, proto::bus::AppCommandArgs{app, plan, by_plan}));
    EXPECT_TRUE(reply.has_value()) << node_->log();
    return reply.value_or(proto::bus::ReplyHeader{});
  }
  void launch(const std::string& app) {
    const auto reply = command("launch", app);
    ASSERT_TRUE(reply.ok) << reply.error.value_or("") << "\n" << node_->log();
  }

  TempDir dir_;
  FakeBroker broker_;
  std::optional<NodeProcess> node_;
};

}  // namespace baton::test
