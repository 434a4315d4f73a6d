#include "node/apps/app_lifecycle.hpp"

#include <signal.h>

#include <algorithm>

#include "common/proto/bus.hpp"

namespace baton::node {

using S = LifecycleState;
using E = LifecycleEvent;
using L = AppLifecycle;

// Rows: states. Columns: launch, kill, plan_kill, restart, watchdog_restart, exited, kill_timeout,
// restart_due, init_timeout, registered.
const std::array<std::array<L::Handler, kLifecycleEvents>, kLifecycleStates> L::kTable = {{
    /* idle */ {&L::start_fresh, &L::mark_killed, &L::ignore, &L::start_fresh, &L::ignore,
                &L::ignore, &L::ignore, &L::ignore, &L::ignore, &L::ignore},
    /* running */
    {&L::ignore, &L::kill_by_command, &L::kill_by_plan, &L::kill_then_relaunch,
     &L::watchdog_relaunch, &L::process_exited, &L::ignore, &L::ignore, &L::init_timer_fired,
     &L::heartbeat_seen},
    /* dying */
    {&L::relaunch_after_exit, &L::mark_killed_while_dying, &L::cancel_relaunch,
     &L::relaunch_after_exit, &L::ignore, &L::killed_process_exited, &L::force_kill, &L::ignore,
     &L::ignore, &L::ignore},
    /* restart_wait */
    {&L::cancel_wait_and_start, &L::cancel_wait_killed, &L::cancel_wait, &L::cancel_wait_and_start,
     &L::ignore, &L::ignore, &L::ignore, &L::restart_now, &L::ignore, &L::ignore},
}};

std::string_view to_string(LifecycleEvent event) {
  return proto::to_name(event);
}

bool LifecyclePolicy::exit_code_initializes(int code) const {
  return std::any_of(init_exit_codes.begin(), init_exit_codes.end(), [code](const auto& range) {
    return code >= range.first && code <= range.second;
  });
}

AppLifecycle::AppLifecycle(std::string id, LifecyclePolicy policy, LifecycleHost& host)
    : id_(std::move(id)), policy_(std::move(policy)), host_(host) {}

void AppLifecycle::handle(LifecycleEvent event, std::optional<ExitStatus> exit) {
  Handler handler =
      kTable[static_cast<std::size_t>(record_.state)][static_cast<std::size_t>(event)];
  if (handler == &L::ignore) return;
  record_.state = (this->*handler)(exit);
  host_.state_changed(*this);
}

std::vector<std::string> AppLifecycle::flags() const {
  using proto::bus::AppFlag;
  const std::array<std::pair<AppFlag, bool>, proto::kEnumCount<AppFlag>> set{{
      {AppFlag::Started, record_.started},
      {AppFlag::StartFailed, record_.start_failed},
      {AppFlag::Running, running()},
      {AppFlag::Dying, dying()},
      {AppFlag::Killed, record_.killed},
      {AppFlag::Initialized, record_.initialized},
      {AppFlag::PlanApplied, record_.plan_applied},
      {AppFlag::Restarting, restarting()},
  }};
  std::vector<std::string> out;
  for (const auto& [flag, is_set] : set) {
    if (is_set) out.emplace_back(proto::to_name(flag));
  }
  return out;
}

void AppLifecycle::set_plan_applied(bool applied) {
  if (record_.plan_applied == applied) return;
  record_.plan_applied = applied;
  host_.state_changed(*this);
}

void AppLifecycle::set_initialized(const std::string& why) {
  if (record_.initialized) return;
  record_.initialized = true;
  host_.event(*this, EventKind::initialized, why);
}

void AppLifecycle::record_exit(const ExitStatus& exit) {
  record_.pid = 0;
  // A negative exit code is the signal that ended the process.
  if (exit.unknown) {
    record_.exit_code.reset();
  } else {
    record_.exit_code = exit.exited_normally() ? exit.code : -exit.signal;
  }
}

std::chrono::milliseconds AppLifecycle::next_restart_delay() {
  auto delay = policy_.restart_delay;
  if (policy_.backoff_cap.count() > 0 && quick_deaths_ >= policy_.quick_deaths_before_backoff) {
    const int doublings = std::min(quick_deaths_ - policy_.quick_deaths_before_backoff, 16);
    auto backoff = std::min(policy_.backoff_base * (1 << doublings), policy_.backoff_cap);
    delay = std::max(delay, backoff);
  }
  return delay;
}

// --- handlers ---

LifecycleState AppLifecycle::ignore(const std::optional<ExitStatus>&) {
  return record_.state;
}

LifecycleState AppLifecycle::start(const std::optional<ExitStatus>&) {
  record_.started = true;
  record_.start_failed = false;
  record_.killed = false;
  record_.initialized = false;
  record_.exit_code.reset();
  record_.last_error.clear();
  auto pid = host_.start_process(*this);
  if (!pid) {
    record_.start_failed = true;
    record_.last_error = pid.error().message;
    host_.event(*this, EventKind::start_failed, record_.last_error);
    return S::idle;
  }
  record_.pid = *pid;
  launched_at_ = host_.now();
  record_.started_at =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  host_.event(*this, EventKind::launched, "pid " + std::to_string(record_.pid));
  if (!policy_.has_init_detector()) {
    set_initialized("no init detector: initialized at launch");
  } else if (policy_.init_timeout) {
    init_timer_ = host_.start_timer(*this, *policy_.init_timeout, TimerKind::init);
  }
  return S::running;
}

void AppLifecycle::restore(const AppRecord& saved, bool alive) {
  record_ = saved;
  record_.state = S::idle;
  record_.pid = 0;
  const double ran_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
      record_.started_at;
  launched_at_ = host_.now() - std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::duration<double>(std::max(ran_s, 0.0)));
  const bool had_process = saved.state == S::running || saved.state == S::dying;
  if (had_process) {
    record_.pid = saved.pid;
    if (!alive) {  // gone meanwhile: a crash, or the end of the kill that was going on
      record_.state = saved.state;
      handle(E::exited, ExitStatus::unknown_status());
      return;
    }
    record_.state = S::running;
    if (saved.state == S::dying) {
      handle(saved.killed ? E::kill : E::plan_kill);
    } else if (!record_.initialized && policy_.init_timeout) {
      init_timer_ = host_.start_timer(*this, *policy_.init_timeout, TimerKind::init);
    }
    return;
  }
  if (saved.state == S::restart_wait) {
    record_.state = S::restart_wait;
    restart_timer_ = host_.start_timer(*this, policy_.restart_delay, TimerKind::restart);
  }
}

LifecycleState AppLifecycle::start_fresh(const std::optional<ExitStatus>& exit) {
  tries_ = 0;
  return start(exit);
}

LifecycleState AppLifecycle::begin_kill() {
  init_timer_.reset();
  if (policy_.soft_kill_timeout) {
    host_.signal_process(*this, SIGTERM);
    kill_timer_ = host_.start_timer(*this, *policy_.soft_kill_timeout, TimerKind::kill);
  } else {
    host_.signal_process(*this, SIGKILL);
  }
  return S::dying;
}

LifecycleState AppLifecycle::kill_by_command(const std::optional<ExitStatus>&) {
  record_.killed = true;
  record_.plan_applied = true;  // a plan must not launch it again
  relaunch_after_exit_ = false;
  return begin_kill();
}

LifecycleState AppLifecycle::kill_by_plan(const std::optional<ExitStatus>&) {
  relaunch_after_exit_ = false;
  return begin_kill();
}

LifecycleState AppLifecycle::kill_then_relaunch(const std::optional<ExitStatus>&) {
  tries_ = 0;
  relaunch_after_exit_ = true;
  host_.event(*this, EventKind::restarting, "restart requested");
  return begin_kill();
}

LifecycleState AppLifecycle::watchdog_relaunch(const std::optional<ExitStatus>&) {
  relaunch_after_exit_ = true;
  host_.event(*this, EventKind::restarting, "application monitor action restart");
  return begin_kill();
}

LifecycleState AppLifecycle::process_exited(const std::optional<ExitStatus>& exit) {
  const ExitStatus status = exit.value_or(ExitStatus{});
  record_exit(status);
  init_timer_.reset();
  const bool init_by_code = status.exited_normally() && policy_.exit_code_initializes(status.code);
  if (init_by_code) set_initialized("exited with code " + std::to_string(status.code));
  const bool crashed = !status.exited_normally() || status.code != 0;
  host_.event(*this, crashed ? EventKind::crashed : EventKind::exited, describe(status));

  const auto ran = host_.now() - launched_at_;
  if (ran < policy_.quick_run) {
    ++quick_deaths_;
  } else if (ran >= policy_.stable_run) {
    quick_deaths_ = 0;
  }
  const bool tries_left = policy_.max_tries < 0 || tries_ < policy_.max_tries;
  if (init_by_code || !policy_.restart_on_crash || !tries_left) return S::idle;

  ++tries_;
  ++record_.restarts;
  const auto delay = next_restart_delay();
  restart_timer_ = host_.start_timer(*this, delay, TimerKind::restart);
  host_.event(*this, EventKind::restarting,
              "in " + std::to_string(delay.count()) + " ms, try " + std::to_string(tries_) +
                  (policy_.max_tries < 0 ? "" : " of " + std::to_string(policy_.max_tries)));
  return S::restart_wait;
}

LifecycleState AppLifecycle::killed_process_exited(const std::optional<ExitStatus>& exit) {
  const ExitStatus status = exit.value_or(ExitStatus{});
  record_exit(status);
  kill_timer_.reset();
  host_.event(*this, EventKind::killed, describe(status));
  if (!relaunch_after_exit_) return S::idle;
  relaunch_after_exit_ = false;
  ++record_.restarts;
  return start(exit);
}

LifecycleState AppLifecycle::mark_killed_while_dying(const std::optional<ExitStatus>&) {
  record_.killed = true;
  record_.plan_applied = true;
  relaunch_after_exit_ = false;
  return S::dying;
}

LifecycleState AppLifecycle::cancel_relaunch(const std::optional<ExitStatus>&) {
  relaunch_after_exit_ = false;
  return S::dying;
}

LifecycleState AppLifecycle::relaunch_after_exit(const std::optional<ExitStatus>&) {
  relaunch_after_exit_ = true;
  record_.killed = false;
  tries_ = 0;
  return S::dying;
}

LifecycleState AppLifecycle::force_kill(const std::optional<ExitStatus>&) {
  kill_timer_.reset();
  host_.signal_process(*this, SIGKILL);
  return S::dying;
}

LifecycleState AppLifecycle::restart_now(const std::optional<ExitStatus>& exit) {
  restart_timer_.reset();
  return start(exit);
}

LifecycleState AppLifecycle::cancel_wait_and_start(const std::optional<ExitStatus>& exit) {
  restart_timer_.reset();
  return start_fresh(exit);
}

LifecycleState AppLifecycle::cancel_wait_killed(const std::optional<ExitStatus>&) {
  restart_timer_.reset();
  record_.killed = true;
  record_.plan_applied = true;
  return S::idle;
}

LifecycleState AppLifecycle::cancel_wait(const std::optional<ExitStatus>&) {
  restart_timer_.reset();
  return S::idle;
}

LifecycleState AppLifecycle::mark_killed(const std::optional<ExitStatus>&) {
  record_.killed = true;
  record_.plan_applied = true;
  return S::idle;
}

LifecycleState AppLifecycle::init_timer_fired(const std::optional<ExitStatus>&) {
  init_timer_.reset();
  set_initialized("still running after " + std::to_string(policy_.init_timeout->count()) + " ms");
  return S::running;
}

LifecycleState AppLifecycle::heartbeat_seen(const std::optional<ExitStatus>&) {
  if (policy_.init_heartbeat) set_initialized("registered with the application monitor");
  return S::running;
}

}  // namespace baton::node
