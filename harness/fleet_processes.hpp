// Real baton-broker and baton-node processes for fleet tests and benchmarks, each with its own
// sockets, logs and state folders in a TempDir.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/net/curve_keys.hpp"
#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/temp_dir.hpp"

namespace baton::harness {

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_tcp_port();

struct BrokerEndpoints {
  std::string control, ingest, bus;
  // ipc:// socket files in `dir`, as the broker's defaults: nothing to pick, no port to race for.
  static BrokerEndpoints in(const TempDir& dir);
  // Three free loopback ports, for tests about tcp:// (the broker needs keys or --insecure).
  static BrokerEndpoints loopback_tcp();
};

class BrokerProcess {
 public:
  // Starts baton-broker on `endpoints` and waits until it answers hello (with `hello_keys` to
  // a broker given keys). `log_name` names the log file in `dir` (a restarted broker gets a new
  // one).
  BrokerProcess(const TempDir& dir, const std::string& config, BrokerEndpoints endpoints,
                std::vector<std::string> extra_args = {}, const std::string& log_name = "broker",
                const std::optional<CurveClientKeys>& hello_keys = std::nullopt);
  const BrokerEndpoints& endpoints() const { return endpoints_; }
  std::string log() const { return read_file(log_path_); }
  ChildProcess& process() { return process_; }

 private:
  BrokerEndpoints endpoints_;
  std::string log_path_;
  ChildProcess process_;
};

// baton-node for `machine`, connected to the broker at `control`.
class FleetNode {
 public:
  FleetNode(const TempDir& dir, const std::string& machine, const std::string& control,
            std::vector<std::string> extra_args = {});
  std::string log() const { return read_file(log_path_); }
  ChildProcess& process() { return *process_; }
  // Stops the node the hard way and starts it again with the same options.
  void kill9_and_restart();
  void kill9();
  void start();

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  int starts_ = 0;
  const TempDir& dir_;
  std::string machine_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace baton::harness
