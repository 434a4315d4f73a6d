// KillTree's process discovery with real process trees.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "harness/files.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "node/process/process_start_time.hpp"
#include "node/process/process_tree.hpp"
#include "node/process/spawn.hpp"

namespace baton {
namespace {

using harness::read_file;
using harness::wait_until;

// Running, and not a zombie waiting for a parent (maybe init) to reap it.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

class ProcessTreeTest : public ::testing::Test {
 protected:
  // Starts `script` under /bin/sh with the marker in its environment; returns its pid.
  pid_t start(const std::string& script, const std::string& marker) {
    SpawnRequest r;
    r.argv = shell_argv(script);
    r.env = current_environment();
    if (!marker.empty()) r.env->push_back(marker);
    r.cwd = dir_.path();
    auto pid = spawn(r);
    EXPECT_TRUE(pid.ok()) << pid.error().message;
    return pid.ok() ? *pid : -1;
  }
  pid_t read_pid(const std::string& file) {
    std::string text;
    if (!wait_until(
            [&] { return !(text = read_file(dir_ / file)).empty() && text.back() == '\n'; })) {
      return -1;
    }
    return std::stoi(text);
  }
  void TearDown() override {
    for (pid_t pid : cleanup_)
      ::kill(pid, SIGKILL);
    for (pid_t pid : children_)
      ::waitpid(pid, nullptr, 0);
  }

  harness::TempDir dir_;
  std::vector<pid_t> cleanup_;
  std::vector<pid_t> children_;
};

TEST_F(ProcessTreeTest, FindsDescendantsByParentLinks) {
  pid_t root = start("sleep 60 & echo $! > child; wait", "");
  children_.push_back(root);
  pid_t child = read_pid("child");
  ASSERT_GT(child, 0);
  cleanup_ = {root, child};
  auto found = find_app_processes(root, "");
  EXPECT_NE(std::find(found.begin(), found.end(), child), found.end());
  EXPECT_EQ(std::find(found.begin(), found.end(), root), found.end());
}

TEST_F(ProcessTreeTest, FindsAnOrphanedSetsidGrandchildByItsMarker) {
  const std::string marker = "BATON_LAUNCH_ID=test." + std::to_string(::getpid()) + ".1";
  // The middle process starts a grandchild in a new session and exits at once: the grandchild is
  // re-parented away from the app's tree.
  pid_t root = start("(setsid sleep 60 & echo $! > grandchild) ; sleep 60", marker);
  children_.push_back(root);
  pid_t grandchild = read_pid("grandchild");
  ASSERT_GT(grandchild, 0);
  cleanup_ = {root, grandchild};
  ASSERT_TRUE(wait_until([&] {
    // Wait for the re-parenting: the grandchild's parent is no longer in the root's tree.
    auto by_links = find_app_processes(root, "");
    return std::find(by_links.begin(), by_links.end(), grandchild) == by_links.end();
  }));
  // Polled too: while the grandchild is between setsid and exec, its environment cannot be read.
  EXPECT_TRUE(wait_until([&] {
    auto found = find_app_processes(root, marker);
    return std::find(found.begin(), found.end(), grandchild) != found.end();
  }));
}

TEST_F(ProcessTreeTest, SignalProcessTreeKillsEveryMember) {
  const std::string marker = "BATON_LAUNCH_ID=test." + std::to_string(::getpid()) + ".2";
  pid_t root =
      start("(setsid sleep 60 & echo $! > grandchild) ; sleep 60 & echo $! > child; wait", marker);
  children_.push_back(root);
  pid_t grandchild = read_pid("grandchild");
  pid_t child = read_pid("child");
  ASSERT_GT(grandchild, 0);
  ASSERT_GT(child, 0);
  cleanup_ = {root, child, grandchild};
  // Both are sleep by now, with their environment set up: a process in the middle of its exec has
  // no readable environment for a moment and no scan can tell it is a member (the node's SIGKILL
  // after the grace period scans again for those). Their pids are written before the exec.
  auto settled = [&](pid_t pid) {
    const std::string proc = "/proc/" + std::to_string(pid);
    return read_file(proc + "/comm") == "sleep\n" &&
           read_file(proc + "/environ").find(marker) != std::string::npos;
  };
  ASSERT_TRUE(wait_until([&] { return settled(child) && settled(grandchild); }));
  EXPECT_GE(signal_process_tree(root, marker, SIGKILL), 2u);
  EXPECT_TRUE(wait_until([&] { return !alive(grandchild) && !alive(child); }));
  int status = 0;
  ASSERT_EQ(::waitpid(root, &status, 0), root);
  children_.clear();
  EXPECT_TRUE(WIFSIGNALED(status));
}

// The sweep after a kill goes by the marker alone: every marked process (the app's shell and its
// sleep, the orphan and its child) gets the signal, an unmarked one never.
TEST_F(ProcessTreeTest, SignalMarkedProcessesTakesOnlyTheMarked) {
  const std::string marker = "BATON_LAUNCH_ID=test." + std::to_string(::getpid()) + ".3";
  pid_t root = start(
      "(setsid sh -c 'sleep 60 & echo $! > inner; wait' & echo $! > orphan) ; "
      "sleep 60",
      marker);
  pid_t bystander = start("sleep 60", "");
  children_ = {root, bystander};
  pid_t orphan = read_pid("orphan");
  pid_t inner = read_pid("inner");
  ASSERT_GT(orphan, 0);
  ASSERT_GT(inner, 0);
  cleanup_ = {root, bystander, orphan, inner};
  ASSERT_TRUE(wait_until([&] {
    const std::string environ = read_file("/proc/" + std::to_string(inner) + "/environ");
    return read_file("/proc/" + std::to_string(inner) + "/comm") == "sleep\n" &&
           environ.find(marker) != std::string::npos;
  }));
  EXPECT_GE(signal_marked_processes(marker, SIGKILL), 2u);  // the orphan and its child
  EXPECT_TRUE(wait_until([&] { return !alive(orphan) && !alive(inner); }));
  EXPECT_TRUE(alive(bystander));
  EXPECT_EQ(signal_marked_processes("", SIGKILL), 0u);
}

TEST_F(ProcessTreeTest, LeavesOtherProcessesAlone) {
  pid_t app = start("sleep 60", "BATON_LAUNCH_ID=test.app");
  pid_t bystander = start("sleep 60", "BATON_LAUNCH_ID=test.other");
  children_ = {app, bystander};
  cleanup_ = {app, bystander};
  signal_process_tree(app, "BATON_LAUNCH_ID=test.app", SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(app, &status, 0), app);
  children_ = {bystander};
  EXPECT_TRUE(alive(bystander));
}

// process_start_time() of a process reaped while its /proc/<pid>/stat is read: the read fails
// (ESRCH), which means no such process, never an exception (an ifstream threw from its underflow,
// in the node and in the tests alike). About one reap in five meets a read here.
TEST(ProcessStartTime, AProcessReapedWhileItsStatIsReadIsNoProcess) {
  EXPECT_TRUE(process_start_time(::getpid()).has_value());
  for (int i = 0; i < 100; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ASSERT_GT(pid, 0);
    std::atomic<bool> reaped{false};
    std::thread reaper([&] {
      int status;
      ::waitpid(pid, &status, 0);
      reaped = true;
    });
    EXPECT_NO_THROW({
      while (!reaped && process_start_time(pid).has_value()) {
      }
    });
    reaper.join();
  }
}

}  // namespace
}  // namespace baton
