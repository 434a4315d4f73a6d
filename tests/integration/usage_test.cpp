// Resource usage end to end: a real node samples its apps and publishes usage/<machine>, the
// broker keeps the last report, and status, machines and `baton status` show it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "harness/child_process.hpp"
#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/baton_runner.hpp"

namespace baton::test {

using namespace harness;

namespace {

namespace control = proto::control;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

class UsageFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = dir_ / "SharedConfig.xml";
    std::ofstream(config)
        << "<Shared>\n"
           "  <App AppIdTuple=\"m1.busy\" ExeFullPath=\"/bin/sh\" "
           "CmdLineArgs=\"-c &quot;while :; do :; done&quot;\"/>\n"
           "  <App AppIdTuple=\"m1.idle\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "  <App AppIdTuple=\"m1.tree\" ExeFullPath=\"/bin/sh\" "
           "CmdLineArgs=\"-c &quot;sleep 600 &amp; sleep 600 &amp; wait&quot;\"/>\n"
           "</Shared>\n";
    broker_ = std::make_unique<BrokerProcess>(dir_, config, BrokerEndpoints::in(dir_));
    node_ = std::make_unique<FleetNode>(dir_, "m1", broker_->endpoints().control,
                                        std::vector<std::string>{"--usage-interval", "0.2"});
    client_ = std::make_unique<ControlClient>(broker_->endpoints().control);
    ASSERT_TRUE(client_->wait_linked("m1")) << logs();
  }
  std::string logs() { return "--- broker\n" + broker_->log() + "--- m1\n" + node_->log(); }
  void launch(const std::string& app) {
    auto reply = client_->request("launch", control::AppArgs{app});
    ASSERT_TRUE(reply && reply->ok) << app << ": " << (reply ? reply->error : "no reply");
  }

  TempDir dir_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<FleetNode> node_;
  std::unique_ptr<ControlClient> client_;
};

TEST_F(UsageFleet, StatusShowsWhatEachRunningAppUses) {
  const auto before = client_->app("m1.busy");
  ASSERT_TRUE(before) << logs();
  EXPECT_FALSE(before->usage.has_value()) << "not running: no usage";
  for (const char* app : {"m1.busy", "m1.idle", "m1.tree"})
    launch(app);
  // A loop that never waits gets well over a quarter of a core even on a busy two-core machine.
  ASSERT_TRUE(client_->wait_app("m1.busy", [](const control::AppStatus& s) {
    return s.usage && s.usage->cpu_percent > 25;
  })) << logs();
  ASSERT_TRUE(client_->wait_app("m1.tree", [](const control::AppStatus& s) {
    return s.usage && s.usage->processes == 3;
  })) << logs();
  ASSERT_TRUE(client_->wait_app("m1.idle", [](const control::AppStatus& s) {
    return s.usage.has_value();
  })) << logs();
  // One report later the idle app's CPU% covers an interval (the busy app's CPU time tells that a
  // new report came).
  const double busy_before = client_->app("m1.busy")->usage->cpu_seconds;
  ASSERT_TRUE(client_->wait_app("m1.busy", [&](const control::AppStatus& s) {
    return s.usage && s.usage->cpu_seconds > busy_before;
  })) << logs();
  const auto idle = client_->app("m1.idle");
  ASSERT_TRUE(idle && idle->usage) << logs();
  EXPECT_LT(idle->usage->cpu_percent, 5);
  EXPECT_LT(idle->usage->cpu_seconds, 0.1);
  EXPECT_GT(idle->usage->rss_bytes, 0u);
  EXPECT_EQ(idle->usage->processes, 1u);

  // The command line shows it too.
  BatonRunner baton(dir_);
  const CliRun status =
      baton.run({"status", "--broker", broker_->endpoints().control}, {{"COLUMNS", "200"}});
  ASSERT_EQ(status.code, 0) << describe(status);
  EXPECT_NE(status.out.find("CPU%"), std::string::npos) << status.out;

  // Killed, an app has no usage any more.
  auto killed = client_->request("kill", control::AppArgs{"m1.busy"});
  ASSERT_TRUE(killed && killed->ok);
  EXPECT_TRUE(client_->wait_app("m1.busy", [](const control::AppStatus& s) {
    return !s.usage.has_value();
  })) << logs();
}

TEST_F(UsageFleet, MachinesShowTheMachinesUsage) {
  std::optional<control::MachineStatus> m1;
  ASSERT_TRUE(wait_until([&] {
    auto reply = client_->request("machines");
    if (!reply || !reply->ok) return false;
    auto result = client_->result_as<control::MachinesResult>(*reply);
    if (!result || result->machines.empty() || !result->machines.front().usage) return false;
    m1 = result->machines.front();
    return true;
  })) << logs();
  EXPECT_EQ(m1->node.machine, "m1");
  EXPECT_GE(m1->usage->cpus, 1u);
  EXPECT_GT(m1->usage->memory_total_bytes, 0u);
  EXPECT_FALSE(m1->usage->addresses.empty());
}

TEST_F(UsageFleet, TopShowsTheBusiestAppFirst) {
  for (const char* app : {"m1.idle", "m1.busy", "m1.tree"})
    launch(app);
  ASSERT_TRUE(client_->wait_app("m1.busy", [](const control::AppStatus& s) {
    return s.usage && s.usage->cpu_percent > 25;
  })) << logs();
  BatonRunner baton(dir_);
  const std::string broker = broker_->endpoints().control;
  const CliRun top = baton.run({"top", "--broker", broker, "--count", "1"});
  ASSERT_EQ(top.code, 0) << describe(top);
  const auto lines = split_lines(top.out);
  ASSERT_GE(lines.size(), 5u) << top.out;
  EXPECT_TRUE(lines[0].starts_with("3 apps running")) << top.out;
  EXPECT_TRUE(lines[2].starts_with("m1.busy ")) << top.out;

  const CliRun unknown = baton.run({"top", "m9", "--broker", broker, "--count", "1"});
  EXPECT_EQ(unknown.code, 1) << describe(unknown);
  EXPECT_NE(unknown.err.find("unknown machine m9"), std::string::npos) << describe(unknown);
  const CliRun bad_sort = baton.run({"top", "--broker", broker, "--sort", "name"});
  EXPECT_EQ(bad_sort.code, 2) << describe(bad_sort);
}

// What a user sees: `baton top` on a terminal (tmux), redrawn in place, ended by `q`.
TEST_F(UsageFleet, TopOnATerminalEndsWithQ) {
  for (const char* app : {"m1.idle", "m1.busy"})
    launch(app);
  ASSERT_TRUE(client_->wait_app("m1.busy", [](const control::AppStatus& s) {
    return s.usage && s.usage->cpu_percent > 25;
  })) << logs();
  const std::string socket = dir_ / "tmux.sock";
  auto tmux = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"tmux", "-S", socket});
    const std::string out = dir_ / "tmux.out";
    std::filesystem::remove(out);  // the child appends to it
    ChildProcess run(args, {{}, {}, out});
    const auto exit = run.wait_exit();
    return std::make_pair(exit && exit->code == 0, read_file(out));
  };
  struct KillServer {
    std::function<void()> kill;
    ~KillServer() { kill(); }
  } kill_server{[&] { tmux({"kill-server"}); }};
  ASSERT_TRUE(
      tmux({"new-session", "-d", "-x", "120", "-y", "30",
            binary_path("baton") + " top --interval 0.3 --broker " + broker_->endpoints().control})
          .first);
  std::string screen;
  ASSERT_TRUE(wait_until([&] {
    screen = tmux({"capture-pane", "-p"}).second;
    const auto lines = split_lines(screen);
    return lines.size() >= 3 && lines[0].starts_with("2 apps running") &&
           lines[2].starts_with("m1.busy ");
  })) << screen
      << read_file(dir_ / "top.err");
  EXPECT_EQ(screen.find("\x1b"), std::string::npos) << "escape sequences shown raw";
  tmux({"send-keys", "q"});
  EXPECT_TRUE(wait_until([&] { return !tmux({"has-session"}).first; })) << "top did not end on q";
}

}  // namespace
}  // namespace baton::test
