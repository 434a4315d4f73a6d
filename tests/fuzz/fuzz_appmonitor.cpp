// libFuzzer target: the application monitor protocol (common/proto/appmonitor.hpp). Requests go
// through decode_request() exactly as the node's appmonitor server decodes an app's frame; the
// replies as the SDK decodes the node's answer.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "common/proto/appmonitor.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace am = baton::proto::appmonitor;
namespace proto = baton::proto;

namespace {

void check_request(const am::Request& request) {
  std::visit(
      [](const auto& r) {
        // A decoded request re-encodes into a frame that decodes to the same request.
        const std::string packed = proto::pack_to_string(r);
        auto again = am::decode_request(packed.data(), packed.size());
        if (!again) baton::fuzz::fail("re-encoded request does not decode", again.error().message);
        using T = std::decay_t<decltype(r)>;
        if (!std::holds_alternative<T>(*again)) baton::fuzz::fail("round trip", "op changed");
        if (proto::pack_to_string(std::get<T>(*again)) != packed) {
          baton::fuzz::fail("round trip", "the request changed");
        }
      },
      request);
  if (const auto* reg = std::get_if<am::RegisterRequest>(&request)) {
    // What the server relies on after decode_request: a valid action.
    if (!am::parse_action(reg->action)) baton::fuzz::fail("register", "action not validated");
  }
  if (const auto* many = std::get_if<am::RefreshManyRequest>(&request)) {
    // What the server relies on: a bounded, non-empty list.
    if (many->ids.empty() || many->ids.size() > am::kMaxRefreshIds) {
      baton::fuzz::fail("refresh_many", "ids not bounded");
    }
  }
}

template <class Reply>
void check_reply(const msgpack::object& object) {
  auto reply = proto::decode<Reply>(object);
  if (reply) baton::fuzz::check_round_trip(*reply, proto::frame_limits());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto request = am::decode_request(data, size);
  if (request) {
    check_request(*request);
  } else if (request.error().code.empty() || request.error().message.empty()) {
    baton::fuzz::fail("decode_request", "an error without code or message");
  }

  // The SDK's side: the node's reply frame.
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, data, size);
  if (!object) return 0;
  check_reply<am::RegisterReply>(*object);
  check_reply<am::RefreshReply>(*object);
  check_reply<am::OkReply>(*object);
  check_reply<am::ErrorReply>(*object);
  check_reply<am::RefreshManyError>(*object);
  return 0;
}
