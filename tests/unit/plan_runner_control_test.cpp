// What the PlanRunner does on StopPlan, KillPlan, RestartPlan, KillAll, a reload and a broker
// restart, and what it publishes (broker/plans/plan_runner.hpp), one test per rule.
#include "tests/unit/plan_runner_fixture.hpp"

namespace baton::broker {
namespace {

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

// The reason says why a plan failed: once stopped or killed, the plan no longer carries it.
TEST_F(PlanRunnerTest, AFailuresReasonEndsWithTheFailure) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  answer_launch("m1.a", Error{"cannot launch m1.a: no such file"});
  settle();
  ASSERT_EQ(status(), PlanStatus::Failure);
  ASSERT_TRUE(runner.stop("p"));
  EXPECT_EQ(status(), PlanStatus::None);
  EXPECT_EQ(state().reason, std::nullopt);
  EXPECT_EQ(host.published.back().reason, std::nullopt);
  ASSERT_TRUE(runner.kill("p"));
  EXPECT_EQ(state().reason, std::nullopt);
}

// KillPlan kills every app of the plan on every machine that would understand it, also those it
// did not launch, and the plan is Killing until none runs.
TEST_F(PlanRunnerTest, KillKillsThePlansAppsAndEndsInNoneOnceNoneRuns) {
  runner.set_plans({plan("p", {app("m1.a"), app("m2.b"), app("m3.c")})});
  machines_ready({"m1", "m2"});
  machine_online_not_ready("m3");
  node_reports("m1.a", {AppFlag::Started, AppFlag::Running}, "");  // launched by hand
  ASSERT_TRUE(runner.kill("p"));
  EXPECT_EQ(host.kills, (Ids{"m1.a", "m2.b"})) << "m3 is not ready for commands";
  EXPECT_TRUE(launched().empty());
  EXPECT_EQ(status(), PlanStatus::Killing);
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::running);
  node_reports("m1.a", {AppFlag::Started, AppFlag::Dying}, "");
  settle();
  EXPECT_EQ(status(), PlanStatus::Killing) << "a dying app still runs";
  node_reports("m1.a", {AppFlag::Started}, "");
  settle();
  EXPECT_EQ(status(), PlanStatus::None);
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::idle);
}

TEST_F(PlanRunnerTest, KillDoesNotWaitForAnAppOfAnOfflineMachine) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  node_reports("m1.a", {AppFlag::Started, AppFlag::Running}, "");
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
  node_reports("m1.a", {AppFlag::Started});  // killed by the plan: PlanApplied cleared
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
  node_reports("m1.a", {AppFlag::Started, AppFlag::Running}, "");
  ASSERT_TRUE(runner.kill("p"));
  ASSERT_TRUE(runner.start("p"));
  settle();
  EXPECT_EQ(status(), PlanStatus::Killing);
  EXPECT_TRUE(launched().empty());
  node_reports("m1.a", {AppFlag::Started}, "");
  settle();
  EXPECT_EQ(launched(), Ids{"m1.a"});
  EXPECT_EQ(status(), PlanStatus::InProgress);
}

TEST_F(PlanRunnerTest, AStopWhileKillingCancelsTheStartThatWaits) {
  runner.set_plans({plan("p", {app("m1.a")})});
  machines_ready({"m1"});
  node_reports("m1.a", {AppFlag::Started, AppFlag::Running}, "");
  ASSERT_TRUE(runner.kill("p"));
  ASSERT_TRUE(runner.start("p"));
  ASSERT_TRUE(runner.stop("p"));
  EXPECT_EQ(status(), PlanStatus::Killing) << "stop does not end the kill";
  node_reports("m1.a", {AppFlag::Started}, "");
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
  settle();
  ASSERT_EQ(launched(), Ids{"m1.a"});
  runner.set_plans({plan("p", {app("m1.a"), app("m1.b", {"m1.a"}), app("m1.new")})});
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.a", "m1.new"})) << "a's launch is under way: not sent again";
  EXPECT_EQ(status(), PlanStatus::InProgress);
  EXPECT_EQ(app_status("m1.a"), PlanAppStatus::launching);
  EXPECT_FALSE(runner.status("q"));
  launch_succeeds("m1.a");
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.a", "m1.new", "m1.b"}));
}

// An app a reload enables is launched like an app a reload adds: it is no longer skipped, and the
// plan is not a Success without it.
TEST_F(PlanRunnerTest, AReloadThatEnablesASkippedAppLaunchesIt) {
  config::AppDef off = app("m1.off");
  off.disabled = true;
  runner.set_plans({plan("p", {app("m1.a"), off})});
  machines_ready({"m1"});
  ASSERT_TRUE(runner.start("p"));
  launch_succeeds("m1.a");
  settle();
  ASSERT_EQ(status(), PlanStatus::Success);
  runner.set_plans({plan("p", {app("m1.a"), app("m1.off")})});
  settle();
  EXPECT_EQ(launched(), (Ids{"m1.a", "m1.off"}));
  EXPECT_EQ(status(), PlanStatus::InProgress);
  EXPECT_EQ(app_status("m1.off"), PlanAppStatus::launching);
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
