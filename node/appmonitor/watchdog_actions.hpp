// Carries out what a registration asked for when its app stops refreshing or exits:
// KILL (SIGTERM, then SIGKILL after the grace period), RESTART (kill, then the restart command as
// the app's own user) and REBOOT (the node's reboot command, only where allowed).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "common/loop/event_loop.hpp"
#include "node/appmonitor/watchdog_table.hpp"
#include "node/process/child_reaper.hpp"
#include "node/process/pidfd.hpp"
#include "node/process/spawn.hpp"

namespace baton::node {

struct WatchdogActionsConfig {
  std::optional<int> command_nice;  // the restart and reboot commands' nice (SpawnRequest::nice)
  std::chrono::milliseconds kill_grace{3000};
  bool allow_reboot = false;
  std::string reboot_command = "/sbin/reboot";
};

class WatchdogActions {
 public:
  WatchdogActions(EventLoop& loop, ChildReaper& reaper, WatchdogActionsConfig config);
  WatchdogActions(const WatchdogActions&) = delete;
  WatchdogActions& operator=(const WatchdogActions&) = delete;

  // The app's refresh is late: act on the live process behind `process`.
  void on_timeout(const Registration& registration, Pidfd process);
  // The app exited without unregistering: act at once (there is nothing left to kill).
  void on_exit_without_unregister(const Registration& registration);

  // SIGTERM now, SIGKILL after the grace period; `then` runs once the process is gone.
  void terminate(Pidfd process, std::function<void()> then);
  // On shutdown: SIGKILL whatever is still being terminated and drop the follow-ups.
  void abandon_pending();

  const WatchdogActionsConfig& config() const { return config_; }
  // For RESTART: asked first whether the registration's process is an app the node launched and
  // relaunches from its definition itself (true); otherwise the restart command runs.
  void set_relauncher(std::function<bool(const Registration&)> relauncher) {
    relauncher_ = std::move(relauncher);
  }
  std::size_t pending_terminations() const { return pending_.size(); }

 private:
  // An app the node launched is relaunched from its definition (RESTART), not by the command.
  bool relaunched_from_definition(const Registration& r);
  struct PendingTermination {
    Pidfd process;
    Watch watch;  // of process
    Timer kill_timer;
    TimePoint started{};
    std::function<void()> then;
  };
  void finish_termination(std::uint64_t id);
  void run_restart_command(const Registration& registration);
  void run_reboot(const Registration& registration);
  void run_command(const std::string& what, SpawnRequest request);

  EventLoop& loop_;
  ChildReaper& reaper_;
  WatchdogActionsConfig config_;
  std::unordered_map<std::uint64_t, PendingTermination> pending_;
  std::uint64_t next_id_ = 1;
  std::function<bool(const Registration&)> relauncher_;
};

}  // namespace baton::node
