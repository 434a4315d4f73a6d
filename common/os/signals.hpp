// Signals as a pollable fd. block_signals() must run in main() before any thread starts (the
// ZeroMQ context starts threads), so that every thread inherits the mask and the signals reach
// only the signalfd. Children get a clean mask from spawn().
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <initializer_list>
#include <optional>

#include "common/os/unique_fd.hpp"

namespace baton {

void block_signals(std::initializer_list<int> signals);

class SignalFd {
 public:
  explicit SignalFd(std::initializer_list<int> signals);
  int fd() const { return fd_.get(); }
  // Next pending signal, or nullopt when none is pending.
  std::optional<signalfd_siginfo> read();

 private:
  UniqueFd fd_;
};

}  // namespace baton
