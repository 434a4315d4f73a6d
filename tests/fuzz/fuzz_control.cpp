// libFuzzer target: control requests and replies (common/proto/control.hpp).
//   - requests as the broker decodes a client's frame: unpack_frame with frame_limits,
//     RequestHeader, then "args" as every op's arguments (hello, app ops, plan ops, set_vars,
//     kill_all) and the app id as the broker parses it;
//   - replies as the CLI and the node decode the broker's answer: unpack_frame with
//     bulk_frame_limits, ReplyHeader, then "result" as every op's result.
// Every value that decodes must survive encode -> decode unchanged.
#include <cstddef>
#include <cstdint>

#include "common/config/app_def.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace control = baton::proto::control;
namespace proto = baton::proto;
using baton::fuzz::check_round_trip;

namespace {

template <class T>
void decode_part(const msgpack::object& object, const msgpack::unpack_limit& limits) {
  auto decoded = proto::decode<T>(object);
  if (decoded) check_round_trip(*decoded, limits);
}

void request_path(const std::uint8_t* data, std::size_t size) {
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, data, size);
  if (!object) return;
  decode_part<control::RequestHeader>(*object, proto::frame_limits());
  const msgpack::object* args = &proto::args_of(*object);
  if (args->type != msgpack::type::MAP) return;  // the broker answers "args must be a map"
  decode_part<control::HelloArgs>(*args, proto::frame_limits());
  decode_part<control::PlanArgs>(*args, proto::frame_limits());
  decode_part<control::MachineArgs>(*args, proto::frame_limits());
  decode_part<control::SetVarsTarget>(*args, proto::frame_limits());
  decode_part<proto::bus::SetVarsArgs>(*args, proto::frame_limits());
  decode_part<control::SetVarsRequest>(*args, proto::frame_limits());
  if (auto app = proto::decode<control::AppArgs>(*args)) {
    check_round_trip(*app, proto::frame_limits());
    if (auto id = baton::config::parse_app_id(app->app)) {
      // A parsed id prints back as the text it came from.
      if (id->to_string() != app->app) baton::fuzz::fail("parse_app_id", "id does not print back");
    }
  }
}

void reply_path(const std::uint8_t* data, std::size_t size) {
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, data, size, proto::bulk_frame_limits());
  if (!object) return;
  decode_part<control::ReplyHeader>(*object, proto::frame_limits());
  const msgpack::object* result = proto::find_key(*object, "result");
  if (result == nullptr) return;
  const auto& limits = proto::bulk_frame_limits();
  if (auto hello = proto::decode<control::HelloResult>(*result)) {
    check_round_trip(*hello, limits);
    (void)control::endpoint_host(hello->ingest);
    (void)control::endpoint_host(hello->bus);
  }
  decode_part<control::AppStateResult>(*result, limits);
  decode_part<control::AllAppsResult>(*result, limits);
  decode_part<control::PlanState>(*result, limits);
  decode_part<control::PlansResult>(*result, limits);
  decode_part<control::MachinesResult>(*result, limits);
  decode_part<control::ReloadResult>(*result, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  request_path(data, size);
  reply_path(data, size);
  return 0;
}
