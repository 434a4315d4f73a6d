// baton-node as a Dirigent agent: a real node process, real child processes, and a stand-in broker
// (FakeBroker: plain ZeroMQ sockets) that deploys definitions, sends commands and collects what
// the node publishes.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <sstream>

#include "tests/support/node_fixture.hpp"

namespace baton::test {
namespace {

namespace bus = proto::bus;
using Flags = std::vector<std::string>;

bool alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

class NodeSupervisionTest : public NodeFixture {
 protected:
  void SetUp() override { start_node({"--restart-backoff-cap", "0"}); }

  bool wait_flags(const std::string& app, const Flags& flags) {
    bool ok =
        broker_.wait_state("m1", app, [&](const bus::AppState& s) { return s.flags == flags; });
    if (!ok) {
      auto s = broker_.state("m1", app);
      std::string have;
      for (const auto& f : s ? s->flags : Flags{})
        have += f + " ";
      ADD_FAILURE() << app << " flags are [" << have << "]\n" << node_->log();
    }
    return ok;
  }
  bus::AppState state(const std::string& app) { return broker_.state("m1", app).value(); }
};

TEST_F(NodeSupervisionTest, SaysHelloAndPublishesPresence) {
  EXPECT_GE(broker_.hellos(), 1u);
  EXPECT_TRUE(broker_.pump_until([&] { return broker_.node_states("m1") >= 2; }));
}

TEST_F(NodeSupervisionTest, LaunchSetsStartedRunningInitialized) {
  deploy({shell_app("a", "exec sleep 60")});
  EXPECT_TRUE(wait_flags("a", {}));  // deployed, never launched
  auto reply = command("launch", "a", "main");
  EXPECT_TRUE(reply.ok) << reply.error.value_or("");
  EXPECT_EQ(reply.machine, "m1");
  ASSERT_TRUE(wait_flags("a", {"Started", "Running", "Initialized", "PlanApplied"}));
  EXPECT_TRUE(alive(static_cast<pid_t>(state("a").pid)));
  EXPECT_EQ(state("a").plan, "main");
  EXPECT_GT(state("a").started_at, 0);
  auto kinds = broker_.event_kinds("m1", "a");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "launched"), kinds.end());
}

TEST_F(NodeSupervisionTest, KillAppKillsAndSetsKilled) {
  deploy({shell_app("a", "exec sleep 60")});
  command("launch", "a");
  ASSERT_TRUE(wait_flags("a", {"Started", "Running", "Initialized"}));
  const pid_t pid = static_cast<pid_t>(state("a").pid);
  EXPECT_TRUE(command("kill", "a").ok);
  ASSERT_TRUE(wait_flags("a", {"Started", "Killed", "Initialized", "PlanApplied"}));
  EXPECT_FALSE(alive(pid));
  EXPECT_EQ(state("a").exit_code, -SIGKILL);  // no soft kill configured: SIGKILL at once
  EXPECT_EQ(state("a").pid, 0);
}

TEST_F(NodeSupervisionTest, SoftKillSendsSigtermFirst) {
  auto polite = shell_app("polite",
                          "trap \"echo term > polite.txt; exit 0\" TERM; touch polite.ready; "
                          "while :; do sleep 0.05; done");
  polite.soft_kill_timeout_s = 5.0;
  deploy({polite});
  command("launch", "polite");
  ASSERT_TRUE(wait_flags("polite", {"Started", "Running", "Initialized"}));
  ASSERT_TRUE(wait_until([&] { return file_exists(dir_ / "polite.ready"); }));  // trap installed
  command("kill", "polite");
  ASSERT_TRUE(wait_flags("polite", {"Started", "Killed", "Initialized", "PlanApplied"}));
  EXPECT_EQ(read_file(dir_ / "polite.txt"), "term\n");
  EXPECT_EQ(state("polite").exit_code, 0);
}

TEST_F(NodeSupervisionTest, SoftKillEscalatesToSigkill) {
  auto stubborn =
      shell_app("stubborn", "trap \"\" TERM; touch stubborn.ready; while :; do sleep 0.05; done");
  stubborn.soft_kill_timeout_s = 0.3;
  deploy({stubborn});
  command("launch", "stubborn");
  ASSERT_TRUE(wait_flags("stubborn", {"Started", "Running", "Initialized"}));
  ASSERT_TRUE(wait_until([&] { return file_exists(dir_ / "stubborn.ready"); }));
  command("kill", "stubborn");
  EXPECT_TRUE(broker_.wait_state(
      "m1", "stubborn", [](const bus::AppState& s) { return FakeBroker::has_flag(s, "Dying"); }));
  ASSERT_TRUE(wait_flags("stubborn", {"Started", "Killed", "Initialized", "PlanApplied"}));
  EXPECT_EQ(state("stubborn").exit_code, -SIGKILL);
}

TEST_F(NodeSupervisionTest, MissingExecutableIsStartFailedWithTheReason) {
  config::AppDef spec;
  spec.machine = "m1";
  spec.app = "ghost";
  spec.exe_full_path = "/nonexistent/ghost";
  spec.config_dir = dir_.path();
  deploy({spec});
  auto reply = command("launch", "ghost");
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.error,
            "cannot launch m1.ghost: cannot execute '/nonexistent/ghost': No such "
            "file or directory");
  ASSERT_TRUE(wait_flags("ghost", {"Started", "StartFailed"}));
  EXPECT_EQ(state("ghost").error, "cannot execute '/nonexistent/ghost': No such file or directory");
}

TEST_F(NodeSupervisionTest, MissingStartupDirIsStartFailed) {
  auto spec = shell_app("lost", "true");
  spec.startup_dir = "/nonexistent/dir";
  deploy({spec});
  auto reply = command("launch", "lost");
  EXPECT_FALSE(reply.ok);
  ASSERT_TRUE(wait_flags("lost", {"Started", "StartFailed"}));
  EXPECT_NE(state("lost").error->find("cannot enter directory '/nonexistent/dir'"),
            std::string::npos);
}

TEST_F(NodeSupervisionTest, UnknownAppIsAnError) {
  auto reply = command("launch", "nope");
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.error, "unknown app m1.nope");
  EXPECT_EQ(command("kill", "nope").error, "unknown app m1.nope");
  EXPECT_EQ(command("restart", "nope").error, "unknown app m1.nope");
}

TEST_F(NodeSupervisionTest, RestartOnCrashHonoursDelayAndMaxTries) {
  auto crasher = shell_app("crasher", "echo run >> runs.txt; exit 3");
  crasher.restart_on_crash = true;
  crasher.restart_max_tries = 2;
  crasher.restart_delay_s = 0.2;
  deploy({crasher});
  command("launch", "crasher");
  ASSERT_TRUE(broker_.wait_state("m1", "crasher", [](const bus::AppState& s) {
    return s.restarts == 2 && !FakeBroker::has_flag(s, "Running") &&
           !FakeBroker::has_flag(s, "Restarting");
  })) << node_->log();
  EXPECT_EQ(read_lines(dir_ / "runs.txt").size(), 3u);  // the launch and two restarts
  EXPECT_EQ(state("crasher").exit_code, 3);
  auto kinds = broker_.event_kinds("m1", "crasher");
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "crashed"), 3);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "restarting"), 2);
}

TEST_F(NodeSupervisionTest, KillNeverTriggersRestartOnCrash) {
  auto service = shell_app("service", "exec sleep 60");
  service.restart_on_crash = true;
  service.restart_delay_s = 0;
  deploy({service});
  command("launch", "service");
  ASSERT_TRUE(wait_flags("service", {"Started", "Running", "Initialized"}));
  command("kill", "service");
  ASSERT_TRUE(wait_flags("service", {"Started", "Killed", "Initialized", "PlanApplied"}));
  // A later command's reply proves the node has processed everything before it.
  command("kill", "service");
  EXPECT_EQ(state("service").restarts, 0);
  EXPECT_FALSE(FakeBroker::has_flag(state("service"), "Running"));
}

TEST_F(NodeSupervisionTest, CommandsAreAnsweredDuringACrashLoop) {
  // Dies at once and is relaunched at once (no delay; the fixture turns backoff off): the worst
  // case for the event loop. Commands must still get through, and KillApp must end the loop.
  auto looper = shell_app("looper", "exit 1");
  looper.restart_on_crash = true;
  looper.restart_delay_s = 0;
  deploy({looper});
  command("launch", "looper");
  ASSERT_TRUE(broker_.wait_state("m1", "looper", [](const bus::AppState& s) {
    return s.restarts >= 20;
  })) << node_->log();
  for (int i = 0; i < 50; ++i) {
    auto reply = broker_.wait_reply(broker_.simple("m1", "get_state"));
    ASSERT_TRUE(reply.has_value()) << "get_state " << i << " unanswered";
    EXPECT_TRUE(reply->ok);
  }
  EXPECT_TRUE(command("kill", "looper").ok);
  EXPECT_TRUE(broker_.wait_state("m1", "looper", [](const bus::AppState& s) {
    return FakeBroker::has_flag(s, "Killed") && !FakeBroker::has_flag(s, "Running") &&
           !FakeBroker::has_flag(s, "Restarting");
  }));
}

TEST_F(NodeSupervisionTest, RestartAppRelaunchesWithANewProcess) {
  deploy({shell_app("a", "exec sleep 60")});
  command("launch", "a");
  ASSERT_TRUE(wait_flags("a", {"Started", "Running", "Initialized"}));
  const auto first = state("a").pid;
  EXPECT_TRUE(command("restart", "a").ok);
  ASSERT_TRUE(broker_.wait_state("m1", "a", [&](const bus::AppState& s) {
    return s.pid != 0 && s.pid != first && s.restarts == 1;
  }));
  EXPECT_FALSE(alive(static_cast<pid_t>(first)));
}

TEST_F(NodeSupervisionTest, TimeoutDetector) {
  auto slow = shell_app("slow", "exec sleep 60");
  slow.init_detectors.timeout_s = 0.4;
  deploy({slow});
  command("launch", "slow");
  // The state right after launch is not yet Initialized; later it is.
  ASSERT_TRUE(broker_.wait_state(
      "m1", "slow", [](const bus::AppState& s) { return FakeBroker::has_flag(s, "Running"); }));
  EXPECT_FALSE(FakeBroker::has_flag(state("slow"), "Initialized"));
  EXPECT_TRUE(wait_flags("slow", {"Started", "Running", "Initialized"}));
}

TEST_F(NodeSupervisionTest, ExitCodeDetectorWithRanges) {
  auto setup = shell_app("setup", "exit 6");
  setup.init_detectors.exit_codes = {{0, 0}, {5, 7}};
  auto failing = shell_app("failing", "exit 4");
  failing.init_detectors.exit_codes = {{0, 0}, {5, 7}};
  deploy({setup, failing});
  command("launch", "setup");
  command("launch", "failing");
  EXPECT_TRUE(wait_flags("setup", {"Started", "Initialized"}));
  EXPECT_TRUE(
      broker_.wait_state("m1", "failing", [](const bus::AppState& s) { return s.exit_code == 4; }));
  EXPECT_FALSE(FakeBroker::has_flag(state("failing"), "Initialized"));
}

TEST_F(NodeSupervisionTest, HeartbeatDetectorJoinsTheApplicationMonitor) {
  config::AppDef client;
  client.machine = "m1";
  client.app = "monitored";
  client.exe_full_path = binary_path("appmon_client");
  client.cmd_line_args = "--timeouts 5000 --mode refresh";
  client.config_dir = dir_.path();
  client.init_detectors.heartbeat = true;
  deploy({client});
  command("launch", "monitored");
  EXPECT_TRUE(wait_flags("monitored", {"Started", "Running", "Initialized"}));
  auto kinds = broker_.event_kinds("m1", "monitored");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "registered"), kinds.end());
  EXPECT_TRUE(node_->log_contains("(app monitored)")) << node_->log();
}

TEST_F(NodeSupervisionTest, WatchdogRestartRelaunchesFromTheDefinition) {
  config::AppDef client;
  client.machine = "m1";
  client.app = "hanger";
  client.exe_full_path = binary_path("appmon_client");
  client.cmd_line_args =
      "--timeouts 300 --mode hang --refreshes 1 --action restart --restart-command 'touch " +
      dir_ / "restart-command-ran" + "'";
  client.config_dir = dir_.path();
  deploy({client});
  command("launch", "hanger");
  ASSERT_TRUE(broker_.wait_state("m1", "hanger", [](const bus::AppState& s) {
    return s.restarts >= 1 && s.pid != 0;
  })) << node_->log();
  auto kinds = broker_.event_kinds("m1", "hanger");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "watchdog_timeout"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "watchdog_action"), kinds.end());
  EXPECT_FALSE(file_exists(dir_ / "restart-command-ran"));
}

// An exit without unregistering fires the action at once: the app's events say so, as they do
// for a late refresh.
TEST_F(NodeSupervisionTest, ExitWithoutUnregisteringIsAWatchdogAction) {
  config::AppDef client;
  client.machine = "m1";
  client.app = "quitter";
  client.exe_full_path = binary_path("appmon_client");
  client.cmd_line_args = "--timeouts 60000 --tick-ms 50 --mode exit --refreshes 1";
  client.config_dir = dir_.path();
  deploy({client});
  command("launch", "quitter");
  ASSERT_TRUE(wait_until([&] {
    broker_.pump();
    auto kinds = broker_.event_kinds("m1", "quitter");
    return std::find(kinds.begin(), kinds.end(), "watchdog_action") != kinds.end();
  })) << node_->log();
  auto kinds = broker_.event_kinds("m1", "quitter");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "registered"), kinds.end());
  EXPECT_EQ(std::find(kinds.begin(), kinds.end(), "watchdog_timeout"), kinds.end());
}

TEST_F(NodeSupervisionTest, EnvironmentAndVariableExpansion) {
  auto app = shell_app("envy", "env > %DIRIGENT_MACHINEID%_%DIRIGENT_APPID%.env");
  app.env_set = {{"GREETING", "hello %DIRIGENT_APPID%"}, {"FROM_LOCAL", "%LOCAL_ONLY%"}};
  app.env_local = {{"LOCAL_ONLY", "local-value"}};
  app.path_prepend = {"/opt/first"};
  app.path_append = {"/opt/last"};
  app.init_detectors.exit_codes = {{0, 0}};
  deploy({app});
  command("launch", "envy", "main");
  ASSERT_TRUE(wait_flags("envy", {"Started", "Initialized", "PlanApplied"}));
  auto lines = read_lines(dir_ / "m1_envy.env");
  auto has = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  };
  EXPECT_TRUE(has("DIRIGENT_MACHINEID=m1"));
  EXPECT_TRUE(has("DIRIGENT_APPID=envy"));
  EXPECT_TRUE(has("DIRIGENT_PLAN=main"));
  EXPECT_TRUE(has("DIRIGENT_SHAREDCONFDIR=" + dir_.path()));
  EXPECT_TRUE(has("DIRIGENT_MASTER_IP=127.0.0.1"));
  EXPECT_TRUE(has("BATON_APPMONITOR=" + node_->endpoint()));
  EXPECT_TRUE(has("GREETING=hello envy"));
  EXPECT_TRUE(has("FROM_LOCAL=local-value"));
  EXPECT_FALSE(has("LOCAL_ONLY=local-value"));  // Local is for expansion only
  auto path = std::find_if(lines.begin(), lines.end(),
                           [](const std::string& l) { return l.starts_with("PATH="); });
  ASSERT_NE(path, lines.end());
  EXPECT_TRUE(path->starts_with("PATH=/opt/first:"));
  EXPECT_TRUE(path->ends_with(":/opt/last"));
}

TEST_F(NodeSupervisionTest, SetVarsReachesTheNextLaunchAndEmptyUnsets) {
  deploy({shell_app("echoer", "echo \"[$COLOR]\" >> color.txt")});
  EXPECT_TRUE(broker_.wait_reply(broker_.set_vars("m1", bus::Variables{{{"COLOR", "blue"}}}))->ok);
  command("launch", "echoer");
  ASSERT_TRUE(broker_.pump_until([&] { return read_lines(dir_ / "color.txt").size() == 1; }));
  // The line is written before the process exits: a launch before the node has seen the exit
  // would be refused as already running.
  ASSERT_TRUE(broker_.wait_state(
      "m1", "echoer", [](const bus::AppState& s) { return !FakeBroker::has_flag(s, "Running"); }));
  EXPECT_TRUE(broker_.wait_reply(broker_.set_vars("m1", bus::Variables{{{"COLOR", ""}}}))->ok);
  EXPECT_TRUE(command("launch", "echoer").ok);
  ASSERT_TRUE(broker_.pump_until([&] { return read_lines(dir_ / "color.txt").size() == 2; }));
  EXPECT_EQ(read_lines(dir_ / "color.txt"), (std::vector<std::string>{"[blue]", "[]"}));
}

TEST_F(NodeSupervisionTest, KillTreeReachesASetsidGrandchild) {
  auto tree = shell_app("tree", "(setsid sleep 60 & echo $! > grandchild.pid) ; exec sleep 60");
  tree.kill_tree = true;
  deploy({tree});
  command("launch", "tree");
  ASSERT_TRUE(wait_flags("tree", {"Started", "Running", "Initialized"}));
  ASSERT_TRUE(
      broker_.pump_until([&] { return read_file(dir_ / "grandchild.pid").ends_with("\n"); }));
  const pid_t grandchild = std::stoi(read_file(dir_ / "grandchild.pid"));
  ASSERT_TRUE(alive(grandchild));
  command("kill", "tree");
  ASSERT_TRUE(wait_flags("tree", {"Started", "Killed", "Initialized", "PlanApplied"}));
  EXPECT_TRUE(wait_until([&] { return !alive(grandchild); })) << node_->log();
}

TEST_F(NodeSupervisionTest, WithoutKillTreeTheProcessGroupIsKilled) {
  deploy({shell_app("group", "sleep 60 & echo $! > child.pid; wait")});
  command("launch", "group");
  ASSERT_TRUE(broker_.pump_until([&] { return read_file(dir_ / "child.pid").ends_with("\n"); }));
  const pid_t child = std::stoi(read_file(dir_ / "child.pid"));
  command("kill", "group");
  ASSERT_TRUE(wait_flags("group", {"Started", "Killed", "Initialized", "PlanApplied"}));
  EXPECT_TRUE(wait_until([&] { return !alive(child); }));
}

TEST_F(NodeSupervisionTest, OutputGoesToTheAppLog) {
  deploy({shell_app("talker", "echo to-stdout; echo to-stderr >&2")});
  command("launch", "talker");
  const std::string log = node_->log_dir() + "/talker.log";
  ASSERT_TRUE(wait_until([&] { return read_lines(log).size() == 2; })) << read_file(log);
  EXPECT_EQ(read_lines(log), (std::vector<std::string>{"to-stdout", "to-stderr"}));
}

TEST_F(NodeSupervisionTest, GetStateListsEveryApp) {
  deploy({shell_app("a", "exec sleep 60"), shell_app("b", "true")});
  command("launch", "a");
  ASSERT_TRUE(wait_flags("a", {"Started", "Running", "Initialized"}));
  const std::string id = broker_.simple("m1", "get_state");
  ASSERT_TRUE(broker_.wait_reply(id).has_value());
  std::string payload = broker_.reply_payload(id);
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, payload.data(), payload.size());
  ASSERT_TRUE(object.ok());
  const msgpack::object* apps = proto::find_key(*proto::find_key(*object, "result"), "apps");
  ASSERT_NE(apps, nullptr);
  std::vector<bus::AppState> states;
  apps->convert(states);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].app, "a");
  EXPECT_TRUE(FakeBroker::has_flag(states[0], "Running"));
  EXPECT_EQ(states[1].app, "b");
  EXPECT_TRUE(states[1].flags.empty());
}

TEST_F(NodeSupervisionTest, RedeployKeepsUnchangedAppsAndStopsRemovedOnes) {
  deploy({shell_app("keep", "exec sleep 60"), shell_app("drop", "exec sleep 60")});
  command("launch", "keep");
  command("launch", "drop");
  ASSERT_TRUE(wait_flags("keep", {"Started", "Running", "Initialized"}));
  ASSERT_TRUE(wait_flags("drop", {"Started", "Running", "Initialized"}));
  const auto keep_pid = state("keep").pid;
  const auto drop_pid = static_cast<pid_t>(state("drop").pid);
  deploy({shell_app("keep", "exec sleep 60")});
  EXPECT_TRUE(wait_until([&] { return !alive(drop_pid); }));
  EXPECT_EQ(command("launch", "drop").error, "unknown app m1.drop");
  EXPECT_EQ(state("keep").pid, keep_pid);
  EXPECT_TRUE(alive(static_cast<pid_t>(keep_pid)));
}

TEST_F(NodeSupervisionTest, GarbageCommandsAreAnsweredOrDroppedAndTheNodeGoesOn) {
  broker_.send("m1", "not msgpack at all");
  broker_.send("m1", std::string("\x81\xa2op\xa6launch", 10));  // no id, no reply_to
  const std::string bad_args = "cX";
  broker_.send("m1", bus::pack_with(bus::CommandHeader{bus::kVersion, bad_args, "launch", "test"},
                                    "args", [](auto& pk) { pk.pack_map(1).pack("app").pack(42); }));
  auto reply = broker_.wait_reply(bad_args);
  ASSERT_TRUE(reply.has_value());
  EXPECT_FALSE(reply->ok);
  EXPECT_EQ(reply->error, "launch: field 'app' has the wrong type");
  auto unknown = broker_.wait_reply(broker_.simple("m1", "format_disk"));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->error, "unknown command op 'format_disk'");
  deploy({shell_app("a", "exec sleep 60")});
  EXPECT_TRUE(command("launch", "a").ok);
}

TEST_F(NodeSupervisionTest, CommandsOnALongerTopicWithItsTopicAsPrefixAreIgnored) {
  deploy({shell_app("a", "exec sleep 60")});
  // m1 subscribes to "cmd/m1/", which ZeroMQ also matches for "cmd/m1/x/": the node compares
  // whole topics.
  const std::string foreign = broker_.command("m1/x", "launch", bus::AppCommandArgs{"a", {}, {}});
  const std::string own = broker_.command("m1", "get_state", bus::AppCommandArgs{"a", {}, {}});
  ASSERT_TRUE(broker_.wait_reply(own).has_value());  // commands run in order: foreign came first
  broker_.pump();
  EXPECT_TRUE(broker_.reply_payload(foreign).empty());
  EXPECT_TRUE(state("a").flags.empty());
}

TEST_F(NodeSupervisionTest, NodeShutdownStopsItsApps) {
  deploy({shell_app("a", "exec sleep 60")});
  command("launch", "a");
  ASSERT_TRUE(wait_flags("a", {"Started", "Running", "Initialized"}));
  const auto pid = static_cast<pid_t>(state("a").pid);
  auto exit = node_->process().terminate();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0) << node_->log();
  EXPECT_FALSE(alive(pid));
}

// The nice value of one thread (field 19 of /proc/PID/task/TID/stat); nullopt when it is gone.
std::optional<int> nice_of(const std::string& stat_path) {
  const std::string stat = read_file(stat_path);
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i < 19 && fields >> field; ++i) {
  }
  int nice = 0;
  if (!(fields >> nice)) return std::nullopt;
  return nice;
}

// The nice value of each thread of `pid`, with the thread's name.
std::vector<std::pair<std::string, int>> thread_nices(pid_t pid) {
  std::vector<std::pair<std::string, int>> nices;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) return nices;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string task = tasks + "/" + entry->d_name;
    std::string name = read_file(task + "/comm");
    while (!name.empty() && name.back() == '\n')
      name.pop_back();
    if (auto nice = nice_of(task + "/stat")) nices.emplace_back(name, *nice);
  }
  ::closedir(dir);
  return nices;
}

class NodeNiceTest : public NodeFixture {};

// --nice: the node's threads (its loop and the ZeroMQ I/O thread) run at the nice value given, the
// state file's writer ten below; the apps it starts at the one it was started with.
TEST_F(NodeNiceTest, TheNodeRunsAtItsNiceValueAndItsAppsAtTheOneItWasStartedWith) {
  if (::geteuid() != 0) GTEST_SKIP() << "a negative nice value needs root";
  errno = 0;
  const int ours = ::getpriority(PRIO_PROCESS, 0);
  ASSERT_EQ(errno, 0);
  const int wanted = std::max(-20, ours - 5);
  start_node({"--nice", std::to_string(wanted)});
  const auto nices = thread_nices(node_->process().pid());
  ASSERT_GE(nices.size(), 2u);  // the loop and at least the I/O thread
  bool state_writer = false;
  for (const auto& [name, nice] : nices) {
    // The state file's writer yields to the loop: ten below it.
    state_writer = state_writer || name == "baton-state";
    EXPECT_EQ(nice, name == "baton-state" ? wanted + 10 : wanted) << name;
  }
  EXPECT_TRUE(state_writer) << "the node runs with a state folder: its writer thread is there";

  deploy({shell_app("a", "exec sleep 60")});
  launch("a");
  ASSERT_TRUE(broker_.wait_state("m1", "a", [](const bus::AppState& s) { return s.pid > 0; }));
  const auto app = nice_of("/proc/" + std::to_string(broker_.state("m1", "a")->pid) + "/stat");
  ASSERT_TRUE(app.has_value());
  EXPECT_EQ(*app, ours);
}

}  // namespace
}  // namespace baton::test
