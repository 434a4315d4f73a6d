#include "broker/fleet/deployment.hpp"

#include <set>

namespace baton::broker {

std::map<config::AppId, config::AppDef> Deployment::defaults_of(
    const config::SharedConfig& config) {
  std::map<config::AppId, config::AppDef> out;
  for (const auto& app : config.apps)
    out.emplace(app.id(), app);
  for (const auto& plan : config.plans) {
    for (const auto& app : plan.apps)
      out.emplace(app.id(), app);  // kept only when no standalone or earlier plan defined it
  }
  return out;
}

proto::control::ReloadResult Deployment::load(const config::SharedConfig& config) {
  proto::control::ReloadResult result;
  auto fresh = defaults_of(config);
  for (const auto& [id, def] : fresh) {
    auto old = defaults_.find(id);
    if (old == defaults_.end()) {
      result.added.push_back(id.to_string());
    } else if (!(old->second == def)) {
      result.changed.push_back(id.to_string());
    }
  }
  for (const auto& [id, def] : defaults_) {
    if (!fresh.contains(id)) result.removed.push_back(id.to_string());
  }
  for (const auto& warning : config.warnings)
    result.warnings.push_back(warning.text());

  // An app whose plan-specific definition is in use keeps it when its own config did not change
  // (its plan may still be running); everything else takes the new default.
  std::map<config::AppId, config::AppDef> overrides;
  for (auto& [id, def] : overrides_) {
    auto old_default = defaults_.find(id);
    auto new_default = fresh.find(id);
    if (old_default != defaults_.end() && new_default != fresh.end() &&
        old_default->second == new_default->second) {
      overrides.emplace(id, std::move(def));
    }
  }
  defaults_ = std::move(fresh);
  overrides_ = std::move(overrides);
  return result;
}

std::vector<config::AppDef> Deployment::apps_of(const std::string& machine) const {
  std::vector<config::AppDef> out;
  const config::AppId first{machine, ""};
  auto by_default = defaults_.lower_bound(first);
  auto overridden = overrides_.lower_bound(first);
  auto on_machine = [&machine](const auto& it, const auto& map) {
    return it != map.end() && it->first.machine == machine;
  };
  // Both sorted by id: the defaults of the machine, each replaced by its override if it has one.
  while (on_machine(by_default, defaults_) || on_machine(overridden, overrides_)) {
    if (!on_machine(overridden, overrides_) ||
        (on_machine(by_default, defaults_) && by_default->first < overridden->first)) {
      out.push_back((by_default++)->second);
      continue;
    }
    if (on_machine(by_default, defaults_) && by_default->first == overridden->first) ++by_default;
    out.push_back((overridden++)->second);
  }
  return out;
}

const config::AppDef* Deployment::find(const config::AppId& id) const {
  if (auto it = overrides_.find(id); it != overrides_.end()) return &it->second;
  auto it = defaults_.find(id);
  return it == defaults_.end() ? nullptr : &it->second;
}

bool Deployment::use(const config::AppDef& def) {
  const config::AppDef* current = find(def.id());
  if (current != nullptr && *current == def) return false;
  auto by_default = defaults_.find(def.id());
  if (by_default != defaults_.end() && by_default->second == def) {
    overrides_.erase(def.id());
  } else {
    overrides_.insert_or_assign(def.id(), def);
  }
  return true;
}

std::vector<std::string> Deployment::machines() const {
  std::set<std::string> names;
  for (const auto& [id, def] : defaults_)
    names.insert(id.machine);
  for (const auto& [id, def] : overrides_)
    names.insert(id.machine);
  return {names.begin(), names.end()};
}

}  // namespace baton::broker
