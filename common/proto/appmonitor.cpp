#include "common/proto/appmonitor.hpp"

#include <msgpack/v2/null_visitor.hpp>
#include <msgpack/v2/parse.hpp>

namespace baton::proto::appmonitor {

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

// Reads the frame of a plain refresh, {"op":"refresh","id":N,"seq":N}, or of a refresh_many,
// {"op":"refresh_many","ids":[N,...],"seq":N}, as msgpack parses it, without building an object
// tree in a zone: refreshes are the hot path (one per heartbeat) and the zone's first chunk is a
// heap allocation per frame. Anything else, or anything unusual (another key, a duplicate, a
// nested value, a type the general decoder might convert, an empty or oversized list), stops the
// parse and the frame takes the general path, which also words the errors.
class RefreshVisitor : public msgpack::null_visitor {
 public:
  std::optional<Request> result() {
    if (!map_seen_ || in_array_) return std::nullopt;
    if (op_ == Op::refresh && seen_ == (kOp | kId | kSeq)) {
      return Request(RefreshRequest{"refresh", id_, seq_});
    }
    if (op_ == Op::refresh_many && seen_ == (kOp | kIds | kSeq)) {
      return Request(RefreshManyRequest{"refresh_many", std::move(ids_), seq_});
    }
    return std::nullopt;
  }

  bool start_map(std::uint32_t pairs) {
    if (map_seen_ || pairs != 3) return false;
    map_seen_ = true;
    return true;
  }
  bool start_map_key() {
    in_key_ = true;
    return true;
  }
  bool end_map_key() {
    in_key_ = false;
    return true;
  }
  bool visit_str(const char* text, std::uint32_t size) {
    const std::string_view value(text, size);
    if (in_key_) {
      key_ = value == "op"    ? kOp
             : value == "id"  ? kId
             : value == "ids" ? kIds
             : value == "seq" ? kSeq
                              : 0;
      if (key_ == 0 || (seen_ & key_) != 0) return false;
      seen_ |= key_;
      return true;
    }
    if (key_ != kOp) return false;
    op_ = value == "refresh" ? Op::refresh : value == "refresh_many" ? Op::refresh_many : Op::other;
    return op_ != Op::other;
  }
  bool visit_positive_integer(std::uint64_t value) {
    if (in_key_) return false;
    if (in_array_) {
      ids_.push_back(value);
    } else if (key_ == kId) {
      id_ = value;
    } else if (key_ == kSeq) {
      seq_ = value;
    } else {
      return false;
    }
    return true;
  }
  bool start_array(std::uint32_t size) {
    if (in_key_ || key_ != kIds || in_array_ || size == 0 || size > kMaxRefreshIds) return false;
    in_array_ = true;
    ids_.reserve(size);
    return true;
  }
  bool end_array() {
    in_array_ = false;
    return true;
  }
  bool visit_nil() { return false; }
  bool visit_boolean(bool) { return false; }
  bool visit_negative_integer(std::int64_t) { return false; }
  bool visit_float32(float) { return false; }
  bool visit_float64(double) { return false; }
  bool visit_bin(const char*, std::uint32_t) { return false; }
  bool visit_ext(const char*, std::uint32_t) { return false; }
  void parse_error(std::size_t, std::size_t) {}
  void insufficient_bytes(std::size_t, std::size_t) {}

 private:
  enum class Op { unknown, refresh, refresh_many, other };
  static constexpr unsigned kOp = 1, kId = 2, kIds = 4, kSeq = 8;
  bool map_seen_ = false;
  bool in_key_ = false;
  bool in_array_ = false;
  Op op_ = Op::unknown;
  unsigned key_ = 0;
  unsigned seen_ = 0;
  std::uint64_t id_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<std::uint64_t> ids_;
};

std::optional<Request> decode_plain_refresh(const void* data, std::size_t size) {
  RefreshVisitor visitor;
  std::size_t offset = 0;
  if (!msgpack::v2::parse(static_cast<const char*>(data), size, offset, visitor) ||
      offset != size) {
    return std::nullopt;
  }
  return visitor.result();
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
  if (auto refresh = decode_plain_refresh(data, size)) return std::move(*refresh);
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
  if (name == "refresh_many") {
    auto request = decode_as<RefreshManyRequest>(*object);
    if (!request) return request;
    const auto& ids = std::get<RefreshManyRequest>(*request).ids;
    if (ids.empty() || ids.size() > kMaxRefreshIds) {
      return Error{"ids must hold 1 to " + std::to_string(kMaxRefreshIds) + " registration ids",
                   std::string(code::kBadRequest)};
    }
    return request;
  }
  if (name == "unregister") return decode_as<UnregisterRequest>(*object);
  std::string shown(name.substr(0, 64));
  return Error{"unknown op \"" + shown + "\"", std::string(code::kUnknownOp)};
}

}  // namespace baton::proto::appmonitor
