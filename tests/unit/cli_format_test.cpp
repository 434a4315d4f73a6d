// The command line's output: table columns, the short duration form, the status and machine
// tables, bus message lines, msgpack -> JSON, and the endpoint a client can reach.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "cli/broker_client.hpp"
#include "cli/bus_message.hpp"
#include "cli/human_output.hpp"
#include "cli/json_output.hpp"
#include "cli/table.hpp"

namespace baton::cli {
namespace {

namespace bus = proto::bus;
namespace control = proto::control;

// A msgpack object built from `pack`, kept alive with its zone.
struct Packed {
  template <class PackFn>
  explicit Packed(PackFn pack) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    pack(pk);
    bytes.assign(buffer.data(), buffer.size());
    auto unpacked = proto::unpack_frame(zone, bytes.data(), bytes.size());
    EXPECT_TRUE(unpacked.ok());
    if (unpacked) object = *unpacked;
  }
  std::string bytes;
  msgpack::zone zone;
  msgpack::object object;
};

template <class T>
Packed packed_message(const T& message) {
  return Packed([&](auto& pk) { proto::pack_message(pk, message); });
}

bus::AppState running_app(const std::string& machine, const std::string& app) {
  bus::AppState state;
  state.machine = machine;
  state.app = app;
  state.flags = {"Started", "Running", "Initialized"};
  state.pid = 4321;
  state.plan = "main";
  state.started_at = 1000;
  state.seq = 7;
  return state;
}

TEST(CliTable, AlignsColumnsWithoutTrailingBlanks) {
  Table table({{"APP"}, {"PID", Align::kRight}, {"PLAN"}});
  table.add_row({"m1.web", "12", "main"});
  table.add_row({"m1.database", "34567", ""});
  EXPECT_EQ(table.render(),
            "APP            PID  PLAN\n"
            "m1.web          12  main\n"
            "m1.database  34567\n");
}

TEST(CliTable, PadsShortRowsAndRejectsLongOnes) {
  Table table({{"A"}, {"B"}});
  table.add_row({"x"});
  EXPECT_EQ(table.render(), "A  B\nx\n");
  EXPECT_THROW(table.add_row({"1", "2", "3"}), std::invalid_argument);
}

TEST(CliTable, CountsCodePointsNotBytes) {
  EXPECT_EQ(display_width("caf\xc3\xa9"), 4u);
  Table table({{"NAME"}, {"X"}});
  table.add_row({"caf\xc3\xa9", "1"});
  EXPECT_EQ(table.render(), "NAME  X\ncaf\xc3\xa9  1\n");
}

TEST(CliDuration, ShortHumanForms) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(3.9), "3s");
  EXPECT_EQ(format_duration(59.99), "59s");
  EXPECT_EQ(format_duration(60), "1m00s");
  EXPECT_EQ(format_duration(125), "2m05s");
  EXPECT_EQ(format_duration(3599), "59m59s");
  EXPECT_EQ(format_duration(3600 + 2 * 60 + 59), "1h02m");
  EXPECT_EQ(format_duration(86400 * 3 + 4 * 3600 + 5), "3d04h");
  EXPECT_EQ(format_duration(-12), "0s");  // another machine's clock ahead of ours
  EXPECT_EQ(format_duration(std::numeric_limits<double>::quiet_NaN()), "0s");
}

TEST(CliStatus, FlagsExitAndUptime) {
  control::AppStatus status{running_app("m1", "web"), true, {}, std::nullopt};
  EXPECT_EQ(format_flags(status), "Started,Running,Initialized");
  EXPECT_EQ(format_app_uptime(status.state, 1125), "2m05s");

  status.online = false;
  EXPECT_EQ(format_flags(status), "offline (was Started,Running,Initialized)");
  status.state.flags.clear();
  EXPECT_EQ(format_flags(status), "offline");
  status.online = true;
  EXPECT_EQ(format_flags(status), "-");

  EXPECT_EQ(format_exit_code(std::nullopt), "-");
  EXPECT_EQ(format_exit_code(0), "0");
  EXPECT_EQ(format_exit_code(3), "3");
  EXPECT_EQ(format_exit_code(-SIGKILL), "SIGKILL");

  bus::AppState exited = running_app("m1", "web");
  exited.flags = {"Started", "Killed", "Initialized"};
  exited.pid = 0;
  EXPECT_EQ(format_app_uptime(exited, 1125), "-");
}

TEST(CliStatus, TableOfApps) {
  control::AppStatus web{running_app("m1", "web"), true, {"main"}, std::nullopt};
  control::AppStatus never;
  never.state.machine = "m2";
  never.state.app = "db";
  never.online = false;
  bus::AppState killed = running_app("m1", "worker");
  killed.flags = {"Started", "Killed"};
  killed.pid = 0;
  killed.exit_code = -SIGKILL;
  killed.restarts = 2;
  web.usage = bus::AppUsage{"web", 37.25, 12.5, 50u << 20, 9, 24, 2};
  EXPECT_EQ(render_app_statuses({web, {killed, true, {}, std::nullopt}, never}, 1003),
            "APP        FLAGS                         PID  CPU%    MEM     EXIT  RESTARTS  PLAN  "
            "UPTIME\n"
            "m1.web     Started,Running,Initialized  4321  37.2  50.0M        -         0  main  "
            "3s\n"
            "m1.worker  Started,Killed                  -     -      -  SIGKILL         2  main  "
            "-\n"
            "m2.db      offline                         -     -      -        -         0  -     "
            "-\n");
}

TEST(CliStatus, BytesInShortForm) {
  EXPECT_EQ(format_bytes(0), "0B");
  EXPECT_EQ(format_bytes(1023), "1023B");
  EXPECT_EQ(format_bytes(12 * 1024), "12K");
  EXPECT_EQ(format_bytes(1023 * 1024), "1023K");
  EXPECT_EQ(format_bytes(50u << 20), "50.0M");
  EXPECT_EQ(format_bytes(512u << 20), "512M");
  EXPECT_EQ(format_bytes(1288490189), "1.2G");
  EXPECT_EQ(format_bytes(std::uint64_t{3} << 40), "3.0T");
  EXPECT_EQ(format_cpu(std::nullopt), "-");
  EXPECT_EQ(format_memory(std::nullopt), "-");
}

TEST(CliTop, BusiestFirstAndOnlyWhatRuns) {
  auto app = [](const std::string& machine, const std::string& name, double cpu,
                std::uint64_t rss) {
    control::AppStatus status{running_app(machine, name), true, {}, std::nullopt};
    status.usage = bus::AppUsage{name, cpu, 1, rss, 2, 7, 1};
    return status;
  };
  control::AppStatus stopped{running_app("m1", "off"), true, {}, std::nullopt};
  const std::vector<control::AppStatus> apps = {app("m1", "idle", 0, 40u << 20), stopped,
                                                app("m1", "busy", 97.5, 1u << 20),
                                                app("m2", "big", 3, 900u << 20)};
  EXPECT_EQ(render_top(apps, "", false, 0, 1003),
            "3 apps running: cpu 100.5%, memory 941M, by cpu\n"
            "APP      CPU%    MEM  THREADS  FILES  PROCS   PID  UPTIME\n"
            "m1.busy  97.5   1.0M        2      7      1  4321  3s\n"
            "m2.big    3.0   900M        2      7      1  4321  3s\n"
            "m1.idle   0.0  40.0M        2      7      1  4321  3s\n");
  EXPECT_EQ(render_top(apps, "m1", true, 1, 1003),
            "2 apps running on m1: cpu 97.5%, memory 41.0M, by memory\n"
            "APP      CPU%    MEM  THREADS  FILES  PROCS   PID  UPTIME\n"
            "m1.idle   0.0  40.0M        2      7      1  4321  3s\n");
}

TEST(CliPlans, PlanStatusAndList) {
  control::PlanState plan;
  plan.plan = "main";
  plan.status = "Failure";
  plan.reason = "m1.db failed to start";
  plan.apps = {{"m1.db", "failed"}, {"m1.web", "waiting"}};
  EXPECT_EQ(render_plan_state(plan),
            "plan main: Failure\n"
            "reason: m1.db failed to start\n"
            "APP     STATUS\n"
            "m1.db   failed\n"
            "m1.web  waiting\n");
  control::PlanState other;
  other.plan = "night";
  other.status = "None";
  EXPECT_EQ(render_plans({plan, other}), "PLAN   STATUS\nmain   Failure\nnight  None\n");
}

TEST(CliMachines, OnlineAndOfflineMachines) {
  control::MachineStatus m1;
  m1.node.machine = "m1";
  m1.node.online = true;
  m1.node.apps = 3;
  m1.node.registrations = 1;
  m1.node.uptime = 3725;
  m1.last_seen = 999.5;
  control::MachineStatus m2;
  m2.node.machine = "m2";
  m2.node.online = false;
  m1.usage = bus::MachineUsage{12.5, 4,     std::uint64_t{8} << 30, std::uint64_t{5} << 30, 0.5,
                               0.25, 0.125, {"10.0.0.7", "::1"}};
  EXPECT_EQ(render_machines({m1, m2}, 1001),
            "MACHINE  STATE    APPS  REGISTRATIONS  CPU%     MEMORY  LOAD            ADDRESS   "
            "UPTIME  LAST SEEN\n"
            "m1       online      3              1  12.5  3.0G/8.0G  0.50 0.25 0.12  10.0.0.7  "
            "1h02m   1s ago\n"
            "m2       offline     0              0     -          -  -               -         "
            "-       never\n");
}

TEST(CliReload, SectionsAndWarnings) {
  control::ReloadResult reload;
  EXPECT_EQ(render_reload(reload), "no app changed\n");
  reload.added = {"m1.a", "m1.b"};
  reload.removed = {"m2.c"};
  reload.warnings = {"x.xml:3: unknown attribute 'Foo'"};
  EXPECT_EQ(render_reload(reload),
            "added: m1.a, m1.b\n"
            "removed: m2.c\n"
            "warning: x.xml:3: unknown attribute 'Foo'\n");
}

TEST(CliBusMessages, DecodedByTopicKind) {
  auto line = [](const std::string& topic, const msgpack::object& payload) {
    auto message = decode_bus_message(topic, payload);
    EXPECT_TRUE(message.ok()) << (message ? "" : message.error().message);
    return message ? describe_bus_message(topic, *message) : std::string();
  };
  bus::AppState state = running_app("m1", "web");
  state.restarts = 1;
  EXPECT_EQ(line("status/m1/web", packed_message(state).object),
            "status m1.web Started,Running,Initialized pid 4321 restarts 1 plan main");

  bus::Event event{1, "m1", "web", bus::EventKind::crashed, 5.0, "signal SIGSEGV\nsecond line", 3};
  EXPECT_EQ(line("event/m1/web", packed_message(event).object),
            "event m1.web crashed: signal SIGSEGV second line");

  bus::NodeState node{1, "m1", true, 2, 0, 65, 9};
  EXPECT_EQ(line("node/m1", packed_message(node).object),
            "node m1 online apps 2 registrations 0 uptime 1m05s");

  bus::UsageReport usage;
  usage.machine = "m1";
  usage.host = {12.5, 4, std::uint64_t{8} << 30, std::uint64_t{6} << 30, 0.5, 0.25, 0.125, {}};
  usage.apps = {{"web", 37.5, 10, 50u << 20, 9, 24, 2}, {"db", 0, 1, 12u << 10, 1, 5, 1}};
  EXPECT_EQ(line("usage/m1", packed_message(usage).object),
            "usage m1 cpu 12.5% memory 2.0G/8.0G load 0.50 apps 2 web:37.5%/50.0M db:0.0%/12K");

  control::PlanState plan{
      1, "main", "InProgress", {{"m1.db", "initialized"}, {"m1.web", "launched"}}, std::nullopt, 4};
  EXPECT_EQ(line("plan/main", packed_message(plan).object),
            "plan main InProgress m1.db:initialized m1.web:launched");

  Packed other([](auto& pk) {
    pk.pack_map(2);
    pk.pack(std::string("id"));
    pk.pack(std::string("c1"));
    pk.pack(std::string("op"));
    pk.pack(std::string("launch"));
  });
  EXPECT_EQ(line("cmd/m1/", other.object), R"(cmd/m1/ {"id":"c1","op":"launch"})");
}

TEST(CliBusMessages, MalformedPayloadOfAKnownKindIsAnError) {
  bus::NodeState node{1, "m1", true, 2, 0, 65, 9};
  Packed payload = packed_message(node);
  EXPECT_FALSE(decode_bus_message("status/m1/web", payload.object).ok());  // not an AppState
  EXPECT_FALSE(bus_message_json("status/m1/web", payload.object).ok());
  EXPECT_TRUE(bus_message_json("node/m1", payload.object).ok());
}

TEST(CliJson, MsgpackValuesBecomeJson) {
  Packed packed([](auto& pk) {
    pk.pack_map(8);
    pk.pack(std::string("s")).pack(std::string("text"));
    pk.pack(std::string("neg")).pack(-5);
    pk.pack(std::string("big")).pack(std::uint64_t{1} << 63);
    pk.pack(std::string("f")).pack(1.5);
    pk.pack(std::string("nil")).pack_nil();
    pk.pack(std::string("list")).pack(std::vector<int>{1, 2});
    pk.pack(std::string("yes")).pack(true);
    pk.pack(7).pack(std::string("int key"));
  });
  Json json = to_json(packed.object);
  EXPECT_EQ(json["s"], "text");
  EXPECT_EQ(json["neg"], -5);
  EXPECT_EQ(json["big"].get<std::uint64_t>(), std::uint64_t{1} << 63);
  EXPECT_DOUBLE_EQ(json["f"].get<double>(), 1.5);
  EXPECT_TRUE(json["nil"].is_null());
  EXPECT_EQ(json["list"], Json::array({1, 2}));
  EXPECT_EQ(json["yes"], true);
  EXPECT_EQ(json["7"], "int key");
  // The wire's order of fields is kept.
  EXPECT_EQ(dump_json(json).substr(0, 20), R"({"s":"text","neg":-5)");
}

TEST(CliJson, BinaryAndBadUtf8DoNotBreakTheOutput) {
  Packed packed([](auto& pk) {
    pk.pack_map(2);
    pk.pack(std::string("bin"));
    pk.pack_bin(2);
    pk.pack_bin_body("\x01\x02", 2);
    pk.pack(std::string("bad"));
    pk.pack(
        std::string("a\xff"
                    "b"));
  });
  const std::string text = dump_json(to_json(packed.object));
  EXPECT_NE(text.find(R"("bytes":[1,2])"), std::string::npos) << text;
  EXPECT_NE(text.find("a\xef\xbf\xbd"
                      "b"),
            std::string::npos)
      << text;
}

TEST(CliJson, BusMessageGetsItsTopic) {
  auto json = bus_message_json("status/m1/web", packed_message(running_app("m1", "web")).object);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["topic"], "status/m1/web");
  EXPECT_EQ((*json)["machine"], "m1");
  EXPECT_EQ((*json)["pid"], 4321);
  EXPECT_EQ((*json)["flags"], Json::array({"Started", "Running", "Initialized"}));
  // One line, and parsable by anyone.
  const std::string line = dump_json(*json);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(line)["app"], "web");

  Packed not_a_map([](auto& pk) { pk.pack(42); });
  auto other = bus_message_json("custom/x", not_a_map.object);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(dump_json(*other), R"({"payload":42,"topic":"custom/x"})");
}

TEST(CliEndpoints, WildcardBusEndpointUsesTheControlHost) {
  EXPECT_EQ(reachable_endpoint("tcp://10.0.0.5:7102", "tcp://10.0.0.5:7100"),
            "tcp://10.0.0.5:7102");
  EXPECT_EQ(reachable_endpoint("tcp://*:7102", "tcp://broker.lan:7100"), "tcp://broker.lan:7102");
  EXPECT_EQ(reachable_endpoint("tcp://0.0.0.0:7102", "tcp://[::1]:7100"), "tcp://[::1]:7102");
  EXPECT_EQ(reachable_endpoint("tcp://*:7102", "ipc:///run/baton/control"), "tcp://127.0.0.1:7102");
  EXPECT_EQ(reachable_endpoint("tcp://[::]:7102", "tcp://10.0.0.5:7100"), "tcp://10.0.0.5:7102");
  EXPECT_EQ(reachable_endpoint("ipc:///run/baton/bus", "tcp://h:7100"), "ipc:///run/baton/bus");
}

}  // namespace
}  // namespace baton::cli
