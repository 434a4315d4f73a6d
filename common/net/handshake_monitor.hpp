// Why a broker never answers: a ZeroMQ socket retries a refused handshake silently, so a client
// with a key the broker does not know, or without keys for a broker that requires them, would only
// see a timeout. This watches one socket's handshakes (zmq_socket_monitor) and turns a failure
// into a sentence that says what to fix.
#pragma once

#include <zmq.hpp>

#include <optional>
#include <string>

namespace baton {

class HandshakeMonitor {
 public:
  // `peer` names the other side in the sentences ("the broker at tcp://..."); `with_keys` says
  // whether this side is a CURVE client (the likely mistake differs).
  HandshakeMonitor(zmq::context_t& context, zmq::socket_t& watched, std::string peer,
                   bool with_keys);
  HandshakeMonitor(const HandshakeMonitor&) = delete;
  HandshakeMonitor& operator=(const HandshakeMonitor&) = delete;

  // Readable when an event is waiting: poll it beside the watched socket.
  zmq::socket_t& socket() { return events_; }
  // Reads the waiting events; the last failure among them as a sentence, nullopt when the
  // handshakes succeeded (or nothing was waiting).
  std::optional<std::string> take_failure();

 private:
  zmq::socket_t events_;
  std::string peer_;
  bool with_keys_;
};

}  // namespace baton
