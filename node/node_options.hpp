// baton-node's command line.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "common/net/curve_keys.hpp"
#include "node/appmonitor/appmonitor_server.hpp"
#include "node/appmonitor/watchdog_actions.hpp"
#include "node/apps/app_supervisor.hpp"

namespace baton::node {

struct NodeOptions {
  std::string machine;
  std::string log_level = "info";
  std::string broker;       // control endpoint; empty: a standalone application monitor
  std::optional<int> nice;  // the node's own nice value (main.cpp sets it)
  // How often usage/<machine> is published (with a broker); 0: never.
  std::chrono::milliseconds usage_interval{2000};
  // CURVE keys for the broker's sockets (--key, --broker-key); none: a broker without keys.
  std::optional<CurveClientKeys> broker_keys;
  AppMonitorConfig appmonitor;
  WatchdogActionsConfig actions;
  SupervisorConfig supervisor;
};

// Parsed options, or the exit code to leave with (0 after --help, 2 after a usage error; the
// message has been printed).
std::variant<NodeOptions, int> parse_node_options(int argc, char** argv);

}  // namespace baton::node
