#include "node/process/pidfd.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace baton {

// Raw syscalls: glibc 2.36's <sys/pidfd.h> declares these without extern "C", so C++ cannot link
// against it.
namespace {
int sys_pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int sys_pidfd_send_signal(int fd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0));
}
}  // namespace

Expected<Pidfd> Pidfd::open(pid_t pid) {
  if (pid <= 0) return Error{"invalid pid " + std::to_string(pid)};
  int fd = sys_pidfd_open(pid);  // close-on-exec by default
  if (fd < 0) {
    if (errno == ESRCH) return Error{"no process with pid " + std::to_string(pid)};
    return Error{"cannot open pid " + std::to_string(pid) + ": " + std::strerror(errno)};
  }
  return Pidfd(pid, UniqueFd(fd));
}

bool Pidfd::send_signal(int sig) const {
  return sys_pidfd_send_signal(fd_.get(), sig) == 0;
}

bool Pidfd::exited() const {
  pollfd p{fd_.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace baton
