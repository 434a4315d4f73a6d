#include "common/net/handshake_monitor.hpp"

#include <zmq.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace baton {

namespace {

constexpr int kEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

std::string next_endpoint() {
  static std::atomic<unsigned> count{0};
  return "inproc://baton-handshake-monitor-" + std::to_string(++count);
}

}  // namespace

HandshakeMonitor::HandshakeMonitor(zmq::context_t& context, zmq::socket_t& watched,
                                   std::string peer, bool with_keys)
    : events_(context, zmq::socket_type::pair), peer_(std::move(peer)), with_keys_(with_keys) {
  const std::string endpoint = next_endpoint();
  if (zmq_socket_monitor(watched.handle(), endpoint.c_str(), kEvents) != 0) {
    throw zmq::error_t();
  }
  events_.set(zmq::sockopt::linger, 0);
  events_.connect(endpoint);
}

std::optional<std::string> HandshakeMonitor::take_failure() {
  std::optional<std::string> failure;
  for (;;) {
    // Two frames: 6 bytes (event: uint16, value: uint32, native order), then the endpoint.
    zmq::message_t event, address;
    if (!events_.recv(event, zmq::recv_flags::dontwait)) return failure;
    if (event.more()) (void)events_.recv(address, zmq::recv_flags::dontwait);
    if (event.size() < 6) continue;
    std::uint16_t id = 0;
    std::uint32_t value = 0;
    std::memcpy(&id, event.data(), sizeof id);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof value);
    switch (id) {
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        failure.reset();
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        failure = peer_ + " refused this side's key (status " + std::to_string(value) +
                  "): its public key is not in the broker's authorized keys, or not with a role "
                  "that may connect";
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
          failure = with_keys_ ? peer_ + " uses no keys: give neither --key nor --broker-key"
                               : peer_ +
                                     " requires keys: give --key and --broker-key (made "
                                     "with baton keygen)";
          break;
        }
        [[fallthrough]];
      default:  // the broker could not read our hello: it was sealed for another key
        failure = with_keys_ ? peer_ +
                                   " broke off the handshake: is --broker-key the broker's "
                                   "public key?"
                             : peer_ +
                                   " broke off the handshake: it requires keys, give --key "
                                   "and --broker-key (made with baton keygen)";
        break;
    }
  }
}

}  // namespace baton
