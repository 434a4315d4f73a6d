// The fixture of the PlanRunner tests, a fake broker: the host records the launches and kills the
// runner asks for and the PlanStates it publishes, and the test plays the nodes, answering
// launches and feeding a real FleetState the AppStates a node would publish. Timers
// (SeparationInterval, StartTimeout) run on a real EventLoop.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker/plans/plan_runner.hpp"
#include "common/proto/plan_status.hpp"
#include "harness/polling.hpp"

namespace baton::proto::control {
// Failure messages name the statuses.
inline void PrintTo(PlanStatus status, std::ostream* out) {
  *out << to_name(status);
}
inline void PrintTo(PlanAppStatus status, std::ostream* out) {
  *out << to_name(status);
}
}  // namespace baton::proto::control

namespace baton::broker {
namespace {

using namespace std::chrono_literals;
namespace bus = proto::bus;
namespace control = proto::control;
using control::PlanAppStatus;
using control::PlanStatus;
using proto::bus::AppFlag;
using Ids = std::vector<std::string>;
using Flags = std::vector<AppFlag>;

// What a node publishes for an app that runs and is initialized, launched by a plan.
const Flags kUp = {AppFlag::Started, AppFlag::Running, AppFlag::Initialized, AppFlag::PlanApplied};
// Running, launched by a plan, not initialized yet.
const Flags kStarting = {AppFlag::Started, AppFlag::Running, AppFlag::PlanApplied};

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
    for (AppFlag flag : flags)
      state.flags.emplace_back(proto::to_name(flag));
    state.pid = std::find(flags.begin(), flags.end(), AppFlag::Running) != flags.end() ? 4242 : 0;
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
                 std::chrono::milliseconds deadline = harness::kDeadline) {
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

}  // namespace
}  // namespace baton::broker
