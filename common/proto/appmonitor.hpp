// Application monitor protocol, SDK <-> node (docs/protocol.md, schemas/appmonitor/*.json).
// DEALER -> ROUTER, one msgpack map per frame, each request answered with one frame.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "common/expected.hpp"
#include "common/proto/codec.hpp"
#include "common/proto/enum_names.hpp"

namespace baton::proto::appmonitor {

inline constexpr int kVersion = 1;
inline constexpr std::int64_t kMaxTimeoutMs = 7LL * 24 * 3600 * 1000;  // one week
inline constexpr std::size_t kMaxRestartCommand = 4096;
inline constexpr std::size_t kMaxAppId = 128;
// Larger frames are refused by the socket itself (ZMQ_MAXMSGSIZE): the peer is disconnected.
inline constexpr std::int64_t kMaxFrameBytes = 16 * 1024;

enum class Action { kill, restart, reboot };
inline constexpr NameTable<Action, 3> kActionNames{{
    {Action::kill, "kill"},
    {Action::restart, "restart"},
    {Action::reboot, "reboot"},
}};
constexpr const auto& name_table(Action) {
  return kActionNames;
}
static_assert(in_declaration_order(kActionNames));
constexpr std::string_view to_string(Action action) {
  return to_name(action);
}
constexpr std::optional<Action> parse_action(std::string_view text) {
  return parse_name<Action>(text);
}

// Error codes of ErrorReply.code; their meanings are listed in schemas/README.md.
namespace code {
inline constexpr std::string_view kMalformed = "malformed";
inline constexpr std::string_view kUnknownOp = "unknown_op";
inline constexpr std::string_view kBadRequest = "bad_request";
inline constexpr std::string_view kUnsupportedVersion = "unsupported_version";
inline constexpr std::string_view kRefused = "refused";
inline constexpr std::string_view kUnknownId = "unknown_id";
inline constexpr std::string_view kLimit = "limit";
}  // namespace code

struct RegisterRequest {
  std::string op = "register";
  int v = kVersion;
  std::int64_t pid = 0;
  std::int64_t timeout_ms = 0;
  std::string action;
  std::optional<std::string> restart_command;
  std::optional<std::string> app;
  static constexpr auto kFields = std::make_tuple(
      required("op", &RegisterRequest::op), required("v", &RegisterRequest::v),
      required("pid", &RegisterRequest::pid), required("timeout_ms", &RegisterRequest::timeout_ms),
      required("action", &RegisterRequest::action),
      optional("restart_command", &RegisterRequest::restart_command),
      optional("app", &RegisterRequest::app));
};

struct RefreshRequest {
  std::string op = "refresh";
  std::uint64_t id = 0;
  std::uint64_t seq = 0;
  static constexpr auto kFields =
      std::make_tuple(required("op", &RefreshRequest::op), required("id", &RefreshRequest::id),
                      required("seq", &RefreshRequest::seq));
};

// Refreshes several registrations with one frame and one answer: a process that holds many (one
// per worker, say) refreshes them together. Every id the node knows is refreshed; the answer
// names those it does not know.
inline constexpr std::size_t kMaxRefreshIds = 1024;
struct RefreshManyRequest {
  std::string op = "refresh_many";
  std::vector<std::uint64_t> ids;
  std::uint64_t seq = 0;
  static constexpr auto kFields = std::make_tuple(required("op", &RefreshManyRequest::op),
                                                  required("ids", &RefreshManyRequest::ids),
                                                  required("seq", &RefreshManyRequest::seq));
};

struct UnregisterRequest {
  std::string op = "unregister";
  std::uint64_t id = 0;
  static constexpr auto kFields = std::make_tuple(required("op", &UnregisterRequest::op),
                                                  required("id", &UnregisterRequest::id));
};

struct RegisterReply {
  bool ok = true;
  std::uint64_t id = 0;
  static constexpr auto kFields =
      std::make_tuple(required("ok", &RegisterReply::ok), required("id", &RegisterReply::id));
};

struct RefreshReply {
  bool ok = true;
  std::uint64_t seq = 0;
  static constexpr auto kFields =
      std::make_tuple(required("ok", &RefreshReply::ok), required("seq", &RefreshReply::seq));
};

struct OkReply {
  bool ok = true;
  static constexpr auto kFields = std::make_tuple(required("ok", &OkReply::ok));
};

struct ErrorReply {
  bool ok = false;
  std::string error;
  std::string code;
  static constexpr auto kFields =
      std::make_tuple(required("ok", &ErrorReply::ok), required("error", &ErrorReply::error),
                      required("code", &ErrorReply::code));
};

// The answer to a refresh_many naming ids the node does not know (never registered, unregistered,
// or their action already ran); the other ids of the request were refreshed.
struct RefreshManyError {
  bool ok = false;
  std::string error;
  std::string code;
  std::uint64_t seq = 0;
  std::vector<std::uint64_t> unknown;
  static constexpr auto kFields = std::make_tuple(
      required("ok", &RefreshManyError::ok), required("error", &RefreshManyError::error),
      required("code", &RefreshManyError::code), required("seq", &RefreshManyError::seq),
      required("unknown", &RefreshManyError::unknown));
};

using Request =
    std::variant<RegisterRequest, RefreshRequest, RefreshManyRequest, UnregisterRequest>;

// Decodes and validates one request frame. The Error carries a code from `code::` and a message
// that is safe to send back to the peer.
Expected<Request> decode_request(const void* data, std::size_t size);

// Checks the values of a decoded register request (version, ranges, lengths, action).
Status validate(const RegisterRequest& request);

}  // namespace baton::proto::appmonitor
