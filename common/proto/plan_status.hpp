// The status of a plan, and of each of its apps, as the broker publishes them in a PlanState
// (plan/<plan>, schemas/bus/plan_state.json): enums in code, names on the wire (enum_names.hpp).
#pragma once

#include <optional>
#include <string_view>

#include "common/proto/enum_names.hpp"

namespace baton::proto::control {

using proto::NameTable;
using proto::parse_name;
using proto::to_name;

enum class PlanStatus {
  None,        // not started, stopped, or killed to the end
  InProgress,  // launching, or waiting for apps to initialize
  Success,     // every enabled app is up
  Failure,     // an app failed, or StartTimeout passed first
  Killing,     // killed, some app of the plan still runs
};

// How far a plan got with one of its apps (PlanAppState::status).
enum class PlanAppStatus {
  idle,         // plan not started (None or Killing), the app does not run
  running,      // plan not started, the app runs; or launched and running, not yet initialized
  waiting,      // for its dependencies, its machine or its turn
  launching,    // launch sent, the node has not answered yet
  initialized,  // launched, initialized, and running (or volatile)
  restarting,   // launched, the node restarts it after a crash
  exited,       // launched, no longer runs
  failed,       // the launch was refused, or the app failed to start
  disabled,     // Disabled: the plan skips it
};

inline constexpr NameTable<PlanStatus, 5> kPlanStatusNames{{
    {PlanStatus::None, "None"},
    {PlanStatus::InProgress, "InProgress"},
    {PlanStatus::Success, "Success"},
    {PlanStatus::Failure, "Failure"},
    {PlanStatus::Killing, "Killing"},
}};

inline constexpr NameTable<PlanAppStatus, 9> kPlanAppStatusNames{{
    {PlanAppStatus::idle, "idle"},
    {PlanAppStatus::running, "running"},
    {PlanAppStatus::waiting, "waiting"},
    {PlanAppStatus::launching, "launching"},
    {PlanAppStatus::initialized, "initialized"},
    {PlanAppStatus::restarting, "restarting"},
    {PlanAppStatus::exited, "exited"},
    {PlanAppStatus::failed, "failed"},
    {PlanAppStatus::disabled, "disabled"},
}};

constexpr const auto& name_table(PlanStatus) {
  return kPlanStatusNames;
}
constexpr const auto& name_table(PlanAppStatus) {
  return kPlanAppStatusNames;
}

static_assert(in_declaration_order(kPlanStatusNames));
static_assert(in_declaration_order(kPlanAppStatusNames));

// Nothing for a name the table does not hold (names are case-sensitive, as on the wire).
constexpr std::optional<PlanStatus> parse_plan_status(std::string_view name) {
  return parse_name<PlanStatus>(name);
}
constexpr std::optional<PlanAppStatus> parse_plan_app_status(std::string_view name) {
  return parse_name<PlanAppStatus>(name);
}

}  // namespace baton::proto::control
