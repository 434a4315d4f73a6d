// What each app's processes use: CPU, resident memory, threads, open files, summed over the app's
// whole process tree. One walk of /proc per sample finds every process's parent and counters; an
// app's tree is its process and the descendants by parent links, plus the processes the node
// adopted as child subreaper whose launch marker names the app (a grandchild that called setsid()
// and outlived its parent). The marker is read once per such process, not at each sample.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/loop/timer_queue.hpp"
#include "common/proto/bus.hpp"
#include "node/process/proc_stat.hpp"

namespace baton::node {

// A running app: its id, the pid of its process and the BATON_LAUNCH_ID of this run.
struct RunningApp {
  std::string app;
  pid_t pid = 0;
  std::string launch_id;
};

class AppUsageSampler {
 public:
  AppUsageSampler();

  std::vector<proto::bus::AppUsage> sample(const std::vector<RunningApp>& apps, TimePoint now);

 private:
  struct Previous {
    pid_t pid = 0;  // a new run of the app starts its CPU% over
    std::uint64_t ticks = 0;
    TimePoint at;
  };
  struct Adopted {
    std::uint64_t start_time = 0;  // the pid's process, not a later one with the same pid
    std::string launch_id;         // "" when it has none
  };
  // The launch id of a process the node adopted, read once per process.
  const std::string& launch_id_of_adopted(pid_t pid, const ProcStat& stat);

  pid_t self_;
  double ticks_per_second_;
  std::uint64_t page_size_;
  std::unordered_map<std::string, Previous> previous_;
  std::unordered_map<pid_t, Adopted> adopted_;
};

// The open file descriptors of `pid` (entries of /proc/<pid>/fd); 0 when they cannot be listed.
std::uint32_t count_open_files(pid_t pid);

}  // namespace baton::node
