// Whether a ZeroMQ endpoint can only be reached from this machine. Baton's sockets can launch
// programs on every machine of a fleet: an endpoint anyone on the network reaches is remote code
// execution unless it is locked, so the daemons bind other endpoints only when told to.
#pragma once

#include <string_view>

namespace baton {

// ipc:// and inproc://, and tcp:// on a loopback address (127.0.0.0/8, ::1, localhost, the "lo"
// interface). Everything else, * and 0.0.0.0 included, is reachable from the network.
bool is_local_endpoint(std::string_view endpoint);

}  // namespace baton
