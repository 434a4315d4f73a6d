// baton-broker as a whole (docs/architecture.md). Its parts, each in its own file:
//   BrokerSockets    the control, ingest and bus sockets, bound with access decided (access/)
//   ControlRequests  the answers to clients and nodes on control (control/)
//   BusRelay         what nodes publish, relayed to subscribers; who may subscribe to what
//                    (routing/)
//   NodeSync         each node kept in step: deploy, variables, state, presence (fleet/)
//   Deployment, FleetState, CommandRouter, HeldCommands, PlanRunner
//                    what each node runs, the last value of everything, commands in flight,
//                    commands for connecting nodes, and plans.
// The Broker loads the config into them, composes them on the caller's event loop, and is the
// PlanRunner's host. Nothing blocks.
#pragma once

#include <zmq.hpp>

#include <string>

#include "broker/broker_options.hpp"
#include "broker/broker_sockets.hpp"
#include "broker/control/control_requests.hpp"
#include "broker/fleet/deployment.hpp"
#include "broker/fleet/fleet_state.hpp"
#include "broker/fleet/node_sync.hpp"
#include "broker/plans/plan_runner.hpp"
#include "broker/routing/bus_relay.hpp"
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
  const std::string& control_endpoint() const { return sockets_.control_endpoint(); }
  const std::string& ingest_endpoint() const { return sockets_.ingest_endpoint(); }
  const std::string& bus_endpoint() const { return sockets_.bus_endpoint(); }

  // For `baton up`, which shows the fleet and starts a plan in the same process.
  const FleetState& fleet() const { return fleet_; }
  const PlanRunner& plans() const { return plans_; }
  Status start_plan(const std::string& plan) { return plans_.start(plan); }

 private:
  Status load_config();
  // The config and, with keys, the authorized keys again: all or nothing.
  Expected<proto::control::ReloadResult> reload();
  proto::control::ReloadResult apply_config(config::SharedConfig config);
  // After a config (re)load, once the parsed file is gone.
  static void release_freed_memory();

  // PlanHost
  void launch_for_plan(const config::AppDef& app, const std::string& plan,
                       std::function<void(const Status&)> done) override;
  void kill_for_plan(const config::AppId& app) override;
  void publish_plan(const proto::control::PlanState& state) override;
  bool machine_ready(const std::string& machine) const override;

  BrokerOptions options_;
  EventLoop& loop_;
  BrokerSockets sockets_;
  Deployment deployment_;
  FleetState fleet_;
  CommandRouter router_;
  HeldCommands held_;
  PlanRunner plans_;
  NodeSync nodes_;
  BusRelay relay_;
  ControlRequests requests_;
  std::vector<Watch> watches_;  // last: no handler runs once the parts above are gone
};

}  // namespace baton::broker
