// What flows through the broker's ingest and bus sockets. Nodes publish on ingest; what a node
// may publish (its own machine's status, events, node state and replies) is relayed to the bus,
// after the broker has taken its own view of it (FleetState, plans, replies to its commands);
// anything else is dropped. Subscriptions on the bus are granted per peer (a node key gets its own
// cmd/<machine>/ only, a monitor everything but commands), and a node's subscription to its
// commands is what links it (NodeSync).
#pragma once

#include <zmq.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

#include "broker/access/access_policy.hpp"
#include "broker/broker_sockets.hpp"
#include "broker/fleet/node_sync.hpp"
#include "broker/routing/command_router.hpp"

namespace baton::broker {

class BusRelay {
 public:
  BusRelay(BrokerSockets& sockets, NodeSync& nodes, CommandRouter& router)
      : sockets_(sockets), nodes_(nodes), router_(router) {}

  // Each takes up to a thousand messages, then lets the loop serve others.
  void on_ingest_readable();
  void on_bus_readable();

 private:
  void relay(const zmq::message_t& topic, const zmq::message_t& payload,
             const std::optional<Peer>& peer);
  // XPUB_MANUAL: what a peer asked for is applied here, right after receiving it.
  void subscription(bool subscribe, std::string_view topic, const std::optional<Peer>& peer);
  // One warning per thousand drops: a flood of bad frames must not flood the log too.
  bool count_drop() { return dropped_frames_++ % 1000 == 0; }

  BrokerSockets& sockets_;
  NodeSync& nodes_;
  CommandRouter& router_;
  std::size_t dropped_frames_ = 0;
};

}  // namespace baton::broker
