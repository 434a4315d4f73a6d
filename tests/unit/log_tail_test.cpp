// The last lines of an output log across its rotations, read from the files' ends.
#include <gtest/gtest.h>

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
  std::string log() const { return dir_ / "web.log"; }
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

}  // namespace
}  // namespace baton::node
