#include "node/apps/process_adoption.hpp"

#include <algorithm>
#include <chrono>

#include "common/log.hpp"
#include "node/process/process_start_time.hpp"

namespace baton::node {

ProcessAdoption::ProcessAdoption(EventLoop& loop, OutputPipes& output, std::string machine,
                                 Exited exited)
    : loop_(loop), output_(output), machine_(std::move(machine)), exited_(std::move(exited)) {}

std::string ProcessAdoption::marker_prefix(const std::string& app) const {
  return machine_ + "." + app + "." + (instance_.empty() ? "" : instance_ + ".");
}

const std::vector<MarkedProcess>& ProcessAdoption::marked_processes() {
  if (!marked_) {
    marked_ = find_marked_processes(machine_ + ".");
    loop_.at_round_end([this] { marked_.reset(); });
  }
  return *marked_;
}

std::optional<MarkedProcess> ProcessAdoption::left_running(const std::string& app) {
  if (instance_.empty()) return std::nullopt;
  const std::string prefix = marker_prefix(app);
  std::optional<MarkedProcess> oldest;
  std::uint64_t oldest_start = 0;
  const auto& marked = marked_processes();
  for (const MarkedProcess& process : marked) {
    if (!process.launch_id.starts_with(prefix)) continue;
    // The launch's own process: its parent is not of the same launch.
    const bool started_by_the_launch = std::ranges::any_of(marked, [&](const MarkedProcess& p) {
      return p.pid == process.parent && p.launch_id == process.launch_id;
    });
    if (started_by_the_launch) continue;
    const std::uint64_t start = process_start_time(process.pid).value_or(0);
    if (start != 0 && (!oldest || start < oldest_start)) {
      oldest = process;
      oldest_start = start;
    }
  }
  return oldest;
}

std::optional<ProcessAdoption::Process> ProcessAdoption::take_over(const std::string& app) {
  const auto process = left_running(app);
  if (!process) return std::nullopt;
  const auto start_time = process_start_time(process->pid);
  if (!start_time || !adopt(app, process->pid)) return std::nullopt;
  output_.reopen(app, process->pid, process->launch_id);
  return Process{process->pid, process->launch_id, *start_time};
}

std::optional<ProcessAdoption::Process> ProcessAdoption::recover(const std::string& app,
                                                                 SavedApp& saved) {
  const pid_t pid = saved.pid;
  // The same pid is not enough: it may have been reused since. Only the same start time proves
  // that it is still the process this node launched.
  if (pid > 0 && saved.start_time != 0 && process_start_time(pid) == saved.start_time &&
      adopt(app, pid)) {
    // Read on where the last node stopped; a FIFO whose writers are gone is drained to EOF.
    output_.reopen(app, pid, saved.launch_id);
    spdlog::info("app {}: adopted pid {} (still running since before this node started)", app, pid);
    return Process{pid, saved.launch_id, saved.start_time};
  }
  if (auto earlier = take_over(app)) {
    // A launch the last node made but could not record: found by its marker.
    if (!saved.launch_id.empty() && saved.launch_id != earlier->launch_id) {
      output_.reopen(app, 0, saved.launch_id);  // what the launch before wrote
    }
    if (saved.pid != earlier->pid) {
      saved.started_at =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count();
    }
    saved.state = LifecycleState::running;
    saved.pid = earlier->pid;
    saved.started = true;
    saved.start_failed = false;
    saved.exit_code.reset();
    saved.last_error.clear();
    spdlog::warn("app {}: adopted pid {} by its launch marker {} (the state file did not know it)",
                 app, earlier->pid, earlier->launch_id);
    return earlier;
  }
  output_.reopen(app, pid, saved.launch_id);
  if (saved.state == LifecycleState::running || saved.state == LifecycleState::dying) {
    spdlog::warn("app {}: pid {} is gone since the last node ran", app, pid);
  }
  return std::nullopt;
}

bool ProcessAdoption::adopt(const std::string& app, pid_t pid) {
  auto pidfd = Pidfd::open(pid);
  if (!pidfd) {
    spdlog::warn("app {}: cannot watch pid {}: {}", app, pid, pidfd.error().message);
    return false;
  }
  Adopted adopted{std::move(pidfd).value(), {}};
  adopted.watch = loop_.watch_fd(adopted.pidfd.fd(), [this, app, pid] { exited_(app, pid); });
  adopted_.insert_or_assign(pid, std::move(adopted));
  return true;
}

}  // namespace baton::node
