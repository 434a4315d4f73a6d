// Starting a child process without a shell: argv and environment exactly as given, its own
// session, a clean signal mask, optionally another user. spawn() returns only after the child has
// exec'd or failed to, so "missing executable" is reported to the caller, not lost in the child.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/expected.hpp"

namespace baton {

struct SpawnRequest {
  std::vector<std::string> argv;                // argv[0] without '/' is looked up in PATH of `env`
  std::optional<std::vector<std::string>> env;  // "K=V" entries; nullopt: the caller's environment
  std::string cwd;                              // empty: inherit
  std::optional<uid_t> uid;                     // switch user (needs privilege)
  std::optional<gid_t> gid;
  int stdout_fd = -1;       // -1: /dev/null
  int stderr_fd = -1;       // -1: /dev/null
  bool new_session = true;  // setsid(): own process group, no controlling terminal
  // The child's nice value; nullopt: the caller's. (A node running at a negative nice for its
  // watchdog's sake starts its apps at the nice it was given itself.)
  std::optional<int> nice;
};

Expected<pid_t> spawn(const SpawnRequest& request);

// argv for running `command` through /bin/sh -c.
std::vector<std::string> shell_argv(const std::string& command);

// The calling process's environment as "K=V" entries.
std::vector<std::string> current_environment();

}  // namespace baton
