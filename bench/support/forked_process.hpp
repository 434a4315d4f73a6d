// A child process made with fork() that runs a function of the benchmark, for load generators that
// must be separate processes (the node tells apps apart by pid) but need no executable of their
// own. Destruction kills (SIGKILL) and reaps it, like harness::ChildProcess.
//
// Fork only from a process without threads (before any ZeroMQ context): the child gets a copy of
// one thread, and a lock another thread held would stay locked in it forever.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

namespace baton::bench {

class ForkedProcess {
 public:
  // Runs `body` in a new process whose only descriptors are stdin/stderr, /dev/null as stdout
  // (the parent's stdout carries its JSON report) and `keep_fds`. The child ends with _exit(0)
  // when `body` returns, _exit(1) when it throws: it never runs the parent's destructors.
  ForkedProcess(const std::function<void()>& body, std::vector<int> keep_fds);
  ForkedProcess(ForkedProcess&& other) noexcept;
  ForkedProcess& operator=(ForkedProcess&&) = delete;
  ~ForkedProcess();

  pid_t pid() const { return pid_; }
  // Waits for the exit; false when it still runs at the deadline.
  bool wait_exit(std::chrono::milliseconds deadline);
  // The wait status once reaped.
  std::optional<int> status() const { return status_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace baton::bench
