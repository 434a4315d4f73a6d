// Who may do what on the broker's sockets. With keys (--key, --authorized-keys) every connection
// is authenticated by CURVE and has the role its public key was given:
//   node      publishes status, events, usage, replies and its apps' output (log/) for its own
//             machine (the key's name) and receives that machine's commands, nothing else;
//   operator  every request and every topic;
//   monitor   queries (state, plans, machines, logs) and every topic but commands.
// A connection without a key is Role::anyone, trusted with everything (an operator that may also
// publish as any node): on an ipc:// socket, a local user the socket file's group admits, whose
// uid the kernel gives (SO_PEERCRED); on tcp://, only with --insecure.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/enum_names.hpp"
#include "common/proto/vocabulary.hpp"

namespace baton::broker {

enum class Role { anyone, node, operator_, monitor };

// As the authorized keys file and ZAP user ids write them.
inline constexpr proto::NameTable<Role, 4> kRoleNames{{
    {Role::anyone, "anyone"},
    {Role::node, "node"},
    {Role::operator_, "operator"},
    {Role::monitor, "monitor"},
}};
constexpr const auto& name_table(Role) {
  return kRoleNames;
}
static_assert(proto::in_declaration_order(kRoleNames));

struct Peer {
  Role role = Role::anyone;
  std::string name;  // a node's machine; whom an operator or monitor key belongs to
  // Role::anyone on an ipc:// connection: the peer's user, as the kernel gave it.
  std::optional<uid_t> uid = std::nullopt;
  bool operator==(const Peer&) const = default;
};

std::string_view role_name(Role role);
// A role a key can be given: node, operator or monitor, never anyone.
std::optional<Role> parse_role(std::string_view text);

// The ZAP user id of an authenticated peer ("operator:alice") and back.
std::string user_id_of(const Peer& peer);
std::optional<Peer> parse_user_id(std::string_view user_id);
// "operator key 'alice'", "uid 1000 alice", for logs and refusals.
std::string describe(const Peer& peer);

// Whether `op` only reads (what a monitor key may ask).
bool is_query(proto::control::ControlOp op);

// A control request by its op's name (one the broker may not know): nothing when allowed, else the
// reason ("not allowed: ...").
std::optional<std::string> refuse_request(const Peer& peer, std::string_view op);

// Whether `peer` may publish on ingest for `machine` (the machine a topic or reply names).
bool may_publish_for(const Peer& peer, std::string_view machine);

// The subscriptions a peer's request for `topic` on the bus becomes: the topic itself, nothing
// (refused), or for a monitor asking for everything ("" and other prefixes of "cmd/") the
// prefixes of every kind of message except commands.
std::vector<std::string> granted_subscriptions(const Peer& peer, std::string_view topic);

}  // namespace baton::broker
