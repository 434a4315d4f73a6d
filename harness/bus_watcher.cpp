#include "harness/bus_watcher.hpp"

namespace baton::harness {

namespace bus = proto::bus;

BusWatcher::BusWatcher(const std::string& bus_endpoint, const std::vector<std::string>& prefixes,
                       const std::optional<CurveClientKeys>& keys)
    : socket_(context_, zmq::socket_type::sub) {
  socket_.set(zmq::sockopt::linger, 0);
  if (keys) apply_curve_client(socket_, *keys);
  for (const auto& prefix : prefixes)
    socket_.set(zmq::sockopt::subscribe, prefix);
  socket_.connect(bus_endpoint);
}

void BusWatcher::pump(std::chrono::milliseconds wait) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, wait) <= 0) return;
  for (;;) {
    zmq::message_t topic, payload;
    if (!socket_.recv(topic, zmq::recv_flags::dontwait)) return;
    if (!topic.more()) continue;
    (void)socket_.recv(payload, zmq::recv_flags::dontwait);
    messages_.emplace_back(topic.to_string(), payload.to_string());
  }
}

bool BusWatcher::pump_until(const std::function<bool()>& condition,
                            std::chrono::milliseconds deadline) {
  return harness::pump_until([this] { pump(); }, condition, deadline);
}

std::vector<bus::Event> BusWatcher::events(const std::string& machine_app) const {
  std::vector<bus::Event> out;
  for (const auto& [topic, payload] : messages_) {
    if (!topic.starts_with("event/")) continue;
    auto event = proto::decode_frame<bus::Event>(payload.data(), payload.size());
    if (event && event->machine + "." + event->app == machine_app) out.push_back(*event);
  }
  return out;
}

}  // namespace baton::harness
