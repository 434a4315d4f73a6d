// Finding apps that wait on each other: StartPlan launches an app only once its dependencies are
// Initialized, so a cycle would never start.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/config/app_def.hpp"

namespace baton::config {

struct DependencyCycle {
  std::size_t app_index = 0;  // the app whose dependency closes the cycle
  std::vector<AppId> path;    // from the first app of the cycle back to it: a, b, a

  std::string text() const;  // "m1.a -> m1.b -> m1.a"
};

// The first cycle among `apps` (ids unique), searched from the apps in order. A dependency on an
// app outside `apps` is not followed: it is waited for, not launched by this group.
std::optional<DependencyCycle> find_dependency_cycle(const std::vector<AppDef>& apps);

}  // namespace baton::config
