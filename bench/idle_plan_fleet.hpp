// A real baton-broker and one real baton-node (machine m1) whose SharedConfig.xml holds one plan of
// N idle apps (bench/programs/idle_app: a static program that sleeps until it is killed), no
// dependencies, no init detector, no separation interval. Used by the launch and footprint
// benchmarks. Every failure throws std::runtime_error with the daemons' logs.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness/control_client.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/temp_dir.hpp"

namespace baton::bench {

class IdlePlanFleet {
 public:
  static constexpr const char* kMachine = "m1";

  // Writes the config, starts broker (with `broker_args`) and node, and waits until the broker
  // has the node's state of every app (the node is online, subscribed and deployed: a plan_start
  // launches at once).
  IdlePlanFleet(std::size_t apps, std::string plan, std::vector<std::string> broker_args = {});
  // Stops the node (which stops the apps) and the broker; kills any app left behind.
  ~IdlePlanFleet();
  IdlePlanFleet(const IdlePlanFleet&) = delete;
  IdlePlanFleet& operator=(const IdlePlanFleet&) = delete;

  const std::string& plan() const { return plan_; }
  // "m1.a0000", ... in plan order.
  const std::vector<std::string>& app_ids() const { return app_ids_; }
  harness::BrokerProcess& broker() { return *broker_; }
  harness::FleetNode& node() { return *node_; }
  harness::ControlClient& control() { return *control_; }
  // The end of both daemons' logs, for an error message.
  std::string logs() const;

  // Sends plan_start and checks the broker accepted it.
  void start_plan();
  // Polls the broker until every app of the plan is Running.
  void wait_all_running(std::chrono::milliseconds deadline);
  // plan_kill, then waits until the plan is None, no app is Running or Dying, and every process
  // the plan ran is gone (reaped by the node).
  void kill_plan_and_wait(std::chrono::milliseconds deadline);

 private:
  std::string plan_;
  std::vector<std::string> app_ids_;
  harness::TempDir dir_;
  std::unique_ptr<harness::BrokerProcess> broker_;
  std::unique_ptr<harness::FleetNode> node_;
  std::unique_ptr<harness::ControlClient> control_;
};

}  // namespace baton::bench
