// Reaps every exited child of this process (on SIGCHLD) and hands each exit status to whoever
// asked to be told about that pid. A child nobody asked about (for example an orphan adopted by a
// subreaper) is reaped too, so no zombie is ever left behind.
#pragma once

#include <sys/types.h>

#include <functional>
#include <unordered_map>

#include "common/os/exit_status.hpp"

namespace baton {

class ChildReaper {
 public:
  using Callback = std::function<void(pid_t, ExitStatus)>;

  void watch(pid_t pid, Callback on_exit) { callbacks_[pid] = std::move(on_exit); }
  void forget(pid_t pid) { callbacks_.erase(pid); }
  // For children nobody watches.
  void on_unknown_child(Callback callback) { unknown_ = std::move(callback); }
  // Call on SIGCHLD: waitpid(-1, WNOHANG) until no exited child is left.
  void reap();

 private:
  std::unordered_map<pid_t, Callback> callbacks_;
  Callback unknown_;
};

}  // namespace baton
