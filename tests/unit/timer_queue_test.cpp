#include <gtest/gtest.h>

#include <vector>

#include "common/loop/timer_queue.hpp"

namespace baton {
namespace {

using namespace std::chrono_literals;

TEST(TimerQueue, RunsDueTimersInDeadlineOrder) {
  TimerQueue q;
  TimePoint t0{};
  std::vector<int> ran;
  q.schedule(t0 + 30ms, [&] { ran.push_back(3); });
  q.schedule(t0 + 10ms, [&] { ran.push_back(1); });
  q.schedule(t0 + 20ms, [&] { ran.push_back(2); });
  EXPECT_EQ(q.next_deadline(), t0 + 10ms);
  EXPECT_EQ(q.run_due(t0 + 20ms), 2u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(q.next_deadline(), t0 + 30ms);
}

TEST(TimerQueue, CancelledTimerNeverRuns) {
  TimerQueue q;
  TimePoint t0{};
  bool ran = false;
  auto id = q.schedule(t0 + 5ms, [&] { ran = true; });
  EXPECT_TRUE(q.cancel(id));
  EXPECT_FALSE(q.cancel(id));
  q.run_due(t0 + 1s);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(q.next_deadline().has_value());
}

TEST(TimerQueue, CallbackMayScheduleAndCancel) {
  TimerQueue q;
  TimePoint t0{};
  std::vector<int> ran;
  TimerQueue::Id later = q.schedule(t0 + 50ms, [&] { ran.push_back(50); });
  q.schedule(t0 + 1ms, [&] {
    ran.push_back(1);
    q.cancel(later);
    q.schedule(t0 + 2ms, [&] { ran.push_back(2); });  // due already: runs in this call
  });
  q.run_due(t0 + 10ms);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, EqualDeadlinesRunInScheduleOrder) {
  TimerQueue q;
  TimePoint t0{};
  std::vector<int> ran;
  for (int i = 0; i < 5; ++i)
    q.schedule(t0 + 1ms, [&ran, i] { ran.push_back(i); });
  q.run_due(t0 + 1ms);
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace baton
