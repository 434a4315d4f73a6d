#include "common/os/exit_status.hpp"

#include <sys/wait.h>

#include <string.h>

namespace baton {

ExitStatus decode_wait_status(int status) {
  ExitStatus out;
  if (WIFEXITED(status)) {
    out.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
    out.core_dumped = WCOREDUMP(status);
  }
  return out;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string describe(const ExitStatus& status) {
  if (status.unknown) return "exit status unknown (not a child of this node process)";
  if (status.exited_normally()) return "exit code " + std::to_string(status.code);
  std::string text = "signal " + signal_name(status.signal);
  if (text.starts_with("signal signal")) text = text.substr(7);
  return status.core_dumped ? text + " (core dumped)" : text;
}

}  // namespace baton
