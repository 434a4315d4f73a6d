// libFuzzer target: the SharedConfig.xml parser (common/config/shared_config.hpp), through
// parse_shared_config(), the same function load_shared_config() hands the file's text to. A
// loaded config's app definitions are what the broker deploys over the bus: each must survive
// encode -> decode unchanged. An error must name the file and a line ("file:N: ...").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/config/shared_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace config = baton::config;
namespace proto = baton::proto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string kPath = "/fuzz/SharedConfig.xml";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = config::parse_shared_config(text, kPath);
  if (!loaded) {
    const baton::Error& error = loaded.error();
    const std::string_view message = error.message;
    if (!message.starts_with(kPath + ":") || message.size() <= kPath.size() + 1 ||
        message[kPath.size() + 1] < '1' || message[kPath.size() + 1] > '9' || error.code.empty()) {
      baton::fuzz::fail("error without file:line or code", error.message);
    }
    return 0;
  }
  for (const auto& plan : loaded->plans) {
    // The broker turns StartTimeout into a timer: finite, positive, convertible to nanoseconds.
    if (plan.start_timeout_s &&
        !(*plan.start_timeout_s > 0 && *plan.start_timeout_s <= config::kMaxSeconds)) {
      baton::fuzz::fail("StartTimeout out of range", std::to_string(*plan.start_timeout_s));
    }
    // decode<AppDef> applies check_decoded(): what the reader produces, a node accepts.
    for (const auto& app : plan.apps)
      baton::fuzz::check_round_trip(app, proto::bulk_frame_limits());
  }
  for (const auto& app : loaded->apps)
    baton::fuzz::check_round_trip(app, proto::bulk_frame_limits());
  for (const auto& warning : loaded->warnings)
    (void)warning.text();
  (void)loaded->app_ids();
  return 0;
}
