#include "common/os/child_reaper.hpp"

#include <sys/wait.h>

#include <string.h>

#include <cerrno>

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

void ChildReaper::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid == 0) return;  // children remain, none exited
    if (pid < 0) {
      if (errno == EINTR) continue;
      return;  // ECHILD: no children at all
    }
    ExitStatus exit = decode_wait_status(status);
    auto it = callbacks_.find(pid);
    if (it != callbacks_.end()) {
      Callback callback = std::move(it->second);
      callbacks_.erase(it);
      callback(pid, exit);
    } else if (unknown_) {
      unknown_(pid, exit);
    }
  }
}

}  // namespace baton
