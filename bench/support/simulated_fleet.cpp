#include "bench/support/simulated_fleet.hpp"

#include <array>
#include <set>
#include <stdexcept>
#include <utility>

#include "common/config/deploy.hpp"
#include "common/proto/control.hpp"

namespace baton::bench {

namespace bus = proto::bus;
namespace control = proto::control;
using bus::AppFlag;
using bus::CommandOp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kPresenceInterval = 1s;
// Messages handled per socket and poll(): bounds one call while a burst (a thousand deploys)
// is answered over several.
constexpr int kBudget = 20'000;

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool has(const std::vector<std::string>& flags, AppFlag flag) {
  for (const auto& f : flags) {
    if (f == proto::to_name(flag)) return true;
  }
  return false;
}

// The flags in docs/app-states.md's order (Started, StartFailed, Running, Dying, Killed,
// Initialized, PlanApplied, Restarting) from what a simulated app can be.
std::vector<std::string> flags_of(bool started, bool running, bool killed, bool initialized,
                                  bool plan_applied) {
  std::vector<std::string> out;
  if (started) out.emplace_back(proto::to_name(AppFlag::Started));
  if (running) out.emplace_back(proto::to_name(AppFlag::Running));
  if (killed) out.emplace_back(proto::to_name(AppFlag::Killed));
  if (initialized) out.emplace_back(proto::to_name(AppFlag::Initialized));
  if (plan_applied) out.emplace_back(proto::to_name(AppFlag::PlanApplied));
  return out;
}

}  // namespace

SimulatedFleet::SimulatedFleet(std::string control_endpoint, std::vector<std::string> machines)
    : control_endpoint_(std::move(control_endpoint)),
      control_(context_, zmq::socket_type::dealer),
      ingest_(context_, zmq::socket_type::xpub),
      bus_(context_, zmq::socket_type::sub),
      seq_(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count())),
      started_(Clock::now()),
      next_presence_(Clock::now()) {
  for (auto& name : machines) {
    Machine m;
    m.command_topic = bus::command_topic(name);
    m.name = std::move(name);
    by_command_topic_.emplace(m.command_topic, machines_.size());
    machines_.push_back(std::move(m));
  }
  // One socket carries what a thousand nodes' sockets would: no high-water mark, nothing dropped
  // (a node's is 100,000 messages; the broker's side still pushes back through TCP).
  for (zmq::socket_t* s : {&control_, &ingest_, &bus_}) {
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::sndhwm, 0);
    s->set(zmq::sockopt::rcvhwm, 0);
    s->set(zmq::sockopt::maxmsgsize, bus::kMaxFrameBytes);
  }
  ingest_.set(zmq::sockopt::xpub_verbose, 1);  // the broker's subscription, every time
}

void SimulatedFleet::connect(std::chrono::milliseconds deadline) {
  const auto end = Clock::now() + deadline;
  say_hello(end);
  while (!(broker_listens_ && synced())) {
    if (Clock::now() > end) {
      std::size_t deployed = 0, asked = 0;
      for (const auto& m : machines_) {
        deployed += m.deployed ? 1 : 0;
        asked += m.state_asked ? 1 : 0;
      }
      throw std::runtime_error(
          "simulated fleet: the broker did not sync every machine within " +
          std::to_string(deadline.count()) +
          " ms (broker subscribed to ingest: " + (broker_listens_ ? "yes" : "no") + ", deployed " +
          std::to_string(deployed) + ", state asked " + std::to_string(asked) + " of " +
          std::to_string(machines_.size()) + " machines)");
    }
    poll(10ms);
  }
}

void SimulatedFleet::say_hello(Clock::time_point deadline) {
  control_.connect(control_endpoint_);
  std::set<std::string> pending;  // ids of the hellos not answered yet
  for (std::size_t i = 0; i < machines_.size(); ++i) {
    const std::string id = "hello-" + machines_[i].name;
    pending.insert(id);
    const std::string frame =
        control::pack_request(control::RequestHeader{control::kVersion, id, "hello"},
                              control::HelloArgs{"node", machines_[i].name, "0.1.0"});
    if (!control_.send(zmq::buffer(frame), zmq::send_flags::dontwait)) {
      throw std::runtime_error("simulated fleet: cannot queue a hello to " + control_endpoint_);
    }
  }
  std::optional<control::HelloResult> endpoints;
  while (!pending.empty()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error("simulated fleet: " + std::to_string(pending.size()) +
                               " hellos not answered by the broker at " + control_endpoint_);
    }
    zmq::pollitem_t item{static_cast<void*>(control_), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::min(left, std::chrono::milliseconds(100)));
    for (int i = 0; i < kBudget; ++i) {
      zmq::message_t frame;
      if (!control_.recv(frame, zmq::recv_flags::dontwait)) break;
      msgpack::zone zone;
      auto object = proto::unpack_frame(zone, frame.data(), frame.size());
      if (!object) continue;
      auto header = proto::decode<control::ReplyHeader>(*object);
      if (!header || !pending.contains(header->id)) continue;
      if (!header->ok) {
        throw std::runtime_error("simulated fleet: the broker refused " + header->id + ": " +
                                 header->error.value_or("no reason"));
      }
      const msgpack::object* result = proto::find_key(*object, "result");
      auto hello = result ? proto::decode<control::HelloResult>(*result)
                          : Expected<control::HelloResult>(Error{"no result"});
      if (!hello)
        throw std::runtime_error("simulated fleet: bad hello reply: " + hello.error().message);
      endpoints = *hello;
      pending.erase(header->id);
    }
  }
  ingest_.connect(endpoints->ingest);
  bus_.connect(endpoints->bus);
}

bool SimulatedFleet::synced() const {
  for (const auto& m : machines_) {
    if (!m.deployed || !m.state_asked) return false;
  }
  return true;
}

void SimulatedFleet::poll(std::chrono::milliseconds wait, std::span<zmq::pollitem_t> extra) {
  std::vector<zmq::pollitem_t> items(extra.begin(), extra.end());
  const std::size_t own = items.size();
  for (zmq::socket_t* s : {&control_, &ingest_, &bus_})
    items.push_back(zmq::pollitem_t{static_cast<void*>(*s), 0, ZMQ_POLLIN, 0});
  if (broker_listens_) {
    const auto until_presence =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_presence_ - Clock::now());
    wait = std::max(std::chrono::milliseconds(0), std::min(wait, until_presence));
  }
  zmq::poll(items, wait);
  for (std::size_t i = 0; i < own; ++i)
    extra[i].revents = items[i].revents;
  // Drained whatever poll said: a socket's readiness is edge-triggered underneath, so each is
  // read until empty (within the budget).
  for (int i = 0; i < kBudget; ++i) {
    zmq::message_t late_hello_reply;
    if (!control_.recv(late_hello_reply, zmq::recv_flags::dontwait)) break;
  }
  on_ingest_readable();
  on_bus_readable();
  if (broker_listens_ && Clock::now() >= next_presence_) publish_presence();
}

void SimulatedFleet::on_ingest_readable() {
  for (int i = 0; i < kBudget; ++i) {
    zmq::message_t message;
    if (!ingest_.recv(message, zmq::recv_flags::dontwait)) return;
    if (message.size() == 0 || static_cast<const char*>(message.data())[0] != 1) continue;
    if (broker_listens_) continue;
    // As a node does: subscribe to the commands only once the broker listens, so that no reply
    // is published into the void. Every machine's topic on the one SUB: the broker grants each
    // and resynchronises that machine.
    broker_listens_ = true;
    for (const auto& m : machines_)
      bus_.set(zmq::sockopt::subscribe, m.command_topic);
    publish_presence();
  }
}

void SimulatedFleet::on_bus_readable() {
  for (int i = 0; i < kBudget; ++i) {
    zmq::message_t topic;
    if (!bus_.recv(topic, zmq::recv_flags::dontwait)) return;
    if (!topic.more()) continue;
    zmq::message_t payload;
    if (!bus_.recv(payload, zmq::recv_flags::dontwait)) return;
    if (payload.more()) {  // not a bus message: drop it whole
      zmq::message_t rest;
      do {
        if (!bus_.recv(rest, zmq::recv_flags::dontwait)) return;
      } while (rest.more());
      continue;
    }
    // One SUB for every machine: the whole topic names the machine.
    auto it = by_command_topic_.find(topic.to_string());
    if (it == by_command_topic_.end()) continue;
    handle_command(machines_[it->second], payload);
  }
}

void SimulatedFleet::handle_command(Machine& machine, const zmq::message_t& payload) {
  msgpack::zone zone;
  auto object =
      proto::unpack_frame(zone, payload.data(), payload.size(), proto::bulk_frame_limits());
  if (!object)
    throw std::runtime_error("simulated fleet: malformed command: " + object.error().message);
  auto command = proto::decode<bus::CommandHeader>(*object);
  if (!command)
    throw std::runtime_error("simulated fleet: bad command: " + command.error().message);
  // Counted by the op as sent, an unknown one too.
  ++answered_[command->op];
  // One handler per op, as a node's command handler dispatches them.
  using Handler =
      void (SimulatedFleet::*)(Machine&, const msgpack::object&, const bus::CommandHeader&);
  static constexpr std::array<std::pair<CommandOp, Handler>, proto::kEnumCount<CommandOp>>
      kHandlers{{
          {CommandOp::deploy, &SimulatedFleet::deploy},
          {CommandOp::launch, &SimulatedFleet::launch_command},
          {CommandOp::kill, &SimulatedFleet::kill_command},
          {CommandOp::restart, &SimulatedFleet::restart_command},
          {CommandOp::set_vars, &SimulatedFleet::set_vars_command},
          {CommandOp::kill_all, &SimulatedFleet::kill_all_command},
          {CommandOp::get_state, &SimulatedFleet::get_state_command},
          {CommandOp::tail, &SimulatedFleet::tail_command},
      }};
  static_assert(proto::in_declaration_order(kHandlers), "one row per op, in the enum's order");
  const auto op = proto::parse_name<CommandOp>(command->op);
  if (!op) {
    return reply(machine, *command, "unknown command op '" + command->op.substr(0, 64) + "'");
  }
  (this->*kHandlers[static_cast<std::size_t>(*op)].second)(machine, proto::args_of(*object),
                                                           *command);
}

std::optional<bus::AppCommandArgs> SimulatedFleet::app_args(const Machine& machine,
                                                            const msgpack::object& args,
                                                            const bus::CommandHeader& command) {
  auto app = proto::decode<bus::AppCommandArgs>(args);
  if (!app) {
    reply(machine, command, command.op + ": " + app.error().message);
    return std::nullopt;
  }
  if (!machine.apps.contains(app->app)) {
    reply(machine, command, "unknown app " + machine.name + "." + app->app);
    return std::nullopt;
  }
  return std::move(*app);
}

void SimulatedFleet::launch_command(Machine& machine, const msgpack::object& args,
                                    const bus::CommandHeader& command) {
  if (auto app = app_args(machine, args, command)) {
    launch(machine, app->app, app->plan, false);
    reply(machine, command, "");
  }
}

void SimulatedFleet::restart_command(Machine& machine, const msgpack::object& args,
                                     const bus::CommandHeader& command) {
  if (auto app = app_args(machine, args, command)) {
    launch(machine, app->app, app->plan, true);
    reply(machine, command, "");
  }
}

void SimulatedFleet::kill_command(Machine& machine, const msgpack::object& args,
                                  const bus::CommandHeader& command) {
  if (auto app = app_args(machine, args, command)) {
    kill(machine, app->app, app->by_plan.value_or(false));
    reply(machine, command, "");
  }
}

void SimulatedFleet::kill_all_command(Machine& machine, const msgpack::object&,
                                      const bus::CommandHeader& command) {
  for (auto& [name, state] : machine.apps)
    kill(machine, name, true);
  reply(machine, command, "");
}

void SimulatedFleet::tail_command(Machine& machine, const msgpack::object&,
                                  const bus::CommandHeader& command) {
  reply(machine, command, "a simulated machine keeps no app logs");
}

void SimulatedFleet::set_vars_command(Machine& machine, const msgpack::object&,
                                      const bus::CommandHeader& command) {
  reply(machine, command, "");
}

void SimulatedFleet::get_state_command(Machine& machine, const msgpack::object&,
                                       const bus::CommandHeader& command) {
  machine.state_asked = true;
  reply_with_state(machine, command);
}

void SimulatedFleet::deploy(Machine& machine, const msgpack::object& args,
                            const bus::CommandHeader& command) {
  auto deploy = proto::decode<config::DeployArgs>(args);
  if (!deploy) return reply(machine, command, "deploy: " + deploy.error().message);
  std::map<std::string, bus::AppState> apps;
  for (const auto& def : deploy->apps) {
    if (def.machine != machine.name) {
      return reply(machine, command,
                   "app " + def.machine + "." + def.app + " belongs to machine " + def.machine);
    }
    auto known = machine.apps.find(def.app);
    if (known != machine.apps.end()) {
      apps.emplace(def.app, std::move(known->second));
      continue;
    }
    // A node publishes the state of an app it did not know as soon as it is deployed.
    bus::AppState state;
    state.machine = machine.name;
    state.app = def.app;
    auto [it, inserted] = apps.emplace(def.app, std::move(state));
    publish_state(it->second);
  }
  machine.apps = std::move(apps);  // what is no longer deployed is forgotten
  machine.deployed = true;
  reply(machine, command, "");
}

void SimulatedFleet::launch(Machine& machine, const std::string& app,
                            const std::optional<std::string>& plan, bool restart) {
  bus::AppState& state = machine.apps.at(app);
  bool plan_applied = has(state.flags, AppFlag::PlanApplied);
  if (plan) {
    state.plan = *plan;
    plan_applied = true;
  }
  const bool running = has(state.flags, AppFlag::Running);
  if (running && !restart) {  // a node ignores a launch of a running app but for its plan
    auto flags = flags_of(true, true, false, has(state.flags, AppFlag::Initialized), plan_applied);
    if (flags == state.flags) return;  // a node publishes changes only
    state.flags = std::move(flags);
    return publish_state(state);
  }
  if (restart && running) ++state.restarts;
  state.pid = next_pid_++;
  state.exit_code.reset();
  state.error.reset();
  state.started_at = wall_now();
  // No init detector: Initialized at launch, as the node reports it.
  state.flags = flags_of(true, true, false, true, plan_applied);
  publish_event(machine, app, bus::EventKind::launched, "pid " + std::to_string(state.pid));
  publish_event(machine, app, bus::EventKind::initialized,
                "no init detector: initialized at launch");
  publish_state(state);
}

void SimulatedFleet::kill(Machine& machine, const std::string& app, bool by_plan) {
  bus::AppState& state = machine.apps.at(app);
  const bool running = has(state.flags, AppFlag::Running);
  // KillApp sets Killed and PlanApplied (a plan must not launch it again); KillPlan clears
  // PlanApplied and sets no Killed.
  const bool killed = !by_plan || has(state.flags, AppFlag::Killed);
  const bool plan_applied = !by_plan;
  auto flags = flags_of(has(state.flags, AppFlag::Started), false, killed,
                        has(state.flags, AppFlag::Initialized), plan_applied);
  if (!running && flags == state.flags) return;  // a node publishes changes only
  if (running) {
    state.pid = 0;
    state.exit_code = -9;
    publish_event(machine, app, bus::EventKind::killed, "killed by signal 9");
  }
  state.flags = std::move(flags);
  publish_state(state);
}

const bus::AppState& SimulatedFleet::change_app(std::size_t machine, const std::string& app) {
  auto it = machines_.at(machine).apps.find(app);
  if (it == machines_[machine].apps.end()) {
    throw std::runtime_error("simulated fleet: app " + machines_[machine].name + "." + app +
                             " was not deployed");
  }
  bus::AppState& state = it->second;
  const bool plan_applied = has(state.flags, AppFlag::PlanApplied);
  if (has(state.flags, AppFlag::Running)) {
    state.pid = 0;
    state.exit_code = 0;
    state.flags = flags_of(true, false, false, true, plan_applied);
  } else {
    state.pid = next_pid_++;
    state.exit_code.reset();
    state.started_at = wall_now();
    state.flags = flags_of(true, true, false, true, plan_applied);
  }
  publish_state(state);
  return state;
}

std::size_t SimulatedFleet::deployed_apps() const {
  std::size_t n = 0;
  for (const auto& m : machines_)
    n += m.apps.size();
  return n;
}

void SimulatedFleet::reply(const Machine& machine, const bus::CommandHeader& command,
                           const std::string& error) {
  bus::ReplyHeader header{bus::kVersion, command.id, error.empty(), std::nullopt, machine.name};
  if (!error.empty()) header.error = error;
  publish(bus::reply_topic(command.reply_to), proto::pack_to_string(header));
}

void SimulatedFleet::reply_with_state(const Machine& machine, const bus::CommandHeader& command) {
  bus::ReplyHeader header{bus::kVersion, command.id, true, std::nullopt, machine.name};
  publish(bus::reply_topic(command.reply_to), bus::pack_with(header, "result", [&](auto& pk) {
            pk.pack_map(1);
            pk.pack(std::string_view("apps"));
            pk.pack_array(static_cast<std::uint32_t>(machine.apps.size()));
            for (const auto& [name, state] : machine.apps)
              proto::pack_message(pk, state);
          }));
}

void SimulatedFleet::publish_state(bus::AppState& state) {
  state.seq = ++seq_;
  publish(bus::status_topic(state.machine, state.app), proto::pack_to_string(state));
}

void SimulatedFleet::publish_event(const Machine& machine, const std::string& app,
                                   bus::EventKind kind, const std::string& details) {
  bus::Event event;
  event.machine = machine.name;
  event.app = app;
  event.kind = kind;
  event.time = wall_now();
  event.details = details;
  event.seq = ++seq_;
  publish(bus::event_topic(machine.name, app), proto::pack_to_string(event));
}

void SimulatedFleet::publish_presence() {
  const double uptime = std::chrono::duration<double>(Clock::now() - started_).count();
  for (const auto& m : machines_) {
    bus::NodeState state;
    state.machine = m.name;
    state.online = true;
    state.apps = static_cast<std::int64_t>(m.apps.size());
    state.uptime = uptime;
    state.seq = ++seq_;
    publish(bus::node_topic(m.name), proto::pack_to_string(state));
  }
  next_presence_ = Clock::now() + kPresenceInterval;
}

void SimulatedFleet::publish(const std::string& topic, const std::string& payload) {
  // No high-water mark on this socket: a send only fails when ZeroMQ is out of memory.
  if (!ingest_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait) ||
      !ingest_.send(zmq::buffer(payload), zmq::send_flags::dontwait)) {
    throw std::runtime_error("simulated fleet: could not publish on " + topic);
  }
}

}  // namespace baton::bench
