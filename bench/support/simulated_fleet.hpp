// Many simulated baton-nodes in the benchmark's own process: the node side of the broker protocol
// (node/broker_link.cpp, node/apps/command_handler.cpp, node/apps/app_supervisor.cpp) for every
// machine, on three sockets shared by all of them — one DEALER that says hello for each machine on
// the broker's control socket, one XPUB that publishes everything to the broker's ingest socket,
// and one SUB on the broker's bus subscribed to cmd/<machine>/ of every machine. No process is
// launched: a launch answers with the state a node publishes when its process started (Started,
// Running, Initialized), a kill with the state after the process exited. That lets a benchmark
// load the broker with a thousand machines on a two-core box and measure the broker alone.
//
// Everything runs on the caller's thread: poll() waits on these sockets together with the
// caller's own (a bus subscriber, a control client) and answers what arrived, so nothing is
// shared between threads.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/proto/bus.hpp"

namespace baton::bench {

class SimulatedFleet {
 public:
  // `machines` are the machine ids; the broker is found through its control endpoint, as a node
  // finds it.
  SimulatedFleet(std::string control_endpoint, std::vector<std::string> machines);
  SimulatedFleet(const SimulatedFleet&) = delete;
  SimulatedFleet& operator=(const SimulatedFleet&) = delete;

  // Says hello for every machine, connects to the endpoints the broker names, waits for the
  // broker's subscription on ingest (before it, what is published is lost), subscribes to every
  // machine's commands and answers until the broker has deployed every machine and asked its
  // state: then every machine is online and synced at the broker. Throws std::runtime_error
  // with the reason when `deadline` passes first.
  void connect(std::chrono::milliseconds deadline);

  // Waits up to `wait` for input on the fleet's sockets or on `extra` (the caller reads their
  // revents afterwards), answers the commands that arrived and publishes every machine's presence
  // when a second has passed since the last.
  void poll(std::chrono::milliseconds wait, std::span<zmq::pollitem_t> extra = {});

  // The app changes state as a node reports a process that started or exited: alternately
  // running (Started, Running, Initialized, a pid) and exited (Started, Initialized, exit code 0,
  // no pid). Publishes the new AppState and returns it (its seq is unique in the fleet). The app
  // must have been deployed to the machine.
  const proto::bus::AppState& change_app(std::size_t machine, const std::string& app);

  std::size_t machine_count() const { return machines_.size(); }
  const std::string& machine_name(std::size_t machine) const { return machines_[machine].name; }
  // Apps deployed to all machines together.
  std::size_t deployed_apps() const;
  // Commands answered, by op ("deploy", "launch", ...).
  const std::map<std::string, std::size_t>& commands_answered() const { return answered_; }

 private:
  struct Machine {
    std::string name;
    std::string command_topic;
    std::map<std::string, proto::bus::AppState> apps;  // by app name, as deployed
    bool deployed = false;
    bool state_asked = false;
  };

  void say_hello(std::chrono::steady_clock::time_point deadline);
  void on_bus_readable();
  void on_ingest_readable();
  void handle_command(Machine& machine, const zmq::message_t& payload);
  // A handler per command op (proto::bus::CommandOp): each answers the command.
  void deploy(Machine& machine, const msgpack::object& args, const proto::bus::CommandHeader& c);
  void launch_command(Machine& machine, const msgpack::object& args,
                      const proto::bus::CommandHeader& c);
  void restart_command(Machine& machine, const msgpack::object& args,
                       const proto::bus::CommandHeader& c);
  void kill_command(Machine& machine, const msgpack::object& args,
                    const proto::bus::CommandHeader& c);
  void kill_all_command(Machine& machine, const msgpack::object& args,
                        const proto::bus::CommandHeader& c);
  void tail_command(Machine& machine, const msgpack::object& args,
                    const proto::bus::CommandHeader& c);
  void set_vars_command(Machine& machine, const msgpack::object& args,
                        const proto::bus::CommandHeader& c);
  void get_state_command(Machine& machine, const msgpack::object& args,
                         const proto::bus::CommandHeader& c);
  // The app a launch, kill or restart names, when it decodes and is deployed; else the command
  // is answered with the error and nothing is returned.
  std::optional<proto::bus::AppCommandArgs> app_args(const Machine& machine,
                                                     const msgpack::object& args,
                                                     const proto::bus::CommandHeader& c);
  void launch(Machine& machine, const std::string& app, const std::optional<std::string>& plan,
              bool restart);
  void kill(Machine& machine, const std::string& app, bool by_plan);
  void reply(const Machine& machine, const proto::bus::CommandHeader& command,
             const std::string& error);
  void reply_with_state(const Machine& machine, const proto::bus::CommandHeader& command);
  void publish_state(proto::bus::AppState& state);
  void publish_event(const Machine& machine, const std::string& app, proto::bus::EventKind kind,
                     const std::string& details);
  void publish(const std::string& topic, const std::string& payload);
  void publish_presence();
  bool synced() const;

  std::string control_endpoint_;
  std::vector<Machine> machines_;
  std::unordered_map<std::string, std::size_t> by_command_topic_;
  zmq::context_t context_;
  zmq::socket_t control_;
  zmq::socket_t ingest_;
  zmq::socket_t bus_;
  bool broker_listens_ = false;
  // Like a node's: starts from the clock in microseconds and only grows, one counter for the
  // whole fleet so that a seq names one change of one app.
  std::uint64_t seq_;
  std::int64_t next_pid_ = 100'000;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point next_presence_;
  std::map<std::string, std::size_t> answered_;
};

}  // namespace baton::bench
