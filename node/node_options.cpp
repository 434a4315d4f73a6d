#include "node/node_options.hpp"

#include <CLI/CLI.hpp>

#include "common/net/endpoint_security.hpp"
#include "common/parse_command_line.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>

namespace baton::node {

namespace {
// Smaller logs would rotate every few lines: surely a typo for a bigger size.
constexpr std::uint64_t kMinLogBytes = 1024;
}  // namespace

std::variant<NodeOptions, int> parse_node_options(int argc, char** argv) {
  NodeOptions options;
  CLI::App app{
      "baton-node: the Baton daemon of one machine. It launches, watches, kills and restarts the\n"
      "apps the broker deploys to it, and runs the application monitor that apps register with\n"
      "through the Baton SDK. Without --broker it is a standalone application monitor."};
  app.set_version_flag("--version", "baton-node 0.1.0");
  app.add_option("--machine", options.machine, "this machine's id, unique in the fleet")
      ->required();
  if (const char* env = std::getenv("BATON_BROKER")) options.broker = env;
  app.add_option(
      "--broker", options.broker,
      "the broker's control endpoint: on the broker's machine its ipc:// socket (baton-broker's "
      "default: ipc:///run/baton/control.sock), else tcp://HOST:PORT with --key and --broker-key "
      "(default: $BATON_BROKER; none: standalone application monitor)");
  bool insecure = false;
  app.add_flag("--insecure", insecure,
               "connect to a tcp:// broker without keys: nothing then proves that the broker is "
               "the broker (on loopback, any local user who takes the port first could command "
               "this node)");
  std::string key_file, broker_key;
  app.add_option("--key", key_file,
                 "this node's key pair (NAME.key of baton keygen), for a broker that authenticates "
                 "its peers; its public key must be in the broker's authorized keys as "
                 "'node KEY <machine>'")
      ->check(CLI::ExistingFile);
  app.add_option("--broker-key", broker_key,
                 "the broker's public key: the 40 characters, or its .pub file");
  options.supervisor.log_dir = "/var/log/baton";
  app.add_option("--log-dir", options.supervisor.log_dir,
                 "folder of the apps' output logs: each app's stdout and stderr go to <app>.log, "
                 "rotated by size")
      ->capture_default_str();
  options.supervisor.state_dir = "/var/lib/baton";
  app.add_option("--state-dir", options.supervisor.state_dir,
                 "folder of the node's state file (<machine>.state: its apps, their processes and "
                 "the watchdog registrations) and the apps' output FIFOs, so that a restarted node "
                 "adopts the apps still running instead of starting them again; \"\" for none")
      ->capture_default_str();
  OutputLogLimits& app_log = options.supervisor.app_log;
  app.add_option("--log-max-bytes", app_log.max_bytes,
                 "size at which an app's log is rotated; a number of bytes or with a suffix "
                 "K, M, G (powers of 1024), e.g. 512K, 10M; at least 1K")
      ->transform(CLI::AsSizeValue(false))
      ->check(
          [](const std::string& bytes) -> std::string {
            // Runs after the suffix is expanded: `bytes` is a plain number here.
            std::uint64_t value = 0;
            const auto [end, error] =
                std::from_chars(bytes.data(), bytes.data() + bytes.size(), value);
            if (error != std::errc() || end != bytes.data() + bytes.size()) {
              return "'" + bytes + "' is not a size";
            }
            if (value < kMinLogBytes) {
              return "must be at least 1K (1024 bytes), got " + bytes + " bytes";
            }
            return {};
          },
          "")
      ->default_str("10M");
  app.add_option("--log-max-files", app_log.max_files,
                 "rotated logs kept per app, <app>.log.1 (newest) to <app>.log.N; older ones "
                 "are deleted")
      ->check(CLI::Range(1U, 1000U))
      ->capture_default_str();
  long long backoff_ms = options.supervisor.restart_backoff_cap.count();
  app.add_option("--restart-backoff-cap", backoff_ms,
                 "longest wait, in ms, before relaunching an app that keeps dying at once "
                 "(0: no backoff)")
      ->check(CLI::Range(0LL, 3'600'000LL))
      ->capture_default_str();
  app.add_option("--appmonitor-group", options.appmonitor.group,
                 "group whose members' apps may register (the socket file is mode 0660); "
                 "default: the node's own group");
  app.add_option("--appmonitor", options.appmonitor.endpoint,
                 "ipc:// endpoint the SDK connects to; apps the node starts get it in "
                 "BATON_APPMONITOR")
      ->capture_default_str();
  long long grace_ms = options.actions.kill_grace.count();
  app.add_option("--kill-grace", grace_ms,
                 "milliseconds between SIGTERM and SIGKILL when a watchdog kills an app")
      ->check(CLI::Range(0LL, 3'600'000LL))
      ->capture_default_str();
  app.add_flag("--allow-reboot", options.actions.allow_reboot,
               "accept registrations whose action is REBOOT (refused otherwise)");
  app.add_option("--reboot-command", options.actions.reboot_command,
                 "shell command run for the REBOOT action")
      ->capture_default_str();
  app.add_option("--max-registrations", options.appmonitor.max_registrations,
                 "most registrations this node holds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-registrations-per-process",
                 options.appmonitor.max_registrations_per_process,
                 "most registrations one process may hold")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--nice", options.nice,
                 "the node's scheduling nice value, -20 to 19: a negative one (needs root or "
                 "CAP_SYS_NICE) keeps the watchdog on time on a busy machine; the apps and "
                 "commands the node starts keep the nice value the node was started with")
      ->check(CLI::Range(-20, 19));
  double usage_seconds = std::chrono::duration<double>(options.usage_interval).count();
  app.add_option("--usage-interval", usage_seconds,
                 "seconds between two reports of the machine's and each running app's CPU and "
                 "memory on usage/<machine> (0: none)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.footer(
      "Exit codes: 0 after SIGTERM/SIGINT and a clean shutdown, 2 on bad options or when the\n"
      "endpoint cannot be used.");

  if (const auto exit_code = parse_command_line(app, argc, argv)) {
    return *exit_code;
  }
  options.usage_interval = std::chrono::milliseconds(std::llround(usage_seconds * 1000));
  if (usage_seconds > 0 && options.usage_interval < std::chrono::milliseconds(100)) {
    std::cerr << "baton-node: --usage-interval: at least 0.1 s (or 0 for none)\n";
    return kUsageExitCode;
  }
  auto keys = load_curve_client_keys(key_file, broker_key);
  if (!keys) {
    std::cerr << "baton-node: " << keys.error().message << "\n";
    return kUsageExitCode;
  }
  options.broker_keys = std::move(*keys);
  if (!options.broker.empty() && endpoint_needs_keys(options.broker) && !options.broker_keys &&
      !insecure) {
    std::cerr << "baton-node: refusing to connect to " << options.broker
              << " without keys: a tcp:// endpoint does not say who listens there, and whoever "
                 "does (on loopback, any user of this machine who takes the port first) could "
                 "launch programs through this node. Use the broker's ipc:// endpoint on its own "
                 "machine, give the node keys (--key and --broker-key), or pass --insecure where "
                 "every user and host that can reach the port is trusted\n";
    return kUsageExitCode;
  }
  options.actions.kill_grace = std::chrono::milliseconds(grace_ms);
  options.supervisor.restart_backoff_cap = std::chrono::milliseconds(backoff_ms);
  options.supervisor.machine = options.machine;
  options.supervisor.appmonitor_endpoint = options.appmonitor.endpoint;
  return options;
}

}  // namespace baton::node
