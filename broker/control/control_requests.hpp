// The answers to control requests (common/proto/control.hpp lists the ops) from clients and
// nodes on the control ROUTER. Each request is checked (frame, version, who asks and whether
// their role may) and logged with who asked when it changes something; dispatch finds the op's
// handler in a table with one row per ControlOp. A request that needs nodes is answered when they
// have answered, or with a clear error; nothing a client sends can stop the broker.
#pragma once

#include <msgpack.hpp>
#include <zmq.hpp>

#include <functional>
#include <string>
#include <vector>

#include "broker/access/access_policy.hpp"
#include "broker/broker_sockets.hpp"
#include "broker/fleet/deployment.hpp"
#include "broker/fleet/fleet_state.hpp"
#include "broker/fleet/node_sync.hpp"
#include "broker/plans/plan_runner.hpp"
#include "common/expected.hpp"
#include "common/proto/control.hpp"
#include "common/proto/vocabulary.hpp"

namespace baton::broker {

class ControlRequests {
 public:
  // Reads the config (and the keys) again and applies them; an error leaves the running ones.
  using Reload = std::function<Expected<proto::control::ReloadResult>()>;

  ControlRequests(BrokerSockets& sockets, const Deployment& deployment, const FleetState& fleet,
                  PlanRunner& plans, NodeSync& nodes, Reload reload);

  // Takes up to a thousand requests, then lets the loop serve others.
  void on_control_readable();

 private:
  struct Client {
    std::string identity;  // ROUTER routing id
    std::string request_id;
    Peer peer;  // who sent the request (Role::anyone without keys)
  };
  // Collects the answers of several nodes to one client request.
  struct Gather;
  using ControlOp = proto::control::ControlOp;
  using Handler = void (ControlRequests::*)(const Client&, ControlOp, const msgpack::object& args);

  void handle_request(const std::string& identity, const zmq::message_t& frame);
  void dispatch(const Client& client, const std::string& op, const msgpack::object& args);
  void hello(const Client& client, ControlOp op, const msgpack::object& args);
  void get_app_state(const Client& client, ControlOp op, const msgpack::object& args);
  void get_all_apps_state(const Client& client, ControlOp op, const msgpack::object& args);
  // launch, kill, restart: the node's command of the same name.
  template <proto::bus::CommandOp Command>
  void app_command(const Client& client, ControlOp op, const msgpack::object& args);
  // plan_start, plan_stop, plan_kill, plan_restart.
  template <Status (PlanRunner::*Action)(const std::string&)>
  void plan_command(const Client& client, ControlOp op, const msgpack::object& args);
  void plan_status(const Client& client, ControlOp op, const msgpack::object& args);
  void list_plans(const Client& client, ControlOp op, const msgpack::object& args);
  void list_machines(const Client& client, ControlOp op, const msgpack::object& args);
  void set_vars(const Client& client, ControlOp op, const msgpack::object& args);
  void kill_all(const Client& client, ControlOp op, const msgpack::object& args);
  void reload(const Client& client, ControlOp op, const msgpack::object& args);
  // The app's node reads its log (tail) and the lines go back as they came.
  void logs(const Client& client, ControlOp op, const msgpack::object& args);

  Status routable(const config::AppId& app) const;
  // Sends one command to each machine and answers the client when all have answered.
  void send_to_machines(const Client& client, const std::vector<std::string>& machines,
                        proto::bus::CommandOp op, const CommandRouter::Pack& pack);
  template <class Result>
  void reply(const Client& client, const Result& result);
  void reply_error(const Client& client, const std::string& message);
  void reply_status(const Client& client, const Status& status);
  void send_reply(const Client& client, const std::string& frame);

  BrokerSockets& sockets_;
  const Deployment& deployment_;
  const FleetState& fleet_;
  PlanRunner& plans_;
  NodeSync& nodes_;
  Reload reload_;
};

}  // namespace baton::broker
