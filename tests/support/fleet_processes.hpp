// Real baton-broker and baton-node processes for fleet tests, and a plain ZeroMQ control client
// and bus subscriber written from schemas/ (not from the broker's code) to talk to them.
#pragma once

#include <zmq.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/net/curve_keys.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"
#include "tests/support/test_support.hpp"

namespace baton::test {

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

// A DEALER on the broker's control socket.
class ControlClient {
 public:
  explicit ControlClient(const std::string& control,
                         const std::optional<CurveClientKeys>& keys = std::nullopt);
  struct Reply {
    bool ok = false;
    std::string error;
    std::string frame;  // whole reply, for the result
    msgpack::object_handle handle;
    const msgpack::object* result() const;
  };
  // Sends {v, id, op, args} (args packed from `args`) and waits for the answer; nullopt on
  // timeout.
  template <class Args>
  std::optional<Reply> request(const std::string& op, const Args& args,
                               std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    return request_raw(
        op, proto::control::pack_request(proto::control::RequestHeader{1, next_id(), op}, args),
        wait);
  }
  std::optional<Reply> request(const std::string& op) {
    return request(op, proto::control::Empty{});
  }
  std::optional<Reply> request_raw(const std::string& op, const std::string& frame,
                                   std::chrono::milliseconds wait = std::chrono::seconds(10));
  // Sends any bytes as a request frame (garbage tests); does not wait.
  void send_garbage(const std::vector<std::string>& frames);
  template <class Result>
  std::optional<Result> result_as(const Reply& reply) const {
    const msgpack::object* r = reply.result();
    if (r == nullptr) return std::nullopt;
    auto decoded = proto::decode<Result>(*r);
    if (!decoded) return std::nullopt;
    return *decoded;
  }

  // get_all_apps_state as a map machine.app -> AppStatus.
  std::map<std::string, proto::control::AppStatus> all_apps();
  std::optional<proto::control::AppStatus> app(const std::string& id);
  std::optional<proto::control::PlanState> plan(const std::string& name);
  bool has_flag(const std::string& id, const std::string& flag);
  // Waits until `condition` holds for the app's status.
  bool wait_app(const std::string& id,
                const std::function<bool(const proto::control::AppStatus&)>& condition,
                std::chrono::milliseconds deadline = kDeadline);
  bool wait_plan(const std::string& name, const std::string& status,
                 std::chrono::milliseconds deadline = kDeadline);
  // Waits until `machine` is online and has answered a command routed to it (an empty set_vars,
  // which changes nothing): the first command of a test then goes the whole way to the node.
  bool wait_linked(const std::string& machine, std::chrono::milliseconds deadline = kDeadline);

 private:
  std::string next_id() { return "t" + std::to_string(++id_); }
  zmq::context_t context_;
  zmq::socket_t socket_;
  unsigned id_ = 0;
};

bool has_flag(const proto::bus::AppState& state, const std::string& flag);

// A SUB on the broker's bus, recording what arrives.
class BusWatcher {
 public:
  BusWatcher(const std::string& bus, const std::vector<std::string>& prefixes,
             const std::optional<CurveClientKeys>& keys = std::nullopt);
  void pump(std::chrono::milliseconds wait = std::chrono::milliseconds(10));
  bool pump_until(const std::function<bool()>& condition,
                  std::chrono::milliseconds deadline = kDeadline);
  const std::vector<std::pair<std::string, std::string>>& messages() const { return messages_; }
  std::vector<proto::bus::Event> events(const std::string& machine_app) const;

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::vector<std::pair<std::string, std::string>> messages_;
};

}  // namespace baton::test
