// When a process started, in clock ticks since boot (/proc/<pid>/stat, field 22). A pid is reused
// once its process is gone; the pair (pid, start time) names one process for the life of the
// machine, so a pid written down before a restart is only trusted while its start time matches.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace baton {

// Nothing when the process does not exist (or /proc cannot be read).
std::optional<std::uint64_t> process_start_time(pid_t pid);

}  // namespace baton
