#include "node/usage/app_usage_sampler.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
  return count;
}

AppUsageSampler::AppUsageSampler()
    : self_(::getpid()),
      ticks_per_second_(static_cast<double>(::sysconf(_SC_CLK_TCK))),
      page_size_(static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE))) {}

void AppUsageSampler::begin(std::vector<RunningApp> apps, TimePoint now) {
  sample_.emplace();
  sample_->apps = std::move(apps);
  sample_->at = now;
  sample_->walk = std::make_unique<ProcStatWalk>();
}

bool AppUsageSampler::step(std::size_t budget) {
  InProgress& s = *sample_;
  if (s.walk) {
    const bool more = s.walk->visit_some(budget, [&](pid_t pid, const ProcStat& stat) {
      s.stats.emplace(pid, stat);
      s.children.emplace(stat.parent, pid);
    });
    if (more) return false;
    s.walk.reset();
    find_roots();
    return s.apps.empty();
  }
  for (std::size_t read = 0; read < budget && s.done.size() < s.apps.size();)
    read += sum_app(s.done.size());
  return s.done.size() == s.apps.size();
}

std::vector<proto::bus::AppUsage> AppUsageSampler::take() {
  std::vector<proto::bus::AppUsage> done = std::move(sample_->done);
  std::erase_if(previous_, [&](const auto& entry) {
    return std::none_of(sample_->apps.begin(), sample_->apps.end(),
                        [&](const RunningApp& app) { return app.app == entry.first; });
  });
  sample_.reset();
  return done;
}

std::vector<proto::bus::AppUsage> AppUsageSampler::sample(std::vector<RunningApp> apps,
                                                          TimePoint now) {
  begin(std::move(apps), now);
  while (!step(1024)) {
  }
  return take();
}

const std::string& AppUsageSampler::launch_id_of_adopted(pid_t pid, const ProcStat& stat) {
  auto [it, inserted] = adopted_.try_emplace(pid);
  if (inserted || it->second.start_time != stat.start_time) {
    it->second = Adopted{stat.start_time, launch_id_of(pid, stat)};
  }
  return it->second.launch_id;
}

void AppUsageSampler::find_roots() {
  InProgress& s = *sample_;
  s.roots.assign(s.apps.size(), {});
  std::unordered_map<pid_t, std::size_t> app_of_pid;
  std::unordered_map<std::string_view, std::size_t> app_of_launch;
  for (std::size_t i = 0; i < s.apps.size(); ++i) {
    s.roots[i].push_back(s.apps[i].pid);
    app_of_pid.emplace(s.apps[i].pid, i);
    if (!s.apps[i].launch_id.empty()) app_of_launch.emplace(s.apps[i].launch_id, i);
  }
  // The node's children that are no app's own process: orphans it adopted as child subreaper.
  std::unordered_set<pid_t> adopted_now;
  auto [first, last] = s.children.equal_range(self_);
  for (auto it = first; it != last; ++it) {
    const pid_t pid = it->second;
    if (app_of_pid.contains(pid)) continue;
    adopted_now.insert(pid);
    const std::string& launch = launch_id_of_adopted(pid, s.stats.at(pid));
    if (auto app = app_of_launch.find(launch); !launch.empty() && app != app_of_launch.end()) {
      s.roots[app->second].push_back(pid);
    }
  }
  std::erase_if(adopted_, [&](const auto& entry) { return !adopted_now.contains(entry.first); });
}

std::size_t AppUsageSampler::sum_app(std::size_t index) {
  InProgress& s = *sample_;
  const RunningApp& app = s.apps[index];
  proto::bus::AppUsage usage;
  usage.app = app.app;
  std::uint64_t ticks = 0;
  std::vector<pid_t> queue;
  for (pid_t root : s.roots[index]) {
    if (s.stats.contains(root)) queue.push_back(root);
  }
  std::unordered_set<pid_t> seen(queue.begin(), queue.end());
  for (std::size_t at = 0; at < queue.size(); ++at) {
    const pid_t pid = queue[at];
    const ProcStat& stat = s.stats.at(pid);
    // Zombies hold no memory and no files; their CPU time still counts until they are reaped.
    ticks +=
        stat.user_ticks + stat.system_ticks + stat.children_user_ticks + stat.children_system_ticks;
    ++usage.processes;
    usage.threads += stat.threads;
    usage.rss_bytes += stat.rss_pages * page_size_;
    if (stat.state != 'Z') usage.open_files += count_open_files(pid);
    auto [child, end] = s.children.equal_range(pid);
    for (; child != end; ++child) {
      if (seen.insert(child->second).second) queue.push_back(child->second);
    }
  }
  usage.cpu_seconds = static_cast<double>(ticks) / ticks_per_second_;
  Previous& previous = previous_[usage.app];
  if (previous.pid == app.pid && s.at > previous.at && ticks >= previous.ticks) {
    const double seconds = std::chrono::duration<double>(s.at - previous.at).count();
    usage.cpu_percent =
        100.0 * static_cast<double>(ticks - previous.ticks) / ticks_per_second_ / seconds;
  }
  previous = Previous{app.pid, ticks, s.at};
  s.done.push_back(std::move(usage));
  return std::max<std::size_t>(queue.size(), 1);
}

}  // namespace baton::node
