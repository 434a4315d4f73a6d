// The baseline of the application monitor benchmarks: a bare ZeroMQ ROUTER on one thread that
// decodes each msgpack request and answers it with the same frames baton-node sends (a register
// gets a counter as id, a refresh gets its seq back), and does nothing else: no watchdog table, no
// deadlines, no credentials. The gap between it and baton-node is the cost of Baton's own work.
#pragma once

#include <string>

namespace baton::bench {

// Serves `endpoint` until SIGTERM. Returns the process exit status.
int serve_bare_router(const std::string& endpoint);

}  // namespace baton::bench
