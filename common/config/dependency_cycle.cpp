#include "common/config/dependency_cycle.hpp"

#include <map>
#include <utility>

namespace baton::config {

std::string DependencyCycle::text() const {
  std::string out;
  for (const AppId& id : path)
    out += (out.empty() ? "" : " -> ") + id.to_string();
  return out;
}

std::optional<DependencyCycle> find_dependency_cycle(const std::vector<AppDef>& apps) {
  std::map<AppId, std::size_t> index_of;
  for (std::size_t i = 0; i < apps.size(); ++i)
    index_of.emplace(apps[i].id(), i);

  // Depth-first with an explicit stack (a long chain must not overflow the call stack).
  enum class Mark { kNew, kOnPath, kDone };
  std::vector<Mark> marks(apps.size(), Mark::kNew);
  std::vector<std::pair<std::size_t, std::size_t>> path;  // (app, next dependency to follow)
  for (std::size_t start = 0; start < apps.size(); ++start) {
    if (marks[start] != Mark::kNew) continue;
    marks[start] = Mark::kOnPath;
    path.emplace_back(start, 0);
    while (!path.empty()) {
      auto& [app, next] = path.back();
      const std::vector<AppId>& deps = apps[app].dependencies;
      if (next == deps.size()) {
        marks[app] = Mark::kDone;
        path.pop_back();
        continue;
      }
      const auto found = index_of.find(deps[next++]);
      if (found == index_of.end()) continue;
      const std::size_t dep = found->second;
      if (marks[dep] == Mark::kOnPath) {
        DependencyCycle cycle{app, {}};
        bool in_cycle = false;
        for (const auto& step : path) {
          in_cycle = in_cycle || step.first == dep;
          if (in_cycle) cycle.path.push_back(apps[step.first].id());
        }
        cycle.path.push_back(apps[dep].id());
        return cycle;
      }
      if (marks[dep] == Mark::kNew) {
        marks[dep] = Mark::kOnPath;
        path.emplace_back(dep, 0);  // invalidates app/next: not used after this
      }
    }
  }
  return std::nullopt;
}

}  // namespace baton::config
