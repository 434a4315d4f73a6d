#include "broker/access/access_policy.hpp"

#include <algorithm>
#include <array>

#include "common/net/peer_credentials.hpp"
#include "common/proto/bus.hpp"

namespace baton::broker {

namespace {

using proto::control::ControlOp;

// What a monitor key may ask: every query, nothing that changes the fleet.
constexpr std::array<ControlOp, 7> kQueries = {
    ControlOp::hello,       ControlOp::get_app_state, ControlOp::get_all_apps_state,
    ControlOp::plan_status, ControlOp::plans,         ControlOp::machines,
    ControlOp::logs};

// Every kind of bus message but commands (cmd/): what "everything" means for a monitor.
constexpr std::array<std::string_view, 7> kMonitorTopics = {"status/", "event/", "node/", "usage/",
                                                            "plan/",   "reply/", "log/"};

}  // namespace

std::string_view role_name(Role role) {
  return proto::to_name(role);
}

std::optional<Role> parse_role(std::string_view text) {
  // "anyone" is what a connection without a key is: no key file or user id can claim it.
  auto role = proto::parse_name<Role>(text);
  if (role == Role::anyone) return std::nullopt;
  return role;
}

std::string user_id_of(const Peer& peer) {
  return std::string(role_name(peer.role)) + ":" + peer.name;
}

std::optional<Peer> parse_user_id(std::string_view user_id) {
  const auto colon = user_id.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto role = parse_role(user_id.substr(0, colon));
  if (!role) return std::nullopt;
  return Peer{*role, std::string(user_id.substr(colon + 1))};
}

std::string describe(const Peer& peer) {
  if (peer.role == Role::anyone) {
    return peer.uid ? describe_user(*peer.uid) : "an unauthenticated client";
  }
  return std::string(role_name(peer.role)) + " key '" + peer.name + "'";
}

bool is_query(ControlOp op) {
  return std::find(kQueries.begin(), kQueries.end(), op) != kQueries.end();
}

std::optional<std::string> refuse_request(const Peer& peer, std::string_view op) {
  const auto known = proto::parse_name<ControlOp>(op);
  const bool query = known && is_query(*known);
  switch (peer.role) {
    case Role::anyone:
    case Role::operator_:
      return std::nullopt;
    case Role::monitor:
      if (query) return std::nullopt;
      return "not allowed: " + describe(peer) + " may only query and subscribe; " +
             std::string(op.substr(0, 64)) + " needs an operator key";
    case Role::node:
      if (known == ControlOp::hello) return std::nullopt;
      return "not allowed: " + describe(peer) + " may only say hello; " +
             std::string(op.substr(0, 64)) + " needs an operator key";
  }
  return "not allowed";
}

bool may_publish_for(const Peer& peer, std::string_view machine) {
  return peer.role == Role::anyone || (peer.role == Role::node && peer.name == machine);
}

std::vector<std::string> granted_subscriptions(const Peer& peer, std::string_view topic) {
  const std::string_view commands = proto::bus::kCommandPrefix;
  switch (peer.role) {
    case Role::anyone:
    case Role::operator_:
      return {std::string(topic)};
    case Role::node:
      if (topic == proto::bus::command_topic(peer.name)) return {std::string(topic)};
      return {};
    case Role::monitor:
      break;
  }
  if (topic.starts_with(commands)) return {};
  if (!commands.starts_with(topic)) return {std::string(topic)};
  std::vector<std::string> granted;
  for (auto kind : kMonitorTopics) {
    if (kind.starts_with(topic)) granted.emplace_back(kind);
  }
  return granted;
}

}  // namespace baton::broker
