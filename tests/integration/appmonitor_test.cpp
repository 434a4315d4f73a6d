// The application monitor end to end: a real baton-node, real SDK programs (appmon_client).
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

namespace {

constexpr int kTimeoutMs = 300;
constexpr int kGraceMs = 400;

class AppMonitorTest : public ::testing::Test {
 protected:
  ChildProcess client(std::vector<std::string> args, std::string status_file = "") {
    std::vector<std::string> argv{binary_path("appmon_client")};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!status_file.empty()) {
      argv.push_back("--status-file");
      argv.push_back(status_file);
    }
    return ChildProcess(argv, {{{"BATON_APPMONITOR", node_->endpoint()}}, {}, dir_ / "client.log"});
  }
  void start_node(std::vector<std::string> extra = {}) {
    extra.push_back("--kill-grace");
    extra.push_back(std::to_string(kGraceMs));
    node_.emplace(dir_, extra);
  }
  std::string status(const std::string& file) { return read_file(file); }
  // The round number a client last reported ("refreshed N"), or 0.
  int refresh_rounds(const std::string& file) {
    std::string s = status(file);
    if (s.rfind("refreshed ", 0) != 0) return 0;
    return std::stoi(s.substr(10));
  }

  TempDir dir_;
  std::optional<NodeProcess> node_;
};

TEST_F(AppMonitorTest, RefreshingAppSurvivesManyTimeouts) {
  start_node();
  auto app = client({"--timeouts", std::to_string(kTimeoutMs), "--mode", "refresh"}, dir_ / "st");
  // 20 rounds at timeout/4 = five timeouts of wall time, all of them refreshed in time.
  ASSERT_TRUE(wait_until([&] { return refresh_rounds(dir_ / "st") >= 20 || !app.running(); }))
      << node_->log();
  EXPECT_TRUE(app.running());
  EXPECT_FALSE(node_->log_contains("watchdog timeout")) << node_->log();
  EXPECT_TRUE(node_->log_contains("registered pid " + std::to_string(app.pid())));
}

TEST_F(AppMonitorTest, RefreshAllKeepsEveryListedRegistrationAlive) {
  start_node();
  auto app = client(
      {"--count", "5", "--timeouts", std::to_string(kTimeoutMs), "--mode", "refresh", "--together"},
      dir_ / "st");
  ASSERT_TRUE(wait_until([&] { return refresh_rounds(dir_ / "st") >= 20 || !app.running(); }))
      << node_->log();
  EXPECT_TRUE(app.running()) << read_file(dir_ / "client.log");
  EXPECT_FALSE(node_->log_contains("watchdog timeout")) << node_->log();
}

TEST_F(AppMonitorTest, RefreshAllRefreshesOnlyTheListedRegistrations) {
  start_node();
  // Registration 2 is left out of every refresh_all after the first round: its deadline passes.
  auto app = client({"--count", "5", "--timeouts", std::to_string(kTimeoutMs), "--mode", "refresh",
                     "--together", "--stop-index", "2"});
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value()) << node_->log();
  EXPECT_EQ(exit->signal, SIGTERM) << read_file(dir_ / "client.log");
  EXPECT_TRUE(node_->log_contains("watchdog timeout: pid " + std::to_string(app.pid())))
      << node_->log();
}

// How soon after its timeout is bench_watchdog_precision's business; here that it happens, with
// SIGTERM first.
TEST_F(AppMonitorTest, SilentAppIsKilled) {
  start_node();
  auto app =
      client({"--timeouts", std::to_string(kTimeoutMs), "--mode", "hang", "--refreshes", "2"},
             dir_ / "st");
  ASSERT_TRUE(wait_until([&] { return status(dir_ / "st") == "hanging\n"; })) << node_->log();
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value()) << node_->log();
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_TRUE(node_->log_contains("watchdog timeout: pid " + std::to_string(app.pid())));
}

TEST_F(AppMonitorTest, AppIgnoringSigtermGetsSigkillAfterGrace) {
  start_node();
  auto app = client({"--timeouts", std::to_string(kTimeoutMs), "--mode", "hang", "--refreshes", "1",
                     "--ignore-sigterm"});
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value()) << node_->log();
  EXPECT_EQ(exit->signal, SIGKILL);
  // The node logs it right after the SIGKILL, so the line may trail the exit a little.
  EXPECT_TRUE(wait_until([&] { return node_->log_contains("ignored SIGTERM"); })) << node_->log();
}

TEST_F(AppMonitorTest, RestartRunsTheCommandAsTheAppAfterKillingIt) {
  start_node();
  const std::string marker = dir_ / "restarted";
  auto app = client({"--timeouts", std::to_string(kTimeoutMs), "--mode", "hang", "--refreshes", "1",
                     "--action", "restart", "--restart-command",
                     "echo \"$BATON_WATCHDOG_PID $(id -u) $(pwd)\" > " + marker});
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGTERM);
  ASSERT_TRUE(wait_until([&] { return !read_file(marker).empty(); })) << node_->log();
  // The command knows whom it restarts, runs with the app's uid and in the app's directory.
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(read_file(marker),
            std::to_string(app.pid()) + " " + std::to_string(::getuid()) + " " + cwd + "\n");
}

TEST_F(AppMonitorTest, RebootRunsTheConfiguredCommandWhenAllowed) {
  const std::string marker = dir_ / "rebooted";
  start_node({"--allow-reboot", "--reboot-command", "touch " + marker});
  auto app = client({"--timeouts", std::to_string(kTimeoutMs), "--mode", "hang", "--refreshes", "1",
                     "--action", "reboot"});
  ASSERT_TRUE(wait_until([&] { return file_exists(marker); })) << node_->log();
  EXPECT_TRUE(node_->log_contains("watchdog action reboot"));
}

TEST_F(AppMonitorTest, RebootIsRefusedWithoutAllowReboot) {
  start_node();
  auto app = client({"--timeouts", "1000", "--action", "reboot"}, dir_ / "st");
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 3);  // AppMonitorError
  EXPECT_NE(status(dir_ / "st").find("--allow-reboot"), std::string::npos) << status(dir_ / "st");
}

TEST_F(AppMonitorTest, ExitWithoutUnregisterFiresTheActionAtOnce) {
  start_node();
  const std::string marker = dir_ / "restarted";
  // A long timeout: only the exit can explain a restart within the test's deadline.
  auto app = client({"--timeouts", "600000", "--tick-ms", "50", "--mode", "exit", "--refreshes",
                     "1", "--action", "restart", "--restart-command", "touch " + marker});
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0);
  ASSERT_TRUE(wait_until([&] { return file_exists(marker); })) << node_->log();
  EXPECT_TRUE(node_->log_contains("exited without unregistering"));
}

TEST_F(AppMonitorTest, NothingFiresAfterUnregister) {
  start_node();
  const std::string marker = dir_ / "restarted";
  // Unregister, then stay silent for ten timeouts, then exit: neither may fire.
  auto app = client({"--timeouts", std::to_string(kTimeoutMs), "--mode", "unregister",
                     "--refreshes", "2", "--linger-ms", std::to_string(10 * kTimeoutMs), "--action",
                     "restart", "--restart-command", "touch " + marker},
                    dir_ / "st");
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0);
  EXPECT_EQ(exit->signal, 0);
  EXPECT_EQ(status(dir_ / "st"), "done\n");
  EXPECT_TRUE(node_->log_contains("unregistered pid " + std::to_string(app.pid())));
  EXPECT_FALSE(node_->log_contains("watchdog timeout")) << node_->log();
  EXPECT_FALSE(file_exists(marker));
}

TEST_F(AppMonitorTest, StopsCleanlyOnSigtermAndRemovesItsSocket) {
  start_node();
  const std::string socket = node_->endpoint().substr(6);
  ASSERT_TRUE(file_exists(socket));
  auto exit = node_->process().terminate();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0) << node_->log();
  EXPECT_FALSE(file_exists(socket));
}

TEST_F(AppMonitorTest, SecondNodeOnTheSameSocketIsRefused) {
  start_node();
  ChildProcess second(
      {binary_path("baton-node"), "--machine", "m2", "--appmonitor", node_->endpoint()},
      {{}, {}, dir_ / "second.log"});
  auto exit = second.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 2);
  EXPECT_NE(read_file(dir_ / "second.log").find("another node already listens"), std::string::npos);
  EXPECT_TRUE(node_->process().running());
}

// Only the node's user and one group may connect: the node's own group, or --appmonitor-group.
TEST_F(AppMonitorTest, SocketFileIsForTheNodesUserAndOneGroup) {
  start_node();
  struct stat own {};
  ASSERT_EQ(::stat((dir_ / "m1.sock").c_str(), &own), 0);
  EXPECT_EQ(own.st_mode & 0777, 0660u);
  EXPECT_EQ(own.st_gid, ::getegid());

  const ::group* nogroup = ::getgrnam("nogroup");
  if (nogroup == nullptr) GTEST_SKIP() << "no group 'nogroup' on this machine";
  const gid_t nogroup_gid = nogroup->gr_gid;
  NodeProcess other(dir_, {"--appmonitor-group", "nogroup"}, "m2");
  struct stat grouped {};
  // The file appears at its path only once it has its group and mode.
  ASSERT_TRUE(wait_until([&] { return ::stat((dir_ / "m2.sock").c_str(), &grouped) == 0; }));
  EXPECT_EQ(grouped.st_gid, nogroup_gid);
  EXPECT_EQ(grouped.st_mode & 0777, 0660u);
}

TEST_F(AppMonitorTest, UnknownGroupIsRefused) {
  ChildProcess node({binary_path("baton-node"), "--machine", "m3", "--appmonitor",
                     "ipc://" + dir_ / "m3.sock", "--appmonitor-group", "no-such-group-here",
                     "--state-dir", dir_ / "state-m3", "--log-dir", dir_ / "logs-m3"},
                    {{}, {}, dir_ / "m3.log"});
  auto exit = node.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 2);
  EXPECT_NE(read_file(dir_ / "m3.log").find("unknown group 'no-such-group-here'"),
            std::string::npos)
      << read_file(dir_ / "m3.log");
  EXPECT_FALSE(file_exists(dir_ / "m3.sock"));
}

TEST(NodeOptions, BadOptionsExitWithTwo) {
  TempDir dir;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {},                                                        // --machine missing
           {"--machine", "m1", "--kill-grace", "soon"},               // not a number
           {"--machine", "m1", "--appmonitor", "tcp://127.0.0.1:1"},  // not ipc://
           {"--machine", "m1", "--no-such-option"},
           {"--machine", "m1", "--usage-interval", "-1"},    // negative
           {"--machine", "m1", "--usage-interval", "0.01"},  // too often
       }) {
    std::vector<std::string> argv{binary_path("baton-node")};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess node(argv, {{}, {}, dir / "out.log"});
    auto exit = node.wait_exit();
    ASSERT_TRUE(exit.has_value());
    EXPECT_EQ(exit->code, 2) << read_file(dir / "out.log");
  }
}

}  // namespace
}  // namespace baton::test
