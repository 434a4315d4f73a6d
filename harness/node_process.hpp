// A running baton-node on its own, without a broker: its appmonitor socket, log file, log and
// state folders in a TempDir.
#pragma once

#include <string>
#include <vector>

#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/temp_dir.hpp"

namespace baton::harness {

class NodeProcess {
 public:
  // Starts the node and waits until its appmonitor socket exists; throws with the node's log when
  // it does not start.
  NodeProcess(const TempDir& dir, std::vector<std::string> extra_args = {},
              const std::string& machine = "m1");
  std::string log_dir() const { return log_dir_; }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& log_path() const { return log_path_; }
  std::string log() const { return read_file(log_path_); }
  ChildProcess& process() { return process_; }
  bool log_contains(const std::string& text) const;

 private:
  std::string endpoint_;
  std::string socket_path_;
  std::string log_path_;
  std::string log_dir_;
  ChildProcess process_;
};

}  // namespace baton::harness
