#include "broker/deployment.hpp"

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
  std::map<config::AppId, config::AppDef> current;
  for (const auto& [id, def] : fresh) {
    auto in_use = current_.find(id);
    auto old_default = defaults_.find(id);
    const bool unchanged = old_default != defaults_.end() && old_default->second == def;
    current.emplace(id, unchanged && in_use != current_.end() ? in_use->second : def);
  }
  defaults_ = std::move(fresh);
  current_ = std::move(current);
  return result;
}

std::vector<config::AppDef> Deployment::apps_of(const std::string& machine) const {
  std::vector<config::AppDef> out;
  for (auto it = current_.lower_bound(config::AppId{machine, ""});
       it != current_.end() && it->first.machine == machine; ++it) {
    out.push_back(it->second);
  }
  return out;
}

const config::AppDef* Deployment::find(const config::AppId& id) const {
  auto it = current_.find(id);
  return it == current_.end() ? nullptr : &it->second;
}

bool Deployment::use(const config::AppDef& def) {
  auto [it, inserted] = current_.try_emplace(def.id(), def);
  if (inserted) return true;
  if (it->second == def) return false;
  it->second = def;
  return true;
}

std::vector<std::string> Deployment::machines() const {
  std::set<std::string> names;
  for (const auto& [id, def] : current_)
    names.insert(id.machine);
  return {names.begin(), names.end()};
}

}  // namespace baton::broker
