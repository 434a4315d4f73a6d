// libFuzzer target: bus messages (common/proto/bus.hpp, common/config/deploy.hpp), decoded the way
// the daemons decode them:
//   - the broker's ingest: decode_frame<AppState | NodeState | ReplyHeader> (frame_limits);
//   - monitors and `baton watch`: Event and PlanState too;
//   - the node's command handler: unpack_frame with bulk_frame_limits, CommandHeader, then "args"
//     as every op's arguments (launch/kill/restart, deploy, set_vars);
//   - the broker's get_state reply: result as a StateResult (bulk_frame_limits).
// Every value that decodes must survive encode -> decode unchanged.
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "common/config/deploy.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace bus = baton::proto::bus;
namespace proto = baton::proto;
using baton::fuzz::check_round_trip;

namespace {

template <class T>
void decode_whole_frame(const std::uint8_t* data, std::size_t size) {
  auto decoded = proto::decode_frame<T>(data, size);
  if (decoded) check_round_trip(*decoded, proto::frame_limits());
}

// A deployed definition's durations become timers as node/apps/app_supervisor.cpp converts them
// (UBSan aborts on a double that does not fit) and as broker/plans/plan_runner.cpp does.
void convert_durations(const baton::config::AppDef& app) {
  auto node_timer = [](double seconds) {
    return std::chrono::round<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));
  };
  auto broker_timer = [](double seconds) {
    if (!(std::fabs(seconds * 1e9) < 9.2e18)) baton::fuzz::fail("duration", "overflows int64 ns");
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
  };
  (void)node_timer(app.restart_delay_s);
  (void)node_timer(app.min_killing_time_s);
  if (app.init_detectors.timeout_s) (void)node_timer(*app.init_detectors.timeout_s);
  if (app.soft_kill_timeout_s) (void)node_timer(*app.soft_kill_timeout_s);
  (void)broker_timer(app.separation_interval_s);
}

void check_set_vars(const bus::CommandHeader& header, const msgpack::object& args) {
  auto vars = proto::decode<bus::SetVarsArgs>(args);
  if (!vars) return;
  // The broker's pack_command -> the node's decode gives the same variables back.
  const std::string packed = bus::pack_command(header, *vars);
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, packed.data(), packed.size(), proto::bulk_frame_limits());
  if (!object) baton::fuzz::fail("packed set_vars does not unpack", object.error().message);
  const msgpack::object* again_args = proto::find_key(*object, "args");
  if (again_args == nullptr) baton::fuzz::fail("packed set_vars", "no args");
  auto again = proto::decode<bus::SetVarsArgs>(*again_args);
  if (!again) baton::fuzz::fail("packed set_vars does not decode", again.error().message);
  if (again->vars->assignments != vars->vars->assignments) {
    baton::fuzz::fail("set_vars round trip", "the variables changed");
  }
}

void command_path(const std::uint8_t* data, std::size_t size) {
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, data, size, proto::bulk_frame_limits());
  if (!object) return;
  auto header = proto::decode<bus::CommandHeader>(*object);
  if (header) check_round_trip(*header, proto::frame_limits());

  const msgpack::object& args = proto::args_of(*object);
  if (auto app = proto::decode<bus::AppCommandArgs>(args)) {
    check_round_trip(*app, proto::frame_limits());
  }
  if (auto deploy = proto::decode<baton::config::DeployArgs>(args)) {
    check_round_trip(*deploy, proto::bulk_frame_limits());
    for (const auto& app : deploy->apps) {
      (void)baton::config::fingerprint(app);
      convert_durations(app);
    }
  }
  check_set_vars(header ? *header : bus::CommandHeader{}, args);

  // The broker reading a node's get_state reply.
  if (const msgpack::object* result = proto::find_key(*object, "result")) {
    if (auto states = proto::decode<bus::StateResult>(*result)) {
      check_round_trip(*states, proto::bulk_frame_limits());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  decode_whole_frame<bus::AppState>(data, size);
  decode_whole_frame<bus::Event>(data, size);
  decode_whole_frame<bus::NodeState>(data, size);
  decode_whole_frame<bus::ReplyHeader>(data, size);
  decode_whole_frame<proto::control::PlanState>(data, size);
  command_path(data, size);
  return 0;
}
