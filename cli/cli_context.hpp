// What every verb of the command line shares: where the broker is, how long to wait for it, the
// exit codes of README.md's Command line, and the verb that parsing chose.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "common/net/runtime_folder.hpp"

namespace baton::cli {

// Exit codes, part of the command line's contract with scripts (README.md, Command line).
enum class ExitCode : int {
  kDone = 0,
  // The broker (or a node behind it) refused or failed the request; or the broker refused this
  // client: its key, or this user's access to the broker's ipc:// socket file (not in its group).
  kRequestFailed = 1,
  kUsage = 2,        // bad command line
  kUnreachable = 3,  // the broker did not answer in time
};

// A verb that cannot finish. main() prints the message on stderr and exits with the code; verbs
// throw it instead of returning codes so that every failure path ends the same way.
class CliError : public std::runtime_error {
 public:
  CliError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

inline constexpr int kDefaultTimeoutMs = 5000;

struct CliContext {
  // The control endpoint (--broker, $BATON_BROKER): by default the user's own broker's ipc://
  // socket when it exists, else the system's (common/net/runtime_folder.hpp).
  std::string broker = client_default_control_endpoint();
  int timeout_ms = kDefaultTimeoutMs;  // the longest wait for any one answer (--timeout)
  // CURVE, for a broker that authenticates its peers: this client's key file (--key, $BATON_KEY)
  // and the broker's public key or .pub file (--broker-key, $BATON_BROKER_KEY).
  std::string key_file;
  std::string broker_key;
  // The chosen verb, set by its subcommand's callback. It runs after parsing has finished, so
  // it reads the global options above only once they hold their final values.
  std::function<void()> run;
};

}  // namespace baton::cli
