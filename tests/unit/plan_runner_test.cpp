// How the PlanRunner launches a plan and judges it from its apps (broker/plans/plan_runner.hpp),
// one test per rule.
#include "tests/unit/plan_runner_fixture.hpp"

namespace baton::broker {
namespace {

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
  node_reports("m1.db", {AppFlag::Started, AppFlag::Running, AppFlag::Initialized}, "");
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
  ASSERT_TRUE(runner.start("p"));
  run_for(400ms);
  EXPECT_EQ(launched(), Ids{"m1.first"}) << "the interval counts from the node's answer";
  const auto answered = SteadyClock::now();
  launch_succeeds("m1.first");
  ASSERT_TRUE(run_until([&] { return launched().size() == 3; }));
  EXPECT_GE(SteadyClock::now() - answered, 300ms);
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
  launch_succeeds("m1.setup", {AppFlag::Started, AppFlag::Initialized, AppFlag::PlanApplied});
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
  node_reports("m1.a", {AppFlag::Started, AppFlag::Initialized, AppFlag::PlanApplied});
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
  node_reports("m1.a",
               {AppFlag::Started, AppFlag::Initialized, AppFlag::PlanApplied, AppFlag::Restarting});
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
  node_reports("m1.a", {AppFlag::Started, AppFlag::StartFailed, AppFlag::PlanApplied}, "p",
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
  for (const Flags& lacking_one :
       {Flags{AppFlag::Started, AppFlag::Running, AppFlag::Initialized},
        Flags{AppFlag::Started, AppFlag::Running, AppFlag::PlanApplied},
        Flags{AppFlag::Running, AppFlag::Initialized, AppFlag::PlanApplied}}) {
    node_reports("m1.a", lacking_one);
    settle();
    EXPECT_EQ(status(), PlanStatus::InProgress) << testing::PrintToString(lacking_one);
  }
  node_reports("m1.a", {AppFlag::Started, AppFlag::Initialized, AppFlag::PlanApplied});
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

}  // namespace
}  // namespace baton::broker
