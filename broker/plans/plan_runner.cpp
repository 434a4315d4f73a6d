#include "broker/plans/plan_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace baton::broker {

namespace control = proto::control;
using control::PlanAppStatus;
using control::PlanStatus;
using proto::bus::AppFlag;

namespace {
std::chrono::nanoseconds from_seconds(double seconds) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
}

// Launch order: StartupOrder, then the order of the file.
config::PlanDef ordered(config::PlanDef plan) {
  std::stable_sort(plan.apps.begin(), plan.apps.end(),
                   [](const config::AppDef& a, const config::AppDef& b) {
                     return a.startup_order < b.startup_order;
                   });
  return plan;
}
}  // namespace

PlanRunner::PlanRunner(EventLoop& loop, const FleetState& fleet, PlanHost& host)
    : loop_(loop), fleet_(fleet), host_(host) {}

void PlanRunner::set_plans(const std::vector<config::PlanDef>& plans) {
  std::map<std::string, Run> next;
  for (const auto& plan : plans) {
    Run run;
    if (auto it = runs_.find(plan.name); it != runs_.end()) run = std::move(it->second);
    run.def = ordered(plan);
    std::map<config::AppId, AppProgress> progress;
    for (const auto& app : run.def.apps) {
      auto old = run.progress.find(app.id());
      AppProgress& kept = progress[app.id()];
      kept = old != run.progress.end() ? old->second : AppProgress{};
      // An app enabled by this reload waits for its turn, as a new app does.
      if (app.disabled) {
        kept.phase = Phase::disabled;
      } else if (kept.phase == Phase::disabled) {
        kept = AppProgress{};
      }
    }
    run.progress = std::move(progress);
    next.emplace(plan.name, std::move(run));
  }
  runs_ = std::move(next);  // the timers of plans no longer there end with them
  if (!runs_.contains(current_plan_)) current_plan_.clear();
  for (auto& [name, run] : runs_)
    evaluate(run);
}

PlanRunner::Run* PlanRunner::find(const std::string& plan) {
  auto it = runs_.find(plan);
  return it == runs_.end() ? nullptr : &it->second;
}

Status PlanRunner::start(const std::string& plan) {
  Run* run = find(plan);
  if (run == nullptr) return Error{"unknown plan " + plan};
  if (run->activity == Activity::killing || run->activity == Activity::killing_then_starting) {
    run->activity = Activity::killing_then_starting;  // starts as soon as the kill is through
    return ok_status();
  }
  begin(*run);
  evaluate(*run);
  return ok_status();
}

void PlanRunner::begin(Run& run) {
  cancel_timers(run);
  run.activity = Activity::launching;
  run.verdict = Verdict{};
  run.start_timeout_passed = false;
  run.hold_until = {};
  run.awaiting_launch.reset();
  for (const auto& app : run.def.apps)
    run.progress[app.id()] = AppProgress{app.disabled ? Phase::disabled : Phase::waiting, {}};
  current_plan_ = run.def.name;
  spdlog::info("plan {}: starting {} apps", run.def.name, run.def.apps.size());
  if (run.def.start_timeout_s && *run.def.start_timeout_s > 0) {
    const std::string name = run.def.name;
    run.timeout_timer = loop_.after(from_seconds(*run.def.start_timeout_s), [this, name] {
      Run* r = find(name);
      if (r == nullptr) return;
      if (status_of(*r) != PlanStatus::InProgress) return;
      r->start_timeout_passed = true;
      spdlog::warn("plan {}: StartTimeout of {} s passed", name, *r->def.start_timeout_s);
      evaluate(*r);
    });
  }
}

Status PlanRunner::stop(const std::string& plan) {
  Run* run = find(plan);
  if (run == nullptr) return Error{"unknown plan " + plan};
  // A kill under way goes on; only the start that waited for it is dropped.
  const bool killing =
      run->activity == Activity::killing || run->activity == Activity::killing_then_starting;
  run->activity = killing ? Activity::killing : Activity::idle;
  cancel_timers(*run);
  spdlog::info("plan {}: stopped launching", plan);
  evaluate(*run);
  return ok_status();
}

Status PlanRunner::kill(const std::string& plan) {
  Run* run = find(plan);
  if (run == nullptr) return Error{"unknown plan " + plan};
  run->activity = Activity::killing;
  cancel_timers(*run);
  spdlog::info("plan {}: killing its apps", plan);
  for (const auto& app : run->def.apps) {
    if (run->progress[app.id()].phase != Phase::disabled) {
      run->progress[app.id()] = AppProgress{};
    }
    // Also the apps it did not launch: the kill clears PlanApplied, so the next start
    // launches them again.
    if (host_.machine_ready(app.machine)) host_.kill_for_plan(app.id());
  }
  evaluate(*run);
  return ok_status();
}

Status PlanRunner::restart(const std::string& plan) {
  if (auto killed = kill(plan); !killed) return killed;
  Run* run = find(plan);
  if (run->activity == Activity::idle) {  // nothing ran: killed at once
    begin(*run);
    evaluate(*run);
  } else {
    run->activity = Activity::killing_then_starting;
  }
  return ok_status();
}

void PlanRunner::kill_all() {
  for (auto& [name, run] : runs_) {
    run.activity = Activity::idle;
    cancel_timers(run);
    for (auto& [id, progress] : run.progress) {
      if (progress.phase != Phase::disabled) progress = AppProgress{};
    }
    publish_if_changed(run);
  }
}

void PlanRunner::app_changed(const config::AppId& app) {
  for (auto& [name, run] : runs_) {
    // A launching plan may wait for any app: dependencies need not be in the plan.
    if (run.progress.contains(app) || run.activity == Activity::launching) evaluate_soon(run);
  }
}

void PlanRunner::evaluate_soon(Run& run) {
  run.evaluation_due = true;
  if (evaluation_timer_.pending()) return;
  evaluation_timer_ = loop_.after(std::chrono::nanoseconds(0), [this] {
    for (auto& [name, r] : runs_) {
      if (r.evaluation_due) evaluate(r);
    }
  });
}

void PlanRunner::machine_changed() {
  for (auto& [name, run] : runs_)
    evaluate(run);
}

void PlanRunner::evaluate(Run& run) {
  run.evaluation_due = false;
  if (run.activity == Activity::unclaimed && started_before_broker_restart(run)) {
    spdlog::info("plan {}: its apps say it was started; following it again", run.def.name);
    begin(run);
  }
  if ((run.activity == Activity::killing || run.activity == Activity::killing_then_starting) &&
      !any_running(run)) {
    spdlog::info("plan {}: killed", run.def.name);
    if (run.activity == Activity::killing_then_starting) {
      begin(run);
    } else {
      run.activity = Activity::idle;
    }
  }
  if (run.activity == Activity::launching) {
    launch_ready(run);
    Verdict verdict = judge(run);
    if (verdict.status != run.verdict.status) {
      spdlog::info("plan {}: {}", run.def.name, control::to_name(verdict.status));
    }
    run.verdict = std::move(verdict);
  }
  publish_if_changed(run);
}

// After a broker restart the plans start unclaimed, but the nodes remember which apps a plan
// launched (PlanApplied with the plan's name): such a plan was started and is picked up again.
bool PlanRunner::started_before_broker_restart(const Run& run) const {
  return std::any_of(run.def.apps.begin(), run.def.apps.end(), [&](const config::AppDef& app) {
    return fleet_.has_flag(app.id(), AppFlag::PlanApplied) &&
           fleet_.app_state(app.id()).plan == run.def.name;
  });
}

void PlanRunner::launch_ready(Run& run) {
  const TimePoint now = SteadyClock::now();
  const std::string name = run.def.name;
  for (const auto& app : run.def.apps) {
    const config::AppId id = app.id();
    AppProgress& progress = run.progress[id];
    if (progress.phase != Phase::waiting) continue;
    if (fleet_.has_flag(id, AppFlag::PlanApplied) && fleet_.app_state(id).plan == name) {
      progress.phase = Phase::launched;  // processed already: never launched twice
      continue;
    }
    if (awaiting_launch(run)) return;  // its answer starts the SeparationInterval
    if (now < run.hold_until) {
      if (!run.hold_timer.pending()) {
        run.hold_timer = loop_.at(run.hold_until, [this, name] {
          Run* r = find(name);
          if (r == nullptr) return;
          evaluate(*r);
        });
      }
      return;
    }
    if (!host_.machine_ready(id.machine) || !dependencies_initialized(app)) continue;
    progress.phase = Phase::launching;
    // The SeparationInterval counts from the node's answer, when the app has started: counted from
    // the command's sending, a launch that took long to reach its node (a busy node, a loaded
    // machine) left the next app less than the interval, or none.
    const double separation_s = app.separation_interval_s;
    if (separation_s > 0) run.awaiting_launch = id;
    host_.launch_for_plan(app, name, [this, name, id, separation_s](const Status& launched) {
      Run* r = find(name);
      if (r == nullptr) return;
      auto it = r->progress.find(id);
      if (it == r->progress.end() || it->second.phase != Phase::launching) return;
      if (separation_s > 0 && r->awaiting_launch == id) {
        r->awaiting_launch.reset();
        r->hold_until = SteadyClock::now() + from_seconds(separation_s);
      }
      if (launched) {
        it->second.phase = Phase::launched;
      } else {
        it->second = AppProgress{Phase::failed, launched.error().message};
      }
      evaluate_soon(*r);
    });
    if (separation_s > 0) return;
  }
}

// An app with a SeparationInterval was launched and its answer has not come: the plan waits for it
// (the router answers every command, with a timeout at worst). An app no longer launching (the
// plan was killed, or reloaded without it) holds nothing.
bool PlanRunner::awaiting_launch(const Run& run) const {
  if (!run.awaiting_launch) return false;
  auto it = run.progress.find(*run.awaiting_launch);
  return it != run.progress.end() && it->second.phase == Phase::launching;
}

bool PlanRunner::dependencies_initialized(const config::AppDef& app) const {
  return std::all_of(
      app.dependencies.begin(), app.dependencies.end(),
      [&](const config::AppId& dep) { return fleet_.has_flag(dep, AppFlag::Initialized); });
}

bool PlanRunner::any_running(const Run& run) const {
  for (const auto& app : run.def.apps) {
    if (!fleet_.online(app.machine)) continue;  // nothing to wait for
    if (fleet_.has_flag(app.id(), AppFlag::Running) || fleet_.has_flag(app.id(), AppFlag::Dying)) {
      return true;
    }
  }
  return false;
}

PlanRunner::Verdict PlanRunner::judge(const Run& run) const {
  bool success = true;
  std::optional<std::string> failure;
  for (const auto& app : run.def.apps) {
    const config::AppId id = app.id();
    const AppProgress& progress = run.progress.at(id);
    if (progress.phase == Phase::disabled) continue;
    if (progress.phase == Phase::failed) {
      if (!failure) failure = id.to_string() + ": " + progress.error;
      success = false;
      continue;
    }
    if (progress.phase != Phase::launched) {
      success = false;
      continue;
    }
    auto has = [&](AppFlag f) { return fleet_.has_flag(id, f); };
    if (!(has(AppFlag::PlanApplied) && has(AppFlag::Started) && has(AppFlag::Initialized) &&
          (app.is_volatile || has(AppFlag::Running)))) {
      success = false;
    }
    if (has(AppFlag::StartFailed)) {
      if (!failure) {
        auto error = fleet_.app_state(id).error;
        failure = id.to_string() + " failed to start" + (error ? ": " + *error : "");
      }
    } else if (!app.is_volatile && has(AppFlag::Started) && !has(AppFlag::Running) &&
               !has(AppFlag::Restarting)) {
      if (!failure) failure = id.to_string() + " is not running";
    }
  }
  if (success) return {PlanStatus::Success, std::nullopt};
  if (failure) return {PlanStatus::Failure, failure};
  if (run.start_timeout_passed) {
    return {PlanStatus::Failure, "StartTimeout of " + std::to_string(*run.def.start_timeout_s) +
                                     " s passed before every app was ready"};
  }
  return {PlanStatus::InProgress, std::nullopt};
}

PlanStatus PlanRunner::status_of(const Run& run) {
  switch (run.activity) {
    case Activity::unclaimed:
    case Activity::idle:
      return PlanStatus::None;
    case Activity::launching:
      return run.verdict.status;
    case Activity::killing:
    case Activity::killing_then_starting:
      return PlanStatus::Killing;
  }
  return PlanStatus::None;
}

PlanAppStatus PlanRunner::app_status(const Run& run, const config::AppDef& app) const {
  const AppProgress& progress = run.progress.at(app.id());
  auto has = [&](AppFlag f) { return fleet_.has_flag(app.id(), f); };
  switch (progress.phase) {
    case Phase::disabled:
      return PlanAppStatus::disabled;
    case Phase::failed:
      return PlanAppStatus::failed;
    case Phase::launching:
      return PlanAppStatus::launching;
    case Phase::waiting:
      if (run.activity != Activity::launching) {
        return has(AppFlag::Running) ? PlanAppStatus::running : PlanAppStatus::idle;
      }
      return PlanAppStatus::waiting;
    case Phase::launched:
      break;
  }
  if (has(AppFlag::StartFailed)) return PlanAppStatus::failed;
  if (has(AppFlag::Initialized) && (has(AppFlag::Running) || app.is_volatile)) {
    return PlanAppStatus::initialized;
  }
  if (has(AppFlag::Restarting)) return PlanAppStatus::restarting;
  if (has(AppFlag::Running)) return PlanAppStatus::running;
  return PlanAppStatus::exited;
}

control::PlanState PlanRunner::state_of(const Run& run) const {
  control::PlanState state;
  state.plan = run.def.name;
  state.status = control::to_name(status_of(run));
  // The verdict of the last launching is kept while stopped or killed, but its reason explains
  // a Failure, not the None or Killing that came after.
  if (run.activity == Activity::launching) state.reason = run.verdict.reason;
  state.seq = run.seq;
  for (const auto& app : run.def.apps)
    state.apps.push_back(control::PlanAppState{
        app.id().to_string(), std::string(control::to_name(app_status(run, app)))});
  return state;
}

void PlanRunner::publish_if_changed(Run& run) {
  control::PlanState state = state_of(run);
  if (run.published) {
    state.seq = run.published->seq;
    if (state.status == run.published->status && state.reason == run.published->reason &&
        std::equal(state.apps.begin(), state.apps.end(), run.published->apps.begin(),
                   run.published->apps.end(), [](const auto& a, const auto& b) {
                     return a.app == b.app && a.status == b.status;
                   })) {
      return;
    }
  }
  state.seq = ++run.seq;
  run.published = state;
  host_.publish_plan(state);
}

Expected<control::PlanState> PlanRunner::status(const std::string& plan) const {
  auto it = runs_.find(plan);
  if (it == runs_.end()) return Error{"unknown plan " + plan};
  return state_of(it->second);
}

std::vector<control::PlanState> PlanRunner::all() const {
  std::vector<control::PlanState> out;
  for (const auto& [name, run] : runs_)
    out.push_back(state_of(run));
  return out;
}

void PlanRunner::cancel_timers(Run& run) {
  run.hold_timer.reset();
  run.timeout_timer.reset();
}

}  // namespace baton::broker
