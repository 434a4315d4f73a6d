// The processes of this machine's apps that the node did not start itself: an earlier node process
// launched them and they outlived it. After a node restart they are found by the pid and start time
// the state file recorded, or by their launch marker when the state file could not record the
// launch; before an app's first launch by this node process, by the marker again, so that an app
// never runs twice. They are not the node's children, so their exits come through pidfds; their
// output FIFOs are read on.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/loop/event_loop.hpp"
#include "node/apps/output_pipes.hpp"
#include "node/process/pidfd.hpp"
#include "node/process/process_tree.hpp"
#include "node/state/node_state_file.hpp"

namespace baton::node {

class ProcessAdoption {
 public:
  // An adopted process: the app's current one from now on.
  struct Process {
    pid_t pid = 0;
    std::string launch_id;
    std::uint64_t start_time = 0;
  };
  // An adopted process exited (its exit status is unknown).
  using Exited = std::function<void(const std::string& app, pid_t pid)>;

  ProcessAdoption(EventLoop& loop, OutputPipes& output, std::string machine, Exited exited);
  ProcessAdoption(const ProcessAdoption&) = delete;
  ProcessAdoption& operator=(const ProcessAdoption&) = delete;

  // This node's instance id (node_instance_id): launch markers carry it, so that a restarted node
  // finds the processes of its own earlier launches. Empty: nothing is found by marker.
  void set_instance(std::string instance) { instance_ = std::move(instance); }
  const std::string& instance() const { return instance_; }
  // The prefix every launch of `app` by this node instance carries: <machine>.<app>.<instance>.
  std::string marker_prefix(const std::string& app) const;

  // The process an earlier launch of `app` left running, adopted; nullopt when there is none, or
  // when it is gone meanwhile.
  std::optional<Process> take_over(const std::string& app);
  // After a node restart: the app's process as the state file recorded it in `saved`, when it is
  // still the same process, else one found by its launch marker (`saved` is then updated to say
  // it runs); nullopt when the app has no process now. The app's output FIFOs are read on (to
  // their end for a process that is gone) either way.
  std::optional<Process> recover(const std::string& app, SavedApp& saved);
  // `pid` exited: its watch and pidfd go, also from inside that watch's handler.
  void forget(pid_t pid) { adopted_.erase(pid); }

 private:
  struct Adopted {
    Pidfd pidfd;
    Watch watch;  // of pidfd
  };
  // Watches the exit of `pid` through a pidfd; false (logged) when it cannot.
  bool adopt(const std::string& app, pid_t pid);
  // The oldest marked process of an earlier launch of `app` by this node instance whose parent is
  // not of the same launch (the app's own process, not one it started).
  std::optional<MarkedProcess> left_running(const std::string& app);
  // Every process of this machine's launch markers, scanned at most once a loop round.
  const std::vector<MarkedProcess>& marked_processes();

  EventLoop& loop_;
  OutputPipes& output_;
  std::string machine_;
  Exited exited_;
  std::string instance_;
  std::optional<std::vector<MarkedProcess>> marked_;  // this round's scan
  std::unordered_map<pid_t, Adopted> adopted_;
};

}  // namespace baton::node
