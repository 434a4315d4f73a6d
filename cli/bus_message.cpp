#include "cli/bus_message.hpp"

#include <string>

namespace baton::cli {

namespace {
template <class T>
Expected<BusMessage> decode_as(const msgpack::object& payload) {
  auto decoded = proto::decode<T>(payload);
  if (!decoded) return decoded.error();
  return BusMessage(std::move(decoded).value());
}
}  // namespace

Expected<BusMessage> decode_bus_message(std::string_view topic, const msgpack::object& payload) {
  if (topic.starts_with("status/")) return decode_as<proto::bus::AppState>(payload);
  if (topic.starts_with("event/")) return decode_as<proto::bus::Event>(payload);
  if (topic.starts_with("node/")) return decode_as<proto::bus::NodeState>(payload);
  if (topic.starts_with("usage/")) return decode_as<proto::bus::UsageReport>(payload);
  if (topic.starts_with("plan/")) return decode_as<proto::control::PlanState>(payload);
  return BusMessage(OtherBusMessage{&payload});
}

}  // namespace baton::cli
