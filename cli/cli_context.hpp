// What every verb of the command line shares: where the broker is, how long to wait for it, the
// exit codes of README.md's Command line, and the verb that parsing chose.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace baton::cli {

// Exit codes, part of the command line's contract with scripts (README.md, Command line).
enum class ExitCode : int {
  kDone = 0,
  kRequestFailed = 1,  // the broker (or a node behind it) refused or failed the request
  kUsage = 2,          // bad command line
  kUnreachable = 3,    // the broker did not answer in time
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

inline constexpr const char* kDefaultBroker = "tcp://127.0.0.1:7100";
inline constexpr int kDefaultTimeoutMs = 5000;

struct CliContext {
  std::string broker = kDefaultBroker;  // the control endpoint (--broker, $BATON_BROKER)
  int timeout_ms = kDefaultTimeoutMs;   // the longest wait for any one answer (--timeout)
  // CURVE, for a broker that authenticates its peers: this client's key file (--key, $BATON_KEY)
  // and the broker's public key or .pub file (--broker-key, $BATON_BROKER_KEY).
  std::string key_file;
  std::string broker_key;
  // The chosen verb, set by its subcommand's callback. It runs after parsing has finished, so
  // it reads the global options above only once they hold their final values.
  std::function<void()> run;
};

}  // namespace baton::cli
