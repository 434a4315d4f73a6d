#include "node/apps/app_signals.hpp"

#include <signal.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "common/log.hpp"
#include "common/os/exit_status.hpp"
#include "node/process/process_tree.hpp"

namespace baton::node {

namespace {
// When a KillTree SIGKILL sweeps the tree again.
constexpr std::array kTreeSweepDelays{std::chrono::milliseconds(20),
                                      std::chrono::milliseconds(200)};
}  // namespace

void AppSignals::to_group(const std::string& app, pid_t pid, int sig) {
  ::kill(-pid, sig);
  ::kill(pid, sig);
  spdlog::info("app {}: sent {} to process group {}", app, signal_name(sig), pid);
}

void AppSignals::to_tree(const std::string& app, pid_t pid, const std::string& launch_id, int sig) {
  const std::string marker = "BATON_LAUNCH_ID=" + launch_id;
  const std::size_t others = signal_process_tree(pid, marker, sig);
  spdlog::info("app {}: sent {} to pid {} and {} other processes of its tree", app,
               signal_name(sig), pid, others);
  if (sig != SIGKILL) return;
  // By the marker only: by then the app's pid may belong to a stranger.
  std::erase_if(sweeps_, [](const Timer& sweep) { return !sweep.pending(); });
  for (const auto delay : kTreeSweepDelays) {
    sweeps_.push_back(loop_.after(delay, [app, marker] {
      if (const std::size_t late = signal_marked_processes(marker, SIGKILL); late > 0) {
        spdlog::info(
            "app {}: sent SIGKILL to {} more processes of its tree (starting up at the kill, they "
            "escaped it)",
            app, late);
      }
    }));
  }
}

}  // namespace baton::node
