// A process handle that cannot be confused with a later process reusing the same pid: polls
// readable when the process exits, and signals sent through it reach only that process.
#pragma once

#include <sys/types.h>

#include "common/expected.hpp"
#include "common/os/unique_fd.hpp"

namespace baton {

class Pidfd {
 public:
  static Expected<Pidfd> open(pid_t pid);

  Pidfd(Pidfd&&) noexcept = default;
  Pidfd& operator=(Pidfd&&) noexcept = default;

  pid_t pid() const { return pid_; }
  int fd() const { return fd_.get(); }
  // False when the process has already exited (ESRCH) or may not be signalled.
  bool send_signal(int sig) const;
  // True once the process has exited (zombie or reaped).
  bool exited() const;

 private:
  Pidfd(pid_t pid, UniqueFd fd) : pid_(pid), fd_(std::move(fd)) {}
  pid_t pid_;
  UniqueFd fd_;
};

}  // namespace baton
