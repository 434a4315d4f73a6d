// The node's application monitor endpoint (docs/protocol.md): a ROUTER socket that apps
// register with and refresh, the registration table, and the link to the watchdog actions.
#pragma once

#include <zmq.hpp>

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/loop/event_loop.hpp"
#include "common/net/peer_credentials.hpp"
#include "common/proto/appmonitor.hpp"
#include "node/appmonitor/watchdog_actions.hpp"
#include "node/appmonitor/watchdog_table.hpp"
#include "node/process/pidfd.hpp"

namespace baton::node {

// Told about registrations, so the node can link them to the apps it launched (Heartbeat init
// detector, watchdog events in the app's status).
class AppMonitorListener {
 public:
  virtual ~AppMonitorListener() = default;
  virtual void registered(const Registration& registration) = 0;
  virtual void unregistered(const Registration& registration) = 0;
  // `what` is "watchdog_timeout" (late refresh) or "exited" (exit without unregistering).
  virtual void fired(const Registration& registration, std::string_view what,
                     const std::string& details) = 0;
};

struct AppMonitorConfig {
  std::string endpoint = "ipc:///run/baton/appmonitor.sock";
  std::size_t max_registrations = 100'000;
  std::size_t max_registrations_per_process = 10'000;
  // The socket file is mode 0660: the node's user and this group may register. Empty: the node's
  // own group.
  std::string group;
};

class AppMonitorServer {
 public:
  AppMonitorServer(zmq::context_t& context, EventLoop& loop, WatchdogActions& actions,
                   AppMonitorConfig config);
  AppMonitorServer(const AppMonitorServer&) = delete;
  AppMonitorServer& operator=(const AppMonitorServer&) = delete;
  ~AppMonitorServer();

  // Binds the endpoint. Fails when another node already listens on the same ipc:// path.
  Status start();
  // Closes the socket and removes the socket file.
  void stop();

  const WatchdogTable& table() const { return table_; }
  // After a node restart: takes back the registrations of processes that still run (same pid and
  // start time), with their tokens; each gets one full timeout from now.
  void restore(const std::vector<RegistrationRecord>& saved);
  void set_listener(AppMonitorListener* listener) { listener_ = listener; }
  // The replies to register and unregister acknowledge what the listener was told: with this,
  // they wait for the end of the loop round, where `make_durable` runs first (the node writes its
  // journal there), and so do the replies after them in that round. Without it they go at once.
  void hold_acknowledgements(std::function<void()> make_durable) {
    make_durable_ = std::move(make_durable);
  }

 private:
  struct WatchedProcess {
    Pidfd pidfd;
    Watch watch;  // of pidfd
  };

  void on_readable();
  // Reads and answers up to `limit` requests; with `yield_to_deadlines`, stops early once the
  // deadline timer is due.
  void read_requests(int limit, bool yield_to_deadlines);
  void handle_frame(const zmq::message_t& identity, zmq::message_t& frame);
  void handle_register(const zmq::message_t& identity, zmq::message_t& frame,
                       const proto::appmonitor::RegisterRequest& request);
  void handle_refresh(const zmq::message_t& identity, const proto::appmonitor::RefreshRequest& r);
  void handle_refresh_many(const zmq::message_t& identity,
                           const proto::appmonitor::RefreshManyRequest& r);
  void handle_unregister(const zmq::message_t& identity,
                         const proto::appmonitor::UnregisterRequest& request);
  Expected<PeerCredentials> identify(zmq::message_t& frame,
                                     const proto::appmonitor::RegisterRequest& request);
  Status watch_process(pid_t pid);
  void release_process_if_unused(pid_t pid);
  std::optional<Pidfd> take_process(pid_t pid);
  void on_process_exit(pid_t pid);
  void arm_deadline_timer();
  void on_deadline_timer();

  template <class Reply>
  void send_reply(const zmq::message_t& identity, const Reply& reply);
  // A reply that acknowledges a change: held for the end of the round (hold_acknowledgements).
  template <class Reply>
  void acknowledge(const zmq::message_t& identity, const Reply& reply);
  void send_held_acknowledgements();
  void send_error(const zmq::message_t& identity, const Error& error);

  zmq::context_t& context_;
  EventLoop& loop_;
  WatchdogActions& actions_;
  AppMonitorConfig config_;
  std::optional<zmq::socket_t> socket_;
  Watch socket_watch_;
  std::string socket_path_;  // for ipc:// endpoints
  bool ipc_ = false;

  WatchdogTable table_;
  std::unordered_map<pid_t, WatchedProcess> processes_;
  Timer deadline_timer_;
  std::optional<TimePoint> armed_for_;
  // When a read last found no request waiting; and whether deadlines wait for the queue to be read
  // to its end (on_deadline_timer).
  TimePoint drained_at_{};
  bool reading_backlog_ = false;
  msgpack::sbuffer reply_buffer_;
  AppMonitorListener* listener_ = nullptr;
  std::function<void()> make_durable_;
  std::vector<std::pair<std::string, std::string>> held_;  // identity, packed reply
};

}  // namespace baton::node
