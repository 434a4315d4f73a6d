#include "common/loop/event_loop.hpp"

#include <algorithm>

namespace baton {

EventLoop::WatchId EventLoop::watch_socket(zmq::socket_t& socket, Handler on_readable) {
  const WatchId id = next_watch_id_++;
  watches_.push_back(Watch{id, socket.handle(), -1, std::move(on_readable), true});
  items_dirty_ = true;
  return id;
}

EventLoop::WatchId EventLoop::watch_fd(int fd, Handler on_readable) {
  const WatchId id = next_watch_id_++;
  watches_.push_back(Watch{id, nullptr, fd, std::move(on_readable), true});
  items_dirty_ = true;
  return id;
}

void EventLoop::unwatch(WatchId id) {
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
  std::erase_if(watches_, [](const Watch& w) { return !w.active; });
  items_.clear();
  items_.reserve(watches_.size());
  for (const auto& watch : watches_) {
    items_.push_back(zmq::pollitem_t{watch.socket, watch.fd, ZMQ_POLLIN, 0});
  }
  items_dirty_ = false;
}

long EventLoop::poll_timeout_ms(std::chrono::milliseconds cap) const {
  auto deadline = timers_.next_deadline();
  if (!deadline) return cap.count();
  auto wait = *deadline - SteadyClock::now();
  if (wait <= SteadyClock::duration::zero()) return 0;
  // Round up: waking a little late costs at most a millisecond, waking early spins.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait);
  return std::min(ms, cap).count();
}

void EventLoop::run_once(std::chrono::milliseconds max_wait) {
  if (items_dirty_) rebuild_items();
  const long timeout = poll_timeout_ms(max_wait);
  int ready = 0;
  try {
    ready = zmq::poll(items_.data(), items_.size(), std::chrono::milliseconds(timeout));
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
  }
  if (ready > 0) {
    // The watch list may grow while dispatching; the items of this round map to its first entries.
    const std::size_t round = items_.size();
    for (std::size_t i = 0; i < round; ++i) {
      if ((items_[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) == 0) continue;
      if (!watches_[i].active) continue;
      // Copy: the handler may add watches and reallocate the vector.
      Handler handler = watches_[i].handler;
      handler();
      if (stopped_) return;
    }
  }
  timers_.run_due(SteadyClock::now());
}

void EventLoop::run() {
  stopped_ = false;
  while (!stopped_)
    run_once(std::chrono::milliseconds(60'000));
}

}  // namespace baton
