#include "common/loop/event_loop.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace baton {

namespace {
// Ready fds taken per epoll_wait; more stay ready (level-triggered) for the next round.
constexpr std::size_t kMaxEventsPerRound = 256;

std::system_error system_error(const char* what) {
  return std::system_error(errno, std::generic_category(), what);
}
}  // namespace

EventLoop::EventLoop()
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      events_(kMaxEventsPerRound),
      timer_fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (!epoll_fd_.valid()) throw system_error("epoll_create1");
  if (timer_fd_.valid()) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = timer_fd_.get();
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, timer_fd_.get(), &event) != 0) {
      timer_fd_.reset();  // epoll's timeout wakes the timers, a little later
    }
  }
}

EventLoop::WatchId EventLoop::watch_socket(zmq::socket_t& socket, Handler on_readable) {
  // Readable whenever the socket has something to tell: ask it then (socket_readable).
  const int fd = socket.get(zmq::sockopt::fd);
  add_to_epoll(fd);
  const WatchId id = next_watch_id_++;
  // A message may already be queued, its signal taken by an earlier call on the socket: the
  // round after is one that asks every socket (the caller ran, a handler or outside the loop).
  watches_.push_back(Watch{id, socket.handle(), fd, std::move(on_readable), true});
  socket_watches_.push_back(watches_.size() - 1);
  return id;
}

EventLoop::WatchId EventLoop::watch_fd(int fd, Handler on_readable) {
  add_to_epoll(fd);
  const WatchId id = next_watch_id_++;
  watches_.push_back(Watch{id, nullptr, fd, std::move(on_readable), true});
  return id;
}

void EventLoop::unwatch(WatchId id) {
  for (auto& watch : watches_) {
    if (watch.id == id && watch.active) {
      watch.active = false;
      watches_dirty_ = true;
      // Now, while the fd is still open (the caller closes it next): removing a closed fd, or the
      // next one opened with its number, from the set would be wrong.
      remove_from_epoll(watch.fd);
      return;
    }
  }
}

void EventLoop::add_to_epoll(int fd) {
  if (watches_of_fd_[fd]++ > 0) return;
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    const auto error = system_error("epoll_ctl(EPOLL_CTL_ADD)");
    watches_of_fd_.erase(fd);
    throw error;
  }
}

void EventLoop::remove_from_epoll(int fd) {
  auto it = watches_of_fd_.find(fd);
  if (it == watches_of_fd_.end() || --it->second > 0) return;
  watches_of_fd_.erase(it);
  // Fails only for an fd already closed, which closing took out of the set.
  (void)::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

bool EventLoop::socket_readable(void* socket) {
  int events = 0;
  std::size_t size = sizeof events;
  if (::zmq_getsockopt(socket, ZMQ_EVENTS, &events, &size) != 0) {
    // Interrupted before it read its commands: its ZMQ_FD still signals, the next round asks again.
    if (::zmq_errno() == EINTR) return false;
    throw zmq::error_t();
  }
  return (events & ZMQ_POLLIN) != 0;
}

void EventLoop::arm_timer_fd() {
  if (!timer_fd_.valid()) return;
  const auto deadline = timers_.next_deadline();
  if (timer_fd_current_ && deadline == timer_fd_deadline_) return;
  itimerspec spec{};  // all zero: disarmed
  if (deadline) {
    // steady_clock is CLOCK_MONOTONIC; a zero it_value would disarm, so the earliest is 1 ns.
    const auto since_boot = std::max<std::int64_t>(
        1,
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count());
    spec.it_value.tv_sec = static_cast<time_t>(since_boot / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(since_boot % 1'000'000'000);
  }
  // Setting the timer also clears its expirations: a timerfd that fired needs no read.
  if (::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) == 0) {
    timer_fd_deadline_ = deadline;
    timer_fd_current_ = true;
  } else {
    // epoll's timeout still wakes the timers, a little later; the fd must not stay readable.
    std::uint64_t expirations = 0;
    (void)!::read(timer_fd_.get(), &expirations, sizeof expirations);
    timer_fd_current_ = false;
  }
}

long EventLoop::poll_timeout_ms(std::chrono::milliseconds cap) const {
  if (!round_end_.empty()) return 0;  // added outside a round: this round ends without waiting
  auto deadline = timers_.next_deadline();
  if (!deadline) return cap.count();
  auto wait = *deadline - SteadyClock::now();
  if (wait <= SteadyClock::duration::zero()) return 0;
  // Round up: the timerfd wakes the loop on time; waking early would spin.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait);
  return std::min(ms, cap).count();
}

bool EventLoop::run_round(std::chrono::milliseconds max_wait, bool ask_all_sockets) {
  if (watches_dirty_) {
    // Inactive watches are dropped only here, between rounds, so that a handler that unwatches
    // never invalidates the round being dispatched.
    std::erase_if(watches_, [](const Watch& w) { return !w.active; });
    watches_dirty_ = false;
    socket_watches_.clear();
    for (std::size_t i = 0; i < watches_.size(); ++i) {
      if (watches_[i].socket != nullptr) socket_watches_.push_back(i);
    }
  }
  arm_timer_fd();
  // The watch list may grow while dispatching; the round covers its first entries.
  const std::size_t round = watches_.size();
  ready_.assign(round, 0);
  bool any_ready = false;
  if (ask_all_sockets) {
    for (std::size_t i : socket_watches_) {
      if (socket_readable(watches_[i].socket)) {
        ready_[i] = 1;
        any_ready = true;
      }
    }
  }
  const long timeout = any_ready ? 0 : poll_timeout_ms(max_wait);
  int count = ::epoll_wait(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()),
                           static_cast<int>(timeout));
  if (count < 0) {
    if (errno != EINTR) throw system_error("epoll_wait");
    count = 0;
  }
  ready_fds_.clear();
  for (int i = 0; i < count; ++i) {
    const int fd = events_[static_cast<std::size_t>(i)].data.fd;
    if (timer_fd_.valid() && fd == timer_fd_.get()) {
      timer_fd_current_ = false;  // fired: the next round arms it again, which quiets it
    } else {
      ready_fds_.push_back(fd);
    }
  }
  if (!ready_fds_.empty()) {
    std::sort(ready_fds_.begin(), ready_fds_.end());
    for (std::size_t i = 0; i < round; ++i) {
      const Watch& watch = watches_[i];
      if (ready_[i] || !std::binary_search(ready_fds_.begin(), ready_fds_.end(), watch.fd))
        continue;
      // A socket's fd only says that it has something to tell, maybe no message.
      ready_[i] = watch.socket == nullptr || socket_readable(watch.socket);
    }
  }
  bool ran = false;
  for (std::size_t i = 0; i < round; ++i) {
    if (!ready_[i] || !watches_[i].active) continue;
    // Copy: the handler may add watches and reallocate the vector.
    Handler handler = watches_[i].handler;
    handler();
    ran = true;
    if (stopped_) break;
  }
  if (!stopped_ && timers_.run_due(SteadyClock::now()) > 0) ran = true;
  // What these add runs at the end of the next round.
  std::vector<Handler> round_end;
  round_end.swap(round_end_);
  for (auto& handler : round_end)
    handler();
  return ran || !round_end.empty();
}

void EventLoop::run() {
  stopped_ = false;
  // The code before this call may have used the sockets.
  bool code_ran = true;
  while (!stopped_)
    code_ran = run_round(std::chrono::milliseconds(60'000), code_ran);
}

}  // namespace baton
