// The broker's last-value cache: the latest AppState of every app, the latest NodeState of every
// machine and when each machine was last heard from. Queries (status, machines) are answered from
// here at once, without asking any node.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config/app_def.hpp"
#include "common/loop/timer_queue.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"

namespace baton::broker {

class FleetState {
 public:
  explicit FleetState(std::chrono::milliseconds offline_after) : offline_after_(offline_after) {}
  std::chrono::milliseconds offline_after() const { return offline_after_; }

  // The apps the config defines (machine.app), so status lists them before any node reports,
  // and the plans each app belongs to.
  void set_config_apps(std::map<config::AppId, std::vector<std::string>> plans_of_app);
  bool app_in_config(const config::AppId& id) const { return config_apps_.contains(id); }
  bool machine_in_config(const std::string& machine) const;

  // A node published the state of an app. False when it is not newer than what we hold (a
  // duplicate, or one that overtook a newer one).
  bool update_app(const proto::bus::AppState& state);
  // A node published its presence; true when the machine was offline or unknown before.
  bool update_node(const proto::bus::NodeState& state, TimePoint now);
  // A node published its usage report; true when the machine was offline or unknown before.
  bool update_usage(proto::bus::UsageReport report, TimePoint now);
  // Any sign of life from a machine (a reply, a hello): it counts as presence.
  bool heard_from(const std::string& machine, TimePoint now);
  // Machines silent for longer than offline_after, now marked offline (each returned once).
  std::vector<std::string> expire(TimePoint now);
  // When the first online machine will have been silent for offline_after, if none is heard from
  // before; nothing when no machine is online.
  std::optional<TimePoint> next_expiry() const;

  bool online(const std::string& machine) const;
  // The last state of an app, or an empty one (no flags, pid 0) when none arrived yet.
  proto::bus::AppState app_state(const config::AppId& id) const;
  bool has_flag(const config::AppId& id, proto::bus::AppFlag flag) const;
  proto::control::AppStatus app_status(const config::AppId& id) const;
  // Every app of the config and every app a node reported, sorted by id.
  std::vector<proto::control::AppStatus> all_apps() const;
  std::vector<proto::control::MachineStatus> machines() const;
  proto::bus::NodeState node_state(const std::string& machine) const;

 private:
  struct Machine {
    std::optional<proto::bus::NodeState> last;
    TimePoint last_heard{};
    double last_heard_wall = 0;  // seconds since the epoch
    bool online = false;
    std::optional<proto::bus::MachineUsage> host_usage;
    std::unordered_map<std::string, proto::bus::AppUsage> app_usage;  // by app, running ones
  };
  // The app's usage from its machine's last report, while the app runs and the machine is online.
  std::optional<proto::bus::AppUsage> usage_of(const Machine* machine,
                                               const proto::bus::AppState& state) const;

  std::chrono::milliseconds offline_after_;
  std::map<config::AppId, std::vector<std::string>> config_apps_;
  std::map<config::AppId, proto::bus::AppState> apps_;
  std::map<std::string, Machine> machines_;
};

}  // namespace baton::broker
