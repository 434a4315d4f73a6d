// The broker's ZAP handler (ZeroMQ RFC 27): libzmq asks it, over inproc://zeromq.zap.01 in the
// broker's context, whether each CURVE client that connects to the control, ingest or bus socket
// may; it answers from the authorized keys and names the peer ("role:name") as the connection's
// User-Id, and its key as the connection's Baton-Key property, which every message of that
// connection then carries (peer_of).
//
// It runs on the broker's event loop like its other sockets: a handshake waits only for one turn
// of the loop. An unknown key is refused (400) and logged, once a minute per key, so a client that
// keeps reconnecting cannot flood the log.
#pragma once

#include <zmq.hpp>

#include <map>
#include <optional>
#include <string>

#include "broker/access/authorized_keys.hpp"
#include "common/expected.hpp"
#include "common/loop/event_loop.hpp"

namespace baton::broker {

class ZapHandler {
 public:
  ZapHandler(zmq::context_t& context, EventLoop& loop, AuthorizedKeys keys);
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Binds the ZAP endpoint; before any CURVE server socket binds.
  Status start();
  // Keys from now on (reload): for handshakes, and for the messages of connections made already
  // (peer_of).
  void set_keys(AuthorizedKeys keys) { keys_ = std::move(keys); }
  const AuthorizedKeys& keys() const { return keys_; }

  // The peer that sent `message`: the one its connection was accepted as, while the authorized
  // keys still give its key to that peer. nullopt for a message of a connection this handler did
  // not accept, and for one whose key a reload has since removed or given to another peer:
  // ZeroMQ cannot close one peer's connection, so a revoked key's connection stays open, but
  // nothing it sends is taken (logged once a minute per key).
  std::optional<Peer> peer_of(const zmq::message_t& message);

 private:
  void on_readable();
  void answer(const std::vector<zmq::message_t>& request);
  void log_refusal(const std::string& key, const std::string& address);
  void log_revoked(const std::string& key, const Peer& peer);
  // Whether a line about `key` may be logged now: once a minute per key.
  bool may_log(const std::string& key);

  zmq::socket_t socket_;
  EventLoop& loop_;
  AuthorizedKeys keys_;
  Watch watch_;  // of socket_
  std::map<std::string, SteadyClock::time_point> last_logged_;
};

}  // namespace baton::broker
