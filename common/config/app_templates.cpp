#include "common/config/app_templates.hpp"

#include <algorithm>
#include <tuple>

namespace baton::config::detail {

namespace {

void apply_layer(const AppLayer& layer, AppDraft& draft) {
  AppDef& def = draft.def;
  if (layer.exe_full_path) def.exe_full_path = *layer.exe_full_path;
  if (layer.startup_dir) def.startup_dir = *layer.startup_dir;
  if (layer.cmd_line_args) def.cmd_line_args = *layer.cmd_line_args;
  if (layer.startup_order) def.startup_order = *layer.startup_order;
  if (layer.is_volatile) def.is_volatile = *layer.is_volatile;
  if (layer.disabled) def.disabled = *layer.disabled;
  if (layer.restart_on_crash) def.restart_on_crash = *layer.restart_on_crash;
  if (layer.restarter) std::tie(def.restart_max_tries, def.restart_delay_s) = *layer.restarter;
  if (layer.has_init_condition) draft.init_condition = layer.init_condition;
  def.init_detectors.merge(layer.init_detectors);
  if (layer.dependencies) {
    draft.dependencies = *layer.dependencies;
    draft.dependencies_line = layer.dependencies_line;
  }
  if (layer.separation_interval_s) def.separation_interval_s = *layer.separation_interval_s;
  if (layer.kill_tree) def.kill_tree = *layer.kill_tree;
  if (layer.kill_softly) draft.kill_softly = *layer.kill_softly;
  if (layer.has_soft_kill) draft.soft_kill_close_s = layer.soft_kill_close_s;
  if (layer.min_killing_time_s) def.min_killing_time_s = *layer.min_killing_time_s;
  merge_vars(def.env_set, layer.env_set);
  merge_vars(def.env_local, layer.env_local);
  def.path_prepend.insert(def.path_prepend.begin(), layer.path_prepend.begin(),
                          layer.path_prepend.end());
  def.path_append.insert(def.path_append.end(), layer.path_append.begin(), layer.path_append.end());
}

}  // namespace

Expected<AppDraft> resolve_templates(const AppLayer& layer, const std::string& own_template_name,
                                     const std::map<std::string, AppLayer>& templates,
                                     const ConfigDiagnostics& diagnostics) {
  std::vector<const AppLayer*> chain{&layer};
  std::vector<std::string> names;
  if (!own_template_name.empty()) names.push_back(own_template_name);
  for (const AppLayer* current = &layer; !current->template_name.empty();) {
    const std::string& next = current->template_name;
    if (std::find(names.begin(), names.end(), next) != names.end()) {
      std::string loop;
      for (const std::string& n : names)
        loop += n + " -> ";
      return diagnostics.error_at(current->template_line, attribute_subject("Template"),
                                  "templates chain in a loop: " + loop + next,
                                  config_error::kTemplateCycle);
    }
    const auto found = templates.find(next);
    if (found == templates.end()) {
      return diagnostics.error_at(current->template_line, attribute_subject("Template"),
                                  "no AppTemplate named " + single_quoted(next),
                                  config_error::kMissingTemplate);
    }
    names.push_back(next);
    current = &found->second;
    chain.push_back(current);
  }
  AppDraft draft;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    apply_layer(**it, draft);
  return draft;
}

}  // namespace baton::config::detail
