#include "common/loop/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace baton {

EventLoop::EventLoop()
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      timer_fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {}

Watch EventLoop::watch_socket(zmq::socket_t& socket, Handler on_readable) {
  const WatchId id = next_watch_id_++;
  watches_.push_back(PolledWatch{id, socket.handle(), -1, std::move(on_readable), true});
  items_dirty_ = true;
  return Watch(*this, id);
}

Watch EventLoop::watch_fd(int fd, Handler on_readable) {
  const WatchId id = next_watch_id_++;
  epoll_event event{};
  event.events = EPOLLIN;  // level-triggered, as poll
  event.data.u64 = id;
  if (epoll_fd_.valid() && ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) == 0) {
    fd_watches_.emplace(id, FdWatch{fd, std::move(on_readable)});
    return Watch(*this, id);
  }
  // epoll refuses regular files (and a loop without epoll has none): poll them one by one.
  watches_.push_back(PolledWatch{id, nullptr, fd, std::move(on_readable), true});
  items_dirty_ = true;
  return Watch(*this, id);
}

void EventLoop::unwatch(WatchId id) {
  if (auto it = fd_watches_.find(id); it != fd_watches_.end()) {
    // Fails harmlessly when the fd was closed first: closing took it out of the set.
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, it->second.fd, nullptr);
    fd_watches_.erase(it);
    return;
  }
  for (auto& watch : watches_) {
    if (watch.id == id && watch.active) {
      watch.active = false;
      items_dirty_ = true;
      return;
    }
  }
}

void EventLoop::rebuild_items() {
  // Inactive watches are dropped only here, between poll rounds, so that a handler that unwatches
  // never invalidates the round being dispatched.
  std::erase_if(watches_, [](const PolledWatch& w) { return !w.active; });
  items_.clear();
  items_.reserve(watches_.size());
  for (const auto& watch : watches_) {
    items_.push_back(zmq::pollitem_t{watch.socket, watch.fd, ZMQ_POLLIN, 0});
  }
  watch_items_ = items_.size();
  if (epoll_fd_.valid()) items_.push_back(zmq::pollitem_t{nullptr, epoll_fd_.get(), ZMQ_POLLIN, 0});
  if (timer_fd_.valid()) items_.push_back(zmq::pollitem_t{nullptr, timer_fd_.get(), ZMQ_POLLIN, 0});
  items_dirty_ = false;
}

void EventLoop::arm_timer_fd() {
  if (!timer_fd_.valid()) return;
  const auto deadline = timers_.next_deadline();
  if (deadline == timer_fd_deadline_ && !timer_fd_fired_) return;
  itimerspec spec{};  // all zero: disarmed
  if (deadline) {
    // steady_clock is CLOCK_MONOTONIC; a zero it_value would disarm, so the earliest is 1 ns.
    const auto since_boot = std::max<std::int64_t>(
        1,
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count());
    spec.it_value.tv_sec = static_cast<time_t>(since_boot / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(since_boot % 1'000'000'000);
  }
  if (::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) == 0) {
    timer_fd_deadline_ = deadline;  // also quiets a fired timerfd: setting it clears its count
  } else {
    if (timer_fd_fired_) {
      std::uint64_t expirations = 0;  // quiet it here, or every poll would return at once
      (void)!::read(timer_fd_.get(), &expirations, sizeof expirations);
    }
    timer_fd_deadline_.reset();  // poll's timeout still wakes the timers, a little later
  }
  timer_fd_fired_ = false;
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

void EventLoop::run_once(std::chrono::milliseconds max_wait) {
  if (items_dirty_) rebuild_items();
  arm_timer_fd();
  const long timeout = poll_timeout_ms(max_wait);
  int ready = 0;
  try {
    ready = zmq::poll(items_.data(), items_.size(), std::chrono::milliseconds(timeout));
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
  }
  const std::size_t timer_item = watch_items_ + (epoll_fd_.valid() ? 1 : 0);
  if (ready > 0 && timer_fd_.valid() && (items_[timer_item].revents & ZMQ_POLLIN) != 0) {
    // Fired: the next round sets it again, which also clears its count (a read would be one more
    // system call per wake-up, and an idle daemon's CPU goes to its few wake-ups).
    timer_fd_fired_ = true;
  }
  if (ready > 0) {
    // The watch list may grow while dispatching; the items of this round map to its first entries.
    const std::size_t round = watch_items_;
    for (std::size_t i = 0; i < round; ++i) {
      if ((items_[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) == 0) continue;
      if (!watches_[i].active) continue;
      // Copy: the handler may add watches and reallocate the vector.
      Handler handler = watches_[i].handler;
      handler();
      if (stopped_) break;
    }
    if (!stopped_ && epoll_fd_.valid() && (items_[watch_items_].revents & ZMQ_POLLIN) != 0) {
      dispatch_fds();
    }
  }
  if (!stopped_) timers_.run_due(SteadyClock::now());
  // What these add runs at the end of the next round.
  std::vector<Handler> round_end;
  round_end.swap(round_end_);
  for (auto& handler : round_end)
    handler();
}

void EventLoop::dispatch_fds() {
  // Level-triggered: what is not taken this round is reported again in the next.
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  const int n = ::epoll_wait(epoll_fd_.get(), events, kMaxEvents, 0);
  for (int i = 0; i < n && !stopped_; ++i) {
    // A handler of this round may have unwatched it.
    auto it = fd_watches_.find(events[i].data.u64);
    if (it == fd_watches_.end()) continue;
    // Copy: the handler may unwatch itself or add watches.
    Handler handler = it->second.handler;
    handler();
  }
}

void EventLoop::run() {
  stopped_ = false;
  while (!stopped_)
    run_once(std::chrono::milliseconds(60'000));
}

}  // namespace baton
