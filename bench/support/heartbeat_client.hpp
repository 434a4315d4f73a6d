// A load generator for the application monitor: one process registers `apps` registrations on
// one DEALER connection, then refreshes them round-robin with up to `window` refreshes in flight,
// as fast as the server answers, for `duration` after the go file appears: one registration per
// "refresh" frame, or `batch` of them per "refresh_many" frame. It speaks the wire
// protocol itself (docs/protocol.md) so that the same client measures baton-node and the bare
// baseline server alike.
#pragma once

#include <chrono>
#include <string>

namespace baton::bench {

struct HeartbeatClientOptions {
  std::string endpoint;
  int apps = 1;
  int window = 256;  // refreshes (not frames) in flight
  int batch = 1;     // registrations per frame; above 1, refresh_many
  std::chrono::milliseconds duration{1000};
  std::string ready_file;  // created once every registration is in
  std::string go_file;     // refreshing starts when it exists
};

// Prints "refreshes N errors E" on stdout (registrations refreshed, frames refused). Exit status 0,
// or 1 with a message on stderr.
int run_heartbeat_client(const HeartbeatClientOptions& options);

}  // namespace baton::bench
