// What one <App> or <AppTemplate> element of a SharedConfig.xml says, before its templates: the
// unit the reader reads (app_element_reader.hpp) and then applies over its template chain
// (app_templates.hpp).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/config/app_def.hpp"

namespace baton::config::detail {

inline constexpr double kKillSoftlyTimeoutS = 10.0;  // Dirigent's KillSoftly="1": Close, 10 s

// What one <App> or <AppTemplate> element says, before its templates.
struct AppLayer {
  int line = 0;               // of the element
  std::string template_name;  // "" when none
  int template_line = 0;
  std::optional<std::string> app_id_text;
  int app_id_line = 0;
  std::optional<std::string> exe_full_path;
  std::optional<std::string> startup_dir;
  std::optional<std::string> cmd_line_args;
  std::optional<int> startup_order;
  std::optional<bool> is_volatile;
  std::optional<bool> disabled;
  std::optional<bool> restart_on_crash;
  std::optional<std::pair<int, double>> restarter;  // maxTries, delay
  bool has_init_condition = false;
  std::optional<InitDetectors> init_condition;  // InitCondition="": none
  InitDetectors init_detectors;                 // <InitDetectors>
  std::optional<std::vector<std::string>> dependencies;
  int dependencies_line = 0;
  std::optional<double> separation_interval_s;
  std::optional<bool> kill_tree;
  std::optional<bool> kill_softly;
  bool has_soft_kill = false;
  std::optional<double> soft_kill_close_s;  // <SoftKill><Close Timeout>
  std::optional<double> min_killing_time_s;
  std::vector<EnvVar> env_set;  // in element order; later ones win
  std::vector<EnvVar> env_local;
  std::vector<std::string> path_prepend;  // this element's <Path Prepend>s, in PATH order
  std::vector<std::string> path_append;
};

// Sets `from`'s variables in `into`: one of the same name takes the new value, a new one goes last.
inline void merge_vars(std::vector<EnvVar>& into, const std::vector<EnvVar>& from) {
  for (const EnvVar& var : from) {
    auto same =
        std::find_if(into.begin(), into.end(), [&](const EnvVar& v) { return v.name == var.name; });
    if (same != into.end()) {
      same->value = var.value;
    } else {
      into.push_back(var);
    }
  }
}

}  // namespace baton::config::detail
