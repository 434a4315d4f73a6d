// Keeps every node in step with the broker. A node is (re)synchronised whenever its subscription
// to cmd/<machine>/ arrives — at its first start, after it restarts, after the broker restarts,
// after a network cut heals: it gets its definitions (deploy; unchanged ones keep running), the
// variables set for it, and a get_state. Commands go only to machines synchronised since they
// (re)appeared; one for a machine that is connecting is held until it links. A machine silent for
// --offline-after is offline: its commands fail and a NodeState says so.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "broker/fleet/deployment.hpp"
#include "broker/fleet/fleet_state.hpp"
#include "broker/plans/plan_runner.hpp"
#include "broker/routing/command_router.hpp"
#include "broker/routing/held_commands.hpp"
#include "common/loop/event_loop.hpp"
#include "common/proto/bus.hpp"

namespace baton::broker {

class NodeSync {
 public:
  NodeSync(EventLoop& loop, const Deployment& deployment, FleetState& fleet, CommandRouter& router,
           HeldCommands& held, PlanRunner& plans, CommandRouter::Publish publish);
  NodeSync(const NodeSync&) = delete;
  NodeSync& operator=(const NodeSync&) = delete;

  // Starts the presence checks.
  void start();

  // A connection (un)subscribed to cmd/<machine>/.
  void command_subscription(const std::string& machine, bool subscribe);
  // Something came from `machine` (a status, a reply): it may be back from a silence.
  void heard_from(const std::string& machine);
  // Its NodeState arrived.
  void node_state_arrived(const proto::bus::NodeState& state);
  void app_state_arrived(const proto::bus::AppState& state);
  void usage_arrived(proto::bus::UsageReport report);

  // Online and sent its definitions since it (re)appeared: commands to it will be understood.
  bool ready(const std::string& machine) const;
  // Sends `machine` its definitions as Deployment holds them now.
  void deploy_to(const std::string& machine);
  // Sends now to a ready machine, holds the command for one that is connecting (online, its
  // subscription on the way), fails it for one that is offline.
  void send_when_linked(const std::string& machine, proto::bus::CommandOp op,
                        CommandRouter::Pack pack, CommandRouter::Callback done);

  // SetVars to give nodes that (re)appear: `machine` "all" for every machine. The last value of
  // each name counts ("" unsets); a name set for all drops what one machine had for it.
  void remember_vars(const std::string& machine,
                     const std::vector<std::pair<std::string, std::string>>& assignments);

 private:
  void resync(const std::string& machine);
  void machine_back(const std::string& machine);
  void take_state_reply(const std::string& payload);
  void check_presence();

  EventLoop& loop_;
  const Deployment& deployment_;
  FleetState& fleet_;
  CommandRouter& router_;
  HeldCommands& held_;
  PlanRunner& plans_;
  CommandRouter::Publish publish_;
  Timer presence_timer_;
  // A client that sets a variable a million times leaves one entry, not a million.
  std::map<std::string, std::string> vars_for_all_;
  std::map<std::string, std::map<std::string, std::string>> vars_for_machine_;
  // Online machines that have been sent their definitions since they (re)appeared. A command is
  // sent only to these: one sent before the node subscribed, or before its deploy, would be lost
  // or refused as an unknown app.
  std::set<std::string> synced_;
  // Connections subscribed to each machine's commands (its node's, normally one).
  std::map<std::string, int> command_subscribers_;
};

}  // namespace baton::broker
