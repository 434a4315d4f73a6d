// What a process costs, read from /proc: resident memory and CPU time.
#pragma once

#include <sys/types.h>

#include <optional>

namespace baton::bench {

// VmRSS in MiB; nullopt when the process is gone.
std::optional<double> resident_mib(pid_t pid);
// User + system CPU time in seconds, of every thread of the process.
std::optional<double> cpu_seconds(pid_t pid);

}  // namespace baton::bench
