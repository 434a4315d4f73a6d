#include "broker/fleet/node_sync.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "common/config/deploy.hpp"
#include "common/proto/codec.hpp"
#include "common/proto/control.hpp"

namespace baton::broker {

namespace bus = proto::bus;
using namespace std::chrono_literals;

namespace {

// The presence check runs when the first online machine's silence reaches --offline-after (2.5 s
// by default, under the 3 s users are promised), and at least this often: a machine that comes
// online meanwhile has its deadline later than that.
constexpr auto kPresenceCheckAtLeast = 1s;

}  // namespace

NodeSync::NodeSync(EventLoop& loop, const Deployment& deployment, FleetState& fleet,
                   CommandRouter& router, HeldCommands& held, PlanRunner& plans,
                   CommandRouter::Publish publish)
    : loop_(loop),
      deployment_(deployment),
      fleet_(fleet),
      router_(router),
      held_(held),
      plans_(plans),
      publish_(std::move(publish)) {}

void NodeSync::start() {
  presence_timer_ = loop_.after(kPresenceCheckAtLeast, [this] { check_presence(); });
}

void NodeSync::command_subscription(const std::string& machine, bool subscribe) {
  if (subscribe) {
    ++command_subscribers_[machine];
    resync(machine);
  } else if (auto it = command_subscribers_.find(machine); it != command_subscribers_.end()) {
    if (--it->second <= 0) command_subscribers_.erase(it);
  }
}

void NodeSync::heard_from(const std::string& machine) {
  if (fleet_.heard_from(machine, SteadyClock::now())) machine_back(machine);
}

void NodeSync::node_state_arrived(const bus::NodeState& state) {
  if (fleet_.update_node(state, SteadyClock::now())) machine_back(state.machine);
}

void NodeSync::usage_arrived(bus::UsageReport report) {
  const std::string machine = report.machine;
  if (fleet_.update_usage(std::move(report), SteadyClock::now())) machine_back(machine);
}

void NodeSync::app_state_arrived(const bus::AppState& state) {
  if (fleet_.update_app(state)) plans_.app_changed(config::AppId{state.machine, state.app});
}

void NodeSync::machine_back(const std::string& machine) {
  spdlog::info("machine {} is online", machine);
  // Heard again after a silence on the same connections (a network cut that TCP outlived): no new
  // subscription will come, so it is resynchronised now.
  if (command_subscribers_.contains(machine) && !synced_.contains(machine)) {
    return resync(machine);
  }
  plans_.machine_changed();
}

void NodeSync::resync(const std::string& machine) {
  spdlog::info("machine {} subscribed to its commands: deploying {} apps and asking its state",
               machine, deployment_.apps_of(machine).size());
  fleet_.heard_from(machine, SteadyClock::now());
  deploy_to(machine);
  bus::Variables vars{{vars_for_all_.begin(), vars_for_all_.end()}};
  if (auto it = vars_for_machine_.find(machine); it != vars_for_machine_.end()) {
    vars.assignments.insert(vars.assignments.end(), it->second.begin(), it->second.end());
  }
  if (!vars.assignments.empty()) {
    router_.send(machine, bus::CommandOp::set_vars, bus::SetVarsArgs{std::move(vars)}, nullptr);
  }
  router_.send(machine, bus::CommandOp::get_state, proto::control::Empty{},
               [this](const CommandRouter::Outcome& outcome) {
                 if (outcome.ok) take_state_reply(outcome.payload);
               });
  // Commands sent from now on arrive after the deploy: the bus keeps their order.
  synced_.insert(machine);
  held_.release(machine);
  plans_.machine_changed();
}

bool NodeSync::ready(const std::string& machine) const {
  return synced_.contains(machine) && fleet_.online(machine);
}

void NodeSync::deploy_to(const std::string& machine) {
  router_.send(machine, bus::CommandOp::deploy, config::DeployArgs{deployment_.apps_of(machine)},
               nullptr);
}

void NodeSync::send_when_linked(const std::string& machine, bus::CommandOp op,
                                CommandRouter::Pack pack, CommandRouter::Callback done) {
  if (ready(machine)) return router_.send_packed(machine, op, pack, std::move(done));
  if (!fleet_.online(machine)) {
    if (done) done(CommandRouter::Outcome{false, "machine " + machine + " is offline", {}});
    return;
  }
  spdlog::info("{} for machine {}: held until the machine, which is connecting, links",
               proto::to_name(op), machine);
  auto shared_done = std::make_shared<CommandRouter::Callback>(std::move(done));
  held_.hold(
      machine,
      [this, machine, op, pack = std::move(pack), shared_done] {
        router_.send_packed(machine, op, pack, std::move(*shared_done));
      },
      [op, machine, shared_done](const std::string& reason) {
        spdlog::warn("{} on {}: {}", proto::to_name(op), machine, reason);
        if (*shared_done) (*shared_done)(CommandRouter::Outcome{false, reason, {}});
      });
}

void NodeSync::remember_vars(const std::string& machine,
                             const std::vector<std::pair<std::string, std::string>>& assignments) {
  if (machine == "all") {
    for (const auto& [name, value] : assignments) {
      vars_for_all_[name] = value;
      for (auto& [m, remembered] : vars_for_machine_)
        remembered.erase(name);
    }
    return;
  }
  auto& remembered = vars_for_machine_[machine];
  for (const auto& [name, value] : assignments)
    remembered[name] = value;
}

void NodeSync::take_state_reply(const std::string& payload) {
  msgpack::zone zone;
  auto object =
      proto::unpack_frame(zone, payload.data(), payload.size(), proto::bulk_frame_limits());
  if (!object) return;
  const msgpack::object* result = proto::find_key(*object, "result");
  if (result == nullptr) return;
  auto states = proto::decode<bus::StateResult>(*result);
  if (!states) {
    spdlog::warn("dropped a malformed answer to get_state: {}", states.error().message);
    return;
  }
  for (const auto& state : states->apps)
    app_state_arrived(state);
}

void NodeSync::check_presence() {
  const TimePoint now = SteadyClock::now();
  for (const auto& machine : fleet_.expire(now)) {
    spdlog::warn("machine {} is offline: silent for {} ms", machine,
                 fleet_.offline_after().count());
    synced_.erase(machine);
    held_.fail_machine(machine, "machine " + machine + " went offline");
    router_.fail_machine(machine, "machine " + machine + " went offline");
    bus::NodeState state = fleet_.node_state(machine);
    state.online = false;
    publish_(bus::node_topic(machine), proto::pack_to_string(state));
    plans_.machine_changed();
  }
  SteadyClock::duration wait = kPresenceCheckAtLeast;
  if (const auto next = fleet_.next_expiry()) {
    // Just past it: expire() wants a silence longer than --offline-after.
    wait =
        std::clamp<SteadyClock::duration>(*next + 1ms - now, SteadyClock::duration::zero(), wait);
  }
  presence_timer_ = loop_.after(wait, [this] { check_presence(); });
}

}  // namespace baton::broker
