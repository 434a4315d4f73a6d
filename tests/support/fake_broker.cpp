#include "tests/support/fake_broker.hpp"

#include <algorithm>

#include "common/config/deploy.hpp"
#include "common/proto/control.hpp"
#include "harness/polling.hpp"

namespace baton::test {

namespace bus = proto::bus;
namespace control = proto::control;

FakeBroker::FakeBroker()
    : control_(context_, zmq::socket_type::router),
      ingest_(context_, zmq::socket_type::xsub),
      bus_(context_, zmq::socket_type::xpub) {
  for (zmq::socket_t* s : {&control_, &ingest_, &bus_})
    s->set(zmq::sockopt::linger, 0);
  bus_.set(zmq::sockopt::xpub_verbose, 1);  // see every subscription, also repeated ones
  // ipc://, as a real broker's defaults: a node needs no --insecure to connect.
  control_.bind("ipc://" + (dir_ / "control.sock"));
  ingest_.bind("ipc://" + (dir_ / "ingest.sock"));
  bus_.bind("ipc://" + (dir_ / "bus.sock"));
  control_endpoint_ = control_.get(zmq::sockopt::last_endpoint);
  ingest_endpoint_ = ingest_.get(zmq::sockopt::last_endpoint);
  bus_endpoint_ = bus_.get(zmq::sockopt::last_endpoint);
  // XSUB: subscribe to everything the nodes publish.
  const char subscribe_all = 1;
  ingest_.send(zmq::buffer(&subscribe_all, 1));
}

void FakeBroker::pump(std::chrono::milliseconds wait) {
  zmq::pollitem_t items[] = {{control_.handle(), 0, ZMQ_POLLIN, 0},
                             {ingest_.handle(), 0, ZMQ_POLLIN, 0},
                             {bus_.handle(), 0, ZMQ_POLLIN, 0}};
  if (zmq::poll(items, 3, wait) <= 0) return;
  if (items[0].revents & ZMQ_POLLIN) handle_control();
  if (items[1].revents & ZMQ_POLLIN) handle_ingest();
  if (items[2].revents & ZMQ_POLLIN) handle_bus();
}

bool FakeBroker::pump_until(const std::function<bool()>& condition,
                            std::chrono::milliseconds deadline) {
  return harness::pump_until([this] { pump(); }, condition, deadline);
}

void FakeBroker::handle_control() {
  for (;;) {
    zmq::message_t identity, frame;
    if (!control_.recv(identity, zmq::recv_flags::dontwait)) return;
    (void)control_.recv(frame, zmq::recv_flags::dontwait);
    msgpack::zone zone;
    auto object = proto::unpack_frame(zone, frame.data(), frame.size());
    if (!object) continue;
    auto header = proto::decode<control::RequestHeader>(*object);
    if (!header || header->op != "hello") continue;
    ++hellos_;
    std::string reply =
        control::pack_reply(control::ReplyHeader{control::kVersion, header->id, true, std::nullopt},
                            control::HelloResult{ingest_endpoint_, bus_endpoint_, "127.0.0.1"});
    control_.send(identity, zmq::send_flags::sndmore);
    control_.send(zmq::buffer(reply));
  }
}

void FakeBroker::handle_ingest() {
  for (;;) {
    zmq::message_t topic_msg, payload;
    if (!ingest_.recv(topic_msg, zmq::recv_flags::dontwait)) return;
    if (!topic_msg.more()) continue;
    (void)ingest_.recv(payload, zmq::recv_flags::dontwait);
    std::string topic = topic_msg.to_string();
    raw_.emplace_back(topic, payload.to_string());
    if (topic.starts_with("status/")) {
      auto state = proto::decode_frame<bus::AppState>(payload.data(), payload.size());
      if (state) states_[state->machine + "." + state->app] = *state;
    } else if (topic.starts_with("event/")) {
      auto event = proto::decode_frame<bus::Event>(payload.data(), payload.size());
      if (event) events_.push_back(*event);
    } else if (topic.starts_with("reply/")) {
      auto reply = proto::decode_frame<bus::ReplyHeader>(payload.data(), payload.size());
      if (reply) replies_[reply->id] = *reply;
    } else if (topic.starts_with("node/")) {
      ++node_states_[topic.substr(5)];
    }
  }
}

void FakeBroker::handle_bus() {
  for (;;) {
    zmq::message_t subscription;
    if (!bus_.recv(subscription, zmq::recv_flags::dontwait)) return;
    std::string s = subscription.to_string();
    if (!s.empty() && s[0] == 1) subscriptions_.push_back(s.substr(1));
  }
}

bool FakeBroker::subscribed(const std::string& machine) const {
  return std::find(subscriptions_.begin(), subscriptions_.end(), bus::command_topic(machine)) !=
         subscriptions_.end();
}

std::size_t FakeBroker::subscriptions(const std::string& machine) const {
  return static_cast<std::size_t>(
      std::count(subscriptions_.begin(), subscriptions_.end(), bus::command_topic(machine)));
}

bool FakeBroker::wait_subscribed(const std::string& machine) {
  return pump_until([&] { return subscribed(machine); });
}

void FakeBroker::send(const std::string& machine, const std::string& payload) {
  const std::string topic = bus::command_topic(machine);
  bus_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  bus_.send(zmq::buffer(payload));
}

std::string FakeBroker::command(const std::string& machine, const std::string& op,
                                const bus::AppCommandArgs& args) {
  const std::string id = "c" + std::to_string(next_id_++);
  send(machine, bus::pack_command(bus::CommandHeader{bus::kVersion, id, op, "test"}, args));
  return id;
}

std::string FakeBroker::set_vars(const std::string& machine, const bus::Variables& vars) {
  const std::string id = "c" + std::to_string(next_id_++);
  send(machine, bus::pack_command(bus::CommandHeader{bus::kVersion, id, "set_vars", "test"},
                                  bus::SetVarsArgs{vars}));
  return id;
}

std::string FakeBroker::deploy(const std::string& machine,
                               const std::vector<config::AppDef>& apps) {
  const std::string id = "c" + std::to_string(next_id_++);
  send(machine, bus::pack_command(bus::CommandHeader{bus::kVersion, id, "deploy", "test"},
                                  config::DeployArgs{apps}));
  return id;
}

std::string FakeBroker::simple(const std::string& machine, const std::string& op) {
  const std::string id = "c" + std::to_string(next_id_++);
  send(machine, bus::pack_with(bus::CommandHeader{bus::kVersion, id, op, "test"}, "args",
                               [](auto& pk) { pk.pack_map(0); }));
  return id;
}

std::string FakeBroker::reply_payload(const std::string& id) const {
  for (auto it = raw_.rbegin(); it != raw_.rend(); ++it) {
    if (!it->first.starts_with("reply/")) continue;
    auto reply = proto::decode_frame<bus::ReplyHeader>(it->second.data(), it->second.size());
    if (reply && reply->id == id) return it->second;
  }
  return {};
}

std::optional<bus::ReplyHeader> FakeBroker::wait_reply(const std::string& id) {
  if (!pump_until([&] { return replies_.contains(id); })) return std::nullopt;
  return replies_.at(id);
}

std::optional<bus::AppState> FakeBroker::state(const std::string& machine,
                                               const std::string& app) const {
  auto it = states_.find(machine + "." + app);
  if (it == states_.end()) return std::nullopt;
  return it->second;
}

bool FakeBroker::wait_state(const std::string& machine, const std::string& app,
                            const std::function<bool(const bus::AppState&)>& condition,
                            std::chrono::milliseconds deadline) {
  return pump_until(
      [&] {
        auto s = state(machine, app);
        return s && condition(*s);
      },
      deadline);
}

bool FakeBroker::has_flag(const bus::AppState& state, const std::string& flag) {
  return std::find(state.flags.begin(), state.flags.end(), flag) != state.flags.end();
}

std::vector<std::string> FakeBroker::event_kinds(const std::string& machine,
                                                 const std::string& app) const {
  std::vector<std::string> kinds;
  for (const auto& e : events_) {
    if (e.machine == machine && e.app == app) kinds.emplace_back(proto::to_name(e.kind));
  }
  return kinds;
}

std::size_t FakeBroker::node_states(const std::string& machine) const {
  auto it = node_states_.find(machine);
  return it == node_states_.end() ? 0 : it->second;
}

}  // namespace baton::test
