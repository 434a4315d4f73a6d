#include "node/broker_link.hpp"

#include "common/log.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"

namespace baton::node {

namespace control = proto::control;
using namespace std::chrono_literals;

namespace {
// Hello is repeated until answered; ZMQ_IMMEDIATE keeps unanswered hellos from piling up while no
// broker is there, so a hello that found no connection is tried again soon.
constexpr auto kHelloRetry = 1s;
constexpr auto kHelloRetryUnconnected = 50ms;
}  // namespace

BrokerLink::BrokerLink(zmq::context_t& context, EventLoop& loop, std::string machine,
                       std::string control_endpoint, std::optional<CurveClientKeys> keys,
                       CommandHandler on_command, ConnectedHandler on_connected,
                       SubscriptionHandler on_subscription)
    : context_(context),
      loop_(loop),
      machine_(std::move(machine)),
      control_endpoint_(std::move(control_endpoint)),
      command_topic_(proto::bus::command_topic(machine_)),
      keys_(std::move(keys)),
      on_command_(std::move(on_command)),
      on_connected_(std::move(on_connected)),
      on_subscription_(std::move(on_subscription)),
      master_ip_(control::endpoint_host(control_endpoint_)) {}

BrokerLink::~BrokerLink() {
  stop();
}

void BrokerLink::start() {
  control_.emplace(context_, zmq::socket_type::dealer);
  control_->set(zmq::sockopt::linger, 0);
  control_->set(zmq::sockopt::immediate, 1);
  control_->set(zmq::sockopt::maxmsgsize, proto::bus::kMaxFrameBytes);
  secure(*control_);
  try {
    handshakes_.emplace(context_, *control_, "the broker at " + control_endpoint_,
                        keys_.has_value());
    handshakes_watch_ = loop_.watch_socket(handshakes_->socket(), [this] {
      auto failure = handshakes_->take_failure();
      if (failure && *failure != last_handshake_failure_) spdlog::error("{}", *failure);
      last_handshake_failure_ = failure.value_or("");
    });
  } catch (const zmq::error_t& e) {
    // Out of sockets or descriptors: the link works without the monitor, a refused key just
    // looks like a broker that does not answer.
    handshakes_.reset();
    spdlog::warn(
        "cannot watch the handshakes with the broker ({}): a refused key will show only "
        "as no answer",
        e.what());
  }
  control_->connect(control_endpoint_);
  control_watch_ = loop_.watch_socket(*control_, [this] { on_control_readable(); });
  send_hello();
  spdlog::info("looking for the broker at {}", control_endpoint_);
}

void BrokerLink::stop() {
  hello_timer_.reset();
  control_watch_.reset();
  bus_watch_.reset();
  ingest_watch_.reset();
  stop_watching_handshakes();
  subscribed_ = false;
  control_.reset();
  ingest_.reset();
  bus_.reset();
}

void BrokerLink::stop_watching_handshakes() {
  handshakes_watch_.reset();
  if (!handshakes_) return;
  // Stops the events at their source before their receiver closes.
  if (control_) zmq_socket_monitor(control_->handle(), nullptr, 0);
  handshakes_.reset();
}

void BrokerLink::send_hello() {
  pending_hello_id_ = "hello-" + machine_ + "-" + std::to_string(++hello_count_);
  control::HelloArgs args{"node", machine_, "0.1.0"};
  std::string frame = control::pack_request(
      control::RequestHeader{control::kVersion, pending_hello_id_,
                             std::string(proto::to_name(control::ControlOp::hello))},
      args);
  const bool sent = control_->send(zmq::buffer(frame), zmq::send_flags::dontwait).has_value();
  hello_timer_ = loop_.after(sent ? kHelloRetry : kHelloRetryUnconnected, [this] { send_hello(); });
}

void BrokerLink::on_control_readable() {
  for (int i = 0; i < 64 && control_; ++i) {
    zmq::message_t frame;
    if (!control_->recv(frame, zmq::recv_flags::dontwait)) return;
    msgpack::zone zone;
    auto object = proto::unpack_frame(zone, frame.data(), frame.size());
    if (!object) {
      spdlog::warn("ignored a malformed frame from the broker: {}", object.error().message);
      continue;
    }
    auto header = proto::decode<control::ReplyHeader>(*object);
    if (!header || header->id != pending_hello_id_) continue;  // an old hello's answer
    if (!header->ok) {
      spdlog::error("the broker refused this node: {}", header->error.value_or("no reason given"));
      continue;
    }
    const msgpack::object* result = proto::find_key(*object, "result");
    auto hello = result ? proto::decode<control::HelloResult>(*result)
                        : Expected<control::HelloResult>(Error{"no result"});
    if (!hello) {
      spdlog::warn("ignored a hello reply without endpoints: {}", hello.error().message);
      continue;
    }
    hello_timer_.reset();
    pending_hello_id_.clear();
    // Nothing but answers to hellos comes on the control socket, and no hello follows this one:
    // off the poll set, it costs the idle loop nothing (zmq::poll checks each of its sockets twice
    // a call, with a system call or two each). Late answers to old hellos stay queued, unread.
    control_watch_.reset();
    // Its handshakes are done with too: the monitor only ever said why a hello went unanswered.
    stop_watching_handshakes();
    if (!hello->master_ip.empty()) master_ip_ = hello->master_ip;
    connect_bus(hello->ingest, hello->bus);
  }
}

void BrokerLink::connect_bus(const std::string& ingest, const std::string& bus) {
  if (ingest_ && ingest == ingest_endpoint_ && bus == bus_endpoint_) return;
  // Off the sockets about to be replaced, and the subscriptions that came through them.
  bus_watch_.reset();
  ingest_watch_.reset();
  subscribed_ = false;
  if (ingest_ && on_subscription_) on_subscription_(false, {});
  ingest_.emplace(context_, zmq::socket_type::xpub);
  ingest_->set(zmq::sockopt::linger, 0);
  ingest_->set(zmq::sockopt::sndhwm, 100'000);
  ingest_->set(zmq::sockopt::xpub_verbose, 1);  // see the broker's subscription every time
  ingest_->set(zmq::sockopt::maxmsgsize, proto::bus::kMaxFrameBytes);
  bus_.emplace(context_, zmq::socket_type::sub);
  bus_->set(zmq::sockopt::linger, 0);
  bus_->set(zmq::sockopt::maxmsgsize, proto::bus::kMaxFrameBytes);
  secure(*ingest_);
  secure(*bus_);
  try {
    ingest_->connect(ingest);
    bus_->connect(bus);
  } catch (const zmq::error_t& e) {
    spdlog::error("cannot connect to the broker's bus ({}, {}): {}", ingest, bus, e.what());
    ingest_.reset();
    bus_.reset();
    return;
  }
  ingest_endpoint_ = ingest;
  bus_endpoint_ = bus;
  ingest_watch_ = loop_.watch_socket(*ingest_, [this] { on_ingest_readable(); });
  bus_watch_ = loop_.watch_socket(*bus_, [this] { on_bus_readable(); });
  spdlog::info("connecting to the broker's bus: publishing to {}, commands from {}", ingest, bus);
}

void BrokerLink::secure(zmq::socket_t& socket) const {
  if (keys_) apply_curve_client(socket, *keys_);
}

void BrokerLink::on_ingest_readable() {
  for (int i = 0; i < 64 && ingest_; ++i) {
    zmq::message_t message;
    if (!ingest_->recv(message, zmq::recv_flags::dontwait)) return;
    if (message.size() == 0) continue;
    const bool subscribe = static_cast<const char*>(message.data())[0] == 1;
    const std::string_view topic(static_cast<const char*>(message.data()) + 1, message.size() - 1);
    // The broker itself subscribes to everything (""); anything narrower is a follower's.
    if (!topic.empty()) {
      if (on_subscription_) on_subscription_(subscribe, topic);
      continue;
    }
    if (!subscribe) {
      if (subscribed_) spdlog::warn("the broker stopped listening; going on without it");
      subscribed_ = false;
      if (on_subscription_) on_subscription_(false, {});
      continue;
    }
    if (!subscribed_) {
      subscribed_ = true;
      bus_->set(zmq::sockopt::subscribe, command_topic_);
      spdlog::info("connected to the broker");
    }
    // Also for a broker that came back: it gets the whole state again.
    if (on_connected_) on_connected_();
  }
}

void BrokerLink::on_bus_readable() {
  for (int i = 0; i < 256 && bus_; ++i) {
    zmq::message_t topic;
    if (!bus_->recv(topic, zmq::recv_flags::dontwait)) return;
    if (!topic.more()) continue;
    zmq::message_t payload;
    if (!bus_->recv(payload, zmq::recv_flags::dontwait)) return;
    if (payload.more()) {  // more than two frames: not a bus message, drop it whole
      zmq::message_t rest;
      do {
        if (!bus_->recv(rest, zmq::recv_flags::dontwait)) return;
      } while (rest.more());
      spdlog::warn("dropped a bus message of more than two frames");
      continue;
    }
    // The topic's trailing "/" keeps other machines' commands out; comparing it whole costs
    // nothing and keeps a node safe from a broker that relays anything.
    if (topic.to_string_view() != command_topic_) continue;
    on_command_(payload);
  }
}

void BrokerLink::publish(const std::string& topic, const std::string& payload) {
  if (!ingest_ || !subscribed_) return;
  (void)ingest_->send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  (void)ingest_->send(zmq::buffer(payload), zmq::send_flags::dontwait);
}

}  // namespace baton::node
