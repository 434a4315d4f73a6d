#include "node/process/process_start_time.hpp"

#include "node/process/proc_stat.hpp"

namespace baton {

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  const auto stat = read_proc_stat(pid);
  if (!stat) return std::nullopt;
  return stat->start_time;
}

}  // namespace baton
