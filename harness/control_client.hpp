// A plain ZeroMQ client of the broker's control socket, written from schemas/ (not from the
// broker's code), with the waits that tests and benchmarks build on.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/net/curve_keys.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"
#include "harness/polling.hpp"

namespace baton::harness {

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

}  // namespace baton::harness
