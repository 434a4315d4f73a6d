// A stand-in for baton-broker in node tests: the three broker sockets on loopback, a hello answer,
// commands sent to one node, and everything the node publishes collected for the test to inspect.
// It is the plain ZeroMQ side of the protocol, written from schemas/, not the broker's code.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/app_def.hpp"
#include "common/proto/bus.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

class FakeBroker {
 public:
  FakeBroker();
  const std::string& control_endpoint() const { return control_endpoint_; }

  // Receives whatever arrived (hellos are answered, publications recorded), for up to `wait`.
  void pump(std::chrono::milliseconds wait = std::chrono::milliseconds(10));
  // Pumps until `condition` holds or the deadline passes.
  bool pump_until(const std::function<bool()>& condition,
                  std::chrono::milliseconds deadline = std::chrono::seconds(20));

  // True once `machine` has subscribed to its command topic.
  bool subscribed(const std::string& machine) const;
  bool wait_subscribed(const std::string& machine);
  // How many times a node subscribed to the machine's commands (each node start subscribes anew).
  std::size_t subscriptions(const std::string& machine) const;

  // Sends any payload on cmd/<machine>/, also garbage.
  void send(const std::string& machine, const std::string& payload);
  std::string command(const std::string& machine, const std::string& op,
                      const proto::bus::AppCommandArgs& args);  // sends, returns the id
  std::string set_vars(const std::string& machine, const proto::bus::Variables& vars);
  std::string deploy(const std::string& machine, const std::vector<config::AppDef>& apps);
  std::string simple(const std::string& machine, const std::string& op);  // kill_all, get_state
  // The raw reply payload of command `id` (for results).
  std::string reply_payload(const std::string& id) const;
  // The reply to command `id`: waits for it.
  std::optional<proto::bus::ReplyHeader> wait_reply(const std::string& id);

  // The last AppState of machine.app, if any arrived.
  std::optional<proto::bus::AppState> state(const std::string& machine,
                                            const std::string& app) const;
  bool wait_state(const std::string& machine, const std::string& app,
                  const std::function<bool(const proto::bus::AppState&)>& condition,
                  std::chrono::milliseconds deadline = std::chrono::seconds(20));
  static bool has_flag(const proto::bus::AppState& state, const std::string& flag);

  const std::vector<proto::bus::Event>& events() const { return events_; }
  std::vector<std::string> event_kinds(const std::string& machine, const std::string& app) const;
  std::size_t hellos() const { return hellos_; }
  std::size_t node_states(const std::string& machine) const;
  // Raw publications as [topic, payload].
  const std::vector<std::pair<std::string, std::string>>& raw() const { return raw_; }

 private:
  void handle_control();
  void handle_ingest();
  void handle_bus();

  TempDir dir_;  // the ipc:// socket files
  zmq::context_t context_;
  zmq::socket_t control_;
  zmq::socket_t ingest_;
  zmq::socket_t bus_;
  std::string control_endpoint_;
  std::string ingest_endpoint_;
  std::string bus_endpoint_;
  std::vector<std::string> subscriptions_;
  std::map<std::string, proto::bus::AppState> states_;
  std::map<std::string, proto::bus::ReplyHeader> replies_;
  std::vector<proto::bus::Event> events_;
  std::map<std::string, std::size_t> node_states_;
  std::vector<std::pair<std::string, std::string>> raw_;
  std::size_t hellos_ = 0;
  unsigned next_id_ = 1;
};

}  // namespace baton::test
