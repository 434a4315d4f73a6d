// baton-node: one event loop on zmq::poll with signalfd (SIGTERM, SIGINT, SIGCHLD) and pidfds.
#include <signal.h>

#include <iostream>

#include "common/log.hpp"
#include "common/loop/event_loop.hpp"
#include "common/os/child_reaper.hpp"
#include "common/os/signals.hpp"
#include "node/appmonitor_server.hpp"
#include "node/node_options.hpp"
#include "node/watchdog_actions.hpp"

int main(int argc, char** argv) {
  using namespace baton;
  auto parsed = node::parse_node_options(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  auto& options = std::get<node::NodeOptions>(parsed);

  // Before the ZeroMQ context starts its threads: they must inherit the blocked mask.
  block_signals({SIGTERM, SIGINT, SIGCHLD});
  ::signal(SIGPIPE, SIG_IGN);
  init_logging("node[" + options.machine + "]", spdlog::level::from_str(options.log_level));

  zmq::context_t context(1);
  EventLoop loop;
  ChildReaper reaper;
  reaper.on_unknown_child([](pid_t pid, ExitStatus status) {
    spdlog::debug("reaped pid {} (exit code {}, signal {})", pid, status.code, status.signal);
  });
  SignalFd signals({SIGTERM, SIGINT, SIGCHLD});
  loop.watch_fd(signals.fd(), [&] {
    while (auto info = signals.read()) {
      if (info->ssi_signo == SIGCHLD) {
        reaper.reap();
      } else {
        spdlog::info("received {}, shutting down", strsignal(static_cast<int>(info->ssi_signo)));
        loop.stop();
      }
    }
  });

  node::WatchdogActions actions(loop, reaper, options.actions);
  node::AppMonitorServer appmonitor(context, loop, actions, options.appmonitor);
  if (auto started = appmonitor.start(); !started) {
    std::cerr << "baton-node: " << started.error().message << "\n";
    return 2;
  }
  spdlog::info("node {} running (pid {})", options.machine, ::getpid());
  loop.run();

  appmonitor.stop();
  actions.abandon_pending();
  spdlog::info("node {} stopped", options.machine);
  return 0;
}
