#include "broker/broker_options.hpp"

#include <CLI/CLI.hpp>

#include "common/parse_command_line.hpp"

namespace baton::broker {

std::variant<BrokerOptions, int> parse_broker_options(int argc, char** argv) {
  BrokerOptions options;
  CLI::App app{
      "baton-broker: the master of a Baton fleet. It loads SharedConfig.xml, deploys each\n"
      "machine's apps to its node, runs plans across machines, keeps the last state of every app\n"
      "and relays status and events to any subscriber."};
  app.set_version_flag("--version", "baton-broker 0.1.0");
  app.add_option("--config", options.config_file, "the SharedConfig.xml to load")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--control", options.control,
                 "ROUTER endpoint for requests of clients and nodes (what --broker names); "
                 "an ipc:// socket file is mode 0660 with --group, a tcp:// one needs --key "
                 "(or --insecure)")
      ->capture_default_str();
  app.add_option("--ingest", options.ingest, "XSUB endpoint the nodes publish to")
      ->capture_default_str();
  app.add_option("--bus", options.bus, "XPUB endpoint for commands to nodes and for monitors")
      ->capture_default_str();
  app.add_option("--group", options.group,
                 "group of the ipc:// socket files (mode 0660): its members may connect and are "
                 "operators, other local users cannot connect (default: 'baton' when that group "
                 "exists, else the broker's own group)");
  app.add_option("--advertise-host", options.advertise_host,
                 "host named in the endpoints hello hands out, when binding to * or 0.0.0.0 "
                 "(default: the host of the bound endpoint)");
  auto* key = app.add_option("--key", options.key_file,
                             "the broker's key pair (NAME.key of baton keygen): with "
                             "--authorized-keys, every tcp:// connection is authenticated by "
                             "CURVE (ipc:// ones by their socket file's group)")
                  ->check(CLI::ExistingFile);
  auto* authorized =
      app.add_option("--authorized-keys", options.authorized_keys_file,
                     "the public keys that may connect, one per line: ROLE KEY NAME, ROLE being "
                     "node (NAME: its machine), operator or monitor (queries only)")
          ->check(CLI::ExistingFile);
  key->needs(authorized);
  authorized->needs(key);
  app.add_flag("--insecure", options.insecure,
               "bind tcp:// endpoints, loopback included, without --key: anyone who reaches them "
               "(on loopback, any local user) can launch programs on every machine of the fleet");
  long long offline_ms = options.offline_after.count();
  app.add_option("--offline-after", offline_ms,
                 "milliseconds of silence after which a node is offline")
      ->check(CLI::Range(100LL, 600'000LL))
      ->capture_default_str();
  long long timeout_ms = options.command_timeout.count();
  app.add_option("--command-timeout", timeout_ms,
                 "milliseconds a node may leave the commands routed to it unanswered: a command "
                 "fails when neither it nor any other command of its machine was answered for "
                 "that long")
      ->check(CLI::Range(100LL, 600'000LL))
      ->capture_default_str();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.footer(
      "Security: by default the three sockets are ipc:// files in /run/baton (as root, else\n"
      "$XDG_RUNTIME_DIR/baton), mode 0660 with --group: a local user outside the group cannot\n"
      "connect, a member is an operator. A tcp:// endpoint needs --key and --authorized-keys, or\n"
      "--insecure.\n"
      "Exit codes: 0 after SIGTERM/SIGINT, 2 on bad options, an unusable config (its message\n"
      "names file:line), a tcp:// endpoint without keys or --insecure, or an endpoint that cannot\n"
      "be bound.");
  if (const auto exit_code = parse_command_line(app, argc, argv)) {
    return *exit_code;
  }
  options.offline_after = std::chrono::milliseconds(offline_ms);
  options.command_timeout = std::chrono::milliseconds(timeout_ms);
  return options;
}

}  // namespace baton::broker
