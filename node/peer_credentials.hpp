// Who is at the other end of an ipc:// connection. libzmq reads SO_PEERCRED when it accepts a Unix
// socket and exposes it as the "Peer-Address" metadata of every message:
// "<addr>:<uid>:<gid>:<pid>".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

namespace baton::node {

struct PeerCredentials {
  pid_t pid;
  uid_t uid;
  gid_t gid;
};

std::optional<PeerCredentials> parse_peer_address(std::string_view peer_address);

}  // namespace baton::node
