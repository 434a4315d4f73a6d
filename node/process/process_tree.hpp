// Finding every process that belongs to an app, for KillTree, without cgroups (which a container
// or an old kernel may not let us create): the descendants of the app's process by parent links,
// plus every process whose environment carries the app's launch marker. The marker catches what
// parent links miss: a grandchild that called setsid() and whose parent has exited, so that it was
// re-parented to the node (a child subreaper) or to init. Only a process that scrubs its
// environment and leaves the tree escapes both.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "node/process/proc_stat.hpp"

namespace baton {

// The pids of `root`'s descendants (not root itself) and of processes whose environment contains
// the exact entry `marker` ("NAME=value"); empty marker: descendants only.
std::vector<pid_t> find_app_processes(pid_t root, std::string_view marker);

// Sends `sig` to `root`, to its process group, and to every process find_app_processes() finds.
// Returns how many processes were signalled beside root.
std::size_t signal_process_tree(pid_t root, std::string_view marker, int sig);

// Sends `sig` to every process whose environment carries `marker` (not empty) and to their
// descendants; never to anything else, so it is safe after the app's own process is gone and its
// pid may belong to a stranger. For a sweep after signal_process_tree(): a process in the middle
// of an exec shows no environment for a moment, and one preempted there escapes every scan of
// that moment. Returns how many processes were signalled.
std::size_t signal_marked_processes(std::string_view marker, int sig);

// A live process whose environment carries a launch marker (BATON_LAUNCH_ID=<launch id>).
struct MarkedProcess {
  pid_t pid = 0;
  pid_t parent = 0;
  std::string launch_id;
};
// Every live process whose BATON_LAUNCH_ID starts with `prefix`: the processes of launches a node
// made (an app's own process and whatever it started).
std::vector<MarkedProcess> find_marked_processes(std::string_view prefix);
// The BATON_LAUNCH_ID of one process (`stat` its /proc/<pid>/stat), "" when it has none or its
// environment cannot be read.
std::string launch_id_of(pid_t pid, const ProcStat& stat);

}  // namespace baton
