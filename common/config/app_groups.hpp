// The apps of a SharedConfig.xml finished into AppDefs, one group per plan and one for the
// standalone apps, and checked across the whole file: ids, the ExeFullPath every app needs,
// dependencies that name defined apps, no dependency cycle.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/config/app_def.hpp"
#include "common/config/app_layer.hpp"
#include "common/config/config_diagnostics.hpp"
#include "common/expected.hpp"

namespace baton::config::detail {

// The apps of one plan (or the standalone ones), with the line of each one's Dependencies.
struct AppGroup {
  std::vector<AppDef> apps;
  std::vector<int> dependency_lines;
  std::string description;  // "plan 'p1'" or "the standalone apps"
};

// Resolves each layer's templates into an AppDef of `group`, in file order. Errors: no or a bad
// AppIdTuple, an id twice in the group, no ExeFullPath, a bad dependency id.
Status build_group(const std::vector<AppLayer>& layers,
                   const std::map<std::string, AppLayer>& templates,
                   const ConfigDiagnostics& diagnostics, AppGroup& group);

// Every dependency names an app defined in some group (the first that does not, in file order, is
// the error), then no group's apps wait on each other in a cycle.
Status check_dependencies(const std::vector<const AppGroup*>& groups,
                          const ConfigDiagnostics& diagnostics);

}  // namespace baton::config::detail
