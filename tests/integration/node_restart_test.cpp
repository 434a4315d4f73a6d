// A node that dies (kill -9) and starts again keeps its apps: it adopts every process still
// running from its state file, relaunches only what died meanwhile with RestartOnCrash, reads on
// from the apps' output FIFOs, and never takes a reused pid for one of its apps.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "node/process/process_start_time.hpp"
#include "node/state/node_state_file.hpp"
#include "tests/support/node_fixture.hpp"

namespace baton::test {
namespace {

namespace bus = proto::bus;

class NodeRestartTest : public NodeFixture {
 protected:
  void SetUp() override { start_node({"--restart-backoff-cap", "0"}); }

  // The state file holds each of these apps running as `pid`.
  void wait_until_saved_running(const std::map<std::string, pid_t>& apps) {
    ASSERT_TRUE(wait_until([&] {
      auto saved = node::load_node_state(state_file(), "m1");
      if (!saved || !saved->has_value()) return false;
      std::size_t found = 0;
      for (const auto& app : (*saved)->apps) {
        auto it = apps.find(app.app);
        if (it != apps.end() && app.pid == it->second && app.state == node::LifecycleState::running)
          ++found;
      }
      return found == apps.size();
    })) << node_->log();
  }
  void restart_node() {
    events_before_restart_ = broker_.events().size();
    NodeFixture::restart_node({"--restart-backoff-cap", "0"});
  }
  pid_t running_pid(const std::string& app) {
    EXPECT_TRUE(broker_.wait_state("m1", app, [](const bus::AppState& s) {
      return FakeBroker::has_flag(s, "Running") && s.pid > 0;
    })) << node_->log();
    return static_cast<pid_t>(broker_.state("m1", app).value().pid);
  }
  // Events of `kind` for `app` published since restart_node().
  std::size_t events_since_restart(const std::string& app, const std::string& kind) const {
    const auto& events = broker_.events();
    return static_cast<std::size_t>(std::count_if(
        events.begin() + static_cast<std::ptrdiff_t>(events_before_restart_), events.end(),
        [&](const bus::Event& e) { return e.app == app && proto::to_name(e.kind) == kind; }));
  }
  std::string state_file() const { return dir_ / "state-m1/m1.state"; }

  std::size_t events_before_restart_ = 0;
};

std::size_t count_lines(const std::string& text, const std::string& line) {
  std::size_t n = 0;
  for (std::size_t at = text.find(line); at != std::string::npos; at = text.find(line, at + 1))
    ++n;
  return n;
}

TEST_F(NodeRestartTest, AdoptsRunningAppsAndRelaunchesOnlyTheDead) {
  auto victim = shell_app("victim", "exec sleep 60");
  victim.restart_on_crash = true;
  victim.restart_delay_s = 0;
  deploy({shell_app("steady", "exec sleep 60"),
          shell_app("talker", "while :; do echo tick; sleep 0.02; done"), victim});
  for (const char* app : {"steady", "talker", "victim"})
    launch(app);
  const pid_t steady = running_pid("steady");
  const pid_t talker = running_pid("talker");
  const pid_t victim_pid = running_pid("victim");
  const double steady_started = broker_.state("m1", "steady")->started_at;
  const double talker_started = broker_.state("m1", "talker")->started_at;
  const std::string talker_log = node_->log_dir() + "/talker.log";
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(talker_log), "tick") >= 5; }));

  kill_node();
  // While no node runs: one app dies, the talker goes on writing (into its FIFO, not into a
  // broken pipe that would kill it with SIGPIPE).
  ASSERT_EQ(::kill(victim_pid, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return !process_start_time(victim_pid).has_value(); }) ||
              read_file("/proc/" + std::to_string(victim_pid) + "/stat").find(") Z") !=
                  std::string::npos);
  const std::size_t ticks_before = count_lines(read_file(talker_log), "tick");
  restart_node();

  EXPECT_EQ(running_pid("steady"), steady);
  EXPECT_EQ(running_pid("talker"), talker);
  ASSERT_TRUE(broker_.wait_state("m1", "victim", [&](const bus::AppState& s) {
    return FakeBroker::has_flag(s, "Running") && s.pid > 0 && s.pid != victim_pid;
  })) << node_->log();
  // No relaunch of the adopted: the same launch time, no restart counted, no launched event. (The
  // victim's relaunch happens before the new node is linked to the broker: its events are not
  // seen, its state is.)
  EXPECT_EQ(broker_.state("m1", "steady")->started_at, steady_started);
  EXPECT_EQ(broker_.state("m1", "talker")->started_at, talker_started);
  EXPECT_EQ(events_since_restart("steady", "launched"), 0u);
  EXPECT_EQ(events_since_restart("talker", "launched"), 0u);
  EXPECT_EQ(broker_.state("m1", "steady")->restarts, 0);
  EXPECT_EQ(broker_.state("m1", "talker")->restarts, 0);
  EXPECT_EQ(broker_.state("m1", "victim")->restarts, 1);
  // The talker's output reaches its log again, from the same process.
  EXPECT_TRUE(wait_until([&] {
    return count_lines(read_file(talker_log), "tick") >= ticks_before + 20;
  })) << node_->log();
  EXPECT_TRUE(FakeBroker::has_flag(broker_.state("m1", "talker").value(), "Running"));

  // The adopted apps are the node's own again: KillApp stops them, and their exit is seen.
  EXPECT_TRUE(command("kill", "steady").ok);
  ASSERT_TRUE(broker_.wait_state("m1", "steady", [](const bus::AppState& s) {
    return !FakeBroker::has_flag(s, "Running") && FakeBroker::has_flag(s, "Killed");
  })) << node_->log();
  EXPECT_TRUE(wait_until([&] {
    return !process_start_time(steady) ||
           read_file("/proc/" + std::to_string(steady) + "/stat").find(") Z") != std::string::npos;
  }));
}

// An app registered with the application monitor (watchdog action KILL, 1.5 s timeout) refreshes
// on through a node restart: its registration comes back with the same token, its SDK's refresh
// reaches the new node (queued while no node listens; sent again when the old node was killed
// after reading it), and nothing is killed.
TEST_F(NodeRestartTest, WatchdogRegistrationsSurviveTheRestart) {
  config::AppDef client;
  client.machine = "m1";
  client.app = "monitored";
  client.exe_full_path = binary_path("appmon_client");
  client.cmd_line_args =
      "--timeouts 1500 --tick-ms 50 --mode refresh --action kill --status-file " +
      dir_ / "monitored.status";
  client.config_dir = dir_.path();
  client.init_detectors.heartbeat = true;
  deploy({client});
  launch("monitored");
  ASSERT_TRUE(broker_.wait_state("m1", "monitored", [](const bus::AppState& s) {
    return FakeBroker::has_flag(s, "Initialized");
  })) << node_->log();
  const pid_t pid = running_pid("monitored");
  ASSERT_TRUE(
      wait_until([&] { return read_file(dir_ / "monitored.status").starts_with("refreshed"); }));
  // Killed right after the registration was acknowledged: the node wrote it to its journal first.
  kill_node();
  restart_node();
  EXPECT_TRUE(node_->log_contains("restored 1 of 1 watchdog registrations")) << node_->log();
  auto refreshes = [&] {
    const std::string status = read_file(dir_ / "monitored.status");
    return status.starts_with("refreshed ") ? std::stol(status.substr(10)) : -1L;
  };
  const long at_restart = refreshes();
  // Three timeouts' worth of refreshes through the new node, none refused, nothing fired.
  ASSERT_TRUE(wait_until([&] { return refreshes() >= at_restart + 90 || refreshes() < 0; }))
      << read_file(dir_ / "monitored.status") << node_->log();
  EXPECT_GE(refreshes(), at_restart + 90) << read_file(dir_ / "monitored.status") << node_->log();
  EXPECT_EQ(running_pid("monitored"), pid);
  EXPECT_FALSE(node_->log_contains("watchdog timeout")) << node_->log();
  EXPECT_EQ(events_since_restart("monitored", "watchdog_timeout"), 0u);
}

TEST_F(NodeRestartTest, NeverAdoptsAReusedPid) {
  deploy({shell_app("app", "exec sleep 60")});
  launch("app");
  const pid_t app_pid = running_pid("app");
  wait_until_saved_running({{"app", app_pid}});
  kill_node();
  ASSERT_EQ(::kill(app_pid, SIGKILL), 0);

  // The pid now belongs to a stranger: the state file names its pid, with the app's start time.
  ChildProcess stranger({"/bin/sleep", "60"}, {});
  auto saved = node::load_node_state(state_file(), "m1");
  ASSERT_TRUE(saved && saved->has_value()) << state_file();
  for (auto& app : (*saved)->apps) {
    if (app.app == "app") app.pid = stranger.pid();
  }
  ASSERT_TRUE(node::save_node_state(state_file(), **saved));
  // The file is then the whole truth: no journal says otherwise.
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "state-m1")) {
    if (entry.path().filename().string().starts_with("m1.journal.")) {
      std::filesystem::remove(entry.path());
    }
  }
  restart_node();

  ASSERT_TRUE(broker_.wait_state("m1", "app", [](const bus::AppState& s) {
    return !FakeBroker::has_flag(s, "Running");
  })) << node_->log();
  EXPECT_NE(broker_.state("m1", "app")->pid, stranger.pid());
  // KillApp on the app must not reach the stranger.
  EXPECT_TRUE(command("kill", "app").ok);
  EXPECT_TRUE(stranger.running());
  EXPECT_EQ(stranger.wait_exit(std::chrono::milliseconds(300)), std::nullopt);
}

TEST_F(NodeRestartTest, AMalformedStateFileIsSetAsideNotTrusted) {
  deploy({shell_app("app", "exec sleep 60")});
  kill_node();
  {
    std::ofstream broken(state_file(), std::ios::trunc);
    broken << "this is not msgpack";
  }
  restart_node();
  EXPECT_TRUE(node_->process().running());
  EXPECT_TRUE(file_exists(state_file() + ".bad"));
  EXPECT_TRUE(node_->log_contains("starting with no apps")) << node_->log();
}

TEST_F(NodeRestartTest, ASecondNodeOnTheSameStateFolderIsRefused) {
  std::vector<std::string> argv{binary_path("baton-node"),
                                "--machine",
                                "m1",
                                "--appmonitor",
                                "ipc://" + dir_.path() + "/other.sock",
                                "--state-dir",
                                dir_ / "state-m1",
                                "--log-dir",
                                dir_ / "logs-second"};
  ChildProcess second(argv, {{}, {}, dir_ / "second.log"});
  auto exit = second.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 2);
  EXPECT_NE(read_file(dir_ / "second.log").find("another baton-node"), std::string::npos)
      << read_file(dir_ / "second.log");
  EXPECT_TRUE(node_->process().running());
}

}  // namespace
}  // namespace baton::test
