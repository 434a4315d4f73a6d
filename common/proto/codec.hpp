// One declaration per message packs and unpacks it.
//
// A message struct lists its fields once:
//   static constexpr auto kFields = std::make_tuple(required("id", &Refresh::id), ...);
// pack_message() writes a msgpack map with string keys (empty std::optional fields are left out)
// and decode() reads one back: every required key must be present, every value must convert to its
// member's type, unknown keys are ignored (forward compatibility). Nothing a peer sends can throw
// out of decode(): malformed input comes back as an Error naming the field.
//
// msgpack-c's MSGPACK_DEFINE_MAP is not used because it accepts a map with required keys missing,
// packs empty optionals as nil, and builds a std::map<std::string,...> for every decode, which is
// measurable on the heartbeat path.
#pragma once

#include <msgpack.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "common/expected.hpp"

namespace baton::proto {

// A message: a struct that lists its fields in kFields.
template <class T>
concept Message = requires {
  T::kFields;
};

template <class T, class M>
struct Field {
  std::string_view key;
  M T::*member;
  bool is_required;
};

template <class T, class M>
constexpr Field<T, M> required(std::string_view key, M T::*member) {
  return {key, member, true};
}
template <class T, class M>
constexpr Field<T, M> optional(std::string_view key, M T::*member) {
  return {key, member, false};
}

// Caps for any frame we unpack: a hostile peer cannot make the unpacker allocate without bound.
inline msgpack::unpack_limit frame_limits() {
  return msgpack::unpack_limit(/*array=*/1024, /*map=*/1024, /*str=*/64 * 1024,
                               /*bin=*/64 * 1024, /*ext=*/0, /*depth=*/8);
}
// For frames that legitimately carry many items (a deploy of thousands of apps, the state of a
// whole fleet): still bounded, by these counts and by the socket's maximum message size.
inline msgpack::unpack_limit bulk_frame_limits() {
  return msgpack::unpack_limit(/*array=*/1 << 20, /*map=*/1 << 20, /*str=*/1 << 20,
                               /*bin=*/1 << 20, /*ext=*/0, /*depth=*/8);
}

namespace detail {
template <class M>
struct is_optional : std::false_type {};
template <class M>
struct is_optional<std::optional<M>> : std::true_type {};

// `Msg` may derive from `T`: a message can extend another's fields (tuple_cat of both kFields).
template <class Packer, class Msg, class T, class M>
void pack_field(Packer& pk, const Msg& msg, const Field<T, M>& field) {
  const M& value = msg.*(field.member);
  if constexpr (is_optional<M>::value) {
    if (!value) return;
    pk.pack(std::string_view(field.key));
    pk.pack(*value);
  } else {
    pk.pack(std::string_view(field.key));
    pk.pack(value);
  }
}

template <class Msg, class T, class M>
bool field_present(const Msg& msg, const Field<T, M>& field) {
  if constexpr (is_optional<M>::value) return static_cast<bool>(msg.*(field.member));
  return true;
}
}  // namespace detail

template <class T>
std::size_t field_count(const T& msg) {
  return std::apply(
      [&](const auto&... f) { return (std::size_t{0} + ... + detail::field_present(msg, f)); },
      T::kFields);
}

template <class Stream, class T>
void pack_message(msgpack::packer<Stream>& pk, const T& msg) {
  pk.pack_map(static_cast<uint32_t>(field_count(msg)));
  std::apply([&](const auto&... f) { (detail::pack_field(pk, msg, f), ...); }, T::kFields);
}

template <class T>
std::string pack_to_string(const T& msg) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pack_message(pk, msg);
  return std::string(buffer.data(), buffer.size());
}

// Unpacks one frame into an object living in `zone`. Errors as values.
Expected<msgpack::object> unpack_frame(msgpack::zone& zone, const void* data, std::size_t size,
                                       const msgpack::unpack_limit& limits = frame_limits());

// Finds a string-keyed entry of a map object; nullptr when absent.
const msgpack::object* find_key(const msgpack::object& map, std::string_view key);

// The "args" entry of a request or command; an empty map when it is absent or nil.
const msgpack::object& args_of(const msgpack::object& message);

// A message type may check the values it decoded: a function `Status check_decoded(const T&)`,
// found by argument-dependent lookup, runs after every field was read, and its Error is decode's.
template <class T>
concept CheckedMessage = requires(const T& msg) {
  { check_decoded(msg) } -> std::same_as<Status>;
};

// What converting a nested message (a field holding a message, or a list of them) throws through
// msgpack's convert: it carries the nested decode's reason up to the field that holds it.
class NestedDecodeError : public msgpack::type_error {
 public:
  explicit NestedDecodeError(std::string reason) : reason_(std::move(reason)) {}
  const char* what() const noexcept override { return reason_.c_str(); }
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

template <class T>
Expected<T> decode(const msgpack::object& object) {
  if (object.type != msgpack::type::MAP) return Error{"message is not a map"};
  T msg{};
  std::string failure;
  auto read_field = [&](const auto& field) {
    if (!failure.empty()) return;
    const msgpack::object* value = find_key(object, field.key);
    using M = std::remove_reference_t<decltype(msg.*(field.member))>;
    if (value == nullptr || (detail::is_optional<M>::value && value->type == msgpack::type::NIL)) {
      if (field.is_required) failure = "missing field '" + std::string(field.key) + "'";
      return;
    }
    try {
      value->convert(msg.*(field.member));
    } catch (const NestedDecodeError& e) {
      failure = "field '" + std::string(field.key) + "': " + e.reason();
    } catch (const std::exception&) {
      failure = "field '" + std::string(field.key) + "' has the wrong type";
    }
  };
  std::apply([&](const auto&... f) { (read_field(f), ...); }, T::kFields);
  if (!failure.empty()) return Error{std::move(failure)};
  if constexpr (CheckedMessage<T>) {
    if (Status checked = check_decoded(msg); !checked) return checked.error();
  }
  return msg;
}

template <class T>
Expected<T> decode_frame(const void* data, std::size_t size,
                         const msgpack::unpack_limit& limits = frame_limits()) {
  msgpack::zone zone;
  auto object = unpack_frame(zone, data, size, limits);
  if (!object) return object.error();
  return decode<T>(*object);
}

}  // namespace baton::proto

// A message nested in another (a vector of them, an optional one) packs and unpacks as a map
// through the same field table.
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  template <baton::proto::Message T>
  struct pack<T> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& pk, const T& msg) const {
      baton::proto::pack_message(pk, msg);
      return pk;
    }
  };
  template <baton::proto::Message T>
  struct convert<T> {
    const msgpack::object& operator()(const msgpack::object& object, T& msg) const {
      auto decoded = baton::proto::decode<T>(object);
      if (!decoded) throw baton::proto::NestedDecodeError(decoded.error().message);
      msg = std::move(decoded).value();
      return object;
    }
  };

  // A duration travels as its count in its own unit; the field's key names the unit
  // ("timeout_ms").
  template <class Rep, class Period>
  struct pack<std::chrono::duration<Rep, Period>> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& pk,
                                        const std::chrono::duration<Rep, Period>& value) const {
      pk.pack(value.count());
      return pk;
    }
  };
  template <class Rep, class Period>
  struct convert<std::chrono::duration<Rep, Period>> {
    const msgpack::object& operator()(const msgpack::object& object,
                                      std::chrono::duration<Rep, Period>& value) const {
      value = std::chrono::duration<Rep, Period>(object.as<Rep>());
      return object;
    }
  };
  }  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE
}  // namespace msgpack
