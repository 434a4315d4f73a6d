// Control requests (docs/protocol.md): a client's DEALER to the broker's ROUTER, one msgpack
// map per frame each way. Every request is {v, id, op, args}; every reply {v, id, ok, error?,
// result?}. The first request of a node or a client is hello, whose reply names the broker's other
// endpoints, so users only ever give the control address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/proto/bus.hpp"
#include "common/proto/codec.hpp"
#include "common/proto/vocabulary.hpp"

namespace baton::proto::control {

inline constexpr int kVersion = 1;

struct RequestHeader {
  int v = kVersion;
  std::string id;
  // A name of ControlOp. Decoded as a string so that an op the broker does not know is still
  // answered, with an error naming it.
  std::string op;
  static constexpr auto kFields =
      std::make_tuple(required("v", &RequestHeader::v), required("id", &RequestHeader::id),
                      required("op", &RequestHeader::op));
};

struct ReplyHeader {
  int v = kVersion;
  std::string id;
  bool ok = true;
  std::optional<std::string> error;
  static constexpr auto kFields =
      std::make_tuple(required("v", &ReplyHeader::v), required("id", &ReplyHeader::id),
                      required("ok", &ReplyHeader::ok), optional("error", &ReplyHeader::error));
};

// hello args.
struct HelloArgs {
  std::string role;                    // "node" or "client"
  std::optional<std::string> machine;  // nodes: their machine id
  std::string version;
  static constexpr auto kFields =
      std::make_tuple(required("role", &HelloArgs::role), optional("machine", &HelloArgs::machine),
                      required("version", &HelloArgs::version));
};

// hello result: where to publish (ingest) and subscribe (bus), and the master's address as apps
// see it in DIRIGENT_MASTER_IP.
struct HelloResult {
  std::string ingest;
  std::string bus;
  std::string master_ip;
  static constexpr auto kFields =
      std::make_tuple(required("ingest", &HelloResult::ingest), required("bus", &HelloResult::bus),
                      required("master_ip", &HelloResult::master_ip));
};

// ---- The requests after hello, by op. An op without args sends an empty map. ----
//   get_app_state    AppArgs      -> AppStateResult
//   get_all_apps_state {}         -> AllAppsResult
//   launch | kill | restart AppArgs -> {} once the owning node has answered
//   plan_start | plan_stop | plan_kill | plan_restart PlanArgs -> {}
//   plan_status      PlanArgs     -> PlanState
//   plans            {}           -> PlansResult
//   machines         {}           -> MachinesResult
//   set_vars         SetVarsRequest -> {} once every addressed node has answered
//   kill_all         MachineArgs  -> {}
//   reload           {}           -> ReloadResult

// The args or result of an op that has none: an empty map.
struct Empty {
  static constexpr auto kFields = std::make_tuple();
};

// An app as "machine.app".
struct AppArgs {
  std::string app;
  static constexpr auto kFields = std::make_tuple(required("app", &AppArgs::app));
};

// logs: the last `lines` lines of one app's output log, of those written since `since` when set
// (bus::TailResult answers).
struct LogsArgs {
  std::string app;  // machine.app
  std::uint32_t lines = 20;
  std::optional<double> since;  // seconds since the epoch
  static constexpr auto kFields =
      std::make_tuple(required("app", &LogsArgs::app), required("lines", &LogsArgs::lines),
                      optional("since", &LogsArgs::since));
};

struct PlanArgs {
  std::string plan;
  static constexpr auto kFields = std::make_tuple(required("plan", &PlanArgs::plan));
};

// kill_all: one machine, or every machine when absent.
struct MachineArgs {
  std::optional<std::string> machine;
  static constexpr auto kFields = std::make_tuple(optional("machine", &MachineArgs::machine));
};

// set_vars: machine "all" (or absent) means every machine; "vars" is a map of strings to strings
// (an empty value unsets), as in the node's command (bus::SetVarsArgs). The broker decodes the two
// parts one after the other, so that each has its own error.
struct SetVarsTarget {
  std::optional<std::string> machine;
  static constexpr auto kFields = std::make_tuple(optional("machine", &SetVarsTarget::machine));
};
struct SetVarsRequest : SetVarsTarget, bus::SetVarsArgs {
  static constexpr auto kFields = std::tuple_cat(SetVarsTarget::kFields, bus::SetVarsArgs::kFields);
};

// The broker's view of one app: the node's last AppState (flags empty and pid 0 when the node
// never reported it) and whether its machine is online now.
struct AppStatus {
  bus::AppState state;
  bool online = false;
  std::vector<std::string> plans;  // the plans that contain this app
  // From the machine's last usage report, while the app runs and its machine reports usage.
  std::optional<bus::AppUsage> usage;
  static constexpr auto kFields =
      std::make_tuple(required("state", &AppStatus::state), required("online", &AppStatus::online),
                      optional("plans", &AppStatus::plans), optional("usage", &AppStatus::usage));
};

struct AppStateResult {
  AppStatus app;
  static constexpr auto kFields = std::make_tuple(required("app", &AppStateResult::app));
};

// Every app of the config, sorted by machine.app. A client that subscribed to status/ before
// asking drops any AppState whose seq is not above the one here for that machine: snapshot, then
// deltas, without a gap.
struct AllAppsResult {
  std::vector<AppStatus> apps;
  static constexpr auto kFields = std::make_tuple(required("apps", &AllAppsResult::apps));
};

// One app of a plan and how far the plan got with it.
struct PlanAppState {
  std::string app;     // machine.app
  std::string status;  // a name of PlanAppStatus (plan_status.hpp)
  static constexpr auto kFields = std::make_tuple(required("app", &PlanAppState::app),
                                                  required("status", &PlanAppState::status));
};

// plan/<plan> on the bus, and the answer to plan_status.
struct PlanState {
  int v = kVersion;
  std::string plan;
  std::string status;  // a name of PlanStatus (plan_status.hpp)
  std::vector<PlanAppState> apps;
  std::optional<std::string> reason;  // why Failure
  std::uint64_t seq = 0;
  static constexpr auto kFields =
      std::make_tuple(required("v", &PlanState::v), required("plan", &PlanState::plan),
                      required("status", &PlanState::status), required("apps", &PlanState::apps),
                      optional("reason", &PlanState::reason), required("seq", &PlanState::seq));
};

struct PlansResult {
  std::vector<PlanState> plans;
  static constexpr auto kFields = std::make_tuple(required("plans", &PlansResult::plans));
};

// One machine the config names or that said hello: its last NodeState (online false when it has
// been silent for --offline-after or never appeared) and when it was last heard from (0: never).
struct MachineStatus {
  bus::NodeState node;
  double last_seen = 0;  // seconds since the epoch
  // The machine's last usage report, while it is online and reports usage.
  std::optional<bus::MachineUsage> usage;
  static constexpr auto kFields = std::make_tuple(required("node", &MachineStatus::node),
                                                  required("last_seen", &MachineStatus::last_seen),
                                                  optional("usage", &MachineStatus::usage));
};

struct MachinesResult {
  std::vector<MachineStatus> machines;
  static constexpr auto kFields = std::make_tuple(required("machines", &MachinesResult::machines));
};

// reload: what changed against the config loaded before (app ids as machine.app).
struct ReloadResult {
  std::vector<std::string> added;
  std::vector<std::string> changed;
  std::vector<std::string> removed;
  std::vector<std::string> warnings;
  static constexpr auto kFields = std::make_tuple(
      required("added", &ReloadResult::added), required("changed", &ReloadResult::changed),
      required("removed", &ReloadResult::removed), required("warnings", &ReloadResult::warnings));
};

template <class Args>
std::string pack_request(const RequestHeader& header, const Args& args) {
  return bus::pack_with(header, "args", [&](auto& pk) { pack_message(pk, args); });
}

template <class Result>
std::string pack_reply(const ReplyHeader& header, const Result& result) {
  return bus::pack_with(header, "result", [&](auto& pk) { pack_message(pk, result); });
}

// The host of a tcp:// endpoint ("tcp://10.0.0.5:7100" -> "10.0.0.5"), "" for other transports.
std::string endpoint_host(const std::string& endpoint);

}  // namespace baton::proto::control
