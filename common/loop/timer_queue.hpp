// Timers ordered by deadline. Scheduling and cancelling cost O(log n); the event loop asks for the
// earliest deadline to compute its poll timeout and then runs what is due.
//
// A timer is owned through its Timer handle, which cancels it when it goes: whoever holds the
// handle is what the callback may use, and the callback can never run after its owner is gone.
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

class TimerQueue;

// An owned timer, move-only like UniqueFd: destroying the handle, reset() and assigning another
// timer to it cancel the timer if it has not run yet. Cancelling one that ran, or that is running
// now (its own callback erasing the object that holds it), does nothing: ids are never reused.
// The queue (the event loop) must outlive its handles.
class [[nodiscard]] Timer {
 public:
  Timer() = default;
  Timer(Timer&& other) noexcept
      : queue_(std::exchange(other.queue_, nullptr)), id_(std::exchange(other.id_, 0)) {}
  Timer& operator=(Timer&& other) noexcept {
    if (this != &other) {
      reset();
      queue_ = std::exchange(other.queue_, nullptr);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { reset(); }

  // Cancels the timer unless it ran already; the handle is empty afterwards.
  void reset();
  // The timer is still to run: false once it ran (already inside its own callback), was
  // cancelled, and for an empty handle.
  bool pending() const;

 private:
  friend class TimerQueue;
  Timer(TimerQueue& queue, std::uint64_t id) : queue_(&queue), id_(id) {}

  TimerQueue* queue_ = nullptr;
  std::uint64_t id_ = 0;
};

class TimerQueue {
 public:
  using Id = std::uint64_t;
  using Callback = std::function<void()>;

  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // The timer runs `callback` once at `when`, unless its handle goes first.
  Timer schedule(TimePoint when, Callback callback);
  std::optional<TimePoint> next_deadline() const;
  // Runs every callback due at or before `now`, earliest first. A callback may schedule timers and
  // drop handles, its own included (it is taken out of the queue before it runs); one scheduled at
  // or before `now` runs in the same call.
  std::size_t run_due(TimePoint now);
  std::size_t size() const { return by_deadline_.size(); }

 private:
  friend class Timer;
  // Returns false when the timer already ran or was cancelled.
  bool cancel(Id id);
  bool pending(Id id) const { return deadline_of_.contains(id); }

  using Key = std::pair<TimePoint, Id>;
  std::map<Key, Callback> by_deadline_;
  std::unordered_map<Id, TimePoint> deadline_of_;
  Id next_id_ = 1;
};

inline void Timer::reset() {
  if (queue_ != nullptr) std::exchange(queue_, nullptr)->cancel(std::exchange(id_, 0));
}

inline bool Timer::pending() const {
  return queue_ != nullptr && queue_->pending(id_);
}

}  // namespace baton
