// AppOutputLog: an app's output written to <app>.log and rotated by size, on real files in a
// temporary folder.
#include "node/apps/app_output_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "harness/files.hpp"
#include "harness/temp_dir.hpp"

namespace baton::node {
namespace {

namespace fs = std::filesystem;

class AppOutputLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<AppOutputLog> open(std::uint64_t max_bytes, unsigned max_files) {
    return std::make_unique<AppOutputLog>(
        path_, OutputLogLimits{max_bytes, max_files},
        [this](const std::string& message) { reports_.push_back(message); });
  }
  // <app>.log, or <app>.log.N.
  std::string file(unsigned n = 0) const {
    return harness::read_file(n == 0 ? path_ : path_ + "." + std::to_string(n));
  }
  bool exists(unsigned n) const { return fs::exists(path_ + "." + std::to_string(n)); }

  harness::TempDir dir_;
  std::string path_ = dir_ / "app.log";
  std::vector<std::string> reports_;
  AppOutputLog::Stream out_;
};

TEST_F(AppOutputLogTest, AppendsWholeLinesToWhatTheFileHolds) {
  { std::ofstream(path_) << "earlier run\n"; }
  auto log = open(1000, 5);
  log->write(out_, "one\ntwo\n");
  EXPECT_EQ(file(), "earlier run\none\ntwo\n");
  EXPECT_EQ(log->size(), 20u);
  EXPECT_TRUE(reports_.empty());
}

TEST_F(AppOutputLogTest, FillsAFileExactlyThenRotatesBeforeTheLineThatDoesNotFit) {
  auto log = open(10, 5);
  log->write(out_, "aaaa\n");
  log->write(out_, "bbbb\n");
  EXPECT_EQ(file(), "aaaa\nbbbb\n");  // exactly max_bytes: no rotation yet
  EXPECT_FALSE(exists(1));
  log->write(out_, "cccc\n");
  EXPECT_EQ(file(1), "aaaa\nbbbb\n");
  EXPECT_EQ(file(), "cccc\n");
}

TEST_F(AppOutputLogTest, RotatedFilesAreNumberedNewestFirst) {
  auto log = open(6, 5);
  for (const char* line : {"line1\n", "line2\n", "line3\n", "line4\n"})
    log->write(out_, line);
  EXPECT_EQ(file(), "line4\n");
  EXPECT_EQ(file(1), "line3\n");
  EXPECT_EQ(file(2), "line2\n");
  EXPECT_EQ(file(3), "line1\n");
  EXPECT_FALSE(exists(4));
}

TEST_F(AppOutputLogTest, KeepsAtMostMaxFilesRotatedFiles) {
  auto log = open(6, 2);
  for (const char* line : {"line1\n", "line2\n", "line3\n", "line4\n", "line5\n"})
    log->write(out_, line);
  EXPECT_EQ(file(), "line5\n");
  EXPECT_EQ(file(1), "line4\n");
  EXPECT_EQ(file(2), "line3\n");
  EXPECT_FALSE(exists(3));  // line1 and line2 were in the oldest files: dropped
}

TEST_F(AppOutputLogTest, CutsAChunkAtItsLastLineEndThatFits) {
  auto log = open(10, 5);
  log->write(out_, "aaa\nbbb\nccc\nddd\n");
  EXPECT_EQ(file(1), "aaa\nbbb\n");
  EXPECT_EQ(file(), "ccc\nddd\n");
}

TEST_F(AppOutputLogTest, HoldsAnIncompleteLineUntilItsEnd) {
  auto log = open(1000, 5);
  log->write(out_, "abc");
  EXPECT_EQ(file(), "");
  log->write(out_, "def\nxy");
  EXPECT_EQ(file(), "abcdef\n");
  log->flush(out_);
  EXPECT_EQ(file(), "abcdef\nxy");
  EXPECT_TRUE(out_.partial.empty());
}

TEST_F(AppOutputLogTest, ALineThatArrivesInPiecesIsNotSplitAcrossFiles) {
  auto log = open(10, 5);
  log->write(out_, "aaaaaaa\nbb");  // "bb" would fit in this file, the whole line would not
  log->write(out_, "bbbbb\n");
  EXPECT_EQ(file(1), "aaaaaaa\n");
  EXPECT_EQ(file(), "bbbbbbb\n");
}

TEST_F(AppOutputLogTest, AFlushedIncompleteLineIsCompletedInTheSameFileWhenItFits) {
  auto log = open(10, 5);
  log->write(out_, "abc");
  log->flush(out_);
  log->write(out_, "def\n");
  EXPECT_EQ(file(), "abcdef\n");
  EXPECT_FALSE(exists(1));
}

TEST_F(AppOutputLogTest, ALineLongerThanMaxBytesStartsAFreshFileAndFillsWholeFiles) {
  auto log = open(10, 5);
  log->write(out_, "ab\n");
  log->write(out_, std::string(25, 'x') + "\n");
  EXPECT_EQ(file(3), "ab\n");
  EXPECT_EQ(file(2), std::string(10, 'x'));
  EXPECT_EQ(file(1), std::string(10, 'x'));
  EXPECT_EQ(file(), "xxxxx\n");
  log->write(out_, "nx\n");
  EXPECT_EQ(file(), "xxxxx\nnx\n");
}

TEST_F(AppOutputLogTest, ALongLineWithoutItsEndIsNotHeldBeyondMaxBytes) {
  auto log = open(10, 5);
  log->write(out_, std::string(23, 'y'));
  EXPECT_EQ(file(1), std::string(10, 'y'));
  EXPECT_EQ(file(), std::string(10, 'y'));
  EXPECT_EQ(out_.partial, "yyy");  // below max_bytes: it may still end in this piece
  log->write(out_, "\n");
  EXPECT_EQ(file(), "yyy\n");
  EXPECT_EQ(file(2), std::string(10, 'y'));
}

TEST_F(AppOutputLogTest, StreamsDoNotMixWithinALine) {
  auto log = open(1000, 5);
  AppOutputLog::Stream err;
  log->write(out_, "out-par");
  log->write(err, "err line\n");
  log->write(out_, "tial\n");
  EXPECT_EQ(file(), "err line\nout-partial\n");
}

TEST_F(AppOutputLogTest, AFileAlreadyPastTheLimitIsRotatedFirst) {
  { std::ofstream(path_) << std::string(50, 'o') << "\n"; }
  auto log = open(10, 5);
  log->write(out_, "new\n");
  EXPECT_EQ(file(1), std::string(50, 'o') + "\n");
  EXPECT_EQ(file(), "new\n");
}

// Any mix of line lengths and chunk boundaries: nothing lost, nothing reordered, no file past
// max_bytes, and no line split as long as it fits in a file.
TEST_F(AppOutputLogTest, RandomChunksLoseNothingAndRespectTheLimit) {
  constexpr std::uint64_t kMax = 200;
  auto log = open(kMax, 1000);
  std::mt19937 random(7);
  std::string all;
  for (int i = 0; i < 3000; ++i) {
    all += std::string(random() % 40, static_cast<char>('a' + i % 26)) + std::to_string(i) + "\n";
  }
  for (std::size_t at = 0; at < all.size();) {
    const std::size_t n = std::min<std::size_t>(1 + random() % 500, all.size() - at);
    log->write(out_, std::string_view(all).substr(at, n));
    at += n;
  }
  log->flush(out_);
  std::string joined;
  unsigned n = 1;
  while (exists(n))
    ++n;
  for (unsigned i = n - 1; i >= 1; --i) {
    const std::string part = file(i);
    EXPECT_LE(part.size(), kMax) << "file " << i;
    EXPECT_TRUE(part.ends_with('\n')) << "file " << i << ": " << part;
    joined += part;
  }
  EXPECT_LE(file().size(), kMax);
  joined += file();
  EXPECT_EQ(joined, all);
  EXPECT_GT(n, 100u);
  EXPECT_EQ(log->dropped_bytes(), 0u);
}

TEST_F(AppOutputLogTest, AWriteErrorIsReportedOnceAndTheLogRecovers) {
  // A full disk: the log is a symlink to /dev/full. Removing the link ends the problem, because a
  // failed write makes the log reopen its path on the next one.
  ASSERT_EQ(::symlink("/dev/full", path_.c_str()), 0);
  auto log = open(1000, 5);
  log->write(out_, "lost 1\n");
  log->write(out_, "lost 2\n");
  log->write(out_, "lost 3\n");
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0], "cannot write " + path_ +
                             ": No space left on device; the app's output is dropped until it "
                             "can be written again");
  EXPECT_EQ(log->dropped_bytes(), 21u);
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  log->write(out_, "kept\n");
  EXPECT_EQ(file(), "kept\n");
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_EQ(reports_[1], "writing " + path_ + " again; 21 bytes of output were lost");
}

TEST_F(AppOutputLogTest, ARemovedFolderIsReportedOnceAndWritingResumesWhenItIsBack) {
  const std::string folder = dir_ / "logs";
  fs::create_directory(folder);
  path_ = folder + "/app.log";
  auto log = open(10, 3);
  log->write(out_, "aaaaaaa\n");
  fs::remove_all(folder);
  for (int i = 0; i < 5; ++i)
    log->write(out_, "bbbbbbb\n");  // each needs a rotation, which cannot open a new file
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0], "cannot open " + path_ +
                             ": No such file or directory; the app's output is dropped until it "
                             "can be written again");
  EXPECT_EQ(log->dropped_bytes(), 40u);
  fs::create_directory(folder);
  log->write(out_, "back\n");
  EXPECT_EQ(file(), "back\n");
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_EQ(reports_[1], "writing " + path_ + " again; 40 bytes of output were lost");
}

TEST_F(AppOutputLogTest, WhenRotationFailsTheOutputIsKeptInTheCurrentFile) {
  auto log = open(10, 1);
  fs::create_directories(path_ + ".1/blocker");  // renaming a file over a folder fails
  log->write(out_, "aaaaaaa\n");
  log->write(out_, "bbbbbbb\n");
  log->write(out_, "ccccccc\n");
  EXPECT_EQ(file(), "aaaaaaa\nbbbbbbb\nccccccc\n");
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0], "cannot rotate " + path_ +
                             ": Is a directory; it grows past its size limit until it can be "
                             "rotated");
  fs::remove_all(path_ + ".1");
  log->write(out_, "ddddddd\n");
  EXPECT_EQ(file(1), "aaaaaaa\nbbbbbbb\nccccccc\n");
  EXPECT_EQ(file(), "ddddddd\n");
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_EQ(reports_[1], "rotating " + path_ + " again");
  EXPECT_EQ(log->dropped_bytes(), 0u);
}

}  // namespace
}  // namespace baton::node
