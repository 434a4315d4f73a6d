// baton-broker as a whole (docs/architecture.md): the control ROUTER that answers clients and
// nodes, the ingest XSUB that the nodes publish to, and the bus XPUB that relays their status to
// any subscriber and carries commands to one node on cmd/<machine>/. Around them: the config and
// what each node runs (Deployment), the last value of everything (FleetState), commands in flight
// (CommandRouter) and plans (PlanRunner). All of it on the caller's event loop; nothing blocks.
//
// A node is (re)synchronised whenever its subscription to cmd/<machine>/ arrives — at its first
// start, after it restarts, after the broker restarts, after a network cut heals: it gets its
// definitions (deploy; unchanged ones keep running), the variables set for it, and a get_state.
#pragma once

#include <zmq.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/access/access_policy.hpp"
#include "broker/access/zap_handler.hpp"
#include "broker/broker_options.hpp"
#include "broker/fleet/deployment.hpp"
#include "broker/fleet/fleet_state.hpp"
#include "broker/plans/plan_runner.hpp"
#include "broker/routing/command_router.hpp"
#include "broker/routing/held_commands.hpp"
#include "common/config/shared_config.hpp"
#include "common/expected.hpp"
#include "common/loop/event_loop.hpp"
#include "common/proto/control.hpp"

namespace baton::broker {

class Broker final : private PlanHost {
 public:
  Broker(BrokerOptions options, zmq::context_t& context, EventLoop& loop);
  ~Broker() override;
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Loads the config and binds the sockets; an error says which (file:line, or the endpoint).
  Status start();
  // The endpoints as clients reach them (after binding; port 0 / * resolved).
  const std::string& control_endpoint() const { return control_endpoint_; }
  const std::string& ingest_endpoint() const { return ingest_endpoint_; }
  const std::string& bus_endpoint() const { return bus_endpoint_; }

  // For `baton up`, which shows the fleet and starts a plan in the same process.
  const FleetState& fleet() const { return fleet_; }
  const PlanRunner& plans() const { return plans_; }
  Status start_plan(const std::string& plan) { return plans_.start(plan); }

 private:
  struct Client {
    std::string identity;  // ROUTER routing id
    std::string request_id;
    Peer peer;  // who sent the request (Role::anyone without keys)
  };
  // Collects the answers of several nodes to one client request.
  struct Gather;

  // Sockets.
  Status check_endpoints() const;
  Status start_authentication();
  // Binds one endpoint: an ipc:// one as a 0660 socket file of `group`, without CURVE; any other
  // as a CURVE server when the broker has keys.
  Status bind(zmq::socket_t& socket, const std::string& endpoint, gid_t group);
  // Who sent `message` (any frame that came from the wire): its key's role and name, anyone when
  // the broker takes everyone, nullopt when the connection was not authenticated or its key was
  // revoked by a reload since (ZapHandler::peer_of).
  std::optional<Peer> peer_of(const zmq::message_t& message);
  void on_control_readable();
  void on_ingest_readable();
  void on_bus_readable();
  void relay(const zmq::message_t& topic, const zmq::message_t& payload,
             const std::optional<Peer>& peer);
  void subscription(bool subscribe, std::string_view topic, const std::optional<Peer>& peer);
  void publish(const std::string& topic, const std::string& payload);

  // Nodes.
  void resync_node(const std::string& machine);
  void machine_back(const std::string& machine);
  void deploy_to(const std::string& machine);
  void take_state_reply(const std::string& payload);
  void check_presence();
  void app_state_arrived(const proto::bus::AppState& state);

  // Control requests (control_requests.cpp): dispatch() finds the op's handler in a table with
  // one row per ControlOp.
  using ControlOp = proto::control::ControlOp;
  using RequestHandler = void (Broker::*)(const Client&, ControlOp, const msgpack::object& args);
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
  Status routable(const config::AppId& app) const;
  template <class Result>
  void reply(const Client& client, const Result& result);
  void reply_error(const Client& client, const std::string& message);
  void reply_status(const Client& client, const Status& status);

  Status load_config();
  // After a config (re)load, once the parsed file is gone.
  static void release_freed_memory();
  proto::control::ReloadResult apply_config(config::SharedConfig config);
  // Sends one command to each machine and answers the client when all have answered.
  void send_to_machines(const Client& client, const std::vector<std::string>& machines,
                        proto::bus::CommandOp op, const CommandRouter::Pack& pack);
  // Sends now to a linked machine, holds the command for one that is connecting (online, its
  // subscription on the way), fails it for one that is offline.
  void send_when_linked(const std::string& machine, proto::bus::CommandOp op,
                        CommandRouter::Pack pack, CommandRouter::Callback done);

  // PlanHost
  void launch_for_plan(const config::AppDef& app, const std::string& plan,
                       std::function<void(const Status&)> done) override;
  void kill_for_plan(const config::AppId& app) override;
  void publish_plan(const proto::control::PlanState& state) override;
  bool machine_ready(const std::string& machine) const override;

  BrokerOptions options_;
  zmq::context_t& context_;
  EventLoop& loop_;
  // Checks every CURVE handshake when the broker has keys; none without.
  std::optional<ZapHandler> zap_;
  // The broker's CURVE secret key (Z85), when it has keys.
  std::optional<std::string> secret_key_;
  // The ipc:// socket files this broker bound, removed when it stops.
  std::vector<std::string> socket_files_;
  zmq::socket_t control_;
  zmq::socket_t ingest_;
  zmq::socket_t bus_;
  std::vector<Watch> watches_;
  Timer presence_timer_;
  std::string control_endpoint_, ingest_endpoint_, bus_endpoint_, master_ip_;

  Deployment deployment_;
  FleetState fleet_;
  CommandRouter router_;
  HeldCommands held_;
  PlanRunner plans_;
  // SetVars to remember for nodes that (re)appear: first those for all, then per machine.
  // The last value of each name ("" unsets): a client that sets a variable a million times
  // leaves one entry, not a million.
  std::map<std::string, std::string> vars_for_all_;
  std::map<std::string, std::map<std::string, std::string>> vars_for_machine_;
  // Online machines that have been sent their definitions since they (re)appeared. A command is
  // sent only to these: one sent before the node subscribed, or before its deploy, would be lost
  // or refused as an unknown app.
  std::set<std::string> synced_;
  // Connections subscribed to each machine's commands (its node's, normally one).
  std::map<std::string, int> command_subscribers_;
  std::size_t dropped_frames_ = 0;
};

}  // namespace baton::broker
