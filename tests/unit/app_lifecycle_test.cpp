// The app lifecycle state machine with fake time and fake child exits: every flag transition of
// the Dirigent status table, the restart policy, the init detectors and kill handling.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <memory>

#include "node/apps/app_lifecycle.hpp"

namespace baton::node {
namespace {

using namespace std::chrono_literals;
using Flags = std::vector<std::string>;

// A fake world: processes are numbers, time moves only when the test says so.
class FakeHost : public LifecycleHost {
 public:
  Expected<pid_t> start_process(AppLifecycle&) override {
    ++launches;
    if (fail_next_start) {
      fail_next_start = false;
      return Error{"cannot execute '/missing': No such file or directory"};
    }
    return next_pid++;
  }
  void signal_process(AppLifecycle&, int sig) override { signals.push_back(sig); }
  Timer start_timer(AppLifecycle& app, std::chrono::milliseconds delay, TimerKind kind) override {
    // The lifecycle owns the handle: a timer it drops leaves the queue, as on the real loop. The
    // token lives as long as the callback does, in the queue: until the timer runs or is cancelled.
    auto token = std::make_shared<int>(0);
    scheduled.emplace_back(kind, token);
    return timers.schedule(now_ + delay, [&app, kind, token] {
      app.handle(kind == TimerKind::kill      ? LifecycleEvent::kill_timeout
                 : kind == TimerKind::restart ? LifecycleEvent::restart_due
                                              : LifecycleEvent::init_timeout);
    });
  }
  TimePoint now() override { return now_; }
  void state_changed(AppLifecycle&) override { ++changes; }
  void event(AppLifecycle&, EventKind kind, const std::string& details) override {
    events.push_back(std::string(proto::to_name(kind)) + ": " + details);
  }

  // Moves time forward, firing due timers as their events, earliest first, each at its time.
  void advance(std::chrono::milliseconds by) {
    const TimePoint end = now_ + by;
    while (auto due = timers.next_deadline()) {
      if (*due > end) break;
      now_ = *due;
      timers.run_due(now_);
    }
    now_ = end;
  }
  bool has_timer(TimerKind kind) const {
    return std::ranges::any_of(scheduled, [kind](const auto& timer) {
      return timer.first == kind && !timer.second.expired();
    });
  }
  std::string last_event() const { return events.empty() ? "" : events.back(); }

  TimePoint now_{};
  pid_t next_pid = 100;
  TimerQueue timers;  // before the lifecycles of a test, which hold their handles
  std::vector<std::pair<TimerKind, std::weak_ptr<int>>> scheduled;
  std::vector<int> signals;
  std::vector<std::string> events;
  int launches = 0;
  int changes = 0;
  bool fail_next_start = false;
};

ExitStatus exit_code(int code) {
  return ExitStatus{code, 0, false};
}
ExitStatus killed_by(int sig) {
  return ExitStatus{-1, sig, false};
}

class LifecycleTest : public ::testing::Test {
 protected:
  AppLifecycle make(LifecyclePolicy policy = {}) { return AppLifecycle("m1.a", policy, host); }
  FakeHost host;
};

TEST_F(LifecycleTest, NeverStartedHasNoFlags) {
  auto app = make();
  EXPECT_EQ(app.flags(), Flags{});
  EXPECT_EQ(app.state(), LifecycleState::idle);
}

TEST_F(LifecycleTest, LaunchWithoutDetectorIsInitializedAtOnce) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  EXPECT_EQ(app.flags(), (Flags{"Started", "Running", "Initialized"}));
  EXPECT_EQ(app.pid(), 100);
  EXPECT_GT(app.started_at(), 0);
  EXPECT_EQ(host.events[0], "launched: pid 100");
}

TEST_F(LifecycleTest, LaunchWhileRunningDoesNothing) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::launch);
  EXPECT_EQ(host.launches, 1);
}

TEST_F(LifecycleTest, FailedLaunchSetsStartFailedWithTheReason) {
  auto app = make();
  host.fail_next_start = true;
  app.handle(LifecycleEvent::launch);
  EXPECT_EQ(app.flags(), (Flags{"Started", "StartFailed"}));
  EXPECT_EQ(app.last_error(), "cannot execute '/missing': No such file or directory");
  EXPECT_EQ(host.last_event(),
            "start_failed: cannot execute '/missing': No such file or directory");
  app.handle(LifecycleEvent::launch);  // a later launch that works clears it
  EXPECT_EQ(app.flags(), (Flags{"Started", "Running", "Initialized"}));
}

TEST_F(LifecycleTest, KillAppWithoutSoftKillSendsSigkillAndSetsKilled) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::kill);
  EXPECT_EQ(host.signals, std::vector<int>{SIGKILL});
  EXPECT_EQ(app.flags(),
            (Flags{"Started", "Running", "Dying", "Killed", "Initialized", "PlanApplied"}));
  app.handle(LifecycleEvent::exited, killed_by(SIGKILL));
  EXPECT_EQ(app.flags(), (Flags{"Started", "Killed", "Initialized", "PlanApplied"}));
  EXPECT_EQ(app.exit_code(), -SIGKILL);
  EXPECT_EQ(host.last_event(), "killed: signal SIGKILL");
}

TEST_F(LifecycleTest, SoftKillSendsSigtermThenSigkillAfterTheTimeout) {
  LifecyclePolicy policy;
  policy.soft_kill_timeout = 2s;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::kill);
  EXPECT_EQ(host.signals, std::vector<int>{SIGTERM});
  host.advance(1999ms);
  EXPECT_EQ(host.signals, std::vector<int>{SIGTERM});
  host.advance(1ms);
  EXPECT_EQ(host.signals, (std::vector<int>{SIGTERM, SIGKILL}));
  EXPECT_TRUE(app.dying());
  app.handle(LifecycleEvent::exited, killed_by(SIGKILL));
  EXPECT_FALSE(app.running());
}

TEST_F(LifecycleTest, SoftKilledAppThatExitsInTimeGetsNoSigkill) {
  LifecyclePolicy policy;
  policy.soft_kill_timeout = 2s;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::kill);
  app.handle(LifecycleEvent::exited, exit_code(0));
  host.advance(10s);
  EXPECT_EQ(host.signals, std::vector<int>{SIGTERM});
  EXPECT_FALSE(host.has_timer(TimerKind::kill));
}

TEST_F(LifecycleTest, KillPlanKillsWithoutTheKilledFlag) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::plan_kill);
  app.handle(LifecycleEvent::exited, killed_by(SIGKILL));
  EXPECT_EQ(app.flags(), (Flags{"Started", "Initialized"}));
}

TEST_F(LifecycleTest, CrashWithRestartOnCrashWaitsTheDelayThenRelaunches) {
  LifecyclePolicy policy;
  policy.restart_on_crash = true;
  policy.restart_delay = 1500ms;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  host.advance(20s);  // a stable run
  app.handle(LifecycleEvent::exited, killed_by(SIGSEGV));
  // Initialized stays until the next launch: it describes the last run.
  EXPECT_EQ(app.flags(), (Flags{"Started", "Initialized", "Restarting"}));
  EXPECT_EQ(app.exit_code(), -SIGSEGV);
  EXPECT_EQ(host.events[host.events.size() - 2], "crashed: signal SIGSEGV");
  EXPECT_EQ(host.last_event(), "restarting: in 1500 ms, try 1");
  host.advance(1499ms);
  EXPECT_EQ(host.launches, 1);
  host.advance(1ms);
  EXPECT_EQ(host.launches, 2);
  EXPECT_EQ(app.flags(), (Flags{"Started", "Running", "Initialized"}));
  EXPECT_EQ(app.restarts(), 1);
}

TEST_F(LifecycleTest, CleanExitAlsoRestartsWithRestartOnCrash) {
  LifecyclePolicy policy;
  policy.restart_on_crash = true;
  policy.restart_delay = 0ms;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::exited, exit_code(0));
  host.advance(0ms);
  EXPECT_EQ(host.launches, 2);
}

TEST_F(LifecycleTest, NoRestartWithoutRestartOnCrash) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::exited, exit_code(3));
  host.advance(1min);
  EXPECT_EQ(host.launches, 1);
  EXPECT_EQ(app.flags(), (Flags{"Started", "Initialized"}));
  EXPECT_EQ(host.last_event(), "crashed: exit code 3");
}

TEST_F(LifecycleTest, MaxTriesLimitsAutomaticRestartsAndLaunchResetsThem) {
  LifecyclePolicy policy;
  policy.restart_on_crash = true;
  policy.max_tries = 2;
  policy.restart_delay = 100ms;
  policy.backoff_cap = 0ms;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  for (int i = 0; i < 5; ++i) {
    app.handle(LifecycleEvent::exited, exit_code(1));
    host.advance(100ms);
  }
  EXPECT_EQ(host.launches, 3);  // the launch and two restarts
  EXPECT_EQ(app.state(), LifecycleState::idle);
  EXPECT_EQ(app.restarts(), 2);
  app.handle(LifecycleEvent::launch);  // resets the try counter
  app.handle(LifecycleEvent::exited, exit_code(1));
  host.advance(100ms);
  EXPECT_EQ(host.launches, 5);
}

TEST_F(LifecycleTest, KillCommandNeverTriggersARestart) {
  LifecyclePolicy policy;
  policy.restart_on_crash = true;
  policy.restart_delay = 0ms;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::kill);
  app.handle(LifecycleEvent::exited, killed_by(SIGKILL));
  host.advance(1min);
  EXPECT_EQ(host.launches, 1);
  EXPECT_TRUE(app.killed());
}

TEST_F(LifecycleTest, KillDuringTheRestartDelayCancelsTheRestart) {
  LifecyclePolicy policy;
  policy.restart_on_crash = true;
  policy.restart_delay = 5s;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::exited, exit_code(1));
  app.handle(LifecycleEvent::kill);
  EXPECT_EQ(app.flags(), (Flags{"Started", "Killed", "Initialized", "PlanApplied"}));
  host.advance(1min);
  EXPECT_EQ(host.launches, 1);
}

TEST_F(LifecycleTest, RestartAppKillsThenRelaunches) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::restart);
  EXPECT_EQ(app.flags(), (Flags{"Started", "Running", "Dying", "Initialized", "Restarting"}));
  app.handle(LifecycleEvent::exited, killed_by(SIGKILL));
  EXPECT_EQ(host.launches, 2);
  EXPECT_EQ(app.flags(), (Flags{"Started", "Running", "Initialized"}));
  EXPECT_EQ(app.restarts(), 1);
}

TEST_F(LifecycleTest, RestartOfAStoppedAppLaunchesIt) {
  auto app = make();
  app.handle(LifecycleEvent::restart);
  EXPECT_EQ(host.launches, 1);
  EXPECT_TRUE(app.running());
}

TEST_F(LifecycleTest, KillWhileRestartingCancelsTheRelaunch) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::restart);
  app.handle(LifecycleEvent::kill);
  app.handle(LifecycleEvent::exited, killed_by(SIGKILL));
  EXPECT_EQ(host.launches, 1);
  EXPECT_TRUE(app.killed());
}

TEST_F(LifecycleTest, TimeoutDetectorInitializesOnlyAfterItsTime) {
  LifecyclePolicy policy;
  policy.init_timeout = 2s;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  EXPECT_FALSE(app.initialized());
  host.advance(1999ms);
  EXPECT_FALSE(app.initialized());
  host.advance(1ms);
  EXPECT_TRUE(app.initialized());
  EXPECT_EQ(host.last_event(), "initialized: still running after 2000 ms");
}

TEST_F(LifecycleTest, TimeoutDetectorDoesNotFireForAnAppThatDiedBefore) {
  LifecyclePolicy policy;
  policy.init_timeout = 2s;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  host.advance(1s);
  app.handle(LifecycleEvent::exited, exit_code(0));
  host.advance(5s);
  EXPECT_FALSE(app.initialized());
}

TEST_F(LifecycleTest, ExitCodeDetectorInitializesOnAMatchingCode) {
  LifecyclePolicy policy;
  policy.init_exit_codes = {{0, 0}, {5, 7}};
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  EXPECT_FALSE(app.initialized());
  app.handle(LifecycleEvent::exited, exit_code(6));
  EXPECT_TRUE(app.initialized());
  EXPECT_EQ(app.flags(), (Flags{"Started", "Initialized"}));
}

TEST_F(LifecycleTest, ExitCodeDetectorWithRestartRelaunchesUntilTheCodeMatches) {
  LifecyclePolicy policy;
  policy.init_exit_codes = {{2, 2}};
  policy.restart_on_crash = true;
  policy.restart_delay = 10ms;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::exited, exit_code(1));
  host.advance(10ms);
  app.handle(LifecycleEvent::exited, exit_code(4));
  host.advance(10ms);
  app.handle(LifecycleEvent::exited, exit_code(2));
  host.advance(1min);
  EXPECT_EQ(host.launches, 3);
  EXPECT_TRUE(app.initialized());
  EXPECT_EQ(app.state(), LifecycleState::idle);
}

TEST_F(LifecycleTest, ExitCodeDoesNotInitializeAKilledApp) {
  LifecyclePolicy policy;
  policy.init_exit_codes = {{0, 0}};
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::kill);
  app.handle(LifecycleEvent::exited, exit_code(0));
  EXPECT_FALSE(app.initialized());
}

TEST_F(LifecycleTest, HeartbeatDetectorInitializesOnRegistration) {
  LifecyclePolicy policy;
  policy.init_heartbeat = true;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  EXPECT_FALSE(app.initialized());
  app.handle(LifecycleEvent::registered);
  EXPECT_TRUE(app.initialized());
  EXPECT_EQ(host.last_event(), "initialized: registered with the application monitor");
}

TEST_F(LifecycleTest, RegistrationWithoutHeartbeatDetectorChangesNothing) {
  LifecyclePolicy policy;
  policy.init_timeout = 5s;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::registered);
  EXPECT_FALSE(app.initialized());
}

TEST_F(LifecycleTest, FirstOfSeveralDetectorsWins) {
  LifecyclePolicy policy;
  policy.init_timeout = 5s;
  policy.init_heartbeat = true;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::registered);
  EXPECT_TRUE(app.initialized());
  const auto events = host.events.size();
  host.advance(10s);
  EXPECT_EQ(host.events.size(), events);  // no second "initialized"
}

TEST_F(LifecycleTest, WatchdogRestartRelaunchesFromTheDefinition) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::watchdog_restart);
  EXPECT_TRUE(app.restarting());
  app.handle(LifecycleEvent::exited, killed_by(SIGKILL));
  EXPECT_EQ(host.launches, 2);
  EXPECT_EQ(app.restarts(), 1);
}

TEST_F(LifecycleTest, InstantCrashLoopIsBackedOffAndAStableRunResetsIt) {
  LifecyclePolicy policy;
  policy.restart_on_crash = true;
  policy.restart_delay = 0ms;
  policy.quick_deaths_before_backoff = 3;
  policy.backoff_base = 500ms;
  policy.backoff_cap = 4s;
  policy.quick_run = 5s;
  policy.stable_run = 30s;
  auto app = make(policy);
  app.handle(LifecycleEvent::launch);
  std::vector<std::string> delays;
  for (int i = 0; i < 8; ++i) {
    app.handle(LifecycleEvent::exited, exit_code(1));
    delays.push_back(host.last_event());
    host.advance(4s);  // relaunched within this time, and dies again: a quick death
  }
  EXPECT_EQ(delays[0], "restarting: in 0 ms, try 1");
  EXPECT_EQ(delays[1], "restarting: in 0 ms, try 2");
  EXPECT_EQ(delays[2], "restarting: in 500 ms, try 3");
  EXPECT_EQ(delays[3], "restarting: in 1000 ms, try 4");
  EXPECT_EQ(delays[4], "restarting: in 2000 ms, try 5");
  EXPECT_EQ(delays[5], "restarting: in 4000 ms, try 6");
  EXPECT_EQ(delays[6], "restarting: in 4000 ms, try 7");  // capped
  host.advance(40s);                                      // the current run is stable
  app.handle(LifecycleEvent::exited, exit_code(1));
  EXPECT_EQ(host.last_event(), "restarting: in 0 ms, try 9");
}

TEST_F(LifecycleTest, PlanAppliedIsSetAndClearedByPlans) {
  auto app = make();
  app.set_plan_applied(true);
  EXPECT_EQ(app.flags(), Flags{"PlanApplied"});
  app.set_plan_applied(false);
  EXPECT_EQ(app.flags(), Flags{});
}

TEST_F(LifecycleTest, KillOfAStoppedAppMarksItKilled) {
  auto app = make();
  app.handle(LifecycleEvent::kill);
  EXPECT_EQ(app.flags(), (Flags{"Killed", "PlanApplied"}));
  EXPECT_TRUE(host.signals.empty());
}

TEST_F(LifecycleTest, LaunchWhileDyingRelaunchesAfterTheExit) {
  auto app = make();
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::kill);
  app.handle(LifecycleEvent::launch);
  app.handle(LifecycleEvent::exited, killed_by(SIGKILL));
  EXPECT_EQ(host.launches, 2);
  EXPECT_FALSE(app.killed());
}

TEST_F(LifecycleTest, EventsThatDoNotApplyAreIgnoredWithoutPublishing) {
  auto app = make();
  const int before = host.changes;
  app.handle(LifecycleEvent::exited, exit_code(0));
  app.handle(LifecycleEvent::kill_timeout);
  app.handle(LifecycleEvent::restart_due);
  app.handle(LifecycleEvent::init_timeout);
  app.handle(LifecycleEvent::registered);
  app.handle(LifecycleEvent::plan_kill);
  EXPECT_EQ(host.changes, before);
  EXPECT_EQ(app.flags(), Flags{});
}

}  // namespace
}  // namespace baton::node
