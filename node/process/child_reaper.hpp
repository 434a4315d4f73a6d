// Reaps every exited child of this process (on SIGCHLD) and hands each exit status to whoever
// asked to be told about that pid. A child nobody asked about (for example an orphan adopted by a
// subreaper) is reaped too, so no zombie is ever left behind.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <unordered_map>

namespace baton {

struct ExitStatus {
  int code = -1;   // exit code when the process exited normally, else -1
  int signal = 0;  // terminating signal, else 0
  bool core_dumped = false;
  // The process was not our child (adopted after a node restart): it is gone, how is unknown.
  bool unknown = false;
  bool exited_normally() const { return signal == 0; }
  static ExitStatus unknown_status() { return ExitStatus{-1, 0, false, true}; }
};

ExitStatus decode_wait_status(int status);
// "SIGTERM", or "signal 42" for a number without a name.
std::string signal_name(int sig);
// "exit code 3" or "signal SIGSEGV (core dumped)".
std::string describe(const ExitStatus& status);

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
