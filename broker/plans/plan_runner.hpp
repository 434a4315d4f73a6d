// Plans across machines (docs/app-states.md, Plans): StartPlan launches a plan's apps in dependency
// waves — an app goes when every app it depends on, on any machine, is Initialized, in the
// plan's order, SeparationInterval seconds after the launch before it, Disabled apps skipped —
// and the plan status follows the apps:
//   None        not started, stopped, or killed to the end
//   InProgress  launching, or waiting for apps to initialize
//   Success     every enabled app PlanApplied, Started and Initialized, and every non-volatile
//               one Running
//   Failure     an app failed to start or died (and is not being restarted), or StartTimeout
//               passed before Success
//   Killing     KillPlan sent, some app of the plan still running
// StopPlan stops launching and leaves what runs alone (status None). RestartPlan is KillPlan,
// then StartPlan once the plan reaches None.
//
// A plan is re-evaluated whenever the state of one of its apps or the presence of a machine
// changes. The runner keeps no state a node does not also hold: after a broker restart, a plan
// whose apps carry PlanApplied for it is picked up again from those flags.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/fleet/fleet_state.hpp"
#include "common/config/shared_config.hpp"
#include "common/expected.hpp"
#include "common/loop/event_loop.hpp"
#include "common/proto/control.hpp"
#include "common/proto/plan_status.hpp"

namespace baton::broker {

// What the runner needs from the broker.
class PlanHost {
 public:
  virtual ~PlanHost() = default;
  // Launches `app` in the context of `plan` (its definition from that plan); `done` gets the
  // node's answer.
  virtual void launch_for_plan(const config::AppDef& app, const std::string& plan,
                               std::function<void(const Status&)> done) = 0;
  // KillPlan's kill of one app (no Killed flag, PlanApplied cleared).
  virtual void kill_for_plan(const config::AppId& app) = 0;
  virtual void publish_plan(const proto::control::PlanState& state) = 0;
  // The machine is online and has its definitions: commands to it will be understood.
  virtual bool machine_ready(const std::string& machine) const = 0;
};

class PlanRunner {
 public:
  PlanRunner(EventLoop& loop, const FleetState& fleet, PlanHost& host);
  PlanRunner(const PlanRunner&) = delete;
  PlanRunner& operator=(const PlanRunner&) = delete;

  // The plans of a (re)loaded config. A plan that exists before and after keeps its status and
  // its progress; a plan that is gone is forgotten.
  void set_plans(const std::vector<config::PlanDef>& plans);

  Status start(const std::string& plan);
  Status stop(const std::string& plan);
  Status kill(const std::string& plan);
  Status restart(const std::string& plan);
  // KillAll: every plan ends (None); the apps are killed by the caller.
  void kill_all();

  Expected<proto::control::PlanState> status(const std::string& plan) const;
  std::vector<proto::control::PlanState> all() const;
  // The plan started last, for DIRIGENT_PLAN of a plain LaunchApp ("" when none).
  const std::string& current_plan() const { return current_plan_; }

  // Something changed that plans depend on.
  void app_changed(const config::AppId& app);
  void machine_changed();

 private:
  // What the runner is doing with a plan. The published status follows from it: None while
  // unclaimed or idle, Killing while killing, and while launching the verdict on its apps.
  enum class Activity {
    // Nothing asked since the broker started: the apps' PlanApplied flags may show that the plan
    // was started before a broker restart, and it is then followed again.
    unclaimed,
    idle,       // stopped, killed to the end, or ended by kill_all
    launching,  // launches what is ready and follows the apps: InProgress, Success or Failure
    killing,    // waits until none of the plan's apps runs, then idle
    killing_then_starting,  // the same, then starts again (RestartPlan, or a start while killing)
  };
  // How far the current run got with one app.
  enum class Phase { waiting, launching, launched, failed, disabled };
  struct AppProgress {
    Phase phase = Phase::waiting;
    std::string error;  // the node's answer when it refused the launch
  };
  struct Verdict {
    proto::control::PlanStatus status = proto::control::PlanStatus::InProgress;
    std::optional<std::string> reason;
  };
  struct Run {
    config::PlanDef def;  // apps in launch order (StartupOrder, then file order)
    Activity activity = Activity::unclaimed;
    Verdict verdict;  // on the apps, while launching
    bool start_timeout_passed = false;
    std::map<config::AppId, AppProgress> progress;
    TimePoint hold_until{};  // SeparationInterval of the last launch, from its answer
    // The app with a SeparationInterval whose launch is not answered yet: nothing else goes.
    std::optional<config::AppId> awaiting_launch;
    Timer hold_timer;
    Timer timeout_timer;
    std::uint64_t seq = 0;
    std::optional<proto::control::PlanState> published;
    bool evaluation_due = false;  // evaluate_soon() was called for it
  };

  Run* find(const std::string& plan);
  void begin(Run& run);
  void evaluate(Run& run);
  // Evaluates `run` at the end of this loop round. An evaluation walks every app of the plan and
  // publishes the plan's state when it changed: evaluating at each app state and launch reply
  // made a plan of N apps cost O(N^2) (1,000 apps: seconds of the broker's CPU, during which
  // it relayed nothing); a burst of states now costs one evaluation.
  void evaluate_soon(Run& run);
  bool started_before_broker_restart(const Run& run) const;
  void launch_ready(Run& run);
  bool awaiting_launch(const Run& run) const;
  bool dependencies_initialized(const config::AppDef& app) const;
  bool any_running(const Run& run) const;
  Verdict judge(const Run& run) const;
  static proto::control::PlanStatus status_of(const Run& run);
  proto::control::PlanState state_of(const Run& run) const;
  proto::control::PlanAppStatus app_status(const Run& run, const config::AppDef& app) const;
  void publish_if_changed(Run& run);
  void cancel_timers(Run& run);

  EventLoop& loop_;
  const FleetState& fleet_;
  PlanHost& host_;
  std::map<std::string, Run> runs_;
  std::string current_plan_;
  Timer evaluation_timer_;
};

}  // namespace baton::broker
