#include "node/process/child_reaper.hpp"

#include <sys/wait.h>

#include <cerrno>

namespace baton {

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
