// The status of a plan, and of each of its apps, as the broker publishes them in a PlanState
// (plan/<plan>, schemas/bus/plan_state.json). The wire carries the names; code compares the enums,
// so a misspelt status is a compile error rather than a comparison that is never true. Each enum
// has one name table, in declaration order, that both directions use.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace baton::proto::control {

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

template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

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

namespace detail {
// Row i names the enumerator of value i: to_name is then an index.
template <class Enum, std::size_t N>
constexpr bool in_declaration_order(const NameTable<Enum, N>& table) {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(table[i].first) != i) return false;
  }
  return true;
}

template <class Enum, std::size_t N>
constexpr std::optional<Enum> parse_name(const NameTable<Enum, N>& table, std::string_view name) {
  for (const auto& [value, value_name] : table) {
    if (value_name == name) return value;
  }
  return std::nullopt;
}
}  // namespace detail

static_assert(detail::in_declaration_order(kPlanStatusNames));
static_assert(detail::in_declaration_order(kPlanAppStatusNames));

constexpr std::string_view to_name(PlanStatus status) {
  return kPlanStatusNames[static_cast<std::size_t>(status)].second;
}
constexpr std::string_view to_name(PlanAppStatus status) {
  return kPlanAppStatusNames[static_cast<std::size_t>(status)].second;
}

// Nothing for a name the table does not hold (names are case-sensitive, as on the wire).
constexpr std::optional<PlanStatus> parse_plan_status(std::string_view name) {
  return detail::parse_name(kPlanStatusNames, name);
}
constexpr std::optional<PlanAppStatus> parse_plan_app_status(std::string_view name) {
  return detail::parse_name(kPlanAppStatusNames, name);
}

}  // namespace baton::proto::control
