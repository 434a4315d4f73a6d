#include "common/config/shared_config.hpp"

#include <algorithm>
#include <set>

namespace baton::config {

std::string ConfigWarning::text() const {
  return file + ":" + std::to_string(line) + ": " + subject + ": " + detail;
}

const AppDef* PlanDef::find_app(const AppId& id) const {
  auto found =
      std::find_if(apps.begin(), apps.end(), [&](const AppDef& a) { return a.id() == id; });
  return found == apps.end() ? nullptr : &*found;
}

const PlanDef* SharedConfig::find_plan(std::string_view name) const {
  auto found =
      std::find_if(plans.begin(), plans.end(), [&](const PlanDef& p) { return p.name == name; });
  return found == plans.end() ? nullptr : &*found;
}

const AppDef* SharedConfig::find_standalone_app(const AppId& id) const {
  auto found =
      std::find_if(apps.begin(), apps.end(), [&](const AppDef& a) { return a.id() == id; });
  return found == apps.end() ? nullptr : &*found;
}

std::vector<AppId> SharedConfig::app_ids() const {
  std::set<AppId> ids;
  for (const PlanDef& plan : plans) {
    for (const AppDef& app : plan.apps)
      ids.insert(app.id());
  }
  for (const AppDef& app : apps)
    ids.insert(app.id());
  return {ids.begin(), ids.end()};
}

}  // namespace baton::config
