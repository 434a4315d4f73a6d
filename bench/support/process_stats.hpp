// What a process costs, read from /proc: resident memory and CPU time.
#pragma once

#include <sys/types.h>

#include <optional>

namespace baton::bench {

// VmRSS in MiB; nullopt when the process is gone.
std::optional<double> resident_mib(pid_t pid);
// User + system CPU time in seconds, of every thread of the process.
std::optional<double> cpu_seconds(pid_t pid);
// The same from the scheduler's nanosecond accounting (/proc/PID/task/*/schedstat) instead of
// clock ticks (10 ms): for the few milliseconds an idle daemon spends in seconds. Counts the
// threads alive now only.
std::optional<double> precise_cpu_seconds(pid_t pid);

}  // namespace baton::bench
