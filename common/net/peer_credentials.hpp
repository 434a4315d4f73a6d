// Who is at the other end of an ipc:// connection. libzmq reads SO_PEERCRED when it accepts a Unix
// socket and exposes it as the "Peer-Address" metadata of every message:
// "<addr>:<uid>:<gid>:<pid>". The kernel vouches for these numbers, not the peer.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace zmq {
class message_t;
}

namespace baton {

struct PeerCredentials {
  pid_t pid;
  uid_t uid;
  gid_t gid;
};

std::optional<PeerCredentials> parse_peer_address(std::string_view peer_address);

// The credentials of the connection `message` came from; nullopt for a connection that is not a
// Unix socket (tcp, inproc).
std::optional<PeerCredentials> peer_credentials_of(const zmq::message_t& message);

// "uid 1000 alice" (the name when the user database knows the uid), for logs. Names are looked up
// once per uid and process; not thread-safe.
std::string describe_user(uid_t uid);

}  // namespace baton
