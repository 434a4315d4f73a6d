#include "broker/fleet/fleet_state.hpp"

#include <algorithm>

namespace baton::broker {

namespace bus = proto::bus;
namespace control = proto::control;

namespace {
double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

void FleetState::set_config_apps(std::map<config::AppId, std::vector<std::string>> plans_of_app) {
  config_apps_ = std::move(plans_of_app);
}

bool FleetState::machine_in_config(const std::string& machine) const {
  auto it = config_apps_.lower_bound(config::AppId{machine, ""});
  return it != config_apps_.end() && it->first.machine == machine;
}

bool FleetState::update_app(const bus::AppState& state) {
  config::AppId id{state.machine, state.app};
  auto it = apps_.find(id);
  if (it == apps_.end()) {
    apps_.emplace(std::move(id), state);
    return true;
  }
  // A node that restarted counts from 1 again: a lower seq from it is newer, not older, so only
  // an equal seq (the same message twice) is a duplicate.
  if (it->second.seq == state.seq && it->second.flags == state.flags &&
      it->second.pid == state.pid) {
    return false;
  }
  it->second = state;
  return true;
}

bool FleetState::update_node(const bus::NodeState& state, TimePoint now) {
  const bool came_back = heard_from(state.machine, now);
  machines_[state.machine].last = state;
  return came_back;
}

bool FleetState::update_usage(bus::UsageReport report, TimePoint now) {
  const bool came_back = heard_from(report.machine, now);
  Machine& m = machines_[report.machine];
  m.host_usage = std::move(report.host);
  m.app_usage.clear();
  for (auto& app : report.apps) {
    std::string name = app.app;
    m.app_usage.insert_or_assign(std::move(name), std::move(app));
  }
  return came_back;
}

std::optional<bus::AppUsage> FleetState::usage_of(const Machine* machine,
                                                  const bus::AppState& state) const {
  if (machine == nullptr || !machine->online || !bus::has_flag(state.flags, bus::AppFlag::Running))
    return std::nullopt;
  auto it = machine->app_usage.find(state.app);
  if (it == machine->app_usage.end()) return std::nullopt;
  return it->second;
}

bool FleetState::heard_from(const std::string& machine, TimePoint now) {
  Machine& m = machines_[machine];
  m.last_heard = now;
  m.last_heard_wall = wall_now();
  const bool came_back = !m.online;
  m.online = true;
  return came_back;
}

std::vector<std::string> FleetState::expire(TimePoint now) {
  std::vector<std::string> gone;
  for (auto& [machine, m] : machines_) {
    if (m.online && now - m.last_heard > offline_after_) {
      m.online = false;
      gone.push_back(machine);
    }
  }
  return gone;
}

std::optional<TimePoint> FleetState::next_expiry() const {
  std::optional<TimePoint> first;
  for (const auto& [machine, m] : machines_) {
    if (m.online && (!first || m.last_heard + offline_after_ < *first)) {
      first = m.last_heard + offline_after_;
    }
  }
  return first;
}

bool FleetState::online(const std::string& machine) const {
  auto it = machines_.find(machine);
  return it != machines_.end() && it->second.online;
}

bus::AppState FleetState::app_state(const config::AppId& id) const {
  auto it = apps_.find(id);
  if (it != apps_.end()) return it->second;
  bus::AppState empty;
  empty.machine = id.machine;
  empty.app = id.app;
  return empty;
}

bool FleetState::has_flag(const config::AppId& id, bus::AppFlag flag) const {
  auto it = apps_.find(id);
  return it != apps_.end() && bus::has_flag(it->second.flags, flag);
}

control::AppStatus FleetState::app_status(const config::AppId& id) const {
  control::AppStatus status;
  status.state = app_state(id);
  status.online = online(id.machine);
  if (auto it = config_apps_.find(id); it != config_apps_.end()) status.plans = it->second;
  if (auto m = machines_.find(id.machine); m != machines_.end()) {
    status.usage = usage_of(&m->second, status.state);
  }
  return status;
}

std::vector<control::AppStatus> FleetState::all_apps() const {
  // Both maps are sorted by id: one merge walk lists every app once and in order, without
  // looking any up or building a set of ids (this answers get_all_apps_state, which for a fleet
  // of 100,000 apps spent most of its time in those lookups).
  std::vector<control::AppStatus> out;
  out.reserve(std::max(config_apps_.size(), apps_.size()));
  auto in_config = config_apps_.begin();
  auto reported = apps_.begin();
  const std::string* machine = nullptr;  // the apps of one machine come together
  bool machine_online = false;
  const Machine* machine_heard = nullptr;
  while (in_config != config_apps_.end() || reported != apps_.end()) {
    const bool configured = in_config != config_apps_.end() &&
                            (reported == apps_.end() || !(reported->first < in_config->first));
    const bool heard = reported != apps_.end() &&
                       (in_config == config_apps_.end() || !(in_config->first < reported->first));
    const config::AppId& id = configured ? in_config->first : reported->first;
    if (machine == nullptr || *machine != id.machine) {
      machine = &id.machine;
      machine_online = online(id.machine);
      auto m = machines_.find(id.machine);
      machine_heard = m != machines_.end() ? &m->second : nullptr;
    }
    control::AppStatus status;
    if (heard) {
      status.state = reported->second;
    } else {
      status.state.machine = id.machine;
      status.state.app = id.app;
    }
    status.online = machine_online;
    status.usage = usage_of(machine_heard, status.state);
    if (configured) status.plans = in_config->second;
    out.push_back(std::move(status));
    if (configured) ++in_config;
    if (heard) ++reported;
  }
  return out;
}

bus::NodeState FleetState::node_state(const std::string& machine) const {
  bus::NodeState state;
  state.machine = machine;
  auto it = machines_.find(machine);
  if (it != machines_.end() && it->second.last) state = *it->second.last;
  state.online = it != machines_.end() && it->second.online;
  return state;
}

std::vector<control::MachineStatus> FleetState::machines() const {
  std::set<std::string> names;
  for (const auto& [id, plans] : config_apps_)
    names.insert(id.machine);
  for (const auto& [machine, m] : machines_)
    names.insert(machine);
  std::vector<control::MachineStatus> out;
  for (const auto& name : names) {
    control::MachineStatus status;
    status.node = node_state(name);
    auto it = machines_.find(name);
    status.last_seen = it != machines_.end() ? it->second.last_heard_wall : 0;
    if (it != machines_.end() && it->second.online) status.usage = it->second.host_usage;
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace baton::broker
