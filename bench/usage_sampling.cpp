// bench_usage_sampling: what the node spends sampling resource usage (node/usage/) with 1,000
// running apps, as a share of one core at the default interval of 2 s. The apps are
// bench/programs/idle_app, started as the node starts them (own session). One sample walks /proc
// (every process's stat), counts each app's open files, and reads the machine's files, in slices
// of 64 processes as the node takes it (the longest slice is how long its loop is held).
//
// Baseline, in the same run: a bare loop that reads the same files with the fewest system calls
// (open, read, close; stat, or opendir and readdir) and parses nothing: the least any sampler pays
// for them.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/support/bench_report.hpp"
#include "bench/support/latency_stats.hpp"
#include "harness/child_process.hpp"
#include "node/process/spawn.hpp"
#include "node/usage/app_usage_sampler.hpp"
#include "node/usage/machine_usage_sampler.hpp"

namespace baton::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kIntervalMs = 2000;

void read_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buffer[4096];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
  ::close(fd);
}

std::size_t list_dir(const char* path) {
  DIR* dir = ::opendir(path);
  if (dir == nullptr) return 0;
  std::size_t n = 0;
  while (::readdir(dir) != nullptr)
    ++n;
  ::closedir(dir);
  return n;
}

// The same files the sampler reads, read bare.
void bare_sample(const std::vector<pid_t>& apps) {
  char path[300];
  DIR* proc = ::opendir("/proc");
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
    read_file(path);
  }
  ::closedir(proc);
  for (pid_t pid : apps) {
    std::snprintf(path, sizeof path, "/proc/%d/fd", static_cast<int>(pid));
    struct stat info {};
    // As the sampler: the directory's size where the kernel gives it (6.2 on), else its listing.
    if (::stat(path, &info) == 0 && info.st_size == 0) list_dir(path);
  }
  read_file("/proc/stat");
  read_file("/proc/meminfo");
  read_file("/proc/loadavg");
}

int run(const BenchOptions& options) {
  const std::size_t count = options.quick ? 100 : 1000;
  const int samples = options.quick ? 5 : 30;
  std::vector<node::RunningApp> apps;
  std::vector<pid_t> pids;
  struct Cleanup {
    std::vector<pid_t>& pids;
    ~Cleanup() {
      for (pid_t pid : pids)
        ::kill(pid, SIGKILL);
      for (pid_t pid : pids)
        ::waitpid(pid, nullptr, 0);
    }
  } cleanup{pids};
  const std::string idle_app = harness::binary_path("idle_app");
  for (std::size_t i = 0; i < count; ++i) {
    SpawnRequest request;
    request.argv = {idle_app};
    auto pid = spawn(request);
    if (!pid) throw std::runtime_error("cannot start idle_app: " + pid.error().message);
    pids.push_back(*pid);
    apps.push_back({"app" + std::to_string(i), *pid, ""});
  }

  node::AppUsageSampler sampler;
  node::MachineUsageSampler machine;
  std::vector<double> baton_ms, baseline_ms, slice_ms;
  auto ms_since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  for (int i = 0; i < samples; ++i) {
    // Alternated, so that both see the same machine. Baton in slices, as the node takes it.
    double total = 0;
    auto start = Clock::now();
    (void)machine.sample();
    sampler.begin(apps, Clock::now());
    total += ms_since(start);
    for (bool done = false; !done;) {
      start = Clock::now();
      done = sampler.step(node::AppUsageSampler::kSliceProcesses);
      slice_ms.push_back(ms_since(start));
      total += slice_ms.back();
    }
    const auto usage = sampler.take();
    baton_ms.push_back(total);
    if (usage.size() != count || usage.front().processes != 1) {
      throw std::runtime_error("the sampler did not find the apps");
    }
    start = Clock::now();
    bare_sample(pids);
    baseline_ms.push_back(ms_since(start));
  }

  const LatencyStats baton(std::move(baton_ms));
  const LatencyStats baseline(std::move(baseline_ms));
  Report report("usage_sampling");
  const double share = 100 * baton.quantile(0.5) / kIntervalMs;
  const double bare_share = 100 * baseline.quantile(0.5) / kIntervalMs;
  report.add({.name = std::to_string(count) + " apps, share of one core at 2 s",
              .value = share,
              .unit = "%",
              .baseline = bare_share,
              .target = "≤ 1 %",
              .limit = 1.0,
              .ratio_limit = std::nullopt,
              .better = Better::lower});
  report.add({.name = std::to_string(count) + " apps, one sample p50",
              .value = baton.quantile(0.5),
              .unit = "ms",
              .baseline = baseline.quantile(0.5),
              .target = "",
              .limit = std::nullopt,
              .ratio_limit = std::nullopt,
              .better = Better::lower});
  // How long the node's loop is held at a time: one slice.
  const LatencyStats slices(std::move(slice_ms));
  report.note("samples", samples);
  report.note("sample_p99_ms", baton.quantile(0.99));
  report.note("slices_per_sample", static_cast<double>(slices.count()) / samples);
  report.note("slice_p99_ms", slices.quantile(0.99));
  report.note("slice_max_ms", slices.max());
  report.print();
  return 0;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) {
  return baton::bench::guarded_main(
      argv[0], [&] { return baton::bench::run(baton::bench::parse_options(argc, argv)); });
}
