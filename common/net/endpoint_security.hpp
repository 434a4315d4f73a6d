// Which ZeroMQ endpoints may go without CURVE keys. Baton's sockets can launch programs on every
// machine of a fleet, so whoever connects must be known: on an ipc:// socket the kernel names the
// peer's user (SO_PEERCRED) and the socket file's mode and group decide who may connect; inproc://
// stays inside the process. Any other transport, tcp:// on loopback included, reaches a peer that
// only a key can identify: any local user can connect to 127.0.0.1.
#pragma once

#include <string_view>

namespace baton {

// True for every endpoint but ipc:// and inproc://.
bool endpoint_needs_keys(std::string_view endpoint);

}  // namespace baton
