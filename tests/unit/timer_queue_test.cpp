#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/loop/timer_queue.hpp"

namespace baton {
namespace {

using namespace std::chrono_literals;

TEST(TimerQueue, RunsDueTimersInDeadlineOrder) {
  TimerQueue q;
  TimePoint t0{};
  std::vector<int> ran;
  const Timer third = q.schedule(t0 + 30ms, [&] { ran.push_back(3); });
  const Timer first = q.schedule(t0 + 10ms, [&] { ran.push_back(1); });
  const Timer second = q.schedule(t0 + 20ms, [&] { ran.push_back(2); });
  EXPECT_EQ(q.next_deadline(), t0 + 10ms);
  EXPECT_EQ(q.run_due(t0 + 20ms), 2u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(q.next_deadline(), t0 + 30ms);
}

TEST(TimerQueue, CancelledTimerNeverRuns) {
  TimerQueue q;
  TimePoint t0{};
  bool ran = false;
  Timer timer = q.schedule(t0 + 5ms, [&] { ran = true; });
  EXPECT_TRUE(timer.pending());
  timer.reset();
  EXPECT_FALSE(timer.pending());
  timer.reset();  // twice: nothing more happens
  q.run_due(t0 + 1s);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(q.next_deadline().has_value());
}

TEST(TimerQueue, CallbackMayScheduleAndCancel) {
  TimerQueue q;
  TimePoint t0{};
  std::vector<int> ran;
  Timer later = q.schedule(t0 + 50ms, [&] { ran.push_back(50); });
  Timer soon;
  const Timer first = q.schedule(t0 + 1ms, [&] {
    ran.push_back(1);
    later.reset();
    soon = q.schedule(t0 + 2ms, [&] { ran.push_back(2); });  // due already: runs in this call
  });
  q.run_due(t0 + 10ms);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, EqualDeadlinesRunInScheduleOrder) {
  TimerQueue q;
  TimePoint t0{};
  std::vector<int> ran;
  std::vector<Timer> timers;
  for (int i = 0; i < 5; ++i)
    timers.push_back(q.schedule(t0 + 1ms, [&ran, i] { ran.push_back(i); }));
  q.run_due(t0 + 1ms);
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Timer, DestroyingTheHandleCancelsTheTimer) {
  TimerQueue q;
  TimePoint t0{};
  bool ran = false;
  {
    const Timer timer = q.schedule(t0 + 1ms, [&] { ran = true; });
    EXPECT_EQ(q.size(), 1u);
  }
  EXPECT_EQ(q.size(), 0u);
  q.run_due(t0 + 1s);
  EXPECT_FALSE(ran);
}

TEST(Timer, MoveTransfersOwnership) {
  TimerQueue q;
  TimePoint t0{};
  bool ran = false;
  Timer from = q.schedule(t0 + 1ms, [&] { ran = true; });
  Timer to = std::move(from);
  EXPECT_FALSE(from.pending());  // a moved-from handle is empty
  EXPECT_TRUE(to.pending());
  from.reset();  // an empty handle cancels nothing
  { Timer gone = std::move(from); }
  EXPECT_TRUE(to.pending());
  q.run_due(t0 + 1s);
  EXPECT_TRUE(ran);
  EXPECT_FALSE(to.pending());
}

TEST(Timer, AssigningAnotherTimerCancelsTheOldOne) {
  TimerQueue q;
  TimePoint t0{};
  std::vector<std::string> ran;
  Timer timer = q.schedule(t0 + 1ms, [&] { ran.push_back("old"); });
  timer = q.schedule(t0 + 2ms, [&] { ran.push_back("new"); });
  EXPECT_EQ(q.size(), 1u);
  EXPECT_TRUE(timer.pending());
  q.run_due(t0 + 1s);
  EXPECT_EQ(ran, std::vector<std::string>{"new"});
}

TEST(Timer, ResettingATimerThatRanIsHarmless) {
  TimerQueue q;
  TimePoint t0{};
  int ran = 0;
  Timer done = q.schedule(t0 + 1ms, [&] { ++ran; });
  q.run_due(t0 + 1ms);
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(done.pending());
  // Ids are never reused: the stale handle cannot cancel a timer scheduled since.
  const Timer next = q.schedule(t0 + 2ms, [&] { ++ran; });
  done.reset();
  EXPECT_TRUE(next.pending());
  q.run_due(t0 + 2ms);
  EXPECT_EQ(ran, 2);
}

TEST(Timer, IsNotPendingInsideItsOwnCallback) {
  TimerQueue q;
  TimePoint t0{};
  Timer timer;
  bool pending_inside = true;
  timer = q.schedule(t0 + 1ms, [&] { pending_inside = timer.pending(); });
  q.run_due(t0 + 1ms);
  EXPECT_FALSE(pending_inside);
}

// The owner of a timer erased by that timer's own callback: the handle goes while its callback
// runs, which cancels nothing and leaves the running callback (and what it captured) whole. A
// timer of another owner, due at the same time and erased by the first, never runs.
TEST(Timer, CallbackMayEraseTheOwnerOfItsOwnHandle) {
  TimerQueue q;
  TimePoint t0{};
  struct Owner {
    Timer timer;
  };
  std::map<int, Owner> owners;
  std::vector<std::string> ran;
  const std::string word(100, 'x');  // on the heap: a freed copy would be seen (ASan)
  owners[1].timer = q.schedule(t0 + 1ms, [&, word] {
    owners.erase(1);
    owners.erase(2);
    ran.push_back(word);  // the callback's own capture, after its handle went
  });
  owners[2].timer = q.schedule(t0 + 1ms, [&] { ran.push_back("second"); });
  EXPECT_EQ(q.run_due(t0 + 1ms), 1u);
  EXPECT_EQ(ran, std::vector<std::string>{word});
  EXPECT_TRUE(owners.empty());
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace baton
