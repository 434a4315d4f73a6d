// A child process of a test or benchmark, always cleaned up, and where the build put the binaries
// it starts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/polling.hpp"
#include "node/process/child_reaper.hpp"
#include "node/process/pidfd.hpp"

namespace baton::harness {

// Destruction kills the process (SIGKILL) and reaps it: no test leaves a process behind, whatever
// assertion fails.
class ChildProcess {
 public:
  struct Options {
    std::map<std::string, std::string> env;  // added to the caller's environment
    std::vector<std::string> unset_env;
    std::string output_file;  // stdout+stderr; empty: /dev/null
  };
  ChildProcess(std::vector<std::string> argv, Options options);
  ChildProcess(ChildProcess&&) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running();
  // Waits for the exit; nullopt when it is still running at the deadline.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds deadline = kDeadline);
  void signal(int sig);
  // SIGTERM, then wait; SIGKILL if it does not go within the deadline.
  std::optional<ExitStatus> terminate(std::chrono::milliseconds deadline = kDeadline);

 private:
  pid_t pid_ = -1;
  std::optional<Pidfd> pidfd_;
  std::optional<ExitStatus> status_;
};

// Where the build put our binaries (set by CMake).
std::string binary_path(const std::string& name);

}  // namespace baton::harness
