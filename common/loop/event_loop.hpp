// The one event loop of a daemon: an epoll set over ZeroMQ sockets (their ZMQ_FD) and plain fds
// (signalfd, pidfd, pipes), woken for the next timer by a timerfd armed at its deadline: epoll's
// own timeout counts whole milliseconds, and a watchdog that fires up to a millisecond late for
// nothing is a worse watchdog. Single-threaded; handlers must not block.
//
// Not zmq::poll: it polls every item on each call, twice when nothing is ready at once (a first
// pass with no wait), and asks every socket for ZMQ_EVENTS after each wake-up, two system calls per
// socket. An idle node woke once a second to spend 28 system calls on it, and a node with 100 apps
// polled its 200 pidfds and pipes twice a second. Here the kernel keeps the set, a wake-up asks
// only the sockets whose ZMQ_FD signalled, and the sockets are asked before waiting only when
// something ran since they were last asked (see run_round).
#pragma once

#include <sys/epoll.h>
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
  // outlive the watch. Both watch_ functions throw std::system_error when epoll refuses the fd.
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
  // outside a round: at the end of the next one, which then does not wait). For work that
  // can wait for the round's urgent work, e.g. sending in one go what the round had to tell others.
  void at_round_end(Handler handler) { round_end_.push_back(std::move(handler)); }

  // Runs until stop(). Exceptions from handlers propagate: a handler that can fail on a peer's
  // input must turn that into a value itself.
  void run();
  // Runs one round waiting at most `max_wait`; for tests and embedding. Each call asks every
  // watched socket for a message first, so code outside the loop may use them in between.
  void run_once(std::chrono::milliseconds max_wait) { run_round(max_wait, true); }
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
  // `ask_all_sockets`: ask every socket for ZMQ_EVENTS before waiting. Needed whenever code ran
  // since they were last asked: any call on a socket (a send on another socket's behalf, a
  // handler that left messages queued) may take the signal of its ZMQ_FD while a message waits,
  // and the fd would then stay quiet.
  // Returns whether any handler, timer or round-end function ran.
  bool run_round(std::chrono::milliseconds max_wait, bool ask_all_sockets);
  long poll_timeout_ms(std::chrono::milliseconds cap) const;
  // Sets the timerfd to the earliest timer's deadline when that changed since the last round.
  void arm_timer_fd();
  // The epoll set holds each fd once, however many watches it has.
  void add_to_epoll(int fd);
  void remove_from_epoll(int fd);
  static bool socket_readable(void* socket);

  std::vector<Watch> watches_;  // in order of watching; inactive ones are dropped between rounds
  bool watches_dirty_ = false;
  // Indices of the socket watches in watches_: asked every round something ran, without walking
  // the pidfds and pipes of every app.
  std::vector<std::size_t> socket_watches_;
  WatchId next_watch_id_ = 1;
  UniqueFd epoll_fd_;
  std::unordered_map<int, int> watches_of_fd_;  // fd in the epoll set -> how many watches use it
  std::vector<epoll_event> events_;             // epoll_wait's output
  std::vector<int> ready_fds_;                  // of the round, sorted
  std::vector<char> ready_;                     // of the round, one per watch
  TimerQueue timers_;
  UniqueFd timer_fd_;  // invalid when timerfd_create failed: epoll's timeout then wakes the timers
  std::optional<TimePoint> timer_fd_deadline_;  // what it is set to, when timer_fd_current_
  bool timer_fd_current_ = false;               // false: it fired, or setting it failed
  std::vector<Handler> round_end_;
  bool stopped_ = false;
};

}  // namespace baton
