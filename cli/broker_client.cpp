#include "cli/broker_client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/net/ipc_socket_file.hpp"
#include "common/net/peer_credentials.hpp"
#include "common/proto/bus.hpp"

#ifndef BATON_VERSION
#define BATON_VERSION "0.0.0"
#endif

namespace baton::cli {

namespace control = proto::control;
using std::chrono::steady_clock;

namespace {

// Receives one whole message and keeps its last frame: the reply is one frame, and a peer that
// puts a REQ-style empty delimiter before it is tolerated.
std::optional<zmq::message_t> receive_last_frame(zmq::socket_t& socket) {
  zmq::message_t frame;
  if (!socket.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
  while (frame.more()) {
    zmq::message_t next;
    if (!socket.recv(next, zmq::recv_flags::dontwait)) return std::nullopt;
    frame = std::move(next);
  }
  return frame;
}

}  // namespace

namespace {

std::optional<CurveClientKeys> keys_of(const CliContext& context) {
  auto keys = load_curve_client_keys(context.key_file, context.broker_key);
  if (!keys) throw CliError(ExitCode::kUsage, keys.error().message);
  return std::move(*keys);
}

// libzmq connects in the background and retries for ever when the kernel refuses: a user outside
// the socket's group would only see a timeout. The file system says why at once.
void check_socket_permission(const std::string& endpoint) {
  const auto path = ipc_path_of(endpoint);
  if (!path || ::faccessat(AT_FDCWD, path->c_str(), W_OK, AT_EACCESS) == 0 || errno != EACCES) {
    return;  // not ipc://, allowed, or missing (a broker that starts meanwhile is still found)
  }
  const std::string user = describe_user(::geteuid());
  const std::string what_to_do =
      ", or use --broker tcp://HOST:PORT with CURVE keys (--key, --broker-key) that the broker "
      "authorizes";
  struct stat info {};
  if (::stat(path->c_str(), &info) != 0) {
    const std::string folder = std::filesystem::path(*path).parent_path().string();
    throw CliError(ExitCode::kRequestFailed, "cannot reach the broker at " + endpoint +
                                                 ": permission denied: this user (" + user +
                                                 ") may not enter " + folder +
                                                 ": ask its owner for access" + what_to_do);
  }
  const std::string group = "group " + describe_group(info.st_gid);
  throw CliError(ExitCode::kRequestFailed,
                 "cannot reach the broker at " + endpoint + ": permission denied: the socket " +
                     "admits only its owner and " + group + ", and this user (" + user +
                     ") is in neither: ask to be added to " + group + " (then log in again)" +
                     what_to_do);
}

}  // namespace

BrokerClient::BrokerClient(const CliContext& context)
    : control_endpoint_(context.broker),
      timeout_(std::chrono::milliseconds(context.timeout_ms)),
      socket_(context_, zmq::socket_type::dealer),
      keys_(keys_of(context)) {
  socket_.set(zmq::sockopt::linger, 0);
  // Writable only once a connection exists: waiting for POLLOUT is waiting for a broker, and a
  // request is never queued towards an endpoint where nothing listens.
  socket_.set(zmq::sockopt::immediate, 1);
  socket_.set(zmq::sockopt::maxmsgsize, proto::bus::kMaxFrameBytes);
  secure(socket_);
  check_socket_permission(control_endpoint_);
  handshakes_.emplace(context_, socket_, "the broker at " + control_endpoint_, keys_.has_value());
  try {
    socket_.connect(control_endpoint_);
  } catch (const zmq::error_t& e) {
    throw CliError(ExitCode::kUsage,
                   "cannot use the broker endpoint '" + control_endpoint_ + "': " + e.what());
  }
}

const control::HelloResult& BrokerClient::hello() {
  if (hello_) return *hello_;
  const std::string id = next_id();
  control::HelloArgs args{"client", std::nullopt, BATON_VERSION};
  Reply reply = exchange(id, control::ControlOp::hello,
                         control::pack_request(header(id, control::ControlOp::hello), args));
  hello_ = reply.as<control::HelloResult>();
  return *hello_;
}

std::string BrokerClient::bus_endpoint() {
  return reachable_endpoint(hello().bus, control_endpoint_);
}

zmq::socket_t BrokerClient::bus_subscriber(const std::string& bus_endpoint) {
  zmq::socket_t subscriber(context(), zmq::socket_type::sub);
  subscriber.set(zmq::sockopt::linger, 0);
  subscriber.set(zmq::sockopt::maxmsgsize, proto::bus::kMaxFrameBytes);
  // Room for bursts: a live verb reads everything as it comes and drops on its own terms.
  subscriber.set(zmq::sockopt::rcvhwm, 100'000);
  secure(subscriber);
  try {
    subscriber.connect(bus_endpoint);
  } catch (const zmq::error_t& e) {
    throw CliError(ExitCode::kRequestFailed,
                   "cannot connect to the broker's bus at " + bus_endpoint + ": " + e.what());
  }
  return subscriber;
}

void BrokerClient::secure(zmq::socket_t& socket) const {
  if (keys_) apply_curve_client(socket, *keys_);
}

bool BrokerClient::wait_for(short events, steady_clock::time_point deadline) {
  for (;;) {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, events, 0},
                               {handshakes_->socket().handle(), 0, ZMQ_POLLIN, 0}};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
    try {
      zmq::poll(items, 2, std::max(left, std::chrono::milliseconds(0)));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      continue;  // a signal that did not end the process (SIGCONT after Ctrl-Z)
    }
    if (items[1].revents != 0) {
      // A refused handshake is retried for ever: the reason now beats a timeout later.
      if (auto failure = handshakes_->take_failure()) {
        throw CliError(ExitCode::kRequestFailed, *failure);
      }
    }
    if (items[0].revents != 0) return true;
    if (steady_clock::now() >= deadline) return false;
  }
}

std::string BrokerClient::next_id() {
  return "cli-" + std::to_string(::getpid()) + "-" + std::to_string(++request_count_);
}

control::RequestHeader BrokerClient::header(const std::string& id, control::ControlOp op) {
  return {control::kVersion, id, std::string(proto::to_name(op))};
}

Reply BrokerClient::exchange(const std::string& id, control::ControlOp control_op,
                             const std::string& frame) {
  const auto deadline = steady_clock::now() + timeout_;
  const std::string op(proto::to_name(control_op));
  auto no_answer = [&] {
    const std::string waited = std::to_string(timeout_.count()) + " ms";
    if (control_op == control::ControlOp::hello) {
      const auto path = ipc_path_of(control_endpoint_);
      std::error_code ec;
      const std::string missing = path && !std::filesystem::exists(*path, ec)
                                      ? ": there is no socket file there; is the broker running?"
                                      : "";
      return CliError(ExitCode::kUnreachable, "cannot reach the broker at " + control_endpoint_ +
                                                  " (no answer in " + waited + ")" + missing);
    }
    return CliError(ExitCode::kUnreachable, "the broker at " + control_endpoint_ +
                                                " did not answer " + op + " in " + waited);
  };

  if (!wait_for(ZMQ_POLLOUT, deadline) ||
      !socket_.send(zmq::buffer(frame), zmq::send_flags::dontwait)) {
    throw no_answer();
  }
  for (;;) {
    if (!wait_for(ZMQ_POLLIN, deadline)) throw no_answer();
    auto message = receive_last_frame(socket_);
    if (!message) continue;
    auto zone = std::make_unique<msgpack::zone>();
    // Bulk limits: the answer to get_all_apps_state or machines covers a whole fleet.
    auto object =
        proto::unpack_frame(*zone, message->data(), message->size(), proto::bulk_frame_limits());
    if (!object) continue;  // cannot be matched to the request: not its answer
    const msgpack::object* reply_id = proto::find_key(*object, "id");
    if (reply_id == nullptr || reply_id->type != msgpack::type::STR ||
        std::string_view(reply_id->via.str.ptr, reply_id->via.str.size) != id) {
      continue;  // a stale answer to an earlier request
    }
    auto header = proto::decode<control::ReplyHeader>(*object);
    if (!header) {
      throw CliError(ExitCode::kRequestFailed,
                     "the broker's answer to " + op + " is malformed: " + header.error().message);
    }
    if (!header->ok) {
      throw CliError(ExitCode::kRequestFailed,
                     header->error.value_or("the broker refused " + op + " without a reason"));
    }
    const msgpack::object* result = proto::find_key(*object, "result");
    return Reply(op, std::move(zone), result != nullptr ? *result : msgpack::object());
  }
}

std::string reachable_endpoint(const std::string& advertised, const std::string& control_endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  auto is_wildcard = [](const std::string& host) {
    return host == "*" || host == "0.0.0.0" || host == "::";
  };
  const std::string host = control::endpoint_host(advertised);
  if (!advertised.starts_with(kTcp) || !is_wildcard(host)) return advertised;
  // The port and anything after it, past the host (bracketed when it is an IPv6 address).
  const std::size_t host_end = advertised.find(':', advertised.find(host) + host.size());
  const std::string port = advertised.substr(host_end);
  std::string control_host = control::endpoint_host(control_endpoint);
  if (control_host.empty() || is_wildcard(control_host)) control_host = "127.0.0.1";
  const bool ipv6 = control_host.find(':') != std::string::npos;
  return std::string(kTcp) + (ipv6 ? "[" + control_host + "]" : control_host) + port;
}

}  // namespace baton::cli
