// baton-broker's command line (README.md, Fleet).
#pragma once

#include <chrono>
#include <string>
#include <variant>

#include "common/net/runtime_folder.hpp"

namespace baton::broker {

struct BrokerOptions {
  std::string config_file;
  // ipc:// sockets in the runtime folder (/run/baton as root): only the broker's user and
  // `group` may connect.
  std::string control = default_control_endpoint();
  std::string ingest = default_ingest_endpoint();
  std::string bus = default_bus_endpoint();
  // The group of the ipc:// socket files (mode 0660): its members are operators. Empty: the
  // "baton" group when it exists, else the broker's own.
  std::string group;
  // What hello tells clients to connect to, when it differs from what the broker binds
  // (tcp://*:7101 binds every interface; clients need a host). Empty: derived from the bind.
  std::string advertise_host;
  // CURVE: the broker's own key pair (baton keygen) and the file that gives each public key that
  // may connect its role (broker/access/authorized_keys.hpp). Both or neither; with them every
  // tcp:// connection is authenticated (ipc:// ones stay guarded by their socket file).
  std::string key_file;
  std::string authorized_keys_file;
  // Bind tcp:// endpoints (loopback too) although nothing authenticates who connects.
  bool insecure = false;
  std::string log_level = "info";
  // A node silent this long is offline (it sends its NodeState every second).
  std::chrono::milliseconds offline_after{2500};
  // How long a node has to answer a command before the client gets a timeout error.
  std::chrono::milliseconds command_timeout{5000};
};

// Parsed options, or the exit code to leave with (0 after --help, 2 after a usage error; the
// message has been printed).
std::variant<BrokerOptions, int> parse_broker_options(int argc, char** argv);

}  // namespace baton::broker
