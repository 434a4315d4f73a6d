// Resource usage of real processes: a busy loop, a sleeper, an app that holds 100 MB, a tree.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "harness/polling.hpp"
#include "node/process/proc_stat.hpp"
#include "node/process/spawn.hpp"
#include "node/usage/app_usage_sampler.hpp"
#include "node/usage/machine_usage_sampler.hpp"

namespace baton::node {
namespace {

using namespace std::chrono_literals;

TEST(ProcStatLine, FieldsAreCountedAfterTheLastParenthesis) {
  const auto stat = parse_proc_stat(
      "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 5 0 123456 1000 "
      "300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->parent, 17);
  EXPECT_EQ(stat->user_ticks, 250u);
  EXPECT_EQ(stat->system_ticks, 50u);
  EXPECT_EQ(stat->children_user_ticks, 7u);
  EXPECT_EQ(stat->children_system_ticks, 3u);
  EXPECT_EQ(stat->threads, 5u);
  EXPECT_EQ(stat->start_time, 123456u);
  EXPECT_EQ(stat->rss_pages, 300u);
}

TEST(ProcStatLine, ATruncatedOrGarbledLineIsNone) {
  EXPECT_FALSE(parse_proc_stat("").has_value());
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 1 2 3").has_value());
  EXPECT_FALSE(parse_proc_stat("4242 (x) S one 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 "
                               "21 22")
                   .has_value());
  EXPECT_FALSE(read_proc_stat(0).has_value());
}

TEST(MachineUsageFiles, ParsesCpuTicksAndMemory) {
  const auto ticks = parse_cpu_ticks("cpu  100 5 20 1000 10 1 2 3 0 0\ncpu0 1 2 3 4\n");
  ASSERT_TRUE(ticks.has_value());
  EXPECT_EQ(ticks->busy, 100u + 5 + 20 + 1 + 2 + 3);
  EXPECT_EQ(ticks->total, ticks->busy + 1000 + 10);
  EXPECT_FALSE(parse_cpu_ticks("intr 1 2 3").has_value());

  const auto memory = parse_meminfo(
      "MemTotal:       16000 kB\nMemFree:   100 kB\n"
      "MemAvailable:    8000 kB\n");
  ASSERT_TRUE(memory.has_value());
  EXPECT_EQ(memory->first, 16000u * 1024);
  EXPECT_EQ(memory->second, 8000u * 1024);
  EXPECT_FALSE(parse_meminfo("MemTotal: 1 kB\n").has_value());
}

TEST(MachineUsageFiles, ThisMachineHasCpusMemoryAndLoopback) {
  MachineUsageSampler sampler;
  const auto first = sampler.sample();
  EXPECT_GE(first.cpus, 1u);
  EXPECT_GT(first.memory_total_bytes, 0u);
  EXPECT_GT(first.memory_available_bytes, 0u);
  EXPECT_LE(first.memory_available_bytes, first.memory_total_bytes);
  EXPECT_GE(first.load1, 0.0);
  EXPECT_FALSE(first.addresses.empty());
  const auto second = sampler.sample();
  EXPECT_GE(second.cpu_percent, 0.0);
  EXPECT_LE(second.cpu_percent, 100.0);
}

class AppUsageTest : public ::testing::Test {
 protected:
  pid_t start(const std::string& script) {
    SpawnRequest r;
    r.argv = shell_argv(script);
    r.new_session = true;
    auto pid = spawn(r);
    EXPECT_TRUE(pid.ok()) << pid.error().message;
    if (!pid.ok()) return -1;
    started_.push_back(*pid);
    return *pid;
  }
  // Samples until `done` holds for the app's sample (each sample a little after the last, so
  // that CPU% has an interval), or a generous deadline passes.
  proto::bus::AppUsage sample_until(const RunningApp& app,
                                    const std::function<bool(const proto::bus::AppUsage&)>& done) {
    proto::bus::AppUsage last;
    const auto deadline = SteadyClock::now() + harness::kDeadline;
    do {
      // CPU time counts in clock ticks (10 ms): an interval of a few ticks at the least.
      ::usleep(200'000);
      last = sampler_.sample({app}, SteadyClock::now()).at(0);
    } while (!done(last) && SteadyClock::now() < deadline);
    return last;
  }
  void TearDown() override {
    // Each script is a process group of its own (spawn calls setsid): end the whole tree.
    for (pid_t pid : started_) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  AppUsageSampler sampler_;
  std::vector<pid_t> started_;
};

TEST_F(AppUsageTest, ABusyLoopUsesACoreAndASleeperNothing) {
  const RunningApp busy{"busy", start("while :; do :; done"), ""};
  const RunningApp sleeper{"sleeper", start("exec sleep 1000"), ""};
  // A loop that never waits runs whenever a core is free: well over a quarter of one even when
  // every core of a two-core machine is shared with three other busy processes.
  const auto busy_usage =
      sample_until(busy, [](const proto::bus::AppUsage& u) { return u.cpu_percent > 25; });
  EXPECT_GT(busy_usage.cpu_percent, 25);
  EXPECT_LE(busy_usage.cpu_percent, 110);
  EXPECT_GT(busy_usage.cpu_seconds, 0);
  EXPECT_EQ(busy_usage.processes, 1u);

  const auto first = sampler_.sample({sleeper}, SteadyClock::now()).at(0);
  EXPECT_EQ(first.cpu_percent, 0) << "no interval yet";
  ::usleep(300'000);  // an interval for CPU%, not a wait for a condition
  const auto idle = sampler_.sample({sleeper}, SteadyClock::now()).at(0);
  EXPECT_LT(idle.cpu_percent, 5);
  EXPECT_EQ(idle.processes, 1u);
  EXPECT_GT(idle.rss_bytes, 0u);
  EXPECT_GE(idle.threads, 1u);
  EXPECT_GE(idle.open_files, 3u);  // stdin, stdout, stderr
}

TEST_F(AppUsageTest, MemoryTheAppTouchedIsResident) {
  const RunningApp app{
      "big", start("exec python3 -c 'import time; b = b\"x\" * (100 << 20); time.sleep(1000)'"),
      ""};
  const auto usage =
      sample_until(app, [](const proto::bus::AppUsage& u) { return u.rss_bytes >= (100u << 20); });
  EXPECT_GE(usage.rss_bytes, 100u << 20);
  EXPECT_LT(usage.rss_bytes, 400u << 20);
}

TEST_F(AppUsageTest, TheWholeTreeIsCounted) {
  const RunningApp app{"tree", start("sleep 1000 & sleep 1000 & (sleep 1000 &) ; wait"), ""};
  // sh, two sleeps it waits for, and one whose subshell parent exited (re-parented elsewhere, so
  // not counted without the node's launch marker): three by parent links.
  const auto usage =
      sample_until(app, [](const proto::bus::AppUsage& u) { return u.processes >= 3; });
  EXPECT_EQ(usage.processes, 3u);
  EXPECT_GE(usage.threads, 3u);
}

TEST_F(AppUsageTest, ASampleInSlicesFindsWhatOneCallFinds) {
  const RunningApp app{"tree", start("sleep 1000 & sleep 1000 & wait"), ""};
  ASSERT_EQ(sample_until(app, [](const auto& u) { return u.processes == 3; }).processes, 3u);
  // One process a slice: as many slices as the machine has processes, and the same answer.
  sampler_.begin({app}, SteadyClock::now());
  std::size_t slices = 1;
  while (!sampler_.step(1))
    ++slices;
  const auto usage = sampler_.take();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].processes, 3u);
  EXPECT_GT(slices, 3u);
}

TEST_F(AppUsageTest, AnAppWhoseProcessIsGoneUsesNothing) {
  const RunningApp gone{"gone", start("exit 0"), ""};
  ::waitpid(gone.pid, nullptr, 0);
  started_.clear();
  const auto usage = sampler_.sample({gone}, SteadyClock::now()).at(0);
  EXPECT_EQ(usage.processes, 0u);
  EXPECT_EQ(usage.rss_bytes, 0u);
  EXPECT_EQ(usage.cpu_percent, 0);
}

}  // namespace
}  // namespace baton::node
