#include "common/loop/timer_queue.hpp"

namespace baton {

Timer TimerQueue::schedule(TimePoint when, Callback callback) {
  const Id id = next_id_++;
  by_deadline_.emplace(Key{when, id}, std::move(callback));
  deadline_of_.emplace(id, when);
  return Timer(*this, id);
}

bool TimerQueue::cancel(Id id) {
  auto it = deadline_of_.find(id);
  if (it == deadline_of_.end()) return false;
  by_deadline_.erase(Key{it->second, id});
  deadline_of_.erase(it);
  return true;
}

std::optional<TimePoint> TimerQueue::next_deadline() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first.first;
}

std::size_t TimerQueue::run_due(TimePoint now) {
  std::size_t ran = 0;
  while (!by_deadline_.empty() && by_deadline_.begin()->first.first <= now) {
    // Out of the queue before it runs: the callback may drop its own handle (erase what holds it),
    // which then cancels nothing, and the callback itself lives on in `node` until it returns.
    auto node = by_deadline_.extract(by_deadline_.begin());
    deadline_of_.erase(node.key().second);
    node.mapped()();
    ++ran;
  }
  return ran;
}

}  // namespace baton
