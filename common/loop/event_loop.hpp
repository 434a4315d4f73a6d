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
#include <utility>
#include <vector>

#include "common/loop/timer_queue.hpp"
#include "common/os/unique_fd.hpp"

namespace baton {

class EventLoop;

// An owned watch of a socket or fd, move-only like Timer: destroying the handle, reset() and
// assigning another watch to it end the watch, also from inside its own handler (the handler being
// dispatched runs to its end, and never again). Declare it after the socket or fd it watches, so
// that it goes first. The loop must outlive its handles.
class [[nodiscard]] Watch {
 public:
  Watch() = default;
  Watch(Watch&& other) noexcept
      : loop_(std::exchange(other.loop_, nullptr)), id_(std::exchange(other.id_, 0)) {}
  Watch& operator=(Watch&& other) noexcept {
    if (this != &other) {
      reset();
      loop_ = std::exchange(other.loop_, nullptr);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  ~Watch() { reset(); }

  void reset();
  bool watching() const { return loop_ != nullptr; }

 private:
  friend class EventLoop;
  Watch(EventLoop& loop, std::uint64_t id) : loop_(&loop), id_(id) {}

  EventLoop* loop_ = nullptr;
  std::uint64_t id_ = 0;
};

class EventLoop {
 public:
  using Handler = std::function<void()>;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // `on_readable` runs whenever the socket has a message (level-triggered), until the handle goes.
  // The socket must outlive the watch.
  Watch watch_socket(zmq::socket_t& socket, Handler on_readable);
  // `on_readable` runs whenever the fd polls readable, until the handle goes. The fd must stay
  // open while watched.
  Watch watch_fd(int fd, Handler on_readable);

  // `handler` runs once at `when` (after `delay`), unless the handle goes first.
  Timer at(TimePoint when, Handler handler) { return timers_.schedule(when, std::move(handler)); }
  Timer after(std::chrono::nanoseconds delay, Handler handler) {
    return at(SteadyClock::now() + delay, std::move(handler));
  }
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
  friend class Watch;
  using WatchId = std::uint64_t;
  // Safe inside a handler, also for the watch being dispatched.
  void unwatch(WatchId id);

  struct PolledWatch {
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

  std::vector<PolledWatch> watches_;  // sockets (and fds epoll refused)
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

inline void Watch::reset() {
  if (loop_ != nullptr) std::exchange(loop_, nullptr)->unwatch(std::exchange(id_, 0));
}

}  // namespace baton
