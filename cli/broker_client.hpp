// The command line's side of the control protocol (common/proto/control.hpp): one DEALER to the
// broker's ROUTER, one request at a time, each answered by one frame carrying the request's id.
//
// Every wait is bounded by the timeout given at construction. Failures end the verb as a CliError:
//   - no answer to hello, or to a later request, in time: ExitCode::kUnreachable;
//   - a reply with ok=false: ExitCode::kRequestFailed with the broker's own text;
//   - a reply that does not decode: ExitCode::kRequestFailed naming the op and the field.
// A reply whose id is not the pending request's (a stale answer) is skipped.
#pragma once

#include <msgpack.hpp>
#include <zmq.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/cli_context.hpp"
#include "common/net/curve_keys.hpp"
#include "common/net/handshake_monitor.hpp"
#include "common/proto/control.hpp"

namespace baton::cli {

// One decoded reply. It owns the memory its result object points into.
class Reply {
 public:
  Reply(std::string op, std::unique_ptr<msgpack::zone> zone, msgpack::object result)
      : op_(std::move(op)), zone_(std::move(zone)), result_(result) {}

  // The reply's "result" (nil when the broker sent none).
  const msgpack::object& result() const { return result_; }

  // The result as a message; throws CliError(kRequestFailed) when it does not decode.
  template <class Result>
  Result as() const {
    auto decoded = proto::decode<Result>(result_);
    if (!decoded) {
      throw CliError(ExitCode::kRequestFailed,
                     "the broker's answer to " + op_ + " is malformed: " + decoded.error().message);
    }
    return std::move(decoded).value();
  }

 private:
  std::string op_;
  std::unique_ptr<msgpack::zone> zone_;
  msgpack::object result_;
};

class BrokerClient {
 public:
  // Connects to context.broker with context's keys (a usage error when they cannot be read).
  explicit BrokerClient(const CliContext& context);
  BrokerClient(const BrokerClient&) = delete;
  BrokerClient& operator=(const BrokerClient&) = delete;

  // Says hello as a client, once; later calls return the first answer.
  const proto::control::HelloResult& hello();

  // Sends `op` with `args` (hello first if it has not been said) and waits for its reply.
  template <class Args>
  Reply request(proto::control::ControlOp op, const Args& args) {
    hello();
    const std::string id = next_id();
    return exchange(id, op, proto::control::pack_request(header(id, op), args));
  }

  // request() and decode of the result as `Result`.
  template <class Result, class Args>
  Result call(proto::control::ControlOp op, const Args& args) {
    return request(op, args).template as<Result>();
  }

  // The bus endpoint to subscribe to, as this client can reach it (after hello).
  std::string bus_endpoint();
  // A SUB socket connected to `bus_endpoint` with this client's keys, subscribed to nothing yet;
  // a CliError (kRequestFailed) when it cannot connect. For the live verbs (watch, logs -f).
  zmq::socket_t bus_subscriber(const std::string& bus_endpoint);

  const std::string& control_endpoint() const { return control_endpoint_; }
  zmq::context_t& context() { return context_; }
  // Makes `socket` (a new one of context()) a CURVE client like this one, when keys are in use.
  void secure(zmq::socket_t& socket) const;

 private:
  std::string next_id();
  static proto::control::RequestHeader header(const std::string& id, proto::control::ControlOp op);
  // Waits until the socket has one of `events`, or the deadline passes; a refused handshake ends
  // the wait with a CliError that says why.
  bool wait_for(short events, std::chrono::steady_clock::time_point deadline);
  // Sends `frame` and waits for the reply whose id is `id`.
  Reply exchange(const std::string& id, proto::control::ControlOp op, const std::string& frame);

  std::string control_endpoint_;
  std::chrono::milliseconds timeout_;
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::optional<CurveClientKeys> keys_;
  std::optional<HandshakeMonitor> handshakes_;
  std::optional<proto::control::HelloResult> hello_;
  unsigned request_count_ = 0;
};

// The endpoint a broker advertises, made reachable from here: a broker bound to every interface
// ("tcp://*:7102", "tcp://0.0.0.0:7102") advertises an address a client cannot connect to, so the
// host of the control endpoint the user gave takes its place. Other endpoints are kept as they are.
std::string reachable_endpoint(const std::string& advertised, const std::string& control_endpoint);

}  // namespace baton::cli
