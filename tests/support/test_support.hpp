// Helpers for tests that run real processes: temporary folders, child processes that are always
// cleaned up, and waiting for a condition by polling with a generous deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "node/process/child_reaper.hpp"
#include "node/process/pidfd.hpp"

namespace baton::test {

using namespace std::chrono_literals;

// Generous: CI machines are small and shared, sanitizer builds are slow.
inline constexpr std::chrono::milliseconds kDeadline = 20s;

// Polls `condition` every few milliseconds until it holds or `deadline` passes.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = kDeadline);

// Calls `pump` (which waits a little for socket input and handles it) until `condition` holds or
// `deadline` passes.
bool pump_until(const std::function<void()>& pump, const std::function<bool()>& condition,
                std::chrono::milliseconds deadline);

std::string read_file(const std::string& path);  // "" when missing
// How many times `part` occurs in `text` (overlapping occurrences too).
std::size_t count_occurrences(const std::string& text, const std::string& part);
std::vector<std::string> read_lines(const std::string& path);
bool file_exists(const std::string& path);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A child process of the test. Destruction kills it (SIGKILL) and reaps it: no test leaves a
// process behind, whatever assertion fails.
class ChildProcess {
 public:
  struct Options {
    std::map<std::string, std::string> env;  // added to the test's environment
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

// A running baton-node with its own appmonitor socket and log file.
class NodeProcess {
 public:
  NodeProcess(const TempDir& dir, std::vector<std::string> extra_args = {},
              const std::string& machine = "m1");
  std::string log_dir() const { return log_dir_; }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& log_path() const { return log_path_; }
  std::string log() const { return read_file(log_path_); }
  ChildProcess& process() { return process_; }
  bool log_contains(const std::string& text) const;

 private:
  std::string endpoint_;
  std::string socket_path_;
  std::string log_path_;
  std::string log_dir_;
  ChildProcess process_;
};

}  // namespace baton::test
