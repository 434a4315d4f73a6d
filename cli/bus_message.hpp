// A message seen on the broker's bus, decoded by the kind its topic names (docs/protocol.md, Bus).
#pragma once

#include <msgpack.hpp>

#include <string_view>
#include <variant>

#include "common/expected.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"

namespace baton::cli {

// A message on a topic this command line has no type for (cmd/, reply/, a newer kind): shown as
// its raw msgpack.
struct OtherBusMessage {
  const msgpack::object* payload = nullptr;  // points into the caller's zone
};

using BusMessage =
    std::variant<proto::bus::AppState, proto::bus::Event, proto::bus::NodeState,
                 proto::bus::UsageReport, proto::control::PlanState, OtherBusMessage>;

// status/ -> AppState, event/ -> Event, node/ -> NodeState, usage/ -> UsageReport, plan/ ->
// PlanState, anything else -> OtherBusMessage. A payload that does not decode as its topic's
// message is an Error.
Expected<BusMessage> decode_bus_message(std::string_view topic, const msgpack::object& payload);

}  // namespace baton::cli
