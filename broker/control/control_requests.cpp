#include "broker/control/control_requests.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <set>
#include <utility>

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

struct ControlRequests::Gather {
  Client client;
  std::size_t outstanding = 0;
  std::vector<std::string> errors;
};

template <class Result>
void ControlRequests::reply(const Client& client, const Result& result) {
  send_reply(client, control::pack_reply(control::ReplyHeader{control::kVersion, client.request_id,
                                                              true, std::nullopt},
                                         result));
}

void ControlRequests::reply_error(const Client& client, const std::string& message) {
  send_reply(client, control::pack_reply(
                         control::ReplyHeader{control::kVersion, client.request_id, false, message},
                         control::Empty{}));
}

void ControlRequests::send_reply(const Client& client, const std::string& frame) {
  zmq::socket_t& control = sockets_.control();
  control.send(zmq::buffer(client.identity), zmq::send_flags::sndmore);
  control.send(zmq::buffer(frame), zmq::send_flags::dontwait);
}

void ControlRequests::reply_status(const Client& client, const Status& status) {
  if (status) return reply(client, control::Empty{});
  reply_error(client, status.error().message);
}

ControlRequests::ControlRequests(BrokerSockets& sockets, const Deployment& deployment,
                                 const FleetState& fleet, PlanRunner& plans, NodeSync& nodes,
                                 Reload reload)
    : sockets_(sockets),
      deployment_(deployment),
      fleet_(fleet),
      plans_(plans),
      nodes_(nodes),
      reload_(std::move(reload)) {}

void ControlRequests::on_control_readable() {
  zmq::socket_t& control = sockets_.control();
  for (int budget = 0; budget < 1000; ++budget) {
    zmq::message_t identity;
    if (!control.recv(identity, zmq::recv_flags::dontwait)) return;
    std::vector<zmq::message_t> frames;
    bool more = identity.more();
    while (more) {
      zmq::message_t part;
      (void)control.recv(part, zmq::recv_flags::dontwait);
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

void ControlRequests::handle_request(const std::string& identity, const zmq::message_t& frame) {
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
  const auto peer = sockets_.peer_of(frame);
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

void ControlRequests::dispatch(const Client& client, const std::string& op,
                               const msgpack::object& args) {
  static constexpr std::array<std::pair<ControlOp, Handler>, proto::kEnumCount<ControlOp>>
      kHandlers{{
          {ControlOp::hello, &ControlRequests::hello},
          {ControlOp::get_app_state, &ControlRequests::get_app_state},
          {ControlOp::get_all_apps_state, &ControlRequests::get_all_apps_state},
          {ControlOp::launch, &ControlRequests::app_command<bus::CommandOp::launch>},
          {ControlOp::kill, &ControlRequests::app_command<bus::CommandOp::kill>},
          {ControlOp::restart, &ControlRequests::app_command<bus::CommandOp::restart>},
          {ControlOp::plan_start, &ControlRequests::plan_command<&PlanRunner::start>},
          {ControlOp::plan_stop, &ControlRequests::plan_command<&PlanRunner::stop>},
          {ControlOp::plan_kill, &ControlRequests::plan_command<&PlanRunner::kill>},
          {ControlOp::plan_restart, &ControlRequests::plan_command<&PlanRunner::restart>},
          {ControlOp::plan_status, &ControlRequests::plan_status},
          {ControlOp::plans, &ControlRequests::list_plans},
          {ControlOp::machines, &ControlRequests::list_machines},
          {ControlOp::set_vars, &ControlRequests::set_vars},
          {ControlOp::kill_all, &ControlRequests::kill_all},
          {ControlOp::reload, &ControlRequests::reload},
          {ControlOp::logs, &ControlRequests::logs},
      }};
  static_assert(proto::in_declaration_order(kHandlers), "one row per op, in the enum's order");
  const auto known = proto::parse_name<ControlOp>(op);
  if (!known) return reply_error(client, "unknown op '" + op.substr(0, 64) + "'");
  (this->*kHandlers[static_cast<std::size_t>(*known)].second)(client, *known, args);
}

void ControlRequests::hello(const Client& client, ControlOp, const msgpack::object& args) {
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
  reply(client, control::HelloResult{sockets_.ingest_endpoint(), sockets_.bus_endpoint(),
                                     sockets_.master_ip()});
}

void ControlRequests::get_app_state(const Client& client, ControlOp, const msgpack::object& args) {
  auto a = proto::decode<control::AppArgs>(args);
  if (!a) return reply_error(client, "get_app_state: " + a.error().message);
  auto id = config::parse_app_id(a->app);
  if (!id) return reply_error(client, "'" + a->app + "' is not an app id: " + id.error().message);
  if (!fleet_.app_in_config(*id) && fleet_.app_state(*id).seq == 0) {
    return reply_error(client, "unknown app " + id->to_string());
  }
  reply(client, control::AppStateResult{fleet_.app_status(*id)});
}

void ControlRequests::get_all_apps_state(const Client& client, ControlOp, const msgpack::object&) {
  reply(client, control::AllAppsResult{fleet_.all_apps()});
}

template <Status (PlanRunner::*Action)(const std::string&)>
void ControlRequests::plan_command(const Client& client, ControlOp op,
                                   const msgpack::object& args) {
  auto p = proto::decode<control::PlanArgs>(args);
  if (!p) return reply_error(client, std::string(proto::to_name(op)) + ": " + p.error().message);
  reply_status(client, (plans_.*Action)(p->plan));
}

void ControlRequests::plan_status(const Client& client, ControlOp op, const msgpack::object& args) {
  auto p = proto::decode<control::PlanArgs>(args);
  if (!p) return reply_error(client, std::string(proto::to_name(op)) + ": " + p.error().message);
  auto state = plans_.status(p->plan);
  if (!state) return reply_error(client, state.error().message);
  reply(client, *state);
}

void ControlRequests::list_plans(const Client& client, ControlOp, const msgpack::object&) {
  reply(client, control::PlansResult{plans_.all()});
}

void ControlRequests::list_machines(const Client& client, ControlOp, const msgpack::object&) {
  reply(client, control::MachinesResult{fleet_.machines()});
}

Status ControlRequests::routable(const config::AppId& app) const {
  if (deployment_.find(app) == nullptr) return Error{"unknown app " + app.to_string()};
  if (!fleet_.online(app.machine)) return Error{"machine " + app.machine + " is offline"};
  return ok_status();
}

template <bus::CommandOp Command>
void ControlRequests::app_command(const Client& client, ControlOp op, const msgpack::object& args) {
  auto a = proto::decode<control::AppArgs>(args);
  if (!a) return reply_error(client, std::string(proto::to_name(op)) + ": " + a.error().message);
  auto id = config::parse_app_id(a->app);
  if (!id) return reply_error(client, "'" + a->app + "' is not an app id: " + id.error().message);
  if (auto ok = routable(*id); !ok) return reply_error(client, ok.error().message);
  const bus::AppCommandArgs command{id->app, std::nullopt, std::nullopt};
  nodes_.send_when_linked(
      id->machine, Command,
      [command](const bus::CommandHeader& header) { return bus::pack_command(header, command); },
      [this, client](const CommandRouter::Outcome& outcome) {
        if (outcome.ok) return reply(client, control::Empty{});
        reply_error(client, outcome.error);
      });
}

void ControlRequests::set_vars(const Client& client, ControlOp, const msgpack::object& args) {
  auto target = proto::decode<control::SetVarsTarget>(args);
  if (!target) return reply_error(client, "set_vars: " + target.error().message);
  auto vars = proto::decode<bus::SetVarsArgs>(args);
  if (!vars) return reply_error(client, vars.error().message);
  const auto& assignments = vars->vars->assignments;
  const std::string machine = target->machine.value_or("all");
  std::vector<std::string> machines;
  if (machine == "all") {
    for (const auto& m : fleet_.machines()) {
      if (nodes_.ready(m.node.machine)) machines.push_back(m.node.machine);
    }
  } else {
    if (!fleet_.online(machine)) {
      return reply_error(client, fleet_.machine_in_config(machine) || fleet_.node_state(machine).seq
                                     ? "machine " + machine + " is offline"
                                     : "unknown machine " + machine);
    }
    machines.push_back(machine);
  }
  // Remembered for nodes that (re)appear; the live ones get it now.
  nodes_.remember_vars(machine, assignments);
  send_to_machines(client, machines, bus::CommandOp::set_vars,
                   [to_send = *vars](const bus::CommandHeader& header) {
                     return bus::pack_command(header, to_send);
                   });
}

void ControlRequests::kill_all(const Client& client, ControlOp, const msgpack::object& args) {
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

void ControlRequests::send_to_machines(const Client& client,
                                       const std::vector<std::string>& machines, bus::CommandOp op,
                                       const CommandRouter::Pack& pack) {
  if (machines.empty()) return reply(client, control::Empty{});
  auto gather = std::make_shared<Gather>(Gather{client, machines.size(), {}});
  for (const auto& m : machines) {
    nodes_.send_when_linked(m, op, pack, [this, gather, m](const CommandRouter::Outcome& outcome) {
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

void ControlRequests::logs(const Client& client, ControlOp, const msgpack::object& args) {
  auto a = proto::decode<control::LogsArgs>(args);
  if (!a) return reply_error(client, "logs: " + a.error().message);
  auto id = config::parse_app_id(a->app);
  if (!id) return reply_error(client, "'" + a->app + "' is not an app id: " + id.error().message);
  if (auto ok = routable(*id); !ok) return reply_error(client, ok.error().message);
  const bus::TailArgs tail{id->app, a->lines, a->since};
  nodes_.send_when_linked(
      id->machine, bus::CommandOp::tail,
      [tail](const bus::CommandHeader& header) { return bus::pack_command(header, tail); },
      [this, client](const CommandRouter::Outcome& outcome) {
        if (!outcome.ok) return reply_error(client, outcome.error);
        msgpack::zone zone;
        auto object = proto::unpack_frame(zone, outcome.payload.data(), outcome.payload.size(),
                                          proto::bulk_frame_limits());
        const msgpack::object* result = object ? proto::find_key(*object, "result") : nullptr;
        auto lines = result != nullptr ? proto::decode<bus::TailResult>(*result)
                                       : Expected<bus::TailResult>(Error{"no result"});
        if (!lines) return reply_error(client, "logs: the node's answer: " + lines.error().message);
        reply(client, *lines);
      });
}

void ControlRequests::reload(const Client& client, ControlOp, const msgpack::object&) {
  auto result = reload_();
  if (!result) return reply_error(client, result.error().message);
  reply(client, *result);
}

}  // namespace baton::broker
