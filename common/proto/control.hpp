// Control requests (shared/DESIGN.md §2): a client's DEALER to the broker's ROUTER, one msgpack
// map per frame each way. Every request is {v, id, op, args}; every reply {v, id, ok, error?,
// result?}. The first request of a node or a client is hello, whose reply names the broker's other
// endpoints, so users only ever give the control address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "common/proto/bus.hpp"
#include "common/proto/codec.hpp"

namespace baton::proto::control {

inline constexpr int kVersion = 1;

struct RequestHeader {
  int v = kVersion;
  std::string id;
  std::string op;
  static constexpr auto kFields =
      std::make_tuple(required("v", &RequestHeader::v), required("id", &RequestHeader::id),
                      required("op", &RequestHeader::op));
};

struct ReplyHeader {
  int v = kVersion;
  std::string id;
  bool ok = true;
  std::optional<std::string> error;
  static constexpr auto kFields =
      std::make_tuple(required("v", &ReplyHeader::v), required("id", &ReplyHeader::id),
                      required("ok", &ReplyHeader::ok), optional("error", &ReplyHeader::error));
};

// hello args.
struct HelloArgs {
  std::string role;                    // "node" or "client"
  std::optional<std::string> machine;  // nodes: their machine id
  std::string version;
  static constexpr auto kFields =
      std::make_tuple(required("role", &HelloArgs::role), optional("machine", &HelloArgs::machine),
                      required("version", &HelloArgs::version));
};

// hello result: where to publish (ingest) and subscribe (bus), and the master's address as apps
// see it in DIRIGENT_MASTER_IP.
struct HelloResult {
  std::string ingest;
  std::string bus;
  std::string master_ip;
  static constexpr auto kFields =
      std::make_tuple(required("ingest", &HelloResult::ingest), required("bus", &HelloResult::bus),
                      required("master_ip", &HelloResult::master_ip));
};

template <class Args>
std::string pack_request(const RequestHeader& header, const Args& args) {
  return bus::pack_with(header, "args", [&](auto& pk) { pack_message(pk, args); });
}

template <class Result>
std::string pack_reply(const ReplyHeader& header, const Result& result) {
  return bus::pack_with(header, "result", [&](auto& pk) { pack_message(pk, result); });
}

// The host of a tcp:// endpoint ("tcp://10.0.0.5:7100" -> "10.0.0.5"), "" for other transports.
std::string endpoint_host(const std::string& endpoint);

}  // namespace baton::proto::control
