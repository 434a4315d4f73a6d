// The broker's three sockets: the control ROUTER that answers clients and nodes, the ingest XSUB
// that the nodes publish to, and the bus XPUB that relays to subscribers. Binding them is where
// access is decided: an ipc:// endpoint is a socket file of one group (its members are trusted),
// any other endpoint a CURVE server that knows each key's role (broker/access/).
#pragma once

#include <sys/types.h>
#include <zmq.hpp>

#include <optional>
#include <string>
#include <vector>

#include "broker/access/access_policy.hpp"
#include "broker/access/zap_handler.hpp"
#include "broker/broker_options.hpp"
#include "common/expected.hpp"
#include "common/loop/event_loop.hpp"

namespace baton::broker {

class BrokerSockets {
 public:
  BrokerSockets(const BrokerOptions& options, zmq::context_t& context, EventLoop& loop);
  // Removes the ipc:// socket files it bound.
  ~BrokerSockets();
  BrokerSockets(const BrokerSockets&) = delete;
  BrokerSockets& operator=(const BrokerSockets&) = delete;

  // Refuses a tcp:// endpoint without keys unless --insecure; the error says what to do.
  Status check_endpoints() const;
  // Checks the endpoints, starts authentication and binds; an error says which endpoint and why.
  Status bind_all();

  zmq::socket_t& control() { return control_; }
  zmq::socket_t& ingest() { return ingest_; }
  zmq::socket_t& bus() { return bus_; }
  // The endpoints as clients reach them (after binding; port 0 / * resolved).
  const std::string& control_endpoint() const { return control_endpoint_; }
  const std::string& ingest_endpoint() const { return ingest_endpoint_; }
  const std::string& bus_endpoint() const { return bus_endpoint_; }
  // The host of the control endpoint, which nodes give their apps as DIRIGENT_MASTER_IP.
  const std::string& master_ip() const { return master_ip_; }

  // Who sent `message` (any frame that came from the wire): its key's role and name, anyone when
  // the broker takes everyone, nullopt when the connection was not authenticated or its key was
  // revoked by a reload since (ZapHandler::peer_of).
  std::optional<Peer> peer_of(const zmq::message_t& message);
  // Whether connections are authenticated by key (then a reload reads the keys again).
  bool has_keys() const { return zap_.has_value(); }
  // Keys for new connections; those made already keep the role they were given.
  void set_keys(AuthorizedKeys keys) { zap_->set_keys(std::move(keys)); }

  // One message on the bus; a subscriber that cannot keep up loses it.
  void publish(const std::string& topic, const std::string& payload);

 private:
  Status start_authentication();
  // Binds one endpoint: an ipc:// one as a 0660 socket file of `group`, without CURVE; any other
  // as a CURVE server when the broker has keys.
  Status bind(zmq::socket_t& socket, const std::string& endpoint, gid_t group);

  const BrokerOptions& options_;
  zmq::context_t& context_;
  EventLoop& loop_;
  // Checks every CURVE handshake when the broker has keys; none without.
  std::optional<ZapHandler> zap_;
  // The broker's CURVE secret key (Z85), when it has keys.
  std::optional<std::string> secret_key_;
  // The ipc:// socket files this broker bound, removed when it stops.
  std::vector<std::string> socket_files_;
  zmq::socket_t control_;
  zmq::socket_t ingest_;
  zmq::socket_t bus_;
  std::string control_endpoint_, ingest_endpoint_, bus_endpoint_, master_ip_;
};

}  // namespace baton::broker
