#include "node/usage/app_usage_sampler.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>
#include <unordered_set>

#include "node/process/process_tree.hpp"

namespace baton::node {

std::uint32_t count_open_files(pid_t pid) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/fd", static_cast<int>(pid));
  // Since Linux 6.2 the directory's size is the number of open descriptors: one stat() instead of
  // listing it, three times cheaper. An older kernel says 0, and the directory is listed.
  struct stat info {};
  if (::stat(path, &info) != 0) return 0;
  if (info.st_size > 0) return static_cast<std::uint32_t>(info.st_size);
  DIR* dir = ::opendir(path);
  if (dir == nullptr) return 0;
  std::uint32_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  // The directory stream's own descriptor is listed when we list our own process.
  return pid == ::getpid() && count > 0 ? count - 1 : count;
}

AppUsageSampler::AppUsageSampler()
    : self_(::getpid()),
      ticks_per_second_(static_cast<double>(::sysconf(_SC_CLK_TCK))),
      page_size_(static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE))) {}

const std::string& AppUsageSampler::launch_id_of_adopted(pid_t pid, const ProcStat& stat) {
  auto [it, inserted] = adopted_.try_emplace(pid);
  if (inserted || it->second.start_time != stat.start_time) {
    it->second = Adopted{stat.start_time, launch_id_of(pid, stat)};
  }
  return it->second.launch_id;
}

std::vector<proto::bus::AppUsage> AppUsageSampler::sample(const std::vector<RunningApp>& apps,
                                                          TimePoint now) {
  std::unordered_map<pid_t, ProcStat> stats;
  std::unordered_multimap<pid_t, pid_t> children;
  for_each_proc_stat([&](pid_t pid, const ProcStat& stat) {
    stats.emplace(pid, stat);
    children.emplace(stat.parent, pid);
  });

  // Where each app's tree starts: its own process, and what the node adopted from it.
  std::vector<std::vector<pid_t>> roots(apps.size());
  std::unordered_map<pid_t, std::size_t> app_of_pid;
  std::unordered_map<std::string_view, std::size_t> app_of_launch;
  for (std::size_t i = 0; i < apps.size(); ++i) {
    roots[i].push_back(apps[i].pid);
    app_of_pid.emplace(apps[i].pid, i);
    if (!apps[i].launch_id.empty()) app_of_launch.emplace(apps[i].launch_id, i);
  }
  std::unordered_set<pid_t> adopted_now;
  auto [first, last] = children.equal_range(self_);
  for (auto it = first; it != last; ++it) {
    const pid_t pid = it->second;
    if (app_of_pid.contains(pid)) continue;
    adopted_now.insert(pid);
    const std::string& launch = launch_id_of_adopted(pid, stats.at(pid));
    if (auto app = app_of_launch.find(launch); !launch.empty() && app != app_of_launch.end()) {
      roots[app->second].push_back(pid);
    }
  }
  std::erase_if(adopted_, [&](const auto& entry) { return !adopted_now.contains(entry.first); });

  std::vector<proto::bus::AppUsage> out;
  out.reserve(apps.size());
  std::unordered_set<std::string_view> sampled;
  for (std::size_t i = 0; i < apps.size(); ++i) {
    proto::bus::AppUsage usage;
    usage.app = apps[i].app;
    std::uint64_t ticks = 0;
    std::vector<pid_t> queue;
    for (pid_t root : roots[i]) {
      if (stats.contains(root)) queue.push_back(root);
    }
    std::unordered_set<pid_t> seen(queue.begin(), queue.end());
    for (std::size_t at = 0; at < queue.size(); ++at) {
      const pid_t pid = queue[at];
      const ProcStat& stat = stats.at(pid);
      // Zombies hold no memory and no files; their CPU time still counts until they are reaped.
      ticks += stat.user_ticks + stat.system_ticks + stat.children_user_ticks +
               stat.children_system_ticks;
      ++usage.processes;
      usage.threads += stat.threads;
      usage.rss_bytes += stat.rss_pages * page_size_;
      if (stat.state != 'Z') usage.open_files += count_open_files(pid);
      auto [child, end] = children.equal_range(pid);
      for (; child != end; ++child) {
        if (seen.insert(child->second).second) queue.push_back(child->second);
      }
    }
    usage.cpu_seconds = static_cast<double>(ticks) / ticks_per_second_;
    Previous& previous = previous_[usage.app];
    if (previous.pid == apps[i].pid && now > previous.at && ticks >= previous.ticks) {
      const double seconds = std::chrono::duration<double>(now - previous.at).count();
      usage.cpu_percent =
          100.0 * static_cast<double>(ticks - previous.ticks) / ticks_per_second_ / seconds;
    }
    previous = Previous{apps[i].pid, ticks, now};
    sampled.insert(apps[i].app);
    out.push_back(std::move(usage));
  }
  std::erase_if(previous_, [&](const auto& entry) { return !sampled.contains(entry.first); });
  return out;
}

}  // namespace baton::node
