// Broker: the answers to control requests (common/proto/control.hpp lists the ops). A request
// that needs nodes is answered when they have answered, or with a clear error; nothing a client
// sends can stop the broker.
#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <set>
#include <utility>

#include "broker/broker.hpp"
#include "common/proto/codec.hpp"

namespace baton::broker {

namespace bus = proto::bus;
namespace control = proto::control;

namespace {

// A client's string as one log line can hold it: at most 64 bytes, control characters (a newline
// that would forge a line of its own) as '?'.
std::string loggable(const msgpack::object& text) {
  std::string out(text.via.str.ptr, std::min<std::size_t>(text.via.str.size, 64));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// What a request acts on, for the log line that says who asked: its app, plan or machine, and the
// names (never the values) of the variables it sets.
std::string request_target(const msgpack::object& args) {
  std::string target;
  for (const char* key : {"app", "plan", "machine"}) {
    const msgpack::object* value = proto::find_key(args, key);
    if (value != nullptr && value->type == msgpack::type::STR) target += " " + loggable(*value);
  }
  const msgpack::object* vars = proto::find_key(args, "vars");
  if (vars != nullptr && vars->type == msgpack::type::MAP) {
    for (std::uint32_t i = 0; i < vars->via.map.size && i < 16; ++i) {
      const msgpack::object& name = vars->via.map.ptr[i].key;
      if (name.type == msgpack::type::STR) target += " " + loggable(name);
    }
  }
  return target;
}

}  // namespace

struct Broker::Gather {
  Client client;
  std::size_t outstanding = 0;
  std::vector<std::string> errors;
};

template <class Result>
void Broker::reply(const Client& client, const Result& result) {
  const std::string frame = control::pack_reply(
      control::ReplyHeader{control::kVersion, client.request_id, true, std::nullopt}, result);
  control_.send(zmq::buffer(client.identity), zmq::send_flags::sndmore);
  control_.send(zmq::buffer(frame), zmq::send_flags::dontwait);
}

void Broker::reply_error(const Client& client, const std::string& message) {
  const std::string frame = control::pack_reply(
      control::ReplyHeader{control::kVersion, client.request_id, false, message}, control::Empty{});
  control_.send(zmq::buffer(client.identity), zmq::send_flags::sndmore);
  control_.send(zmq::buffer(frame), zmq::send_flags::dontwait);
}

void Broker::reply_status(const Client& client, const Status& status) {
  if (status) return reply(client, control::Empty{});
  reply_error(client, status.error().message);
}

void Broker::on_control_readable() {
  for (int budget = 0; budget < 1000; ++budget) {
    zmq::message_t identity;
    if (!control_.recv(identity, zmq::recv_flags::dontwait)) return;
    std::vector<zmq::message_t> frames;
    bool more = identity.more();
    while (more) {
      zmq::message_t part;
      (void)control_.recv(part, zmq::recv_flags::dontwait);
      more = part.more();
      frames.push_back(std::move(part));
    }
    // One frame after the identity (a REQ client's empty delimiter is tolerated).
    if (frames.size() == 2 && frames.front().size() == 0) frames.erase(frames.begin());
    if (frames.size() != 1) {
      spdlog::warn("control: dropped a request of {} frames", frames.size());
      continue;
    }
    handle_request(identity.to_string(), frames.front());
  }
}

void Broker::handle_request(const std::string& identity, const zmq::message_t& frame) {
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, frame.data(), frame.size());
  Client client{identity, "", {}};
  if (!object) return reply_error(client, "malformed request: " + object.error().message);
  if (const msgpack::object* id = proto::find_key(*object, "id");
      id != nullptr && id->type == msgpack::type::STR) {
    client.request_id.assign(id->via.str.ptr, std::min<std::size_t>(id->via.str.size, 128));
  }
  auto header = proto::decode<control::RequestHeader>(*object);
  if (!header) return reply_error(client, "malformed request: " + header.error().message);
  if (header->v != control::kVersion) {
    return reply_error(client, "unsupported protocol version " + std::to_string(header->v));
  }
  const msgpack::object& args = proto::args_of(*object);
  if (args.type != msgpack::type::MAP) return reply_error(client, "args must be a map");
  const auto peer = peer_of(frame);
  if (!peer)
    return reply_error(
        client, "not allowed: the connection's key is not (or no longer) in the authorized keys");
  client.peer = *peer;
  if (auto refusal = refuse_request(*peer, header->op)) {
    spdlog::warn("control: refused {} from {}: {}", header->op.substr(0, 64), describe(*peer),
                 *refusal);
    return reply_error(client, *refusal);
  }
  if (const auto known = proto::parse_name<ControlOp>(header->op); !known || !is_query(*known)) {
    spdlog::info("control: {}{} (asked by {})", header->op.substr(0, 64), request_target(args),
                 describe(*peer));
  }
  dispatch(client, header->op, args);
}

void Broker::dispatch(const Client& client, const std::string& op, const msgpack::object& args) {
  static constexpr std::array<std::pair<ControlOp, RequestHandler>, proto::kEnumCount<ControlOp>>
      kHandlers{{
          {ControlOp::hello, &Broker::hello},
          {ControlOp::get_app_state, &Broker::get_app_state},
          {ControlOp::get_all_apps_state, &Broker::get_all_apps_state},
          {ControlOp::launch, &Broker::app_command<bus::CommandOp::launch>},
          {ControlOp::kill, &Broker::app_command<bus::CommandOp::kill>},
          {ControlOp::restart, &Broker::app_command<bus::CommandOp::restart>},
          {ControlOp::plan_start, &Broker::plan_command<&PlanRunner::start>},
          {ControlOp::plan_stop, &Broker::plan_command<&PlanRunner::stop>},
          {ControlOp::plan_kill, &Broker::plan_command<&PlanRunner::kill>},
          {ControlOp::plan_restart, &Broker::plan_command<&PlanRunner::restart>},
          {ControlOp::plan_status, &Broker::plan_status},
          {ControlOp::plans, &Broker::list_plans},
          {ControlOp::machines, &Broker::list_machines},
          {ControlOp::set_vars, &Broker::set_vars},
          {ControlOp::kill_all, &Broker::kill_all},
          {ControlOp::reload, &Broker::reload},
      }};
  static_assert(proto::in_declaration_order(kHandlers), "one row per op, in the enum's order");
  const auto known = proto::parse_name<ControlOp>(op);
  if (!known) return reply_error(client, "unknown op '" + op.substr(0, 64) + "'");
  (this->*kHandlers[static_cast<std::size_t>(*known)].second)(client, *known, args);
}

void Broker::hello(const Client& client, ControlOp, const msgpack::object& args) {
  auto greeting = proto::decode<control::HelloArgs>(args);
  if (!greeting) return reply_error(client, "hello: " + greeting.error().message);
  if (client.peer.role == Role::node && greeting->machine.value_or("") != client.peer.name) {
    spdlog::warn("control: {} said hello as machine '{}': refused", describe(client.peer),
                 greeting->machine.value_or("").substr(0, 64));
    return reply_error(client, "not allowed: " + describe(client.peer) + " is machine " +
                                   client.peer.name + "'s, not '" + greeting->machine.value_or("") +
                                   "'s");
  }
  if (greeting->role == "node" && greeting->machine) {
    spdlog::info("node {} said hello (version {}{})", *greeting->machine, greeting->version,
                 client.peer.role == Role::anyone ? "" : ", " + describe(client.peer));
  }
  reply(client, control::HelloResult{ingest_endpoint_, bus_endpoint_, master_ip_});
}

void Broker::get_app_state(const Client& client, ControlOp, const msgpack::object& args) {
  auto a = proto::decode<control::AppArgs>(args);
  if (!a) return reply_error(client, "get_app_state: " + a.error().message);
  auto id = config::parse_app_id(a->app);
  if (!id) return reply_error(client, "'" + a->app + "' is not an app id: " + id.error().message);
  if (!fleet_.app_in_config(*id) && fleet_.app_state(*id).seq == 0) {
    return reply_error(client, "unknown app " + id->to_string());
  }
  reply(client, control::AppStateResult{fleet_.app_status(*id)});
}

void Broker::get_all_apps_state(const Client& client, ControlOp, const msgpack::object&) {
  reply(client, control::AllAppsResult{fleet_.all_apps()});
}

template <Status (PlanRunner::*Action)(const std::string&)>
void Broker::plan_command(const Client& client, ControlOp op, const msgpack::object& args) {
  auto p = proto::decode<control::PlanArgs>(args);
  if (!p) return reply_error(client, std::string(proto::to_name(op)) + ": " + p.error().message);
  reply_status(client, (plans_.*Action)(p->plan));
}

void Broker::plan_status(const Client& client, ControlOp op, const msgpack::object& args) {
  auto p = proto::decode<control::PlanArgs>(args);
  if (!p) return reply_error(client, std::string(proto::to_name(op)) + ": " + p.error().message);
  auto state = plans_.status(p->plan);
  if (!state) return reply_error(client, state.error().message);
  reply(client, *state);
}

void Broker::list_plans(const Client& client, ControlOp, const msgpack::object&) {
  reply(client, control::PlansResult{plans_.all()});
}

void Broker::list_machines(const Client& client, ControlOp, const msgpack::object&) {
  reply(client, control::MachinesResult{fleet_.machines()});
}

Status Broker::routable(const config::AppId& app) const {
  if (deployment_.find(app) == nullptr) return Error{"unknown app " + app.to_string()};
  if (!fleet_.online(app.machine)) return Error{"machine " + app.machine + " is offline"};
  return ok_status();
}

void Broker::send_when_linked(const std::string& machine, bus::CommandOp op,
                              CommandRouter::Pack pack, CommandRouter::Callback done) {
  if (machine_ready(machine)) return router_.send_packed(machine, op, pack, std::move(done));
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

template <bus::CommandOp Command>
void Broker::app_command(const Client& client, ControlOp op, const msgpack::object& args) {
  auto a = proto::decode<control::AppArgs>(args);
  if (!a) return reply_error(client, std::string(proto::to_name(op)) + ": " + a.error().message);
  auto id = config::parse_app_id(a->app);
  if (!id) return reply_error(client, "'" + a->app + "' is not an app id: " + id.error().message);
  if (auto ok = routable(*id); !ok) return reply_error(client, ok.error().message);
  const bus::AppCommandArgs command{id->app, std::nullopt, std::nullopt};
  send_when_linked(
      id->machine, Command,
      [command](const bus::CommandHeader& header) { return bus::pack_command(header, command); },
      [this, client](const CommandRouter::Outcome& outcome) {
        if (outcome.ok) return reply(client, control::Empty{});
        reply_error(client, outcome.error);
      });
}

void Broker::set_vars(const Client& client, ControlOp, const msgpack::object& args) {
  auto target = proto::decode<control::SetVarsTarget>(args);
  if (!target) return reply_error(client, "set_vars: " + target.error().message);
  auto vars = proto::decode<bus::SetVarsArgs>(args);
  if (!vars) return reply_error(client, vars.error().message);
  const auto& assignments = vars->vars->assignments;
  const std::string machine = target->machine.value_or("all");
  std::vector<std::string> machines;
  if (machine == "all") {
    // The last value of each name is what a node that (re)appears gets; a name set for all
    // machines drops what one machine had for it, as the live nodes see it now.
    for (const auto& [name, value] : assignments) {
      vars_for_all_[name] = value;
      for (auto& [m, remembered] : vars_for_machine_)
        remembered.erase(name);
    }
    for (const auto& m : fleet_.machines()) {
      if (machine_ready(m.node.machine)) machines.push_back(m.node.machine);
    }
  } else {
    if (!fleet_.online(machine)) {
      return reply_error(client, fleet_.machine_in_config(machine) || fleet_.node_state(machine).seq
                                     ? "machine " + machine + " is offline"
                                     : "unknown machine " + machine);
    }
    auto& remembered = vars_for_machine_[machine];
    for (const auto& [name, value] : assignments)
      remembered[name] = value;
    machines.push_back(machine);
  }
  send_to_machines(client, machines, bus::CommandOp::set_vars,
                   [to_send = *vars](const bus::CommandHeader& header) {
                     return bus::pack_command(header, to_send);
                   });
}

void Broker::kill_all(const Client& client, ControlOp, const msgpack::object& args) {
  auto target = proto::decode<control::MachineArgs>(args);
  if (!target) return reply_error(client, "kill_all: " + target.error().message);
  std::vector<std::string> machines;
  if (target->machine) {
    if (!fleet_.online(*target->machine)) {
      return reply_error(client, "machine " + *target->machine + " is offline");
    }
    machines.push_back(*target->machine);
  } else {
    plans_.kill_all();
    for (const auto& m : fleet_.machines()) {
      if (fleet_.online(m.node.machine)) machines.push_back(m.node.machine);
    }
  }
  spdlog::info("kill_all on {} machines", machines.size());
  send_to_machines(
      client, machines, bus::CommandOp::kill_all,
      [](const bus::CommandHeader& header) { return bus::pack_command(header, control::Empty{}); });
}

void Broker::send_to_machines(const Client& client, const std::vector<std::string>& machines,
                              bus::CommandOp op, const CommandRouter::Pack& pack) {
  if (machines.empty()) return reply(client, control::Empty{});
  auto gather = std::make_shared<Gather>(Gather{client, machines.size(), {}});
  for (const auto& m : machines) {
    send_when_linked(m, op, pack, [this, gather, m](const CommandRouter::Outcome& outcome) {
      if (!outcome.ok) gather->errors.push_back(m + ": " + outcome.error);
      if (--gather->outstanding > 0) return;
      if (gather->errors.empty()) return reply(gather->client, control::Empty{});
      std::string message;
      for (const auto& e : gather->errors)
        message += (message.empty() ? "" : "; ") + e;
      reply_error(gather->client, message);
    });
  }
}

void Broker::reload(const Client& client, ControlOp, const msgpack::object&) {
  auto loaded = config::load_shared_config(options_.config_file);
  if (!loaded) {
    spdlog::warn("reload refused, the running config stays: {}", loaded.error().message);
    return reply_error(client,
                       "reload refused, the running config stays: " + loaded.error().message);
  }
  // The authorized keys are read again too (a new node or operator needs no broker restart);
  // connections made already keep the role they were given.
  std::optional<AuthorizedKeys> keys;
  if (zap_) {
    auto read = AuthorizedKeys::load(options_.authorized_keys_file);
    if (!read) {
      spdlog::warn("reload refused, the running config and keys stay: {}", read.error().message);
      return reply_error(
          client, "reload refused, the running config and keys stay: " + read.error().message);
    }
    keys = std::move(*read);
  }
  if (keys) {
    spdlog::info("reloaded {}: {} keys", options_.authorized_keys_file, keys->size());
    zap_->set_keys(std::move(*keys));
  }
  const auto before = deployment_.machines();
  control::ReloadResult result = apply_config(std::move(*loaded));
  release_freed_memory();
  spdlog::info("reloaded {}: {} added, {} changed, {} removed", options_.config_file,
               result.added.size(), result.changed.size(), result.removed.size());
  // Every online machine gets its definitions again; one that lost all its apps gets an empty
  // deploy, which stops them.
  std::set<std::string> machines(before.begin(), before.end());
  for (const auto& m : deployment_.machines())
    machines.insert(m);
  for (const auto& m : machines) {
    if (machine_ready(m)) deploy_to(m);
  }
  reply(client, result);
}

}  // namespace baton::broker
