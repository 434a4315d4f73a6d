// The one event loop of a daemon: zmq::poll over ZeroMQ sockets and plain fds (signalfd, pidfd),
// with the poll timeout taken from the timer queue. Single-threaded; handlers must not block.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/loop/timer_queue.hpp"

namespace baton {

class EventLoop {
 public:
  using Handler = std::function<void()>;
  using WatchId = std::uint64_t;

  EventLoop() = default;
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
    void* socket;  // zmq socket handle, or nullptr for a plain fd
    int fd;
    Handler handler;
    bool active;
  };
  void rebuild_items();
  long poll_timeout_ms(std::chrono::milliseconds cap) const;

  std::vector<Watch> watches_;
  std::vector<zmq::pollitem_t> items_;
  bool items_dirty_ = true;
  WatchId next_watch_id_ = 1;
  TimerQueue timers_;
  bool stopped_ = false;
};

}  // namespace baton
