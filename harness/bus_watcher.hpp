// A plain ZeroMQ subscriber to the broker's bus, written from schemas/, that records what arrives.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/net/curve_keys.hpp"
#include "common/proto/bus.hpp"
#include "harness/polling.hpp"

namespace baton::harness {

// A SUB on the broker's bus, recording what arrives.
class BusWatcher {
 public:
  BusWatcher(const std::string& bus, const std::vector<std::string>& prefixes,
             const std::optional<CurveClientKeys>& keys = std::nullopt);
  void pump(std::chrono::milliseconds wait = std::chrono::milliseconds(10));
  bool pump_until(const std::function<bool()>& condition,
                  std::chrono::milliseconds deadline = kDeadline);
  const std::vector<std::pair<std::string, std::string>>& messages() const { return messages_; }
  std::vector<proto::bus::Event> events(const std::string& machine_app) const;

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::vector<std::pair<std::string, std::string>> messages_;
};

}  // namespace baton::harness
