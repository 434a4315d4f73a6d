#include "node/process/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include "common/os/unique_fd.hpp"
#include "node/process/proc_stat.hpp"

namespace baton {

namespace {

// Kernel threads (kthreadd, pid 2, and its children) and zombies have no environment at all.
bool may_have_environment(pid_t pid, const ProcStat& stat) {
  return pid != 2 && stat.parent != 2 && stat.state != 'Z' && stat.state != 'X';
}

bool environment_has(const std::string& environ, std::string_view entry) {
  std::size_t start = 0;
  while (start < environ.size()) {
    std::size_t end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    if (std::string_view(environ).substr(start, end - start) == entry) return true;
    start = end + 1;
  }
  return false;
}

// A process in the middle of execve shows an empty environ for a moment (the new memory map is in
// place before its environment is copied in), so an empty read is tried again a few times. Only for
// processes that may have an environment: kernel threads and zombies never do.
std::string read_environ(const std::string& base) {
  const std::string path = base + "/environ";
  if (::access(path.c_str(), R_OK) != 0) return {};  // another user's process, or gone
  std::string environ = read_proc_file(path);
  for (int retry = 0; environ.empty() && retry < 20; ++retry) {
    ::sched_yield();
    if (::access(base.c_str(), F_OK) != 0) break;  // gone
    environ = read_proc_file(path);
  }
  return environ;
}

// Calls visit(pid, "/proc/<pid>", stat) for every process but this one.
// Calls visit(pid, "/proc/<pid>", stat) for every process but this one.
template <class Visit>
void for_each_process(Visit&& visit) {
  for_each_proc_stat(
      [&](pid_t pid, const ProcStat& stat) { visit(pid, "/proc/" + std::to_string(pid), stat); });
}

}  // namespace

std::vector<pid_t> find_app_processes(pid_t root, std::string_view marker) {
  std::unordered_map<pid_t, std::vector<pid_t>> children;
  std::vector<pid_t> queue{root};  // the root, the marked processes, and then all their descendants
  const pid_t self = ::getpid();
  for_each_process([&](pid_t pid, const std::string& base, const ProcStat& stat) {
    if (stat.parent > 0) children[stat.parent].push_back(pid);
    if (pid != root && !marker.empty() && may_have_environment(pid, stat) &&
        environment_has(read_environ(base), marker)) {
      queue.push_back(pid);
    }
  });

  std::unordered_set<pid_t> seen(queue.begin(), queue.end());
  for (std::size_t i = 0; i < queue.size(); ++i) {
    auto it = children.find(queue[i]);
    if (it == children.end()) continue;
    for (pid_t child : it->second) {
      if (child != self && seen.insert(child).second) queue.push_back(child);
    }
  }
  seen.erase(root);
  return {seen.begin(), seen.end()};
}

namespace {

// The value of BATON_LAUNCH_ID in an environ block, "" without one.
std::string_view launch_id_in(std::string_view environ) {
  constexpr std::string_view kName = "BATON_LAUNCH_ID=";
  for (std::size_t start = 0; start < environ.size();) {
    std::size_t stop = environ.find('\0', start);
    if (stop == std::string_view::npos) stop = environ.size();
    const std::string_view variable = environ.substr(start, stop - start);
    if (variable.starts_with(kName)) return variable.substr(kName.size());
    start = stop + 1;
  }
  return {};
}

}  // namespace

std::vector<MarkedProcess> find_marked_processes(std::string_view prefix) {
  std::vector<MarkedProcess> found;
  for_each_process([&](pid_t pid, const std::string& base, const ProcStat& stat) {
    if (!may_have_environment(pid, stat)) return;
    const std::string environ = read_environ(base);
    const std::string_view id = launch_id_in(environ);
    if (!id.empty() && id.starts_with(prefix)) found.push_back({pid, stat.parent, std::string(id)});
  });
  return found;
}

std::string launch_id_of(pid_t pid, const ProcStat& stat) {
  if (!may_have_environment(pid, stat)) return {};
  return std::string(launch_id_in(read_environ("/proc/" + std::to_string(pid))));
}

std::size_t signal_marked_processes(std::string_view marker, int sig) {
  if (marker.empty()) return 0;
  // No process has pid 0: the scan starts from the marked processes alone.
  const auto marked = find_app_processes(0, marker);
  for (pid_t pid : marked)
    ::kill(pid, sig);
  return marked.size();
}

std::size_t signal_process_tree(pid_t root, std::string_view marker, int sig) {
  // A process forked during the first scan escapes it, so a second scan after the signals catches
  // those; the caller's SIGKILL after the grace period scans again.
  auto members = find_app_processes(root, marker);
  ::kill(root, sig);
  ::kill(-root, sig);
  for (pid_t pid : members)
    ::kill(pid, sig);
  std::unordered_set<pid_t> signalled(members.begin(), members.end());
  for (pid_t pid : find_app_processes(root, marker)) {
    if (signalled.insert(pid).second) ::kill(pid, sig);
  }
  return signalled.size();
}

}  // namespace baton
