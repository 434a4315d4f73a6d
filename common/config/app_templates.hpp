// Dirigent's templates: an app's layer applied over its chain of AppTemplates, from the outermost
// template down to the app's own element. Each attribute overrides its template's; <Restarter> and
// <SoftKill> replace, <InitDetectors> add, <Env> variables merge by name, <Path> entries go before
// or after the template's (shared_config.hpp, Semantics).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/app_def.hpp"
#include "common/config/app_layer.hpp"
#include "common/config/config_diagnostics.hpp"
#include "common/expected.hpp"

namespace baton::config::detail {

// An app while its template chain is applied.
struct AppDraft {
  AppDef def;
  std::optional<InitDetectors> init_condition;
  bool kill_softly = false;
  std::optional<double> soft_kill_close_s;
  std::vector<std::string> dependencies;
  int dependencies_line = 0;
};

// The app `layer` describes with its templates applied. `own_template_name` names `layer` when it
// is itself a template ("" for an app), so that a chain back to it is a loop. Errors: a Template
// that names nothing, a chain in a loop.
Expected<AppDraft> resolve_templates(const AppLayer& layer, const std::string& own_template_name,
                                     const std::map<std::string, AppLayer>& templates,
                                     const ConfigDiagnostics& diagnostics);

}  // namespace baton::config::detail
