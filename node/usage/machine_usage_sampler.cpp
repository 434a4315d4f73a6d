#include "node/usage/machine_usage_sampler.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "node/process/proc_stat.hpp"

namespace baton::node {

namespace {

// Reads the unsigned numbers of `text` separated by blanks, as many as `out` holds.
std::size_t read_numbers(std::string_view text, std::uint64_t* out, std::size_t max) {
  std::size_t count = 0;
  const char* at = text.data();
  const char* end = text.data() + text.size();
  while (count < max) {
    while (at < end && *at == ' ')
      ++at;
    auto [next, ec] = std::from_chars(at, end, out[count]);
    if (ec != std::errc()) break;
    ++count;
    at = next;
  }
  return count;
}

std::vector<std::string> interface_addresses() {
  std::vector<std::string> v4, v6, loopback;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || (a->ifa_flags & IFF_UP) == 0) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const int family = a->ifa_addr->sa_family;
    if (family == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, text,
                  sizeof text);
    } else if (family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;  // unusable without its interface
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    auto& into = (a->ifa_flags & IFF_LOOPBACK) != 0 ? loopback : family == AF_INET ? v4 : v6;
    if (std::find(into.begin(), into.end(), text) == into.end()) into.emplace_back(text);
  }
  ::freeifaddrs(list);
  v4.insert(v4.end(), v6.begin(), v6.end());
  v4.insert(v4.end(), loopback.begin(), loopback.end());
  return v4;
}

}  // namespace

std::optional<CpuTicks> parse_cpu_ticks(std::string_view proc_stat) {
  if (!proc_stat.starts_with("cpu ")) return std::nullopt;
  // user nice system idle iowait irq softirq steal (guest time is in user already)
  std::uint64_t t[8] = {};
  const std::string_view line = proc_stat.substr(4, proc_stat.find('\n') - 4);
  if (read_numbers(line, t, 8) < 4) return std::nullopt;
  const std::uint64_t idle = t[3] + t[4];
  const std::uint64_t busy = t[0] + t[1] + t[2] + t[5] + t[6] + t[7];
  return CpuTicks{busy, busy + idle};
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_meminfo(std::string_view meminfo) {
  auto kib_of = [&](std::string_view name) -> std::optional<std::uint64_t> {
    const std::size_t at = meminfo.find(name);
    if (at == std::string_view::npos || (at > 0 && meminfo[at - 1] != '\n')) return std::nullopt;
    std::uint64_t value = 0;
    if (read_numbers(meminfo.substr(at + name.size()), &value, 1) != 1) return std::nullopt;
    return value * 1024;
  };
  const auto total = kib_of("MemTotal:");
  const auto available = kib_of("MemAvailable:");
  if (!total || !available) return std::nullopt;
  return std::pair{*total, *available};
}

proto::bus::MachineUsage MachineUsageSampler::sample() {
  proto::bus::MachineUsage out;
  out.cpus = static_cast<std::uint32_t>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  if (const auto ticks = parse_cpu_ticks(read_proc_file("/proc/stat"))) {
    if (previous_ && ticks->total > previous_->total && ticks->busy >= previous_->busy) {
      out.cpu_percent = 100.0 * static_cast<double>(ticks->busy - previous_->busy) /
                        static_cast<double>(ticks->total - previous_->total);
    }
    previous_ = ticks;
  }
  if (const auto memory = parse_meminfo(read_proc_file("/proc/meminfo"))) {
    out.memory_total_bytes = memory->first;
    out.memory_available_bytes = memory->second;
  }
  const std::string loadavg = read_proc_file("/proc/loadavg");
  std::sscanf(loadavg.c_str(), "%lf %lf %lf", &out.load1, &out.load5, &out.load15);
  out.addresses = interface_addresses();
  return out;
}

}  // namespace baton::node
