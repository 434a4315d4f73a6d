#include "broker/routing/bus_relay.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "common/proto/bus.hpp"
#include "common/proto/codec.hpp"

namespace baton::broker {

namespace bus = proto::bus;

namespace {

// Only what nodes legitimately publish is relayed; anything else on ingest is dropped (a node
// must not be able to forge commands to another machine).
constexpr std::string_view kRelayedPrefixes[] = {"status/", "event/", "node/",
                                                 "usage/",  "reply/", "log/"};

// The machine named by a topic "kind/<machine>/..." or "kind/<machine>".
std::string machine_of_topic(std::string_view topic) {
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos) return {};
  topic.remove_prefix(slash + 1);
  return std::string(topic.substr(0, topic.find('/')));
}

std::string describe_sender(const std::optional<Peer>& peer) {
  return peer ? describe(*peer) : "a peer without a known key";
}

}  // namespace

void BusRelay::on_ingest_readable() {
  zmq::socket_t& ingest = sockets_.ingest();
  for (int budget = 0; budget < 1000; ++budget) {
    zmq::message_t topic;
    if (!ingest.recv(topic, zmq::recv_flags::dontwait)) return;
    std::vector<zmq::message_t> rest;
    bool more = topic.more();
    while (more) {
      zmq::message_t part;
      (void)ingest.recv(part, zmq::recv_flags::dontwait);
      more = part.more();
      rest.push_back(std::move(part));
    }
    if (rest.size() != 1) {
      if (count_drop()) {
        spdlog::warn("ingest: dropped a message of {} frames (expected topic and payload)",
                     rest.size() + 1);
      }
      continue;
    }
    relay(topic, rest.front(), sockets_.peer_of(topic));
  }
}

void BusRelay::relay(const zmq::message_t& topic_msg, const zmq::message_t& payload,
                     const std::optional<Peer>& peer) {
  const std::string topic = topic_msg.to_string();
  bool allowed = false;
  for (auto prefix : kRelayedPrefixes)
    allowed = allowed || topic.starts_with(prefix);
  if (!allowed) {
    if (count_drop()) spdlog::warn("ingest: dropped a message on topic '{}'", topic.substr(0, 64));
    return;
  }
  // A node key publishes for its own machine only; a reply names its machine inside.
  const std::string machine = machine_of_topic(topic);
  std::string publisher_machine = machine;
  if (topic.starts_with("reply/") && peer && peer->role != Role::anyone) {
    auto reply = proto::decode_frame<bus::ReplyHeader>(payload.data(), payload.size(),
                                                       proto::bulk_frame_limits());
    publisher_machine = reply && reply->machine ? *reply->machine : std::string();
  }
  if (!peer || !may_publish_for(*peer, publisher_machine)) {
    if (count_drop()) {
      spdlog::warn("ingest: dropped a message on '{}' from {}: not allowed", topic.substr(0, 64),
                   describe_sender(peer));
    }
    return;
  }
  if (topic.starts_with("status/")) {
    auto state = proto::decode_frame<bus::AppState>(payload.data(), payload.size());
    if (!state || bus::status_topic(state->machine, state->app) != topic) {
      if (count_drop()) spdlog::warn("ingest: dropped a bad AppState on {}", topic);
      return;
    }
    nodes_.heard_from(machine);
    nodes_.app_state_arrived(*state);
  } else if (topic.starts_with("node/")) {
    auto state = proto::decode_frame<bus::NodeState>(payload.data(), payload.size());
    if (!state || bus::node_topic(state->machine) != topic) {
      if (count_drop()) spdlog::warn("ingest: dropped a bad NodeState on {}", topic);
      return;
    }
    nodes_.node_state_arrived(*state);
  } else if (topic.starts_with("usage/")) {
    auto report = proto::decode_frame<bus::UsageReport>(payload.data(), payload.size());
    if (!report || bus::usage_topic(report->machine) != topic) {
      if (count_drop()) spdlog::warn("ingest: dropped a bad UsageReport on {}", topic);
      return;
    }
    nodes_.usage_arrived(std::move(*report));
  } else if (topic == bus::reply_topic(kBrokerReplyTo)) {
    auto reply = proto::decode_frame<bus::ReplyHeader>(payload.data(), payload.size(),
                                                       proto::bulk_frame_limits());
    if (!reply) return;
    if (reply->machine) nodes_.heard_from(*reply->machine);
    router_.on_reply(*reply, payload.to_string());
    return;  // ours alone
  }
  zmq::socket_t& out = sockets_.bus();
  out.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  out.send(zmq::buffer(payload.data(), payload.size()), zmq::send_flags::dontwait);
}

void BusRelay::on_bus_readable() {
  for (int budget = 0; budget < 1000; ++budget) {
    zmq::message_t message;
    if (!sockets_.bus().recv(message, zmq::recv_flags::dontwait)) return;
    const std::string_view text(static_cast<const char*>(message.data()), message.size());
    // A subscription is 0x01 followed by the topic, an unsubscription 0x00; anything else a peer
    // sends is ignored.
    if (text.empty() || text[0] > 1) continue;
    subscription(text[0] == 1, text.substr(1), sockets_.peer_of(message));
  }
}

// The socket applies a subscription to the connection the last message came from.
void BusRelay::subscription(bool subscribe, std::string_view topic,
                            const std::optional<Peer>& peer) {
  const std::vector<std::string> granted =
      peer ? granted_subscriptions(*peer, topic) : std::vector<std::string>{};
  zmq::socket_t& out = sockets_.bus();
  for (const auto& t : granted) {
    if (subscribe) {
      out.set(zmq::sockopt::subscribe, t);
    } else {
      out.set(zmq::sockopt::unsubscribe, t);
    }
  }
  if (granted.empty()) {
    if (subscribe && count_drop()) {
      spdlog::warn("bus: refused {}'s subscription to '{}': not allowed", describe_sender(peer),
                   topic.substr(0, 64));
    }
    return;
  }
  // A follower's interest in log/ lines goes up to the nodes, which publish them only while
  // someone wants them. The ingest socket counts the followers of each topic and passes the
  // unsubscription on when the last one goes. Someone subscribed to everything ("") sees lines
  // only while someone else follows them: "" asks no node for its output.
  if (topic.starts_with(bus::kLogPrefix)) {
    for (const auto& t : granted) {
      std::string forwarded(1, subscribe ? '\1' : '\0');
      forwarded.append(t);
      (void)sockets_.ingest().send(zmq::buffer(forwarded), zmq::send_flags::dontwait);
    }
    return;
  }
  // Only a whole command topic, cmd/<machine>/, links a machine.
  if (!topic.starts_with(bus::kCommandPrefix) || !topic.ends_with('/')) return;
  const std::string machine(
      topic.substr(bus::kCommandPrefix.size(), topic.size() - bus::kCommandPrefix.size() - 1));
  if (machine.empty() || machine.find('/') != std::string::npos) return;
  nodes_.command_subscription(machine, subscribe);
}

}  // namespace baton::broker
