// The state file's writer thread: the loop goes on while it writes, its answer comes on the loop,
// and it is not stopped in the middle of a write.
#include "node/state/state_writer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <optional>
#include <string>

#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::node {
namespace {

using namespace std::chrono_literals;

std::optional<long long> file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_size;
}

class WriterFixture : public ::testing::Test {
 protected:
  void on_done(const Status& result, std::chrono::microseconds) {
    ++done_calls;
    error = result ? std::string() : result.error().message;
  }

  harness::TempDir dir;
  std::string path = dir / "m1.state";
  EventLoop loop;
  int done_calls = 0;
  std::string error;
  // Large enough that the write is still going when write() returns on most machines; the test
  // does not depend on it.
  std::string bytes = std::string(32 << 20, 'x');
};

TEST_F(WriterFixture, TheAnswerComesOnTheLoopAfterTheFileIsWhole) {
  StateWriter writer(loop, path, [this](const Status& r, auto took) { on_done(r, took); });
  writer.write(bytes);
  EXPECT_TRUE(writer.busy());
  EXPECT_EQ(done_calls, 0);  // never from write() itself: only the loop runs it
  ASSERT_TRUE(harness::pump_until([&] { loop.run_once(5ms); }, [&] { return done_calls == 1; },
                                  harness::kDeadline));
  EXPECT_FALSE(writer.busy());
  EXPECT_EQ(error, "");
  EXPECT_EQ(file_size(path), static_cast<long long>(bytes.size()));
  EXPECT_FALSE(file_size(path + ".tmp").has_value());
}

TEST_F(WriterFixture, ClosingWaitsForTheWriteInProgress) {
  {
    StateWriter writer(loop, path, [this](const Status& r, auto took) { on_done(r, took); });
    writer.write(bytes);
  }
  EXPECT_EQ(done_calls, 1);
  EXPECT_EQ(error, "");
  EXPECT_EQ(file_size(path), static_cast<long long>(bytes.size()));
}

TEST_F(WriterFixture, WriteNowFollowsTheWriteInProgress) {
  StateWriter writer(loop, path, [this](const Status& r, auto took) { on_done(r, took); });
  writer.write(bytes);
  writer.wait();
  EXPECT_EQ(done_calls, 1);
  EXPECT_FALSE(writer.busy());
  ASSERT_TRUE(writer.write_now("small"));
  EXPECT_EQ(file_size(path), 5);  // the later write is the one that stays
}

TEST_F(WriterFixture, AFailedWriteIsReportedWithThePath) {
  const std::string nowhere = dir / "no-such-folder/m1.state";
  StateWriter writer(loop, nowhere, [this](const Status& r, auto took) { on_done(r, took); });
  writer.write("state");
  ASSERT_TRUE(harness::pump_until([&] { loop.run_once(5ms); }, [&] { return done_calls == 1; },
                                  harness::kDeadline));
  EXPECT_NE(error.find(nowhere), std::string::npos) << error;
}

}  // namespace
}  // namespace baton::node
