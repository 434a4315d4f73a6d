// The one event loop of a daemon: zmq::poll over ZeroMQ sockets and plain fds (signalfd, pidfd),
// woken for the next timer by a timerfd armed at its deadline: poll's own timeout counts whole
// milliseconds, and a watchdog that fires up to a millisecond late for nothing is a worse watchdog.
// The plain fds sit in one epoll set that zmq::poll watches as a single fd: a node watches a pidfd
// per process and a pipe per app, and polling each of a thousand fds every round cost about a
// millisecond a round, round after round.
// Single-threaded; handlers must not block.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/loop/timer_queue.hpp"
#include "common/os/unique_fd.hpp"

namespace baton {

class EventLoop {
 public:
  using Handler = std::function<void()>;
  using WatchId = std::uint64_t;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // `on_readable` runs whenever the socket has a message (level-triggered). The socket must
  // outlive the watch.
  WatchId watch_socket(zmq::socket_t& socket, Handler on_readable);
  // `on_readable` runs whenever the fd polls readable. The fd must stay open while watched.
  WatchId watch_fd(int fd, Handler on_readable);
  // Safe to call from inside a handler, also for the watch being dispatched.
  void unwatch(WatchId id);

  TimerQueue::Id at(TimePoint when, Handler handler) {
    return timers_.schedule(when, std::move(handler));
  }
  TimerQueue::Id after(std::chrono::nanoseconds delay, Handler handler) {
    return at(SteadyClock::now() + delay, std::move(handler));
  }
  bool cancel(TimerQueue::Id id) { return timers_.cancel(id); }
  // Runs `handler` once at the end of the current round, after its handlers and due timers (called
  // outside a round: at the end of the next one, which then does not wait in poll). For work that
  // can wait for the round's urgent work, e.g. sending in one go what the round had to tell others.
  void at_round_end(Handler handler) { round_end_.push_back(std::move(handler)); }

  // Runs until stop(). Exceptions from handlers propagate: a handler that can fail on a peer's
  // input must turn that into a value itself.
  void run();
  // Runs one poll round waiting at most `max_wait`; for tests and embedding.
  void run_once(std::chrono::milliseconds max_wait);
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  struct Watch {
    WatchId id;
    void* socket;  // zmq socket handle, or nullptr for a plain fd epoll cannot watch
    int fd;
    Handler handler;
    bool active;
  };
  struct FdWatch {
    int fd;
    Handler handler;
  };
  void rebuild_items();
  // Runs the handlers of the plain fds that epoll reports ready.
  void dispatch_fds();
  long poll_timeout_ms(std::chrono::milliseconds cap) const;
  // Sets the timerfd to the earliest timer's deadline when that changed since the last round or
  // the timerfd fired (setting it is what makes it quiet again).
  void arm_timer_fd();

  std::vector<Watch> watches_;  // sockets (and fds epoll refused)
  UniqueFd epoll_fd_;
  std::unordered_map<WatchId, FdWatch> fd_watches_;  // in the epoll set, by the id it carries
  std::vector<zmq::pollitem_t> items_;  // one per watch, then the epoll fd's, then the timerfd's
  std::size_t watch_items_ = 0;
  bool items_dirty_ = true;
  WatchId next_watch_id_ = 1;
  TimerQueue timers_;
  UniqueFd timer_fd_;  // invalid when timerfd_create failed: poll's timeout then wakes the timers
  std::optional<TimePoint> timer_fd_deadline_;
  bool timer_fd_fired_ = false;  // readable until set again, whatever the next deadline
  std::vector<Handler> round_end_;
  bool stopped_ = false;
};

}  // namespace baton
