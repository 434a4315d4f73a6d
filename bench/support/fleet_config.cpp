#include "bench/support/fleet_config.hpp"

#include <fstream>
#include <stdexcept>

namespace baton::bench {

std::string machine_name(std::size_t machine) {
  return "m" + std::to_string(machine);
}

std::string app_name(std::size_t app) {
  return "a" + std::to_string(app);
}

std::vector<std::string> machine_names(std::size_t machines) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < machines; ++i)
    out.push_back(machine_name(i));
  return out;
}

void write_fleet_config(const std::string& path, const FleetConfig& config) {
  std::ofstream out(path);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Shared>\n"
      << "  <AppTemplate Name=\"simulated\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"3600\"/>\n";
  const std::size_t first_standalone = config.plan.empty() ? 0 : 1;
  for (std::size_t m = 0; m < config.machines; ++m) {
    for (std::size_t a = first_standalone; a < config.apps_per_machine; ++a) {
      out << "  <App AppIdTuple=\"" << machine_name(m) << "." << app_name(a)
          << "\" Template=\"simulated\"/>\n";
    }
  }
  if (!config.plan.empty()) {
    out << "  <Plan Name=\"" << config.plan << "\">\n";
    for (std::size_t m = 0; m < config.machines; ++m) {
      out << "    <App AppIdTuple=\"" << machine_name(m) << "." << app_name(0)
          << "\" Template=\"simulated\"/>\n";
    }
    out << "  </Plan>\n";
  }
  out << "</Shared>\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace baton::bench
