#include "common/proto/appmonitor.hpp"

namespace baton::proto::appmonitor {

std::string_view to_string(Action action) {
  switch (action) {
    case Action::kill:
      return "kill";
    case Action::restart:
      return "restart";
    case Action::reboot:
      return "reboot";
  }
  return "?";
}

std::optional<Action> parse_action(std::string_view text) {
  if (text == "kill") return Action::kill;
  if (text == "restart") return Action::restart;
  if (text == "reboot") return Action::reboot;
  return std::nullopt;
}

namespace {

Error with_code(Error error, std::string_view code) {
  error.code = std::string(code);
  return error;
}

template <class T>
Expected<Request> decode_as(const msgpack::object& object) {
  auto decoded = decode<T>(object);
  if (!decoded) return with_code(decoded.error(), code::kBadRequest);
  return Request(std::move(decoded).value());
}

}  // namespace

Status validate(const RegisterRequest& r) {
  auto bad = [](std::string message) {
    return Error{std::move(message), std::string(code::kBadRequest)};
  };
  if (r.v != kVersion) {
    return Error{"unsupported protocol version " + std::to_string(r.v) + " (this node speaks 1)",
                 std::string(code::kUnsupportedVersion)};
  }
  if (r.pid <= 0 || r.pid > INT32_MAX) return bad("pid must be a positive process id");
  if (r.timeout_ms <= 0) return bad("timeout_ms must be greater than 0");
  if (r.timeout_ms > kMaxTimeoutMs) return bad("timeout_ms must be at most one week");
  auto action = parse_action(r.action);
  if (!action)
    return bad("action must be \"kill\", \"restart\" or \"reboot\", not \"" + r.action + "\"");
  if (*action == Action::restart && (!r.restart_command || r.restart_command->empty())) {
    return bad("action \"restart\" needs a restart_command");
  }
  if (r.restart_command && r.restart_command->size() > kMaxRestartCommand) {
    return bad("restart_command is longer than " + std::to_string(kMaxRestartCommand) + " bytes");
  }
  if (r.app && r.app->size() > kMaxAppId) {
    return bad("app is longer than " + std::to_string(kMaxAppId) + " bytes");
  }
  return ok_status();
}

Expected<Request> decode_request(const void* data, std::size_t size) {
  msgpack::zone zone;
  auto object = unpack_frame(zone, data, size);
  if (!object) return with_code(object.error(), code::kMalformed);
  if (object->type != msgpack::type::MAP) {
    return Error{"request is not a msgpack map", std::string(code::kMalformed)};
  }
  const msgpack::object* op = find_key(*object, "op");
  if (op == nullptr || op->type != msgpack::type::STR) {
    return Error{"request has no string field 'op'", std::string(code::kBadRequest)};
  }
  std::string_view name(op->via.str.ptr, op->via.str.size);
  if (name == "refresh") return decode_as<RefreshRequest>(*object);
  if (name == "register") {
    auto request = decode_as<RegisterRequest>(*object);
    if (!request) return request;
    if (auto valid = validate(std::get<RegisterRequest>(*request)); !valid) return valid.error();
    return request;
  }
  if (name == "unregister") return decode_as<UnregisterRequest>(*object);
  std::string shown(name.substr(0, 64));
  return Error{"unknown op \"" + shown + "\"", std::string(code::kUnknownOp)};
}

}  // namespace baton::proto::appmonitor
