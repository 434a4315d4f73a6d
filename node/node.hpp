// baton-node as a whole: one event loop on zmq::poll carrying the signalfd (SIGTERM, SIGINT,
// SIGCHLD), the application monitor, the app supervisor, the link to the broker and the presence
// timer. Nothing here blocks.
#pragma once

#include <zmq.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/loop/event_loop.hpp"
#include "common/os/signals.hpp"
#include "node/appmonitor/appmonitor_server.hpp"
#include "node/appmonitor/watchdog_actions.hpp"
#include "node/apps/app_supervisor.hpp"
#include "node/apps/command_handler.hpp"
#include "node/broker_link.hpp"
#include "node/node_options.hpp"
#include "node/process/child_reaper.hpp"
#include "node/state/journal.hpp"
#include "node/state/packed_registrations.hpp"
#include "node/state/state_saver.hpp"
#include "node/usage/usage_reporter.hpp"

namespace baton::node {

class Node final : private AppMonitorListener {
 public:
  explicit Node(NodeOptions options);
  // Runs until SIGTERM/SIGINT, then stops the apps and returns the exit code (0; 2 when the
  // endpoint cannot be used). signals must be blocked before (block_signals), before any thread.
  int run();

  // For `baton up`, which runs the broker on the node's loop and context: one process, one loop.
  EventLoop& loop() { return loop_; }
  zmq::context_t& context() { return context_; }

 private:
  void on_signal();
  void begin_shutdown();
  // Publishes the NodeState every kPresenceInterval, until the shutdown.
  void schedule_presence();
  // Publications wait for the end of the loop round (flush_publications): sending one wakes the
  // ZeroMQ I/O thread, which then competes for the CPU with what the round still has to do, such
  // as relaunching a crashed app (on two cores it preempted the relaunch two or three times).
  void publish(const std::string& topic, const std::string& payload);
  void flush_publications();
  void publish_node_state();
  // The state file (node_state_file.hpp): restored once at start, then saved after changes
  // (state_saver_) and at shutdown.
  Status restore_state();
  // The state file's contents (node_state_file.hpp), into `out`.
  void pack_state(std::string& out);
  void schedule_save();
  // A change the state file holds: into the journal, written at the end of the round before
  // anything that acknowledges it goes out (write_journal), and into the next snapshot.
  void record(const JournalEntry& entry);
  void write_journal();

  // AppMonitorListener
  void registered(const Registration& r) override;
  void unregistered(const Registration& r) override;
  void fired(const Registration& r, std::string_view what, const std::string& details) override;

  NodeOptions options_;
  zmq::context_t context_{1};
  EventLoop loop_;
  ChildReaper reaper_;
  SignalFd signals_;
  WatchdogActions actions_;
  AppMonitorServer appmonitor_;
  AppSupervisor supervisor_;
  CommandHandler commands_;
  std::optional<BrokerLink> broker_;
  std::optional<UsageReporter> usage_;  // none: no broker, or --usage-interval 0
  std::vector<std::pair<std::string, std::string>> pending_publications_;  // topic, payload
  TimePoint started_;
  bool shutting_down_ = false;
  UniqueFd state_lock_;
  std::optional<Journal> journal_;  // none: no --state-dir
  std::uint64_t segment_in_snapshot_ =
      0;  // the last journal segment the snapshot being written covers
  std::optional<StateSaver> state_saver_;  // none: no --state-dir
  PackedRegistrations registrations_;
  std::vector<std::string_view> packed_registrations_;  // pack_state's, kept for its capacity
  // Last: their handlers use everything above.
  Watch signal_watch_;
  Timer presence_timer_;
  Timer shutdown_timer_;
};

}  // namespace baton::node
