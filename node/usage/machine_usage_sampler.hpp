// What the whole machine uses: CPU over the interval (all cores together, as top's header),
// memory, load averages, and the addresses others may know it by.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/proto/bus.hpp"

namespace baton::node {

// The first line of /proc/stat, all cores together, in clock ticks.
struct CpuTicks {
  std::uint64_t busy = 0;
  std::uint64_t total = 0;  // busy, idle and iowait
};

class MachineUsageSampler {
 public:
  proto::bus::MachineUsage sample();

 private:
  std::optional<CpuTicks> previous_;
};

// Parsers of the /proc files read, for tests. Each returns nullopt when the text is not one.
std::optional<CpuTicks> parse_cpu_ticks(std::string_view proc_stat);
// MemTotal and MemAvailable, in bytes.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_meminfo(std::string_view meminfo);

}  // namespace baton::node
