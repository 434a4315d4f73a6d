// How a process ended: decoded from a wait status, named for people ("signal SIGSEGV (core
// dumped)"). Shared by the node, which reaps its apps, and the CLI, which shows how they ended.
#pragma once

#include <string>

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

}  // namespace baton
