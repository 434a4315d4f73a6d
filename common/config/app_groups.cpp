#include "common/config/app_groups.hpp"

#include <algorithm>
#include <set>

#include "common/config/app_templates.hpp"
#include "common/config/attribute_values.hpp"
#include "common/config/dependency_cycle.hpp"

namespace baton::config::detail {

Status build_group(const std::vector<AppLayer>& layers,
                   const std::map<std::string, AppLayer>& templates,
                   const ConfigDiagnostics& diagnostics, AppGroup& group) {
  std::map<AppId, int> first_line;
  for (const AppLayer& layer : layers) {
    if (!layer.app_id_text) {
      return diagnostics.error_at(layer.line, attribute_subject("AppIdTuple"), "missing on an App",
                                  config_error::kMissingAttribute);
    }
    auto id = parse_app_id(*layer.app_id_text);
    if (!id) {
      return diagnostics.error_at(layer.app_id_line, attribute_subject("AppIdTuple"),
                                  id.error().message, config_error::kBadAppId);
    }
    auto [first, inserted] = first_line.emplace(*id, layer.app_id_line);
    if (!inserted) {
      return diagnostics.error_at(layer.app_id_line, attribute_subject("AppIdTuple"),
                                  "app " + id->to_string() + " is defined twice in " +
                                      group.description + " (first at line " +
                                      std::to_string(first->second) + ")",
                                  config_error::kDuplicate);
    }
    auto draft = resolve_templates(layer, "", templates, diagnostics);
    if (!draft) return draft.error();
    AppDef& def = draft->def;
    def.machine = id->machine;
    def.app = id->app;
    if (trim(def.exe_full_path).empty()) {
      return diagnostics.error_at(layer.line, attribute_subject("ExeFullPath"),
                                  "missing on app " + id->to_string() + " and its templates",
                                  config_error::kMissingAttribute);
    }
    if (draft->init_condition) def.init_detectors.merge(*draft->init_condition);
    if (draft->soft_kill_close_s) {
      def.soft_kill_timeout_s = draft->soft_kill_close_s;
    } else if (draft->kill_softly) {
      def.soft_kill_timeout_s = kKillSoftlyTimeoutS;
    }
    for (const std::string& text : draft->dependencies) {
      auto dependency = parse_app_id(text, def.machine);
      if (!dependency) {
        return diagnostics.error_at(draft->dependencies_line, attribute_subject("Dependencies"),
                                    dependency.error().message, config_error::kBadAppId);
      }
      if (std::find(def.dependencies.begin(), def.dependencies.end(), *dependency) ==
          def.dependencies.end()) {
        def.dependencies.push_back(*dependency);
      }
    }
    group.apps.push_back(std::move(def));
    group.dependency_lines.push_back(draft->dependencies_line);
  }
  return ok_status();
}

Status check_dependencies(const std::vector<const AppGroup*>& groups,
                          const ConfigDiagnostics& diagnostics) {
  std::set<AppId> defined;
  for (const AppGroup* group : groups) {
    for (const AppDef& app : group->apps)
      defined.insert(app.id());
  }
  // Unknown ones first, in file order, then cycles: a cycle report names only defined apps.
  for (const AppGroup* group : groups) {
    for (std::size_t i = 0; i < group->apps.size(); ++i) {
      const AppDef& app = group->apps[i];
      for (const AppId& dependency : app.dependencies) {
        if (!defined.contains(dependency)) {
          return diagnostics.error_at(group->dependency_lines[i], attribute_subject("Dependencies"),
                                      "app " + app.id().to_string() + " depends on " +
                                          dependency.to_string() + ", which no App defines",
                                      config_error::kUnknownDependency);
        }
      }
    }
  }
  for (const AppGroup* group : groups) {
    if (auto cycle = find_dependency_cycle(group->apps)) {
      return diagnostics.error_at(
          group->dependency_lines[cycle->app_index], attribute_subject("Dependencies"),
          "dependency cycle in " + group->description + ": " + cycle->text(),
          config_error::kDependencyCycle);
    }
  }
  return ok_status();
}

}  // namespace baton::config::detail
