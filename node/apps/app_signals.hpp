// Signals to an app's processes: to the process group the app leads (spawn calls setsid), or, for
// a KillTree app, to its whole process tree, found by the launch marker in each member's
// environment (BATON_LAUNCH_ID), also members that left the group.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/loop/event_loop.hpp"

namespace baton::node {

class AppSignals {
 public:
  explicit AppSignals(EventLoop& loop) : loop_(loop) {}
  AppSignals(const AppSignals&) = delete;
  AppSignals& operator=(const AppSignals&) = delete;

  // `sig` to the process group of `pid`, the app's process.
  static void to_group(const std::string& app, pid_t pid, int sig);
  // `sig` to `pid` and every process of the launch `launch_id`. After a SIGKILL the tree is swept
  // again by its marker a little later: a member in the middle of an exec at the kill shows no
  // environment for that moment and escapes it.
  void to_tree(const std::string& app, pid_t pid, const std::string& launch_id, int sig);

 private:
  EventLoop& loop_;
  std::vector<Timer> sweeps_;  // those that ran are dropped at the next SIGKILL
};

}  // namespace baton::node
