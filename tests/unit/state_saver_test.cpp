#include "node/state/state_saver.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>

#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "node/state/node_state_file.hpp"

namespace baton::node {
namespace {

using namespace std::chrono_literals;

// The node's state reduced to what a test changes: the sequence number stands for "which
// version of the state".
class SaverFixture : public ::testing::Test {
 protected:
  std::string snapshot() {
    ++snapshots;
    SavedNode state;
    state.machine = "m1";
    state.seq = version;
    return proto::pack_to_string(state);
  }
  std::optional<std::uint64_t> saved_version() const {
    auto saved = load_node_state(path, "m1");
    if (!saved || !*saved) return std::nullopt;
    return (**saved).seq;
  }
  void run_rounds(int rounds) {
    for (int round = 0; round < rounds; ++round)
      loop.run_once(2ms);
  }

  harness::TempDir dir;
  std::string path = dir / "m1.state";
  std::uint64_t version = 1;
  int snapshots = 0;
  EventLoop loop;
  StateSaver saver{loop, path, [this](std::string& out) { out = snapshot(); }};
};

TEST_F(SaverFixture, TheChangesOfOneRoundAreSavedOnceAfterIt) {
  saver.changed();
  version = 2;
  saver.changed();
  EXPECT_EQ(snapshots, 0);  // not within the round
  ASSERT_TRUE(harness::pump_until([&] { loop.run_once(5ms); },
                                  [&] { return saver.saves_completed() == 1; },
                                  harness::kDeadline));
  EXPECT_EQ(saved_version(), 2u);
  run_rounds(10);  // nothing changed since: no further save
  EXPECT_EQ(snapshots, 1);
  EXPECT_EQ(saver.saves_failed(), 0u);
}

TEST_F(SaverFixture, SaveNowWritesAtOnceAndTakesThePendingSaveWithIt) {
  saver.changed();
  version = 7;
  saver.save_now();
  EXPECT_EQ(saved_version(), 7u);
  run_rounds(10);
  EXPECT_EQ(snapshots, 1);
}

// A state whose write takes a while: 8 MB, in values under the loader's limit of 1 MB a string.
class LargeSaverFixture : public SaverFixture {
 protected:
  void pack_large(std::string& out) {
    ++snapshots;
    SavedNode state;
    state.machine = "m1";
    state.seq = version;
    for (int i = 0; i < 8; ++i)
      state.vars.push_back(SavedVar{"BALLAST" + std::to_string(i), ballast});
    out = proto::pack_to_string(state);
  }
  // Changes, then waits until the state is packed: its write has just begun.
  void start_writing(StateSaver& saver) {
    saver.changed();
    ASSERT_TRUE(harness::pump_until([&] { loop.run_once(1ms); }, [&] { return snapshots == 1; },
                                    harness::kDeadline));
  }
  const std::string ballast = std::string((1 << 20) - 64, 'b');
};

// The file is written on the writer's thread: a change that comes meanwhile must not be lost, nor
// may its snapshot overwrite the bytes being written.
TEST_F(LargeSaverFixture, AChangeDuringAWriteIsSavedAfterIt) {
  StateSaver big(loop, path, [this](std::string& out) { pack_large(out); });
  start_writing(big);
  version = 5;
  big.changed();  // most likely while the first write goes on
  ASSERT_TRUE(harness::pump_until([&] { loop.run_once(5ms); },
                                  [&] { return big.saves_completed() == 2; }, harness::kDeadline));
  EXPECT_EQ(saved_version(), 5u);
  EXPECT_EQ(snapshots, 2);
  run_rounds(10);
  EXPECT_EQ(big.saves_completed(), 2u);
}

// Destroyed while the file is being written and another change waits: the write ends whole, and
// nothing is left scheduled on the loop for a saver that is gone.
TEST_F(LargeSaverFixture, ClosingDuringAWriteLeavesNothingBehind) {
  {
    StateSaver big(loop, path, [this](std::string& out) { pack_large(out); });
    start_writing(big);
    version = 9;
    big.changed();
  }
  EXPECT_EQ(saved_version(), 1u);  // the write in progress, whole
  // Longer than the saver would wait before its next save: nine times what this one cost.
  EXPECT_FALSE(harness::pump_until([&] { loop.run_once(5ms); }, [&] { return snapshots > 1; }, 2s));
}

TEST_F(SaverFixture, SavesTakeAtMostATenthOfTheTime) {
  // A slow snapshot: 20 ms each.
  StateSaver slow(loop, path, [this](std::string& out) {
    const auto until = SteadyClock::now() + 20ms;
    while (SteadyClock::now() < until) {
    }
    out = snapshot();
  });
  slow.save_now();
  const auto start = SteadyClock::now();
  slow.changed();
  ASSERT_TRUE(harness::pump_until([&] { loop.run_once(5ms); },
                                  [&] { return slow.saves_completed() == 2; }, harness::kDeadline));
  EXPECT_GE(SteadyClock::now() - start, 9 * 20ms);
}

TEST_F(SaverFixture, AFailedSaveKeepsThePreviousFileAndTheNextChangeTriesAgain) {
  version = 4;
  saver.save_now();
  ASSERT_EQ(saved_version(), 4u);
  // The temporary file cannot be written: its name is taken by a folder (permissions would not
  // stop root).
  ASSERT_EQ(::mkdir((path + ".tmp").c_str(), 0700), 0);
  version = 5;
  saver.changed();
  ASSERT_TRUE(harness::pump_until([&] { loop.run_once(5ms); },
                                  [&] { return saver.saves_failed() == 1; }, harness::kDeadline));
  EXPECT_EQ(saved_version(), 4u);

  ::rmdir((path + ".tmp").c_str());
  version = 6;
  saver.changed();
  ASSERT_TRUE(harness::pump_until([&] { loop.run_once(5ms); },
                                  [&] { return saver.saves_completed() == 2; },
                                  harness::kDeadline));
  EXPECT_EQ(saved_version(), 6u);
}

}  // namespace
}  // namespace baton::node
