// The last lines of an output log across its rotations, read from the files' ends.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "harness/temp_dir.hpp"
#include "node/apps/log_tail.hpp"

namespace baton::node {
namespace {

using Lines = std::vector<std::string>;

class LogTailTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  // Sets a file's modification time.
  void modified(const std::string& name, std::chrono::system_clock::time_point time) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch());
    const timespec times[2] = {{0, UTIME_OMIT},
                               {static_cast<time_t>(ns.count() / 1'000'000'000),
                                static_cast<long>(ns.count() % 1'000'000'000)}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir_ / name).c_str(), times, 0), 0) << name;
  }
  std::string log() const { return dir_ / "web.log"; }
  Lines since(std::uint64_t bytes, std::size_t count = 100) const {
    return read_log_tail(log(), count, 1 << 20, TailSince{bytes, std::nullopt}).lines;
  }
  harness::TempDir dir_;
};

TEST_F(LogTailTest, TheLastLinesOldestFirst) {
  write("web.log", "one\ntwo\n\nfour\n");
  EXPECT_EQ(read_log_tail(log(), 2, 1 << 20).lines, (Lines{"", "four"}));
  EXPECT_EQ(read_log_tail(log(), 10, 1 << 20).lines, (Lines{"one", "two", "", "four"}));
  EXPECT_EQ(read_log_tail(log(), 0, 1 << 20).lines, Lines{});
}

TEST_F(LogTailTest, ALineBeingWrittenCountsAsTheLast) {
  write("web.log", "one\ntwo\nthr");
  EXPECT_EQ(read_log_tail(log(), 2, 1 << 20).lines, (Lines{"two", "thr"}));
}

TEST_F(LogTailTest, ReachesBackIntoTheRotatedFiles) {
  write("web.log.2", "a\nb\n");
  write("web.log.1", "c\nd\n");
  write("web.log", "e\n");
  EXPECT_EQ(read_log_tail(log(), 4, 1 << 20).lines, (Lines{"b", "c", "d", "e"}));
  EXPECT_EQ(read_log_tail(log(), 100, 1 << 20).lines, (Lines{"a", "b", "c", "d", "e"}));
}

TEST_F(LogTailTest, NoLogIsNoLines) {
  const auto tail = read_log_tail(log(), 10, 1 << 20);
  EXPECT_TRUE(tail.lines.empty());
  EXPECT_FALSE(tail.truncated);
}

TEST_F(LogTailTest, LinesAcrossChunkBoundariesStayWhole) {
  // Lines of every length around the 64 KiB chunk the reader goes back by.
  std::string text;
  Lines expected;
  for (int i = 0; i < 3000; ++i) {
    std::string line(static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26));
    line += std::to_string(i);
    text += line + "\n";
    expected.push_back(line);
  }
  write("web.log", text);
  EXPECT_EQ(read_log_tail(log(), 3000, 1 << 22).lines, expected);
  EXPECT_EQ(read_log_tail(log(), 1500, 1 << 22).lines,
            Lines(expected.begin() + 1500, expected.end()));
}

TEST_F(LogTailTest, TheByteLimitKeepsTheNewestAndSaysSo) {
  write("web.log", "1234567890\nabcdefghij\nklmnopqrst\n");
  const auto tail = read_log_tail(log(), 10, 25);
  EXPECT_EQ(tail.lines, (Lines{"abcdefghij", "klmnopqrst"}));
  EXPECT_TRUE(tail.truncated);
}

TEST_F(LogTailTest, AnEndlessLineIsCut) {
  write("web.log", "before\n" + std::string(100'000, 'x') + "\nafter\n");
  const auto tail = read_log_tail(log(), 3, 1 << 20);
  ASSERT_EQ(tail.lines.size(), 3u);
  EXPECT_EQ(tail.lines[0], "before");
  EXPECT_EQ(tail.lines[1], std::string(16 * 1024, 'x') + " [... " +
                               std::to_string(100'000 - 16 * 1024) + " bytes cut]");
  EXPECT_EQ(tail.lines[2], "after");
}

TEST_F(LogTailTest, SinceTakesTheLinesThatStartInTheNewestBytes) {
  write("web.log", "one\ntwo\nthree\n");  // 14 bytes
  EXPECT_EQ(since(6), (Lines{"three"}));
  EXPECT_EQ(since(10), (Lines{"two", "three"}));
  EXPECT_EQ(since(14), (Lines{"one", "two", "three"}));
  EXPECT_EQ(since(8), (Lines{"three"}));  // "two" began before them
  EXPECT_EQ(since(0), Lines{});
  EXPECT_EQ(since(10, 1), (Lines{"three"}));  // the last N of them
}

TEST_F(LogTailTest, SinceReachesBackAcrossRotationsAsFarAsItsBytes) {
  write("web.log.2", "a\nb\n");
  write("web.log.1", "c\nd\n");
  write("web.log", "e\n");
  EXPECT_EQ(since(2), (Lines{"e"}));
  EXPECT_EQ(since(4), (Lines{"d", "e"}));
  EXPECT_EQ(since(6), (Lines{"c", "d", "e"}));  // all of .1 and no more
  EXPECT_EQ(since(8), (Lines{"b", "c", "d", "e"}));
  EXPECT_EQ(since(1000), (Lines{"a", "b", "c", "d", "e"}));  // the log's start
  write("web.log", "");                                      // just rotated
  EXPECT_EQ(since(2), (Lines{"d"}));
}

TEST_F(LogTailTest, SinceStopsExactlyAtEveryLineStartAcrossChunks) {
  // Lines of every length around the 64 KiB chunk the reader goes back by.
  std::string text;
  Lines all;
  std::vector<std::size_t> starts;
  for (int i = 0; i < 3000; ++i) {
    std::string line(static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26));
    line += std::to_string(i);
    starts.push_back(text.size());
    text += line + "\n";
    all.push_back(line);
  }
  write("web.log", text);
  for (std::size_t i = 0; i < starts.size(); i += 7) {
    const std::uint64_t bytes = text.size() - starts[i];
    ASSERT_EQ(read_log_tail(log(), 3000, 1 << 22, TailSince{bytes, std::nullopt}).lines,
              Lines(all.begin() + static_cast<long>(i), all.end()))
        << "since line " << i;
    // One byte fewer: that line began before them.
    ASSERT_EQ(read_log_tail(log(), 3000, 1 << 22, TailSince{bytes - 1, std::nullopt}).lines,
              Lines(all.begin() + static_cast<long>(i) + 1, all.end()))
        << "since within line " << i;
  }
}

TEST_F(LogTailTest, OutputOlderThanTheKnownBytesGoesByWholeFilesModifiedSince) {
  const auto time = std::chrono::system_clock::now() - std::chrono::hours(1);
  write("web.log.3", "a\n");
  write("web.log.2", "b\n");
  write("web.log.1", "c\n");
  write("web.log", "d\ne\n");
  modified("web.log.3", time - std::chrono::seconds(20));
  modified("web.log.2", time - std::chrono::milliseconds(1));
  modified("web.log.1", time + std::chrono::milliseconds(1));
  modified("web.log", time + std::chrono::seconds(20));
  auto tail = [&](std::uint64_t bytes, std::chrono::system_clock::time_point since) {
    return read_log_tail(log(), 100, 1 << 20, TailSince{bytes, since}).lines;
  };
  // Known since `time`: "e"; the rest of web.log is older than what is known, but the file was
  // modified since, so it is taken whole, and .1 too; .2 was last modified before.
  EXPECT_EQ(tail(2, time), (Lines{"c", "d", "e"}));
  EXPECT_EQ(tail(0, time), (Lines{"c", "d", "e"}));
  EXPECT_EQ(tail(6, time), (Lines{"c", "d", "e"}));
  EXPECT_EQ(tail(0, time - std::chrono::seconds(10)), (Lines{"b", "c", "d", "e"}));
  EXPECT_EQ(tail(0, time + std::chrono::seconds(10)), (Lines{"d", "e"}));
  // Nothing was modified since then: nothing (a time to come).
  EXPECT_EQ(tail(0, time + std::chrono::seconds(30)), Lines{});
  // What is known still counts when the current file is older (a clock set back).
  EXPECT_EQ(tail(2, time + std::chrono::seconds(30)), (Lines{"e"}));
}

}  // namespace
}  // namespace baton::node
