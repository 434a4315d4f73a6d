// baton-broker's command line (README.md, Fleet).
#pragma once

#include <chrono>
#include <string>
#include <variant>

namespace baton::broker {

struct BrokerOptions {
  std::string config_file;
  std::string control = "tcp://127.0.0.1:7100";
  std::string ingest = "tcp://127.0.0.1:7101";
  std::string bus = "tcp://127.0.0.1:7102";
  // What hello tells clients to connect to, when it differs from what the broker binds
  // (tcp://*:7101 binds every interface; clients need a host). Empty: derived from the bind.
  std::string advertise_host;
  // CURVE: the broker's own key pair (baton keygen) and the file that gives each public key that
  // may connect its role (broker/authorized_keys.hpp). Both or neither; with them every
  // connection is authenticated and network endpoints may be bound.
  std::string key_file;
  std::string authorized_keys_file;
  // Bind endpoints that the network reaches (not loopback, not ipc://) although nothing
  // authenticates who connects.
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
