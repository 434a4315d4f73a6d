// SharedConfig.xml for a large simulated fleet: `machines` machines m0, m1, ... with
// `apps_per_machine` apps a0, a1, ... each, all from one template (nothing is ever run: the nodes
// are simulated).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace baton::bench {

struct FleetConfig {
  std::size_t machines = 0;
  std::size_t apps_per_machine = 0;
  // When not empty: a plan of this name holding app a0 of every machine (defined in the plan
  // only, so that a plan launch uses the definition the machine was deployed with).
  std::string plan;
};

std::string machine_name(std::size_t machine);
std::string app_name(std::size_t app);
std::vector<std::string> machine_names(std::size_t machines);

// Writes the file to `path`; throws std::runtime_error when it cannot.
void write_fleet_config(const std::string& path, const FleetConfig& config);

}  // namespace baton::bench
