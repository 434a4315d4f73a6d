// What each app's processes use: CPU, resident memory, threads, open files, summed over the app's
// whole process tree. One walk of /proc per sample finds every process's parent and counters; an
// app's tree is its process and the descendants by parent links, plus the processes the node
// adopted as child subreaper whose launch marker names the app (a grandchild that called setsid()
// and outlived its parent). The marker is read once per such process, not at each sample.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
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

// A sample is taken in slices (begin, then step until it says done, then take), so that a node
// with a thousand apps does not hold its event loop for the 15 ms one sample reads /proc: each
// slice reads a bounded number of processes, and the loop serves what is ready in between.
class AppUsageSampler {
 public:
  // Processes a slice reads, as the node takes them: about a millisecond of its loop.
  static constexpr std::size_t kSliceProcesses = 64;

  AppUsageSampler();

  // Starts a sample of `apps` at `now` (the time CPU% is counted to).
  void begin(std::vector<RunningApp> apps, TimePoint now);
  // Reads up to `budget` more processes; true when the sample is complete.
  bool step(std::size_t budget);
  // The complete sample, one entry per app of begin(), in its order.
  std::vector<proto::bus::AppUsage> take();

  // begin, every step and take at once (tests, benchmarks).
  std::vector<proto::bus::AppUsage> sample(std::vector<RunningApp> apps, TimePoint now);

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
  // The sample being taken: first the walk of /proc, then each app's tree in turn.
  struct InProgress {
    std::vector<RunningApp> apps;
    TimePoint at;
    std::unique_ptr<ProcStatWalk> walk;  // null once the walk is complete
    std::unordered_map<pid_t, ProcStat> stats;
    std::unordered_multimap<pid_t, pid_t> children;
    std::vector<std::vector<pid_t>> roots;  // per app: its process and what the node adopted
    std::vector<proto::bus::AppUsage> done;
  };
  // Where each app's tree starts, once the walk is complete.
  void find_roots();
  // One app's tree summed; returns how many processes it read.
  std::size_t sum_app(std::size_t index);
  // The launch id of a process the node adopted, read once per process.
  const std::string& launch_id_of_adopted(pid_t pid, const ProcStat& stat);

  pid_t self_;
  double ticks_per_second_;
  std::uint64_t page_size_;
  std::optional<InProgress> sample_;
  std::unordered_map<std::string, Previous> previous_;
  std::unordered_map<pid_t, Adopted> adopted_;
};

// The open file descriptors of `pid` (entries of /proc/<pid>/fd); 0 when they cannot be listed.
std::uint32_t count_open_files(pid_t pid);

}  // namespace baton::node
