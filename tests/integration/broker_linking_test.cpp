// A node is online at the broker as soon as it is heard on ingest, but it can take commands only
// once its subscription to cmd/<machine>/ has reached the broker's bus: the two travel on separate
// connections. A command for a machine in between is held until the machine links, so a client
// that saw the machine online can act at once. The node here is played by the test with plain
// ZeroMQ sockets, so that the test decides when it subscribes.
#include <gtest/gtest.h>

#include <fstream>

#include "harness/control_client.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

namespace {

namespace bus = proto::bus;
namespace control = proto::control;

class BrokerLinking : public ::testing::Test {
 protected:
  void start_broker(std::vector<std::string> args) {
    std::ofstream(dir_ / "SharedConfig.xml")
        << "<Shared>\n"
           "  <App AppIdTuple=\"m9.app\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "</Shared>\n";
    broker_ = std::make_unique<BrokerProcess>(dir_, dir_ / "SharedConfig.xml",
                                              BrokerEndpoints::in(dir_), std::move(args));
    ingest_.set(zmq::sockopt::linger, 0);
    ingest_.connect(broker_->endpoints().ingest);
    requester_.set(zmq::sockopt::linger, 0);
    requester_.connect(broker_->endpoints().control);
    client_ = std::make_unique<ControlClient>(broker_->endpoints().control);
  }

  // What the node publishes every second, here more often: it keeps m9 online.
  void presence() {
    bus::NodeState state;
    state.machine = "m9";
    state.seq = ++seq_;
    publish(bus::node_topic("m9"), proto::pack_to_string(state));
  }
  void publish(const std::string& topic, const std::string& payload) {
    ingest_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    ingest_.send(zmq::buffer(payload));
  }
  bool m9_online() {
    presence();
    auto reply = client_->request("machines");
    auto machines = reply ? client_->result_as<control::MachinesResult>(*reply) : std::nullopt;
    if (!machines) return false;
    for (const auto& m : machines->machines) {
      if (m.node.machine == "m9") return m.node.online;
    }
    return false;
  }
  // Sends a launch of m9.app without waiting for its answer.
  void send_launch(const std::string& id) {
    requester_.send(zmq::buffer(control::pack_request(control::RequestHeader{1, id, "launch"},
                                                      control::AppArgs{"m9.app"})));
  }
  // The answer to request `id`, while m9 stays present.
  std::optional<control::ReplyHeader> answer(const std::string& id) {
    std::optional<control::ReplyHeader> got;
    wait_until([&] {
      presence();
      zmq::pollitem_t item{requester_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(50)) <= 0) return false;
      zmq::message_t frame;
      if (!requester_.recv(frame)) return false;
      auto reply = proto::decode_frame<control::ReplyHeader>(frame.data(), frame.size());
      if (reply && reply->id == id) got = *reply;
      return got.has_value();
    });
    return got;
  }

  TempDir dir_;
  std::unique_ptr<BrokerProcess> broker_;
  zmq::context_t context_;
  zmq::socket_t ingest_{context_, zmq::socket_type::pub};
  zmq::socket_t requester_{context_, zmq::socket_type::dealer};
  std::unique_ptr<ControlClient> client_;
  std::uint64_t seq_ = 0;
};

TEST_F(BrokerLinking, ACommandForAConnectingMachineIsHeldUntilItLinks) {
  // Long enough that the hold never expires while the test, on a loaded machine, subscribes.
  start_broker({"--command-timeout", "60000"});
  ASSERT_TRUE(wait_until([&] { return m9_online(); })) << broker_->log();
  send_launch("early");
  ASSERT_TRUE(wait_until([&] {
    presence();
    return broker_->log().find("launch for machine m9: held") != std::string::npos;
  })) << broker_->log();

  // Now the node subscribes: it gets its definitions first, then the held launch, which it
  // answers.
  zmq::socket_t commands(context_, zmq::socket_type::sub);
  commands.set(zmq::sockopt::linger, 0);
  commands.set(zmq::sockopt::subscribe, bus::command_topic("m9"));
  commands.connect(broker_->endpoints().bus);
  std::vector<std::string> ops;
  ASSERT_TRUE(wait_until([&] {
    presence();
    zmq::pollitem_t item{commands.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(50)) <= 0) return false;
    zmq::message_t topic, payload;
    if (!commands.recv(topic) || !commands.recv(payload)) return false;
    auto header = proto::decode_frame<bus::CommandHeader>(payload.data(), payload.size());
    if (!header) return false;
    ops.push_back(header->op);
    publish(bus::reply_topic(header->reply_to),
            proto::pack_to_string(bus::ReplyHeader{bus::kVersion, header->id, true, std::nullopt,
                                                   std::string("m9")}));
    return header->op == "launch";
  })) << broker_->log();
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops.front(), "deploy");
  EXPECT_EQ(ops.back(), "launch");

  auto reply = answer("early");
  ASSERT_TRUE(reply) << broker_->log();
  EXPECT_TRUE(reply->ok) << reply->error.value_or("");
}

TEST_F(BrokerLinking, AMachineThatNeverLinksFailsTheHeldCommandAfterTheCommandTimeout) {
  start_broker({"--command-timeout", "500"});
  ASSERT_TRUE(wait_until([&] { return m9_online(); })) << broker_->log();
  send_launch("never");
  auto reply = answer("never");
  ASSERT_TRUE(reply) << broker_->log();
  EXPECT_FALSE(reply->ok);
  EXPECT_EQ(reply->error.value_or(""),
            "machine m9 is connecting but did not subscribe to its commands within 500 ms: see "
            "its node's log");
}

}  // namespace
}  // namespace baton::test
