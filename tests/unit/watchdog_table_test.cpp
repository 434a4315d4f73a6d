// The registration table with explicit time: deadlines, refresh, expiry, removal.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "node/appmonitor/watchdog_table.hpp"

namespace baton::node {
namespace {

using namespace std::chrono_literals;

Registration make(pid_t pid, std::chrono::milliseconds timeout) {
  Registration r;
  r.pid = pid;
  r.timeout = timeout;
  return r;
}

TEST(WatchdogTable, ExpiresOnlyAfterTheTimeout) {
  WatchdogTable table;
  TimePoint t0{};
  Token token = table.add(make(10, 100ms), t0);
  EXPECT_NE(token, 0u);
  EXPECT_TRUE(table.take_expired(t0 + 99ms).empty());
  auto expired = table.take_expired(t0 + 100ms);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].registration.token, token);
  EXPECT_EQ(expired[0].last_refresh, t0);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.find(token), nullptr);
}

TEST(WatchdogTable, RefreshPushesTheDeadline) {
  WatchdogTable table;
  TimePoint t0{};
  Token token = table.add(make(10, 100ms), t0);
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(table.refresh(token, t0 + i * 90ms));
    EXPECT_TRUE(table.take_expired(t0 + i * 90ms + 5ms).empty());
  }
  EXPECT_TRUE(table.take_expired(t0 + 999ms).empty());  // last refresh at 900 ms
  auto expired = table.take_expired(t0 + 1000ms);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].last_refresh, t0 + 900ms);
  EXPECT_FALSE(table.refresh(token, t0 + 1001ms));  // already fired
}

TEST(WatchdogTable, RemovedRegistrationNeverFires) {
  WatchdogTable table;
  TimePoint t0{};
  Token a = table.add(make(10, 50ms), t0);
  Token b = table.add(make(11, 50ms), t0);
  ASSERT_TRUE(table.remove(a).has_value());
  EXPECT_FALSE(table.remove(a).has_value());
  auto expired = table.take_expired(t0 + 1s);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].registration.token, b);
}

TEST(WatchdogTable, RemovePidTakesAllOfThatProcess) {
  WatchdogTable table;
  TimePoint t0{};
  table.add(make(10, 50ms), t0);
  table.add(make(10, 70ms), t0);
  Token other = table.add(make(11, 50ms), t0);
  EXPECT_EQ(table.count_for_pid(10), 2u);
  EXPECT_EQ(table.remove_pid(10).size(), 2u);
  EXPECT_EQ(table.count_for_pid(10), 0u);
  auto expired = table.take_expired(t0 + 1s);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].registration.token, other);
}

TEST(WatchdogTable, ErasePidDropsAllOfThatProcessAndSaysHowMany) {
  WatchdogTable table;
  TimePoint t0{};
  Token a = table.add(make(10, 50ms), t0);
  table.add(make(10, 70ms), t0);
  table.add(make(10, 90ms), t0);
  Token other = table.add(make(11, 50ms), t0);
  EXPECT_EQ(table.erase_pid(10), 3u);
  EXPECT_EQ(table.erase_pid(10), 0u);
  EXPECT_EQ(table.count_for_pid(10), 0u);
  EXPECT_EQ(table.find(a), nullptr);
  EXPECT_FALSE(table.refresh(a, t0 + 1ms));
  EXPECT_EQ(table.size(), 1u);
  auto expired = table.take_expired(t0 + 1s);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].registration.token, other);
}

TEST(WatchdogTable, LatestRefreshOfAProcessIsItsMostRecentlyRefreshedRegistration) {
  WatchdogTable table;
  TimePoint t0{};
  Token a = table.add(make(10, 500ms), t0);
  Token b = table.add(make(10, 80ms), t0 + 5ms);
  Token other = table.add(make(11, 500ms), t0);
  EXPECT_EQ(table.latest_refresh(10), t0 + 5ms);  // registering counts as a refresh
  ASSERT_TRUE(table.refresh(a, t0 + 40ms));
  ASSERT_TRUE(table.refresh(other, t0 + 60ms));  // another process's refresh is not this one's
  EXPECT_EQ(table.latest_refresh(10), t0 + 40ms);
  ASSERT_TRUE(table.refresh(b, t0 + 30ms));  // earlier than a's: a's stays the latest
  EXPECT_EQ(table.latest_refresh(10), t0 + 40ms);
  table.remove(a);
  EXPECT_EQ(table.latest_refresh(10), t0 + 30ms);
  table.remove_pid(10);
  EXPECT_FALSE(table.latest_refresh(10).has_value());
  EXPECT_FALSE(table.latest_refresh(12).has_value());
}

// read_until: the caller has read every refresh that came before it. A deadline after it may have
// its refresh still unread: it waits for the next full read, at most one more timeout (1 s at
// most).
TEST(WatchdogTable, ADeadlinePastTheLastFullReadWaitsForTheNextOne) {
  WatchdogTable table;
  TimePoint t0{};
  Token token = table.add(make(10, 100ms), t0);
  EXPECT_TRUE(table.take_expired(t0 + 110ms, t0 + 90ms).empty());
  ASSERT_TRUE(table.next_check().has_value());
  EXPECT_LE(*table.next_check(), t0 + 110ms);     // due again at once
  ASSERT_TRUE(table.refresh(token, t0 + 112ms));  // the refresh that waited unread
  EXPECT_TRUE(table.take_expired(t0 + 115ms, t0 + 115ms).empty());
  EXPECT_EQ(table.take_expired(t0 + 212ms, t0 + 212ms).size(), 1u);
}

TEST(WatchdogTable, AnUnreadWaitEndsAfterOneMoreTimeoutOrASecond) {
  WatchdogTable table;
  TimePoint t0{};
  Token quick = table.add(make(10, 50ms), t0);
  Token slow = table.add(make(11, 5s), t0);
  EXPECT_TRUE(table.take_expired(t0 + 99ms, t0).empty());
  auto expired = table.take_expired(t0 + 100ms, t0);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].registration.token, quick);
  EXPECT_EQ(expired[0].last_refresh, t0);
  EXPECT_TRUE(table.take_expired(t0 + 5999ms, t0).empty());
  expired = table.take_expired(t0 + 6s, t0);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].registration.token, slow);
}

TEST(WatchdogTable, TokensAreUniqueAndNonZero) {
  WatchdogTable table;
  std::set<Token> tokens;
  for (int i = 0; i < 10'000; ++i)
    tokens.insert(table.add(make(1, 1s), TimePoint{}));
  EXPECT_EQ(tokens.size(), 10'000u);
  EXPECT_FALSE(tokens.contains(0));
}

// Many registrations, random refresh pattern: exactly those whose last refresh is older than their
// timeout expire, and never before their deadline.
TEST(WatchdogTable, ExactlyTheSilentOnesExpire) {
  WatchdogTable table;
  std::mt19937 rng(7);
  TimePoint t0{};
  struct Tracked {
    Token token;
    std::chrono::milliseconds timeout;
    bool silent;
  };
  std::vector<Tracked> all;
  for (int i = 0; i < 1000; ++i) {
    auto timeout = std::chrono::milliseconds(50 + rng() % 450);
    all.push_back({table.add(make(100 + i, timeout), t0), timeout, i % 10 == 0});
  }
  std::set<Token> fired;
  for (auto now = t0 + 10ms; now <= t0 + 2s; now += 10ms) {
    for (const auto& t : all) {
      if (!t.silent && table.find(t.token) != nullptr) table.refresh(t.token, now);
    }
    for (const auto& e : table.take_expired(now)) {
      EXPECT_GE(now, e.last_refresh + e.registration.timeout);
      fired.insert(e.registration.token);
    }
  }
  for (const auto& t : all)
    EXPECT_EQ(fired.contains(t.token), t.silent);
  EXPECT_EQ(table.size(), 900u);
}

TEST(WatchdogTable, NextCheckIsNeverLaterThanTheEarliestDeadline) {
  WatchdogTable table;
  TimePoint t0{};
  table.add(make(1, 300ms), t0);
  table.add(make(2, 100ms), t0);
  EXPECT_EQ(table.next_check(), t0 + 100ms);
}

// A check moves the entries of registrations refreshed since to their new deadline when they
// are due within the lookahead, so that they do not wake the node one by one; a registration that
// was not refreshed keeps its deadline to the nanosecond.
TEST(WatchdogTable, ACheckMovesRefreshedEntriesDueSoonButKeepsTheOthersExact) {
  WatchdogTable table;
  TimePoint t0{};
  Token a = table.add(make(1, 100ms), t0);
  table.add(make(2, 100ms), t0 + 3ms);  // never refreshed: due at t0 + 103 ms
  Token c = table.add(make(3, 100ms), t0 + 5ms);
  ASSERT_TRUE(table.refresh(a, t0 + 50ms));  // now due at t0 + 150 ms
  ASSERT_TRUE(table.refresh(c, t0 + 60ms));  // now due at t0 + 160 ms
  static_assert(WatchdogTable::kLookahead >= 8ms);
  EXPECT_TRUE(table.take_expired(t0 + 98ms).empty());
  EXPECT_EQ(table.next_check(), t0 + 103ms);  // a moved on; the silent one, exactly
  EXPECT_TRUE(table.take_expired(t0 + 103ms - 1ns).empty());
  auto expired = table.take_expired(t0 + 103ms);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].registration.pid, 2);
  // No wake-up at t0 + 100 or 105 ms for the refreshed ones.
  EXPECT_EQ(table.next_check(), t0 + 150ms);
  EXPECT_EQ(table.take_expired(t0 + 150ms).size(), 1u);
  EXPECT_EQ(table.next_check(), t0 + 160ms);
}

}  // namespace
}  // namespace baton::node
