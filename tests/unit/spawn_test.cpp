// spawn(): real child processes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "harness/files.hpp"
#include "harness/temp_dir.hpp"
#include "node/process/spawn.hpp"

namespace baton {
namespace {

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Spawn, RunsWithGivenEnvironmentAndDirectory) {
  harness::TempDir dir;
  SpawnRequest r;
  r.argv = shell_argv("echo \"$GREETING\" > out.txt; pwd >> out.txt");
  r.env = std::vector<std::string>{"GREETING=hello world", "PATH=/usr/bin:/bin"};
  r.cwd = dir.path();
  auto pid = spawn(r);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  EXPECT_EQ(wait_for(*pid), 0);
  EXPECT_EQ(harness::read_file(dir / "out.txt"), "hello world\n" + dir.path() + "\n");
}

TEST(Spawn, MissingExecutableIsReportedToTheCaller) {
  SpawnRequest r;
  r.argv = {"/nonexistent/program", "--flag"};
  auto pid = spawn(r);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.error().message,
            "cannot execute '/nonexistent/program': No such file or directory");
}

TEST(Spawn, BareNameIsFoundInPath) {
  SpawnRequest r;
  r.argv = {"true"};
  r.env = std::vector<std::string>{"PATH=/nonexistent:/usr/bin:/bin"};
  auto pid = spawn(r);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  EXPECT_EQ(wait_for(*pid), 0);
}

TEST(Spawn, MissingDirectoryIsReported) {
  SpawnRequest r;
  r.argv = {"/bin/true"};
  r.cwd = "/nonexistent/dir";
  auto pid = spawn(r);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.error().message,
            "cannot enter directory '/nonexistent/dir': No such file or directory");
}

TEST(Spawn, ChildGetsItsOwnSessionAndNoInheritedDescriptors) {
  harness::TempDir dir;
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately not close-on-exec
  SpawnRequest r;
  const std::string fd = std::to_string(leaked);
  r.argv = shell_argv(
      "cut -d' ' -f6 /proc/$$/stat > sid.txt; "
      "if [ -e /proc/$$/fd/" +
      fd + " ]; then echo leaked; else echo clean; fi > fd.txt");
  r.cwd = dir.path();
  auto pid = spawn(r);
  ::close(leaked);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  EXPECT_EQ(wait_for(*pid), 0);
  EXPECT_EQ(std::stoi(harness::read_file(dir / "sid.txt")), *pid);  // a session leader
  EXPECT_EQ(harness::read_file(dir / "fd.txt"), "clean\n");
}

}  // namespace
}  // namespace baton
