// A node killed (kill -9) at any moment around a launch loses nothing it did: started again, it
// knows every process it launched, with its pid (from its state file, its journal, or the launch
// marker in the process's environment), so `kill` reaches it and no launch starts a second
// instance; an app that crashed meanwhile with RestartOnCrash is relaunched exactly once.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "node/process/process_tree.hpp"
#include "node/state/node_state_file.hpp"
#include "tests/support/node_fixture.hpp"

namespace baton::test {
namespace {

namespace bus = proto::bus;
using namespace std::chrono_literals;

class NodeDurabilityTest : public NodeFixture {
 protected:
  void SetUp() override { start_node({"--restart-backoff-cap", "0"}); }

  // An app whose process is /bin/sleep itself: one exec, so its launch marker shows from then on.
  config::AppDef sleeper(const std::string& app) const {
    config::AppDef spec = shell_app(app, "");
    spec.exe_full_path = "/bin/sleep";
    spec.cmd_line_args = "600";
    return spec;
  }

  // The own processes of the launches of `app` by this node (not what they started), found by
  // their launch marker: <machine>.<app>.<node instance>.
  std::vector<pid_t> instances(const std::string& app) {
    const std::string instance = read_file(dir_ / "state-m1/m1.id").substr(0, 16);
    const auto marked = find_marked_processes("m1." + app + "." + instance + ".");
    std::vector<pid_t> own;
    for (const auto& p : marked) {
      bool child_of_the_launch = false;
      for (const auto& other : marked)
        child_of_the_launch |= other.pid == p.parent && other.launch_id == p.launch_id;
      const std::string stat = read_file("/proc/" + std::to_string(p.pid) + "/stat");
      const bool zombie = stat.find(") Z") != std::string::npos;
      if (!child_of_the_launch && !zombie) own.push_back(p.pid);
    }
    return own;
  }
  // The app's state as the node published it after `seq` (its view after a restart).
  std::optional<bus::AppState> state_after(const std::string& app, std::uint64_t seq) {
    std::optional<bus::AppState> fresh;
    broker_.wait_state("m1", app, [&](const bus::AppState& s) {
      if (s.seq <= seq) return false;
      fresh = s;
      return true;
    });
    return fresh;
  }
  std::uint64_t last_seq(const std::string& app) const {
    auto state = broker_.state("m1", app);
    return state ? state->seq : 0;
  }
};

struct KillPoint {
  bool after_reply;  // the launch was acknowledged before the kill
  std::chrono::milliseconds delay;
};

TEST_F(NodeDurabilityTest, KilledAtAnyMomentAroundALaunchItKeepsTheAppAndRunsItOnce) {
  const std::vector<KillPoint> points{{true, 0ms},  {true, 1ms},   {true, 5ms},   {true, 20ms},
                                      {true, 50ms}, {true, 100ms}, {true, 200ms}, {false, 0ms},
                                      {false, 1ms}, {false, 5ms},  {false, 20ms}};
  std::vector<config::AppDef> apps;
  for (std::size_t i = 0; i < points.size(); ++i)
    apps.push_back(sleeper("durable" + std::to_string(i)));
  deploy(apps);

  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string app = "durable" + std::to_string(i);
    SCOPED_TRACE(app + (points[i].after_reply ? " killed after the reply" : " killed before it") +
                 ", " + std::to_string(points[i].delay.count()) + " ms");
    const std::string id = broker_.command("m1", "launch", bus::AppCommandArgs{app, {}, {}});
    if (points[i].after_reply) {
      auto reply = broker_.wait_reply(id);
      ASSERT_TRUE(reply && reply->ok) << node_->log();
    }
    // The moment of the kill, the point of the test: not a wait for anything.
    std::this_thread::sleep_for(points[i].delay);
    const std::uint64_t seq = last_seq(app);
    kill_node();
    // An acknowledged launch has its process (its marker shows once it has exec'd).
    if (points[i].after_reply) {
      ASSERT_TRUE(wait_until([&] { return instances(app).size() == 1; })) << node_->log();
    }
    const auto at_kill = instances(app);
    ASSERT_LE(at_kill.size(), 1u);
    restart_node({"--restart-backoff-cap", "0"});

    auto state = state_after(app, seq);
    ASSERT_TRUE(state) << node_->log();
    const auto now = instances(app);
    ASSERT_LE(now.size(), 1u) << "never a second instance";
    if (points[i].after_reply) {
      EXPECT_EQ(now, at_kill) << "the same process";
    }
    if (now.size() == 1) {
      EXPECT_TRUE(FakeBroker::has_flag(*state, "Running")) << node_->log();
      EXPECT_EQ(state->pid, now[0]) << node_->log();
    } else {
      EXPECT_FALSE(FakeBroker::has_flag(*state, "Running")) << node_->log();
    }
    // A launch now starts nothing new: the app runs once.
    auto relaunch = command("launch", app);
    EXPECT_TRUE(relaunch.ok) << relaunch.error.value_or("") << node_->log();
    ASSERT_TRUE(broker_.wait_state("m1", app, [](const bus::AppState& s) {
      return FakeBroker::has_flag(s, "Running") && s.pid > 0;
    })) << node_->log();
    ASSERT_TRUE(wait_until([&] { return instances(app).size() == 1; })) << node_->log();
    const auto after_launch = instances(app);
    if (now.size() == 1) {
      EXPECT_EQ(after_launch, now);
    }
  }

  // Every app is the node's own: KillApp reaches each, and none is left running.
  for (const auto& spec : apps) {
    EXPECT_TRUE(command("kill", spec.app).ok);
    EXPECT_TRUE(wait_until([&] { return instances(spec.app).empty(); })) << spec.app << "\n"
                                                                         << node_->log();
  }
}

TEST_F(NodeDurabilityTest, AnAppThatCrashedWhileNoNodeRanIsRelaunchedOnce) {
  auto phoenix = sleeper("phoenix");
  phoenix.restart_on_crash = true;
  phoenix.restart_delay_s = 0;
  deploy({phoenix});
  launch("phoenix");
  ASSERT_TRUE(wait_until([&] { return instances("phoenix").size() == 1; })) << node_->log();
  const auto launched = instances("phoenix");
  const std::uint64_t seq = last_seq("phoenix");
  kill_node();
  ASSERT_EQ(::kill(launched[0], SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return instances("phoenix").empty(); }));
  restart_node({"--restart-backoff-cap", "0"});

  ASSERT_TRUE(broker_.wait_state("m1", "phoenix", [&](const bus::AppState& s) {
    return s.seq > seq && FakeBroker::has_flag(s, "Running") && s.pid > 0 && s.pid != launched[0];
  })) << node_->log();
  EXPECT_EQ(broker_.state("m1", "phoenix")->restarts, 1) << node_->log();
  ASSERT_TRUE(wait_until([&] { return instances("phoenix").size() == 1; })) << node_->log();
  const auto relaunched = instances("phoenix");
  EXPECT_EQ(relaunched[0], broker_.state("m1", "phoenix")->pid);
}

// The journal is the first line of defence; the launch marker the second. With the journal gone
// (say, a disk that lost it), the node still finds its running app by the marker of its instance,
// and leaves alone a process with the marker of another node instance.
TEST_F(NodeDurabilityTest, WithoutItsJournalTheNodeFindsItsAppsByTheirLaunchMarker) {
  deploy({sleeper("found"), sleeper("foreign")});
  launch("found");
  ASSERT_TRUE(wait_until([&] { return instances("found").size() == 1; })) << node_->log();
  const auto found = instances("found");
  const std::uint64_t seq = last_seq("found");
  // The journal is to go, the definitions stay: wait until the state file has them.
  ASSERT_TRUE(wait_until([&] {
    auto saved = node::load_node_state(dir_ / "state-m1/m1.state", "m1");
    return saved && saved->has_value() && (*saved)->definitions.size() == 2;
  })) << node_->log();
  kill_node();
  // The state file says nothing of the launch: as if the node died before any of it was written.
  auto saved = node::load_node_state(dir_ / "state-m1/m1.state", "m1");
  ASSERT_TRUE(saved && saved->has_value());
  for (auto& app : (*saved)->apps) {
    static_cast<node::AppRecord&>(app) = node::AppRecord{};
    app.launch_id.clear();
  }
  ASSERT_TRUE(node::save_node_state(dir_ / "state-m1/m1.state", **saved));
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "state-m1")) {
    if (entry.path().filename().string().starts_with("m1.journal.")) {
      std::filesystem::remove(entry.path());
    }
  }
  // A process of "foreign" launched by another node instance of machine m1.
  ChildProcess other({"/bin/sleep", "600"},
                     {{{"BATON_LAUNCH_ID", "m1.foreign.0123456789abcdef.1.1"}}, {}, ""});
  restart_node({"--restart-backoff-cap", "0"});

  auto state = state_after("found", seq);
  ASSERT_TRUE(state) << node_->log();
  EXPECT_TRUE(FakeBroker::has_flag(*state, "Running")) << node_->log();
  EXPECT_EQ(state->pid, found[0]);
  EXPECT_TRUE(
      node_->log_contains("adopted pid " + std::to_string(found[0]) + " by its launch marker"))
      << node_->log();
  EXPECT_FALSE(node_->log_contains("adopted pid " + std::to_string(other.pid()))) << node_->log();
  EXPECT_TRUE(command("kill", "found").ok);
  EXPECT_TRUE(wait_until([&] { return instances("found").empty(); })) << node_->log();
  EXPECT_TRUE(other.running());
}

}  // namespace
}  // namespace baton::test
