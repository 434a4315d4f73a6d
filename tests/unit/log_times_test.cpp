// LogTimes: when the parts of an app's log were written, and where the output since a time starts;
// with a real AppOutputLog that rotates, read back by read_log_tail.
#include "node/apps/log_times.hpp"

#include <gtest/gtest.h>

#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "node/apps/app_output_log.hpp"

namespace baton::node {
namespace {

using namespace std::chrono_literals;
using WallClock = LogTimes::Clock;

const WallClock::time_point kStart = WallClock::time_point(1'700'000'000s);

// bytes and modified_since of a TailSince, for comparing.
using SinceParts = std::pair<std::uint64_t, std::optional<WallClock::time_point>>;
SinceParts since_parts(const TailSince& since) {
  return {since.bytes, since.modified_since};
}
// The last `bytes` bytes, and nothing older.
SinceParts exactly(std::uint64_t bytes) {
  return {bytes, std::nullopt};
}
// The last `bytes` bytes, and the older files modified since `time`.
SinceParts and_files_since(std::uint64_t bytes, WallClock::time_point time) {
  return {bytes, time};
}

TEST(LogTimes, NothingWrittenLeavesItToTheFilesTimes) {
  LogTimes times;
  times.opened(100);
  EXPECT_EQ(since_parts(times.since(kStart, 100)), and_files_since(0, kStart));
}

TEST(LogTimes, BeforeItsFirstWriteAllItWroteAndTheOlderOutputByFileTimes) {
  LogTimes times;
  times.opened(100);  // an earlier node's output
  times.appended(kStart, 10);
  EXPECT_EQ(since_parts(times.since(kStart - 1s, 110)), and_files_since(10, kStart - 1s));
}

TEST(LogTimes, BetweenWritesTheOutputStartsAtTheNextWrite) {
  LogTimes times;
  times.opened(0);
  times.appended(kStart, 10);
  times.appended(kStart + 1s, 20);
  times.appended(kStart + 2s, 5);
  EXPECT_EQ(since_parts(times.since(kStart + 500ms, 35)), exactly(25));
  EXPECT_EQ(since_parts(times.since(kStart + 1s, 35)), exactly(25));
  EXPECT_EQ(since_parts(times.since(kStart + 1500ms, 35)), exactly(5));
  EXPECT_EQ(since_parts(times.since(kStart, 35)), exactly(35));
  // A time to come: nothing.
  EXPECT_EQ(since_parts(times.since(kStart + 3s, 35)), exactly(0));
}

TEST(LogTimes, WritesWithinTheResolutionShareAnEntryTakenWhole) {
  LogTimes times;
  times.opened(0);
  times.appended(kStart, 10);
  times.appended(kStart + LogTimes::kResolution / 2, 10);
  EXPECT_EQ(times.entries(), 1u);
  // A time within the entry's writes takes them all: rather a line too many than one missing.
  EXPECT_EQ(times.since(kStart + LogTimes::kResolution / 4, 20).bytes, 20u);
  // After its last write, none of them.
  EXPECT_EQ(times.since(kStart + LogTimes::kResolution * 3 / 4, 20).bytes, 0u);
  times.appended(kStart + LogTimes::kResolution, 3);
  EXPECT_EQ(times.entries(), 2u);
  EXPECT_EQ(times.since(kStart + LogTimes::kResolution * 3 / 4, 23).bytes, 3u);
}

TEST(LogTimes, RotationsDoNotMoveWhatIsCountedBack) {
  LogTimes times;
  times.opened(0);
  times.appended(kStart, 10);
  times.rotated(true);
  times.opened(0);
  times.appended(kStart + 1s, 7);
  EXPECT_EQ(times.since(kStart + 500ms, 7).bytes, 7u);
  EXPECT_EQ(times.since(kStart, 7).bytes, 17u);
}

TEST(LogTimes, AFileChangedBySomeoneElseIsLeftToTheFilesTimes) {
  LogTimes times;
  times.opened(0);
  times.appended(kStart, 10);
  // Truncated behind the node's back: the count no longer lines up with the file.
  EXPECT_EQ(since_parts(times.since(kStart - 1s, 3)), and_files_since(0, kStart - 1s));
  // Reopened at another size than counted: the index starts over.
  times.opened(3);
  EXPECT_EQ(times.entries(), 0u);
  times.appended(kStart + 1s, 4);
  EXPECT_EQ(since_parts(times.since(kStart, 7)), and_files_since(4, kStart));
  // A rotation that found the file removed: its output is gone, and so is what was known.
  times.rotated(false);
  EXPECT_EQ(times.entries(), 0u);
}

TEST(LogTimes, AClockSteppedBackKeepsTheOrder) {
  LogTimes times;
  times.opened(0);
  times.appended(kStart + 10s, 5);
  times.appended(kStart, 5);  // taken as written at kStart + 10s
  EXPECT_EQ(times.since(kStart + 5s, 10).bytes, 10u);
  EXPECT_EQ(times.since(kStart + 11s, 10).bytes, 0u);
}

TEST(LogTimes, MemoryStaysBoundedRecentOutputPreciseAndNothingIsMissed) {
  LogTimes times;
  times.opened(0);
  constexpr std::uint64_t kWrites = 100'000;  // one a second, 10 bytes each
  for (std::uint64_t i = 0; i < kWrites; ++i)
    times.appended(kStart + std::chrono::seconds(i), 10);
  const std::uint64_t size = kWrites * 10;
  // Logarithmic: 17 levels of at most kPerLevel for 100,000 entries taken.
  EXPECT_LE(times.entries(), 17 * LogTimes::kPerLevel);
  const WallClock::time_point last = kStart + std::chrono::seconds(kWrites - 1);
  // The last kPerLevel entries exactly.
  EXPECT_EQ(times.since(last - 10s, size).bytes, 110u);
  EXPECT_EQ(times.since(last - 30s, size).bytes, 310u);
  // Older output within a few percent, never less than written since.
  for (std::uint64_t age : {100u, 1'000u, 10'000u, 50'000u, 90'000u, 99'000u}) {
    const std::uint64_t exact = (age + 1) * 10;
    const std::uint64_t got = times.since(last - std::chrono::seconds(age), size).bytes;
    EXPECT_GE(got, exact) << age;
    EXPECT_LE(got, exact + exact / 20) << age;
  }
  EXPECT_EQ(times.since(kStart, size).bytes, size);
}

// An AppOutputLog that rotates, told to the index, read back by read_log_tail with the real
// clock: the lines since a time are exactly those written after it, across the rotations.
TEST(LogTimes, TheLinesSinceATimeAcrossRotations) {
  harness::TempDir dir;
  const std::string path = dir / "app.log";
  LogTimes times;
  AppOutputLog log(
      path, OutputLogLimits{16, 20}, [](const std::string&) {}, &times);
  AppOutputLog::Stream out;
  log.write(out, "before 1\nbefore 2\nbefore 3\n");
  const WallClock::time_point time = WallClock::now() + LogTimes::kResolution;
  ASSERT_TRUE(harness::wait_until([&] { return WallClock::now() > time; }));
  log.write(out, "after 1\nafter 2\n");
  log.write(out, "after 3\n");
  const TailSince since = times.since(time, log.size());
  EXPECT_EQ(since.bytes, 24u);
  EXPECT_FALSE(since.modified_since);
  using Lines = std::vector<std::string>;
  EXPECT_EQ(read_log_tail(path, 100, 1 << 20, since).lines,
            (Lines{"after 1", "after 2", "after 3"}));
  EXPECT_EQ(read_log_tail(path, 2, 1 << 20, since).lines, (Lines{"after 2", "after 3"}));
  // Not vacuous: without `since` the earlier lines are there, in the rotated files.
  EXPECT_EQ(read_log_tail(path, 100, 1 << 20).lines.size(), 6u);
}

}  // namespace
}  // namespace baton::node
