// Bus messages: topics, round trips, and bad command arguments.
#include <gtest/gtest.h>

#include <cmath>

#include "common/config/deploy.hpp"
#include "common/proto/bus.hpp"

namespace baton::proto::bus {
namespace {

TEST(BusMessages, TopicsFollowTheDesign) {
  EXPECT_EQ(status_topic("m1", "web"), "status/m1/web");
  EXPECT_EQ(event_topic("m1", "web"), "event/m1/web");
  EXPECT_EQ(node_topic("m1"), "node/m1");
  EXPECT_EQ(plan_topic("main"), "plan/main");
  EXPECT_EQ(command_topic("m10"), "cmd/m10/");
  EXPECT_FALSE(command_topic("m10").starts_with(command_topic("m1")));
  EXPECT_EQ(reply_topic("cli-1"), "reply/cli-1");
}

TEST(BusMessages, AppStateRoundTripKeepsOptionalFields) {
  AppState in;
  in.machine = "m1";
  in.app = "web";
  in.flags = {"Started", "Running"};
  in.pid = 77;
  in.exit_code = -9;
  in.error = "boom";
  in.seq = 5;
  std::string frame = pack_to_string(in);
  auto out = decode_frame<AppState>(frame.data(), frame.size());
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->flags, in.flags);
  EXPECT_EQ(out->exit_code, -9);
  EXPECT_EQ(out->error, "boom");
  in.exit_code.reset();
  frame = pack_to_string(in);
  out = decode_frame<AppState>(frame.data(), frame.size());
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->exit_code.has_value());
}

TEST(BusMessages, CommandCarriesItsArgs) {
  CommandHeader header{kVersion, "c1", "launch", "cli"};
  std::string frame = pack_command(header, AppCommandArgs{"web", "main", std::nullopt});
  msgpack::zone zone;
  auto object = unpack_frame(zone, frame.data(), frame.size());
  ASSERT_TRUE(object.ok());
  auto decoded = decode<CommandHeader>(*object);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->op, "launch");
  auto args = decode<AppCommandArgs>(*find_key(*object, "args"));
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->app, "web");
  EXPECT_EQ(args->plan, "main");
  EXPECT_FALSE(args->by_plan.has_value());
}

// The args of a set_vars command as the node decodes them.
Expected<SetVarsArgs> decode_set_vars_args(const std::string& frame) {
  msgpack::zone zone;
  auto object = unpack_frame(zone, frame.data(), frame.size());
  if (!object) return object.error();
  return decode<SetVarsArgs>(args_of(*object));
}

// Args written by hand, as any sender could: {"vars": <vars>}.
template <class PackVars>
std::string set_vars_frame(PackVars&& pack_vars) {
  return pack_with(CommandHeader{kVersion, "c1", "set_vars", "cli"}, "args", [&](auto& pk) {
    pk.pack_map(1);
    pk.pack(std::string_view("vars"));
    pack_vars(pk);
  });
}

TEST(BusMessages, SetVarsRejectsBadNamesAndTypes) {
  CommandHeader header{kVersion, "c1", "set_vars", "cli"};
  auto ok =
      decode_set_vars_args(pack_command(header, SetVarsArgs{Variables{{{"A", "1"}, {"B", ""}}}}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->vars->assignments.size(), 2u);
  auto bad = decode_set_vars_args(pack_command(header, SetVarsArgs{Variables{{{"A=B", "1"}}}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "set_vars: 'A=B' is not a valid variable name");
  auto wrong = decode_set_vars_args(pack_command(header, AppCommandArgs{"x", {}, {}}));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "set_vars needs a map 'vars' of names to values");
}

TEST(BusMessages, SetVarsSaysWhatIsWrongWithVars) {
  auto not_a_map = decode_set_vars_args(set_vars_frame([](auto& pk) { pk.pack("A=1"); }));
  ASSERT_FALSE(not_a_map.ok());
  EXPECT_EQ(not_a_map.error().message, "set_vars needs a map 'vars' of names to values");
  auto nil = decode_set_vars_args(set_vars_frame([](auto& pk) { pk.pack_nil(); }));
  ASSERT_FALSE(nil.ok());
  EXPECT_EQ(nil.error().message, "set_vars needs a map 'vars' of names to values");
  auto number = decode_set_vars_args(set_vars_frame([](auto& pk) {
    pk.pack_map(1);
    pk.pack(std::string_view("A")).pack(1);
  }));
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.error().message, "set_vars: every name and value must be a string");
  // A bad name before the first value that is no string is the one reported, as it is read first.
  auto both = decode_set_vars_args(set_vars_frame([](auto& pk) {
    pk.pack_map(2);
    pk.pack(std::string_view("")).pack(std::string_view("x"));
    pk.pack(std::string_view("B")).pack(true);
  }));
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().message, "set_vars: '' is not a valid variable name");
}

// The sender's order and a name given twice arrive as they were sent: applied in order, the last
// value wins, as before the codec carried set_vars.
TEST(BusMessages, SetVarsKeepsTheSendersOrderAndBytes) {
  const std::string frame = set_vars_frame([](auto& pk) {
    pk.pack_map(3);
    pk.pack(std::string_view("Z")).pack(std::string_view("1"));
    pk.pack(std::string_view("A")).pack(std::string_view(""));
    pk.pack(std::string_view("Z")).pack(std::string_view("2"));
  });
  auto decoded = decode_set_vars_args(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Z", "1"}, {"A", ""}, {"Z", "2"}};
  EXPECT_EQ(decoded->vars->assignments, expected);
  EXPECT_EQ(pack_command(CommandHeader{kVersion, "c1", "set_vars", "cli"}, *decoded), frame);
}

TEST(BusMessages, GetStateResultCarriesEveryAppState) {
  AppState web;
  web.machine = "m1";
  web.app = "web";
  web.flags = {std::string(to_name(AppFlag::Started)), std::string(to_name(AppFlag::Running))};
  AppState db = web;
  db.app = "db";
  const std::string packed = pack_to_string(StateResult{{web, db}});
  auto decoded = decode_frame<StateResult>(packed.data(), packed.size());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->apps.size(), 2u);
  EXPECT_EQ(decoded->apps[1].app, "db");
  EXPECT_TRUE(has_flag(decoded->apps[0].flags, AppFlag::Running));
  EXPECT_FALSE(has_flag(decoded->apps[0].flags, AppFlag::Dying));
}

TEST(BusMessages, AnEventCarriesItsKindByName) {
  Event event;
  event.machine = "m1";
  event.app = "web";
  event.kind = EventKind::watchdog_timeout;
  const std::string packed = pack_to_string(event);
  msgpack::zone zone;
  auto object = unpack_frame(zone, packed.data(), packed.size());
  ASSERT_TRUE(object.ok());
  const msgpack::object* kind = find_key(*object, "kind");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->as<std::string>(), "watchdog_timeout");
  auto decoded = decode<Event>(*object);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->kind, EventKind::watchdog_timeout);
}

// A deploy from the bus is checked as strictly as the SharedConfig reader: a node never converts a
// NaN or astronomically long duration into a timer (undefined behaviour), nor runs an invalid id.
TEST(BusMessages, DeployRefusesDefinitionsTheReaderWouldNotProduce) {
  auto decode_app = [](const config::AppDef& app) {
    const std::string frame = pack_to_string(app);
    return decode_frame<config::AppDef>(frame.data(), frame.size());
  };
  config::AppDef app;
  app.machine = "m1";
  app.app = "web";
  app.exe_full_path = "/bin/true";
  ASSERT_TRUE(decode_app(app).ok());

  auto nan = app;
  nan.restart_delay_s = std::nan("");
  ASSERT_FALSE(decode_app(nan).ok());
  EXPECT_EQ(decode_app(nan).error().message,
            "field 'restart_delay_s' is not a number of seconds from 0 to 1e9");
  auto huge = app;
  huge.soft_kill_timeout_s = 1e300;
  EXPECT_FALSE(decode_app(huge).ok());
  auto bad_id = app;
  bad_id.app = "";
  EXPECT_FALSE(decode_app(bad_id).ok());

  // Inside a deploy, the reason reaches the node's error reply, under the field that holds it.
  const std::string frame = pack_to_string(config::DeployArgs{{app, nan}});
  auto deploy = decode_frame<config::DeployArgs>(frame.data(), frame.size());
  ASSERT_FALSE(deploy.ok());
  EXPECT_EQ(deploy.error().message,
            "field 'apps': field 'restart_delay_s' is not a number of seconds from 0 to 1e9");
}

}  // namespace
}  // namespace baton::proto::bus
