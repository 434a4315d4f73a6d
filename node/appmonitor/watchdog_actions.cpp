#include "node/appmonitor/watchdog_actions.hpp"

#include <signal.h>
#include <unistd.h>

#include "common/log.hpp"

namespace baton::node {

namespace {
long long elapsed_ms(TimePoint since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - since).count();
}
}  // namespace

WatchdogActions::WatchdogActions(EventLoop& loop, ChildReaper& reaper, WatchdogActionsConfig config)
    : loop_(loop), reaper_(reaper), config_(std::move(config)) {}

bool WatchdogActions::relaunched_from_definition(const Registration& r) {
  if (!relauncher_ || !relauncher_(r)) return false;
  spdlog::info("watchdog action restart: pid {} is relaunched from its app definition", r.pid);
  return true;
}

void WatchdogActions::on_timeout(const Registration& r, Pidfd process) {
  switch (r.action) {
    case Action::kill:
      terminate(std::move(process), nullptr);
      break;
    case Action::restart:
      if (relaunched_from_definition(r)) break;
      terminate(std::move(process), [this, r] { run_restart_command(r); });
      break;
    case Action::reboot:
      run_reboot(r);
      break;
  }
}

void WatchdogActions::on_exit_without_unregister(const Registration& r) {
  switch (r.action) {
    case Action::kill:
      spdlog::info("watchdog action kill: pid {} already exited, nothing to kill", r.pid);
      break;
    case Action::restart:
      if (relaunched_from_definition(r)) break;
      run_restart_command(r);
      break;
    case Action::reboot:
      run_reboot(r);
      break;
  }
}

void WatchdogActions::terminate(Pidfd process, std::function<void()> then) {
  const pid_t pid = process.pid();
  if (!process.send_signal(SIGTERM)) {
    spdlog::info("pid {} is already gone, no signal sent", pid);
    if (then) then();
    return;
  }
  spdlog::info("sent SIGTERM to pid {}, SIGKILL in {} ms if it is still running", pid,
               config_.kill_grace.count());
  const std::uint64_t id = next_id_++;
  PendingTermination pending{std::move(process), {}, {}, SteadyClock::now(), std::move(then)};
  pending.watch = loop_.watch_fd(pending.process.fd(), [this, id] { finish_termination(id); });
  pending.kill_timer = loop_.after(config_.kill_grace, [this, id] {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    if (it->second.process.send_signal(SIGKILL)) {
      spdlog::warn("pid {} ignored SIGTERM for {} ms: sent SIGKILL", it->second.process.pid(),
                   config_.kill_grace.count());
    }
  });
  pending_.emplace(id, std::move(pending));
}

void WatchdogActions::finish_termination(std::uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  const pid_t pid = it->second.process.pid();
  const TimePoint started = it->second.started;
  std::function<void()> then = std::move(it->second.then);
  pending_.erase(it);  // ends its watch (whose handler this is) and its SIGKILL timer
  spdlog::info("pid {} is gone {} ms after SIGTERM", pid, elapsed_ms(started));
  if (then) then();
}

void WatchdogActions::abandon_pending() {
  for (auto& [id, pending] : pending_) {
    if (pending.process.send_signal(SIGKILL)) {
      spdlog::warn("shutting down: sent SIGKILL to pid {} instead of waiting for the grace period",
                   pending.process.pid());
    }
    if (pending.then) {
      spdlog::warn("shutting down: the follow-up action for pid {} will not run",
                   pending.process.pid());
    }
  }
  pending_.clear();
}

void WatchdogActions::run_restart_command(const Registration& r) {
  SpawnRequest request;
  request.argv = shell_argv(r.restart_command);
  request.env = current_environment();
  request.env->push_back("BATON_WATCHDOG_PID=" + std::to_string(r.pid));
  if (!r.app.empty()) request.env->push_back("BATON_WATCHDOG_APP=" + r.app);
  request.cwd = r.cwd;
  // The command runs as the app that registered it, never with the node's privileges.
  if (r.uid != ::geteuid()) request.uid = r.uid;
  if (r.gid != ::getegid()) request.gid = r.gid;
  run_command("restart command of pid " + std::to_string(r.pid), request);
}

void WatchdogActions::run_reboot(const Registration& r) {
  if (!config_.allow_reboot) {
    // Registration refuses reboot where it is not allowed; this guards a broken invariant.
    spdlog::error("reboot requested by pid {} but this node does not allow reboot", r.pid);
    return;
  }
  spdlog::warn("watchdog action reboot for pid {}: running '{}'", r.pid, config_.reboot_command);
  SpawnRequest request;
  request.argv = shell_argv(config_.reboot_command);
  run_command("reboot command", request);
}

void WatchdogActions::run_command(const std::string& what, SpawnRequest request) {
  request.nice = config_.command_nice;
  auto pid = spawn(request);
  if (!pid) {
    spdlog::error("cannot run {}: {}", what, pid.error().message);
    return;
  }
  spdlog::info("started {} as pid {}: {}", what, *pid, request.argv.back());
  reaper_.watch(*pid, [what](pid_t child, ExitStatus status) {
    if (status.exited_normally()) {
      spdlog::info("{} (pid {}) exited with code {}", what, child, status.code);
    } else {
      spdlog::warn("{} (pid {}) was killed by signal {}", what, child, status.signal);
    }
  });
}

}  // namespace baton::node
