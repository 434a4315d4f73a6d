// The life of one supervised app as an explicit state machine: four states × ten events, one table
// of small handlers (app_lifecycle.cpp), every cell written out. Everything that happens to an app
// (commands, its process exiting, timers, the application monitor) becomes an Event before
// dispatch, and the handlers act only through LifecycleHost, so the machine is tested with fake
// time and fake child exits as well as with real processes.
//
// Status flags (docs/app-states.md) are derived from the state and a few facts:
//   Started      a launch attempt has been made (kept after exit)
//   StartFailed  the last launch attempt failed
//   Running      the process exists (also while Dying)
//   Dying        termination requested, the process has not exited yet
//   Killed       terminated by a direct KillApp (not by KillPlan); cleared by the next launch
//   Initialized  the init detector fired for the current (or last) run; cleared at launch
//   PlanApplied  a plan has processed the app (set by plans and by KillApp; cleared by KillPlan)
//   Restarting   a relaunch is pending: after a crash (RestartOnCrash) or a RestartApp
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "common/loop/timer_queue.hpp"
#include "common/proto/codec.hpp"
#include "common/proto/enum_names.hpp"
#include "common/proto/vocabulary.hpp"
#include "node/process/child_reaper.hpp"

namespace baton::node {

// What the lifecycle needs to know of an app's definition (built from SharedConfig's AppDef).
struct LifecyclePolicy {
  bool restart_on_crash = false;
  int max_tries = -1;  // -1: unlimited
  std::chrono::milliseconds restart_delay{1000};
  // Init detectors; none at all means Initialized at launch. Several: the first met.
  std::optional<std::chrono::milliseconds> init_timeout;
  std::vector<std::pair<int, int>> init_exit_codes;  // inclusive ranges
  bool init_heartbeat = false;
  // Kill: SIGTERM then SIGKILL after soft_kill_timeout; without it SIGKILL at once.
  std::optional<std::chrono::milliseconds> soft_kill_timeout;
  // An app that dies within `quick_run` of its start, again and again, waits longer each time:
  // from `backoff_base` doubling up to `backoff_cap` (0: no backoff); a run of `stable_run` resets.
  int quick_deaths_before_backoff = 3;
  std::chrono::milliseconds quick_run{1000};
  std::chrono::milliseconds stable_run{10'000};
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_cap{30'000};

  bool has_init_detector() const {
    return init_timeout || !init_exit_codes.empty() || init_heartbeat;
  }
  bool exit_code_initializes(int code) const;
};

enum class LifecycleState { idle, running, dying, restart_wait };
inline constexpr std::size_t kLifecycleStates = 4;
// As the state file writes them.
inline constexpr proto::NameTable<LifecycleState, kLifecycleStates> kLifecycleStateNames{{
    {LifecycleState::idle, "idle"},
    {LifecycleState::running, "running"},
    {LifecycleState::dying, "dying"},
    {LifecycleState::restart_wait, "restart_wait"},
}};
constexpr const auto& name_table(LifecycleState) {
  return kLifecycleStateNames;
}
static_assert(proto::in_declaration_order(kLifecycleStateNames));

enum class LifecycleEvent {
  launch,            // LaunchApp, or a plan starting the app
  kill,              // KillApp: sets Killed, no automatic restart
  plan_kill,         // KillPlan / KillAll: kill without the Killed flag
  restart,           // RestartApp: kill if running, then launch
  watchdog_restart,  // the application monitor's RESTART action for an app the node launched
  exited,            // the process exited (ExitStatus given)
  kill_timeout,      // the soft-kill grace period is over
  restart_due,       // the restart delay is over
  init_timeout,      // the Timeout init detector's time has come
  registered,        // the process registered with the application monitor (Heartbeat detector)
};
inline constexpr std::size_t kLifecycleEvents = 10;
// For logs and test messages.
inline constexpr proto::NameTable<LifecycleEvent, kLifecycleEvents> kLifecycleEventNames{{
    {LifecycleEvent::launch, "launch"},
    {LifecycleEvent::kill, "kill"},
    {LifecycleEvent::plan_kill, "plan_kill"},
    {LifecycleEvent::restart, "restart"},
    {LifecycleEvent::watchdog_restart, "watchdog_restart"},
    {LifecycleEvent::exited, "exited"},
    {LifecycleEvent::kill_timeout, "kill_timeout"},
    {LifecycleEvent::restart_due, "restart_due"},
    {LifecycleEvent::init_timeout, "init_timeout"},
    {LifecycleEvent::registered, "registered"},
}};
constexpr const auto& name_table(LifecycleEvent) {
  return kLifecycleEventNames;
}
static_assert(proto::in_declaration_order(kLifecycleEventNames));

std::string_view to_string(LifecycleEvent event);

enum class TimerKind { kill, restart, init };

// Event kinds published on event/<machine>/<app> (docs/app-states.md, Events): a lifecycle
// reports the first seven, from launched to initialized.
using EventKind = proto::bus::EventKind;

class AppLifecycle;

// What a lifecycle knows that must outlive the node process: the lifecycle keeps it in this form,
// the node's state file saves it as it is (node/state/), and a restarted node gives it back.
struct AppRecord {
  LifecycleState state = LifecycleState::idle;
  pid_t pid = 0;
  bool started = false;
  bool start_failed = false;
  bool killed = false;
  bool initialized = false;
  bool plan_applied = false;
  std::string plan;
  double started_at = 0;  // wall clock, seconds since the epoch, of the current (or last) run
  int restarts = 0;
  std::optional<int> exit_code;
  std::string last_error;
  static constexpr auto kFields = std::make_tuple(
      proto::required("state", &AppRecord::state), proto::required("pid", &AppRecord::pid),
      proto::required("started", &AppRecord::started),
      proto::required("start_failed", &AppRecord::start_failed),
      proto::required("killed", &AppRecord::killed),
      proto::required("initialized", &AppRecord::initialized),
      proto::required("plan_applied", &AppRecord::plan_applied),
      proto::required("plan", &AppRecord::plan),
      proto::required("started_at", &AppRecord::started_at),
      proto::required("restarts", &AppRecord::restarts),
      proto::optional("exit_code", &AppRecord::exit_code),
      proto::required("last_error", &AppRecord::last_error));
};

// The outside world of a lifecycle. The supervisor implements it with real processes and the event
// loop; tests implement it with a fake clock and fake processes.
class LifecycleHost {
 public:
  virtual ~LifecycleHost() = default;
  virtual Expected<pid_t> start_process(AppLifecycle& app) = 0;
  // Delivers `sig` to the app's process (its group, or its whole tree where configured).
  virtual void signal_process(AppLifecycle& app, int sig) = 0;
  // The lifecycle owns the timer: dropping the handle cancels it.
  virtual Timer start_timer(AppLifecycle& app, std::chrono::milliseconds delay, TimerKind kind) = 0;
  virtual TimePoint now() = 0;
  virtual void state_changed(AppLifecycle& app) = 0;
  virtual void event(AppLifecycle& app, EventKind kind, const std::string& details) = 0;
};

class AppLifecycle {
 public:
  AppLifecycle(std::string id, LifecyclePolicy policy, LifecycleHost& host);

  // The one entry point: dispatches through the state × event table. `exit` goes with `exited`.
  void handle(LifecycleEvent event, std::optional<ExitStatus> exit = std::nullopt);

  const std::string& id() const { return id_; }
  LifecycleState state() const { return record_.state; }
  const LifecyclePolicy& policy() const { return policy_; }
  void set_policy(LifecyclePolicy policy) { policy_ = std::move(policy); }

  // Flags, in the order docs/app-states.md lists them.
  std::vector<std::string> flags() const;
  bool started() const { return record_.started; }
  bool start_failed() const { return record_.start_failed; }
  bool running() const {
    return record_.state == LifecycleState::running || record_.state == LifecycleState::dying;
  }
  bool dying() const { return record_.state == LifecycleState::dying; }
  bool killed() const { return record_.killed; }
  bool initialized() const { return record_.initialized; }
  bool plan_applied() const { return record_.plan_applied; }
  bool restarting() const {
    return record_.state == LifecycleState::restart_wait ||
           (record_.state == LifecycleState::dying && relaunch_after_exit_);
  }

  pid_t pid() const { return record_.pid; }
  std::optional<int> exit_code() const { return record_.exit_code; }
  int restarts() const { return record_.restarts; }
  const std::string& last_error() const { return record_.last_error; }
  // Wall-clock launch time of the current run (seconds since the epoch), 0 before the first launch.
  double started_at() const { return record_.started_at; }
  const std::string& plan() const { return record_.plan; }

  const AppRecord& record() const { return record_; }
  // After a node restart, before any event: takes back a record. A running (or dying) app whose
  // process is still there (`alive`) runs on with it: an init Timeout detector starts over, a kill
  // in progress is sent again. One whose process is gone exited meanwhile, with an unknown status:
  // RestartOnCrash relaunches it. A pending restart is due after the restart delay.
  void restore(const AppRecord& saved, bool alive);

  // Plans set the plan context and PlanApplied around a launch; KillPlan clears PlanApplied.
  void set_plan(std::string plan) { record_.plan = std::move(plan); }
  void set_plan_applied(bool applied);

 private:
  using Handler = LifecycleState (AppLifecycle::*)(const std::optional<ExitStatus>&);

  // Handlers, one per table cell kind. Each returns the next state.
  LifecycleState ignore(const std::optional<ExitStatus>&);
  LifecycleState start(const std::optional<ExitStatus>&);
  LifecycleState start_fresh(const std::optional<ExitStatus>&);
  LifecycleState kill_by_command(const std::optional<ExitStatus>&);
  LifecycleState kill_by_plan(const std::optional<ExitStatus>&);
  LifecycleState kill_then_relaunch(const std::optional<ExitStatus>&);
  LifecycleState watchdog_relaunch(const std::optional<ExitStatus>&);
  LifecycleState process_exited(const std::optional<ExitStatus>&);
  LifecycleState killed_process_exited(const std::optional<ExitStatus>&);
  LifecycleState mark_killed_while_dying(const std::optional<ExitStatus>&);
  LifecycleState cancel_relaunch(const std::optional<ExitStatus>&);
  LifecycleState relaunch_after_exit(const std::optional<ExitStatus>&);
  LifecycleState force_kill(const std::optional<ExitStatus>&);
  LifecycleState restart_now(const std::optional<ExitStatus>&);
  LifecycleState cancel_wait_and_start(const std::optional<ExitStatus>&);
  LifecycleState cancel_wait_killed(const std::optional<ExitStatus>&);
  LifecycleState cancel_wait(const std::optional<ExitStatus>&);
  LifecycleState mark_killed(const std::optional<ExitStatus>&);
  LifecycleState init_timer_fired(const std::optional<ExitStatus>&);
  LifecycleState heartbeat_seen(const std::optional<ExitStatus>&);

  static const std::array<std::array<Handler, kLifecycleEvents>, kLifecycleStates> kTable;

  LifecycleState begin_kill();
  void set_initialized(const std::string& why);
  void record_exit(const ExitStatus& exit);
  std::chrono::milliseconds next_restart_delay();

  std::string id_;
  LifecyclePolicy policy_;
  LifecycleHost& host_;
  AppRecord record_;
  bool relaunch_after_exit_ = false;
  int tries_ = 0;  // automatic restarts since the last Launch/Restart/plan start
  int quick_deaths_ = 0;
  TimePoint launched_at_{};

  Timer kill_timer_;
  Timer restart_timer_;
  Timer init_timer_;
};

}  // namespace baton::node
