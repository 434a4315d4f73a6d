// Timers ordered by deadline. Scheduling and cancelling cost O(log n); the event loop asks for the
// earliest deadline to compute its poll timeout and then runs what is due.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace baton {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

class TimerQueue {
 public:
  using Id = std::uint64_t;
  using Callback = std::function<void()>;

  Id schedule(TimePoint when, Callback callback);
  // Returns false when the timer already ran or was cancelled.
  bool cancel(Id id);
  std::optional<TimePoint> next_deadline() const;
  // Runs every callback due at or before `now`, earliest first. A callback may schedule or cancel
  // timers; one scheduled at or before `now` runs in the same call.
  std::size_t run_due(TimePoint now);
  std::size_t size() const { return by_deadline_.size(); }

 private:
  using Key = std::pair<TimePoint, Id>;
  std::map<Key, Callback> by_deadline_;
  std::unordered_map<Id, TimePoint> deadline_of_;
  Id next_id_ = 1;
};

}  // namespace baton
