// The words of the broker's and the nodes' protocols (docs/protocol.md): the ops a client asks the
// broker, the ops the broker commands a node, the flags of an AppState and the kinds of an Event.
// Each is an enum with one name table (enum_names.hpp), in the order schemas/ lists its names, so
// that a misspelt op or flag is a compile error and the schema test can compare both ways.
#pragma once

#include "common/proto/enum_names.hpp"

namespace baton::proto::control {

// The requests on the broker's control socket (schemas/control/request.json).
enum class ControlOp {
  hello,
  get_app_state,
  get_all_apps_state,
  launch,
  kill,
  restart,
  plan_start,
  plan_stop,
  plan_kill,
  plan_restart,
  plan_status,
  plans,
  machines,
  set_vars,
  kill_all,
  reload,
  logs,
};

inline constexpr NameTable<ControlOp, 17> kControlOpNames{{
    {ControlOp::hello, "hello"},
    {ControlOp::get_app_state, "get_app_state"},
    {ControlOp::get_all_apps_state, "get_all_apps_state"},
    {ControlOp::launch, "launch"},
    {ControlOp::kill, "kill"},
    {ControlOp::restart, "restart"},
    {ControlOp::plan_start, "plan_start"},
    {ControlOp::plan_stop, "plan_stop"},
    {ControlOp::plan_kill, "plan_kill"},
    {ControlOp::plan_restart, "plan_restart"},
    {ControlOp::plan_status, "plan_status"},
    {ControlOp::plans, "plans"},
    {ControlOp::machines, "machines"},
    {ControlOp::set_vars, "set_vars"},
    {ControlOp::kill_all, "kill_all"},
    {ControlOp::reload, "reload"},
    {ControlOp::logs, "logs"},
}};

constexpr const auto& name_table(ControlOp) {
  return kControlOpNames;
}
static_assert(in_declaration_order(kControlOpNames));

}  // namespace baton::proto::control

namespace baton::proto::bus {

// The commands the broker sends a node on cmd/<machine>/ (schemas/bus/command.json).
enum class CommandOp { deploy, launch, kill, restart, set_vars, kill_all, get_state, tail };

inline constexpr NameTable<CommandOp, 8> kCommandOpNames{{
    {CommandOp::deploy, "deploy"},
    {CommandOp::launch, "launch"},
    {CommandOp::kill, "kill"},
    {CommandOp::restart, "restart"},
    {CommandOp::set_vars, "set_vars"},
    {CommandOp::kill_all, "kill_all"},
    {CommandOp::get_state, "get_state"},
    {CommandOp::tail, "tail"},
}};

// The flags of an AppState (schemas/bus/app_state.json, docs/app-states.md), in the order a node
// lists the ones set.
enum class AppFlag {
  Started,
  StartFailed,
  Running,
  Dying,
  Killed,
  Initialized,
  PlanApplied,
  Restarting,
};

inline constexpr NameTable<AppFlag, 8> kAppFlagNames{{
    {AppFlag::Started, "Started"},
    {AppFlag::StartFailed, "StartFailed"},
    {AppFlag::Running, "Running"},
    {AppFlag::Dying, "Dying"},
    {AppFlag::Killed, "Killed"},
    {AppFlag::Initialized, "Initialized"},
    {AppFlag::PlanApplied, "PlanApplied"},
    {AppFlag::Restarting, "Restarting"},
}};

// What happened to an app, published on event/<machine>/<app> (schemas/bus/event.json): its
// lifecycle's events, then those of its application monitor registrations.
enum class EventKind {
  launched,
  start_failed,
  exited,
  crashed,
  killed,
  restarting,
  initialized,
  watchdog_timeout,
  watchdog_action,
  registered,
  unregistered,
};

inline constexpr NameTable<EventKind, 11> kEventKindNames{{
    {EventKind::launched, "launched"},
    {EventKind::start_failed, "start_failed"},
    {EventKind::exited, "exited"},
    {EventKind::crashed, "crashed"},
    {EventKind::killed, "killed"},
    {EventKind::restarting, "restarting"},
    {EventKind::initialized, "initialized"},
    {EventKind::watchdog_timeout, "watchdog_timeout"},
    {EventKind::watchdog_action, "watchdog_action"},
    {EventKind::registered, "registered"},
    {EventKind::unregistered, "unregistered"},
}};

constexpr const auto& name_table(CommandOp) {
  return kCommandOpNames;
}
constexpr const auto& name_table(AppFlag) {
  return kAppFlagNames;
}
constexpr const auto& name_table(EventKind) {
  return kEventKindNames;
}
static_assert(in_declaration_order(kCommandOpNames));
static_assert(in_declaration_order(kAppFlagNames));
static_assert(in_declaration_order(kEventKindNames));

}  // namespace baton::proto::bus
