// The plan rules of broker/plan_runner.hpp, one test per rule, against a fake broker: the host
// records the launches and kills the runner asks for and the PlanStates it publishes, and the test
// plays the nodes, answering launches and feeding a real FleetState the AppStates a node would
// publish. Timers (SeparationInterval, StartTimeout) run on a real EventLoop.
#include "broker/plan_runner.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/plan_status.hpp"
#include "tests/support/test_support.hpp"

namespace baton::proto::control {
// Failure messages name the statuses.
void PrintTo(PlanStatus status, std::ostream* out) {
  *out << to_name(status);
}
void PrintTo(PlanAppStatus status, std::ostream* out) {
  *out << to_name(status);
}
}  // namespace baton::proto::control

namespace baton::broker {
namespace {

using namespace std::chrono_literals;
namespace bus = proto::bus;
namespace control = proto::control;
namespace flag = proto::bus::flag;
using control::PlanAppStatus;
using control::PlanStatus;
using Ids = std::vector<std::string>;
using Flags = std::vector<std::string_view>;

// What a node publishes for an app that runs and is initialized, launched by a plan.
const Flags kUp = {flag::kStarted, flag::kRunning, flag::kInitialized, flag::kPlanApplied};
// Running, launched by a plan, not initialized yet.
const Flags kStarting = {flag::kStarted, flag::kRunning, flag::kPlanApplied};

config::AppId id_of(std::string_view text) {
  auto id = config::parse_app_id(text);
  EXPECT_TRUE(id) << text;
  return id ? *id : config::AppId{};
}

config::AppDef app(std::string_view id, std::initializer_list<std::string_view> dependencies = {}) {
  config::AppDef def;
  const config::AppId parsed = id_of(id);
  def.machine = parsed.machine;
  def.app = parsed.app;
  for (auto dependency : dependencies)
    def.dependencies.push_back(id_of(dependency));
  return def;
}

config::AppDef with_order(config::AppDef def, int startup_order) {
  def.startup_order = startup_order;
  return def;
}

config::PlanDef plan(std::string name, std::vector<config::AppDef> apps) {
  config::PlanDef def;
  def.name = std::move(name);
  def.apps = std::move(apps);
  return def;
}

class RecordingHost : public PlanHost {
 public:
  struct Launch {
    config::AppId app;
    std::string plan;
    std::function<void(const Status&)> answer;  // empty once answered
  };

  void launch_for_plan(const config::AppDef& app, const std::string& plan,
                       std::function<void(const Status&)> done) override {
    launches.push_back(Launch{app.id(), plan, std::move(done)});
  }
  void kill_for_plan(const config::AppId& app) override { kills.push_back(app.to_string()); }
  void publish_plan(const control::PlanState& state) override { published.push_back(state); }
  bool machine_ready(const std::string& machine) const override { return ready.contains(machine); }

  std::vector<Launch> launches;
  Ids kills;
  std::vector<control::PlanState> published;
  std::set<std::string> ready;
};

class PlanRunnerTest : public ::testing::Test {
 protected:
  // The machines' nodes are online and linked: commands to them are understood.
  void machines_ready(std::initializer_list<std::string> machines) {
    for (const auto& machine : machines) {
      fleet.heard_from(machine, SteadyClock::now());
      host.ready.insert(machine);
    }
    runner.machine_changed();
  }
  // Heard from, but not linked yet (its subscription to its commands has not arrived).
  void machine_online_not_ready(const std::string& machine) {
    fleet.heard_from(machine, SteadyClock::now());
    runner.machine_changed();
  }

  // A node publishes the state of `id`: these flags, its last launch in `plan`'s context.
  void node_reports(std::string_view id, const Flags& flags, const std::string& plan = "p",
                    std::optional<std::string> error = std::nullopt) {
    const config::AppId app = id_of(id);
    bus::AppState state;
    state.machine = app.machine;
    state.app = app.app;
    state.flags.assign(flags.begin(), flags.end());
    state.pid = std::find(flags.begin(), flags.end(), flag::kRunning) != flags.end() ? 4242 : 0;
    state.plan = plan;
    state.seq = ++node_seq_;
    state.error = std::move(error);
    if (fleet.update_app(state)) runner.app_changed(app);
  }

  // The node answers the launch of `id` still waiting for its answer.
  void answer_launch(std::string_view id, const Status& outcome) {
    for (auto& launch : host.launches) {
      if (launch.app.to_string() == id && launch.answer) {
        auto answer = std::move(launch.answer);
        launch.answer = nullptr;
        answer(outcome);
        return;
      }
    }
    ADD_FAILURE() << "no launch of " << id << " waits for an answer";
  }
  // The node accepted the launch of `id`, and the app runs (with these flags).
  void launch_succeeds(std::string_view id, const Flags& flags = kUp) {
    answer_launch(id, ok_status());
    node_reports(id, flags);
  }

  Ids launched() const {
    Ids ids;
    for (const auto& launch : host.launches)
      ids.push_back(launch.app.to_string());
    return ids;
  }

  // Runs the loop rounds due now: the runner evaluates a plan at the end of a round.
  void settle() {
    for (int round = 0; round < 3; ++round)
      loop.run_once(0ms);
  }
  // Runs the loop until `condition` holds or the deadline passes.
  bool run_until(const std::function<bool()>& condition,
                 std::chrono::milliseconds deadline = test::kDeadline) {
    const auto until = SteadyClock::now() + deadline;
    while (!condition()) {
      if (SteadyClock::now() >= until) return false;
      loop.run_once(5ms);
    }
    return true;
  }
  // Runs the loop for `duration`: what a timer would do in that time is done.
  void run_for(std::chrono::milliseconds duration) {
    const auto until = SteadyClock::now() + duration;
    while (SteadyClock::now() < until)
      loop.run_once(5ms);
  }

  control::PlanState state(const std::string& name = "p") const {
    auto state = runner.status(name);
    EXPECT_TRUE(state) << (state ? "" : state.error().message);
    return state ? *state : control::PlanState{};
  }
  PlanStatus status(const std::string& name = "p") const {
    const auto parsed = control::parse_plan_status(state(name).status);
    EXPECT_TRUE(parsed) << "not a plan status: " << state(name).status;
    return parsed.value_or(PlanStatus::None);
  }
  std::string reason(const std::string& name = "p") const {
    return state(name).reason.value_or("");
  }
  PlanAppStatus app_status(std::string_view id, const std::string& name = "p") const {
    for (const auto& app : state(name).apps) {
      if (app.app == id) {
        const auto parsed = control::parse_plan_app_status(app.status);
        EXPECT_TRUE(parsed) << "not an app status: " << app.status;
        return parsed.value_or(PlanAppStatus::idle);
      }
    }
    ADD_FAILURE() << id << " is not in plan " << name;
    return PlanAppStatus::idle;
  }

  EventLoop loop;
  FleetState fleet{2500ms};
  RecordingHost host;
  PlanRunner runner{loop, fleet, host};

 private:
  std::uint64_t node_seq_ = 0;
};

TEST_F(PlanRunnerTest, LaunchesInDependencyWavesAcrossMachines) {
  runner.set_plans(
      {plan("p", {app("m1.db"), app("m2.api", {"m1.db"}), app("m1.web", {"m2.api"})})});
  machines_ready({"m1", "m2"});
  ASSERT_TRUE(runner.start("p"));
  settle();
  EXPECT_EQ(launched(), Ids{"m1.db"});
  EXPECT_EQ(status(), PlanStatus::InProgress);
  EXPECT_EQ(app_status("m2.api"), PlanAppStatus::waiting);

  launch_succeeds("m1.db", kStarting);
  settle();
  EXPECT_EQ(launched(), Ids{"m1.db"}) << "a dependency that runs but is not Initialized holds";

  node_reports("m1.db", kUp);
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.db", "m2.api"}));
  EXPECT_EQ(host.launches.back().plan, "p");
  launch_succeeds("m2.api");
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.db", "m2.api", "m1.web"}));
  launch_succeeds("m1.web");
  settle();
  EXPECT_EQ(status(), PlanStatus::Success);
  EXPECT_EQ(launched().size(), 3u) << "nothing is launched twice";
}

TEST_F(PlanRunnerTest, ADependencyOutsideThePlanCountsToo) {
  runner.set_plans({plan("p", {app("m2.api", {"m1.db"})})});
  machines_ready({"m1", "m2"});
  ASSERT_TRUE(runner.start("p"));
  settle();
  EXPECT_TRUE(launched().empty());
  node_reports("m1.db", {flag::kStarted, flag::kRunning, flag::kInitialized}, "");
  settle();
  EXPECT_EQ(launched(), Ids{"m2.api"});
}

TEST_F(PlanRunnerTest, LaunchOrderIsStartupOrderThenFileOrder) {
  runner.set_plans({plan("p", {with_order(app("m1.late"), 5), with_order(app("m1.first"), 1),
                               with_order(app("m2.second"), 1), with_order(app("m1.third"), 3)})});
  machines_ready({"m1", "m2"});
  ASSERT_TRUE(runner.start("p"));
  settle();
  const Ids order = {"m1.first", "m2.second", "m1.third", "m1.late"};
  EXPECT_EQ(launched(), order);
  Ids listed;
  for (const auto& app : state().apps)
    listed.push_back(app.app);
  EXPECT_EQ(listed, order) << "the published state lists the apps in launch order";
}

TEST_F(PlanRunnerTest, SeparationIntervalHoldsTheNextLaunch) {
  config::AppDef first = app("m1.first");
  first.separation_interval_s = 0.3;
  runner.set_plans({plan("p", {first, app("m1.second"), app("m1.third")})});
  machines_ready({"m1"});
  const auto started = SteadyClock::now();
  ASSERT_TRUE(runner.start("p"));
  run_for(100ms);
  EXPECT_EQ(launched(), Ids{"m1.first"});
  ASSERT_TRUE(run_until([&] { return launched().size() == 3; }));
  EXPECT_GE(SteadyClock::now() - started, 300ms);
  EXPECT_EQ(launched(), (Ids{"m1.first", "m1.second", "m1.third"}));
}

TEST_F(PlanRunnerTest, DisabledAppsAreSkipped) {
  config::AppDef off = app("m1.off");
  off.disabled = true;
  runner.set_plans({plan("p", {off, app("m1.on")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  settle();
  EXPECT_EQ(launched(), Ids{"m1.on"});
  EXPECT_EQ(app_status("m1.off"), PlanAppStatus::disabled);
  launch_succeeds("m1.on");
  settle();
  EXPECT_EQ(status(), PlanStatus::Success);
}

TEST_F(PlanRunnerTest, AVolatileAppSucceedsWithoutRunning) {
  config::AppDef setup = app("m1.setup");
  setup.is_volatile = true;
  runner.set_plans({plan("p", {setup})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.setup", {flag::kStarted, flag::kInitialized, flag::kPlanApplied});
  settle();
  EXPECT_EQ(status(), PlanStatus::Success);
  EXPECT_EQ(app_status("m1.setup"), PlanAppStatus::initialized);
}

TEST_F(PlanRunnerTest, AnAppThatExitedFailsThePlan) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a");
  settle();
  ASSERT_EQ(status(), PlanStatus::Success);
  node_reports("m1.a", {flag::kStarted, flag::kInitialized, flag::kPlanApplied});
  settle();
  EXPECT_EQ(status(), PlanStatus::Failure);
  EXPECT_EQ(reason(), "m1.a is not running");
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::exited);
}

TEST_F(PlanRunnerTest, AnAppTheNodeRestartsDoesNotFailThePlan) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a");
  node_reports("m1.a", {flag::kStarted, flag::kInitialized, flag::kPlanApplied, flag::kRestarting});
  settle();
  EXPECT_EQ(status(), PlanStatus::InProgress);
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::restarting);
  node_reports("m1.a", kUp);
  settle();
  EXPECT_EQ(status(), PlanStatus::Success);
}

TEST_F(PlanRunnerTest, StartFailedFailsThePlanWithTheNodesError) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  answer_launch("m1.a", ok_status());
  node_reports("m1.a", {flag::kStarted, flag::kStartFailed, flag::kPlanApplied}, "p",
               "no such file: /opt/a");
  settle();
  EXPECT_EQ(status(), PlanStatus::Failure);
  EXPECT_EQ(reason(), "m1.a failed to start: no such file: /opt/a");
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::failed);
}

TEST_F(PlanRunnerTest, ALaunchTheNodeRefusesFailsThePlan) {
  runner.set_plans({plan("p", {app("m1.a"), app("m1.b")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  answer_launch("m1.a", Error{"cannot launch m1.a: no such file"});
  launch_succeeds("m1.b");
  settle();
  EXPECT_EQ(status(), PlanStatus::Failure);
  EXPECT_EQ(reason(), "m1.a: cannot launch m1.a: no such file");
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::failed);
  EXPECT_EQ(app_status("m1.b"), PlanAppStatus::initialized);
}

// Success wants, of every enabled app, the node's answer to its launch and the flags PlanApplied,
// Started, Initialized and Running.
TEST_F(PlanRunnerTest, SuccessNeedsEveryAppLaunchedAppliedStartedInitializedAndRunning) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  node_reports("m1.a", kUp);
  settle();
  EXPECT_EQ(status(), PlanStatus::InProgress) << "the launch is not answered yet";
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::launching);
  answer_launch("m1.a", ok_status());
  for (const Flags& lacking_one : {Flags{flag::kStarted, flag::kRunning, flag::kInitialized},
                                   Flags{flag::kStarted, flag::kRunning, flag::kPlanApplied},
                                   Flags{flag::kRunning, flag::kInitialized, flag::kPlanApplied}}) {
    node_reports("m1.a", lacking_one);
    settle();
    EXPECT_EQ(status(), PlanStatus::InProgress) << testing::PrintToString(lacking_one);
  }
  node_reports("m1.a", {flag::kStarted, flag::kInitialized, flag::kPlanApplied});
  settle();
  EXPECT_NE(status(), PlanStatus::Success) << "not Running";
  node_reports("m1.a", kUp);
  settle();
  EXPECT_EQ(status(), PlanStatus::Success);
  EXPECT_EQ(reason(), "");
}

TEST_F(PlanRunnerTest, StartTimeoutFailsThePlanWithItsReason) {
  config::PlanDef def = plan("p", {app("m1.a")});
  def.start_timeout_s = 0.2;
  runner.set_plans({def});
  machines_ready({"m1"});
  const auto started = SteadyClock::now();
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a", kStarting);
  ASSERT_TRUE(run_until([&] { return status() == PlanStatus::Failure; }));
  EXPECT_GE(SteadyClock::now() - started, 200ms);
  EXPECT_NE(reason().find("StartTimeout"), std::string::npos) << reason();
  // Ready after all: the plan succeeds late.
  node_reports("m1.a", kUp);
  settle();
  EXPECT_EQ(status(), PlanStatus::Success);
}

TEST_F(PlanRunnerTest, StartTimeoutAfterSuccessChangesNothing) {
  config::PlanDef def = plan("p", {app("m1.a")});
  def.start_timeout_s = 0.1;
  runner.set_plans({def});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a");
  settle();
  ASSERT_EQ(status(), PlanStatus::Success);
  const auto published = host.published.size();
  run_for(300ms);
  EXPECT_EQ(status(), PlanStatus::Success);
  EXPECT_EQ(host.published.size(), published);
}

TEST_F(PlanRunnerTest, StopStopsLaunchingAndLeavesRunningAppsAlone) {
  runner.set_plans({plan("p", {app("m1.a"), app("m1.b", {"m1.a"})})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a", kStarting);
  settle();
  ASSERT_TRUE(runner.stop("p"));
  EXPECT_EQ(status(), PlanStatus::None);
  node_reports("m1.a", kUp);
  settle();
  EXPECT_EQ(launched(), Ids{"m1.a"}) << "b would go now, but the plan was stopped";
  EXPECT_TRUE(host.kills.empty());
  EXPECT_EQ(status(), PlanStatus::None);
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::initialized);
  EXPECT_EQ(app_status("m1.b"), PlanAppStatus::idle);
}

// KillPlan kills every app of the plan on every machine that would understand it, also those it
// did not launch, and the plan is Killing until none runs.
TEST_F(PlanRunnerTest, KillKillsThePlansAppsAndEndsInNoneOnceNoneRuns) {
  runner.set_plans({plan("p", {app("m1.a"), app("m2.b"), app("m3.c")})});
  machines_ready({"m1", "m2"});
  machine_online_not_ready("m3");
  node_reports("m1.a", {flag::kStarted, flag::kRunning}, "");  // launched by hand
  ASSERT_TRUE(runner.kill("p"));
  EXPECT_EQ(host.kills, (Ids{"m1.a", "m2.b"})) << "m3 is not ready for commands";
  EXPECT_TRUE(launched().empty());
  EXPECT_EQ(status(), PlanStatus::Killing);
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::running);
  node_reports("m1.a", {flag::kStarted, flag::kDying}, "");
  settle();
  EXPECT_EQ(status(), PlanStatus::Killing) << "a dying app still runs";
  node_reports("m1.a", {flag::kStarted}, "");
  settle();
  EXPECT_EQ(status(), PlanStatus::None);
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::idle);
}

TEST_F(PlanRunnerTest, KillDoesNotWaitForAnAppOfAnOfflineMachine) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  node_reports("m1.a", {flag::kStarted, flag::kRunning}, "");
  ASSERT_TRUE(runner.kill("p"));
  EXPECT_EQ(status(), PlanStatus::Killing);
  ASSERT_EQ(fleet.expire(SteadyClock::now() + 10s), Ids{"m1"});
  runner.machine_changed();
  EXPECT_EQ(status(), PlanStatus::None);
}

TEST_F(PlanRunnerTest, RestartKillsWaitsForNoneThenStarts) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a");
  settle();
  ASSERT_EQ(status(), PlanStatus::Success);
  ASSERT_TRUE(runner.restart("p"));
  EXPECT_EQ(host.kills, Ids{"m1.a"});
  EXPECT_EQ(status(), PlanStatus::Killing);
  settle();
  EXPECT_EQ(launched().size(), 1u) << "nothing starts while the plan's apps still run";
  node_reports("m1.a", {flag::kStarted});  // killed by the plan: PlanApplied cleared
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.a", "m1.a"}));
  EXPECT_EQ(status(), PlanStatus::InProgress);
  launch_succeeds("m1.a");
  settle();
  EXPECT_EQ(status(), PlanStatus::Success);
}

TEST_F(PlanRunnerTest, RestartOfAPlanWithNothingRunningStartsAtOnce) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.restart("p"));
  EXPECT_EQ(host.kills, Ids{"m1.a"});
  EXPECT_EQ(launched(), Ids{"m1.a"});
  EXPECT_EQ(status(), PlanStatus::InProgress);
}

TEST_F(PlanRunnerTest, AStartWhileKillingStartsOnceNothingRuns) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  node_reports("m1.a", {flag::kStarted, flag::kRunning}, "");
  ASSERT_TRUE(runner.kill("p"));
  ASSERT_TRUE(runner.start("p"));
  settle();
  EXPECT_EQ(status(), PlanStatus::Killing);
  EXPECT_TRUE(launched().empty());
  node_reports("m1.a", {flag::kStarted}, "");
  settle();
  EXPECT_EQ(launched(), Ids{"m1.a"});
  EXPECT_EQ(status(), PlanStatus::InProgress);
}

TEST_F(PlanRunnerTest, AStopWhileKillingCancelsTheStartThatWaits) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  node_reports("m1.a", {flag::kStarted, flag::kRunning}, "");
  ASSERT_TRUE(runner.kill("p"));
  ASSERT_TRUE(runner.start("p"));
  ASSERT_TRUE(runner.stop("p"));
  EXPECT_EQ(status(), PlanStatus::Killing) << "stop does not end the kill";
  node_reports("m1.a", {flag::kStarted}, "");
  settle();
  EXPECT_EQ(status(), PlanStatus::None);
  EXPECT_TRUE(launched().empty());
}

// KillAll ends every plan at once; the caller kills the apps.
TEST_F(PlanRunnerTest, KillAllEndsEveryPlan) {
  runner.set_plans({plan("p", {app("m1.a"), app("m1.b", {"m1.a"})}), plan("q", {app("m2.c")})});
  machines_ready({"m1", "m2"});
  ASSERT_TRUE(runner.start("p"));
  ASSERT_TRUE(runner.start("q"));
  launch_succeeds("m1.a", kStarting);
  settle();
  runner.kill_all();
  EXPECT_EQ(status("p"), PlanStatus::None);
  EXPECT_EQ(status("q"), PlanStatus::None);
  EXPECT_TRUE(host.kills.empty());
  ASSERT_FALSE(host.published.empty());
  EXPECT_EQ(host.published.back().status, "None");
  node_reports("m1.a", kUp);
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.a", "m2.c"})) << "nothing launches after kill_all";
}

TEST_F(PlanRunnerTest, NothingIsLaunchedOnAMachineUntilItIsReady) {
  runner.set_plans({plan("p", {app("m2.b"), app("m1.a")})});
  machines_ready({"m1"});
  machine_online_not_ready("m2");
  ASSERT_TRUE(runner.start("p"));
  settle();
  EXPECT_EQ(launched(), Ids{"m1.a"});
  EXPECT_EQ(app_status("m2.b"), PlanAppStatus::waiting);
  machines_ready({"m2"});
  EXPECT_EQ(launched(), (Ids{"m1.a", "m2.b"}));
}

// An app whose node says it was launched for this plan (PlanApplied) is not launched again when
// the plan starts again; one launched for another plan is.
TEST_F(PlanRunnerTest, AnAppAppliedForThePlanIsNeverLaunchedTwice) {
  runner.set_plans({plan("p", {app("m1.a"), app("m1.b")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a");
  answer_launch("m1.b", ok_status());
  node_reports("m1.b", kUp, "other");
  ASSERT_TRUE(runner.stop("p"));
  ASSERT_TRUE(runner.start("p"));
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.a", "m1.b", "m1.b"}));
  launch_succeeds("m1.b");
  settle();
  EXPECT_EQ(status(), PlanStatus::Success);
}

// After a broker restart the runner is new, but the nodes remember which plan launched their
// apps: a plan whose apps carry PlanApplied for it is followed again, and nothing it launched is
// launched again.
TEST_F(PlanRunnerTest, AFreshRunnerFollowsAPlanItsAppsSayWasStarted) {
  runner.set_plans({plan("p", {app("m1.a"), app("m2.b", {"m1.a"})}), plan("q", {app("m1.c")})});
  machines_ready({"m1", "m2"});
  settle();
  EXPECT_EQ(status(), PlanStatus::None);
  node_reports("m1.a", kUp);
  node_reports("m1.c", kUp, "p");  // launched last by another plan
  node_reports("m2.b", kUp);
  settle();
  EXPECT_EQ(status("p"), PlanStatus::Success);
  EXPECT_EQ(status("q"), PlanStatus::None);
  EXPECT_TRUE(launched().empty());
  EXPECT_EQ(runner.current_plan(), "p");
}

TEST_F(PlanRunnerTest, AFollowedPlanLaunchesWhatItHadNotLaunchedYet) {
  node_reports("m1.a", kUp);
  runner.set_plans({plan("p", {app("m1.a"), app("m2.b", {"m1.a"})})});
  machines_ready({"m1", "m2"});
  settle();
  EXPECT_EQ(status(), PlanStatus::InProgress);
  EXPECT_EQ(launched(), Ids{"m2.b"});
}

TEST_F(PlanRunnerTest, APlanThisBrokerStoppedIsNotFollowedAgain) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.stop("p"));
  node_reports("m1.a", kUp);
  settle();
  EXPECT_EQ(status(), PlanStatus::None);
}

// A reload keeps what a plan did so far: nothing is launched again, what is new is launched, and a
// plan that is gone is forgotten.
TEST_F(PlanRunnerTest, AReloadKeepsEachPlansProgress) {
  runner.set_plans({plan("p", {app("m1.a"), app("m1.b", {"m1.a"})}), plan("q", {app("m2.c")})});
  machines_ready({"m1", "m2"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a", kStarting);
  settle();
  runner.set_plans({plan("p", {app("m1.a"), app("m1.b", {"m1.a"}), app("m1.new")})});
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.a", "m1.new"}));
  EXPECT_EQ(status(), PlanStatus::InProgress);
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::running);
  EXPECT_FALSE(runner.status("q"));
  node_reports("m1.a", kUp);
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.a", "m1.new", "m1.b"}));
}

TEST_F(PlanRunnerTest, AReloadThatRemovesTheCurrentPlanForgetsIt) {
  runner.set_plans({plan("p", {app("m1.a")}), plan("q", {app("m1.b")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("q"));
  ASSERT_TRUE(runner.start("p"));
  EXPECT_EQ(runner.current_plan(), "p");
  runner.set_plans({plan("q", {app("m1.b")})});
  EXPECT_EQ(runner.current_plan(), "");
  EXPECT_EQ(runner.all().size(), 1u);
}

// Subscribers see every change once, in order: a PlanState goes out only when the plan's status,
// reason or an app's status changed, with seq one above the last.
TEST_F(PlanRunnerTest, PublishesOnlyChangesWithIncreasingSeq) {
  runner.set_plans({plan("p", {app("m1.a"), app("m1.b", {"m1.a"})})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a");
  settle();
  launch_succeeds("m1.b");
  settle();
  ASSERT_EQ(status(), PlanStatus::Success);
  const auto published = host.published.size();
  node_reports("m1.a", kUp);  // the same flags again, a newer message
  runner.machine_changed();
  settle();
  EXPECT_EQ(host.published.size(), published);

  ASSERT_GE(host.published.size(), 3u);
  for (std::size_t i = 1; i < host.published.size(); ++i) {
    const auto& before = host.published[i - 1];
    const auto& after = host.published[i];
    EXPECT_EQ(after.seq, before.seq + 1);
    const bool apps_changed =
        !std::equal(before.apps.begin(), before.apps.end(), after.apps.begin(), after.apps.end(),
                    [](const auto& x, const auto& y) { return x.status == y.status; });
    EXPECT_TRUE(before.status != after.status || before.reason != after.reason || apps_changed)
        << "state " << i << " repeats the one before";
  }
  EXPECT_EQ(state().seq, host.published.back().seq);
}

TEST_F(PlanRunnerTest, AnUnknownPlanIsAnError) {
  runner.set_plans({plan("p", {app("m1.a")})});
  for (const Status& outcome :
       {runner.start("x"), runner.stop("x"), runner.kill("x"), runner.restart("x")}) {
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().message, "unknown plan x");
  }
  EXPECT_FALSE(runner.status("x"));
}

}  // namespace
}  // namespace baton::broker
