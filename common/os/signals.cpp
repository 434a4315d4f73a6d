#include "common/os/signals.hpp"

#include <cerrno>
#include <system_error>

namespace baton {

namespace {
sigset_t make_set(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : signals)
    sigaddset(&set, sig);
  return set;
}
}  // namespace

void block_signals(std::initializer_list<int> signals) {
  sigset_t set = make_set(signals);
  if (int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
  }
}

SignalFd::SignalFd(std::initializer_list<int> signals) {
  sigset_t set = make_set(signals);
  int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  fd_.reset(fd);
}

std::optional<signalfd_siginfo> SignalFd::read() {
  signalfd_siginfo info;
  ssize_t n = ::read(fd_.get(), &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return std::nullopt;
  return info;
}

}  // namespace baton
