// The node's connection to the broker. It says hello on the broker's control socket to learn the
// bus endpoints, then publishes to the ingest socket and subscribes to cmd/<machine>/ on the bus.
//
// The ingest socket is an XPUB, not a PUB, so that the node sees the broker's subscription
// arrive: before it, anything published would be dropped (ZeroMQ's slow joiner), so the node
// subscribes to its commands only then — a reply can never be lost for want of a subscriber — and
// publishes its whole state. A broker that restarts subscribes again, which resynchronises it.
// Subscriptions to other topics are the broker forwarding a follower's interest in log/ lines.
// The node never waits for the broker: without one (or while it is away) publishing drops messages
// and supervision goes on with the last deployed definitions; the broker asks for the full state
// (get_state) when it sees the node again.
#pragma once

#include <zmq.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/loop/event_loop.hpp"
#include "common/net/curve_keys.hpp"
#include "common/net/handshake_monitor.hpp"

namespace baton::node {

class BrokerLink {
 public:
  // Called with the payload of every command addressed to exactly this machine.
  using CommandHandler = std::function<void(const zmq::message_t& payload)>;
  // Called once the broker has answered hello (again after a broker change of endpoints).
  using ConnectedHandler = std::function<void()>;
  // Called with every subscription (or its end) the broker passes on from a follower of log/
  // topics; an unsubscription of "" when the broker goes away, which ends all of them.
  using SubscriptionHandler = std::function<void(bool subscribe, std::string_view topic)>;

  // `keys`: this node's CURVE keys and the broker's public key, for a broker that authenticates
  // its peers; nullopt for one that does not.
  BrokerLink(zmq::context_t& context, EventLoop& loop, std::string machine,
             std::string control_endpoint, std::optional<CurveClientKeys> keys,
             CommandHandler on_command, ConnectedHandler on_connected,
             SubscriptionHandler on_subscription = {});
  BrokerLink(const BrokerLink&) = delete;
  BrokerLink& operator=(const BrokerLink&) = delete;
  ~BrokerLink();

  void start();
  void stop();
  // Publishes [topic, payload] to the ingest socket; dropped before the broker has answered.
  void publish(const std::string& topic, const std::string& payload);

  // The broker listens: hello answered and its subscription arrived.
  bool connected() const { return subscribed_; }
  // The broker's host as apps see it (DIRIGENT_MASTER_IP): from the hello reply, else the host of
  // the control endpoint.
  const std::string& master_ip() const { return master_ip_; }
  const std::string& control_endpoint() const { return control_endpoint_; }

 private:
  void send_hello();
  void on_control_readable();
  void stop_watching_handshakes();
  void on_bus_readable();
  void on_ingest_readable();
  void connect_bus(const std::string& ingest, const std::string& bus);
  void secure(zmq::socket_t& socket) const;

  zmq::context_t& context_;
  EventLoop& loop_;
  std::string machine_;
  std::string control_endpoint_;
  std::string command_topic_;
  std::optional<CurveClientKeys> keys_;
  CommandHandler on_command_;
  ConnectedHandler on_connected_;
  SubscriptionHandler on_subscription_;

  std::optional<zmq::socket_t> control_;
  // Says why the broker refuses the handshake (a key it does not know), which would otherwise
  // look like a broker that is not there.
  std::optional<HandshakeMonitor> handshakes_;
  Watch handshakes_watch_;
  std::string last_handshake_failure_;
  std::optional<zmq::socket_t> ingest_;
  std::optional<zmq::socket_t> bus_;
  // After the sockets they watch.
  Watch control_watch_;
  Watch bus_watch_;
  Watch ingest_watch_;
  bool subscribed_ = false;
  Timer hello_timer_;
  std::string ingest_endpoint_;
  std::string bus_endpoint_;
  std::string master_ip_;
  std::string pending_hello_id_;
  unsigned hello_count_ = 0;
};

}  // namespace baton::node
