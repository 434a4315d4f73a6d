// schemas/ is the single source of truth: every example there decodes with our codec, and what our
// encoder writes back has exactly the schema's fields, types and values.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "common/config/app_def.hpp"
#include "common/config/deploy.hpp"
#include "common/proto/appmonitor.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"
#include "common/proto/plan_status.hpp"
#include "common/proto/vocabulary.hpp"

namespace baton::proto {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSchemas = fs::path(BATON_SOURCE_DIR) / "schemas";

json load(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// Checks one value against a (small) JSON Schema property: const, enum, type, bounds.
void check_property(const std::string& where, const json& schema, const json& value) {
  if (schema.contains("const")) {
    EXPECT_EQ(value, schema["const"]) << where;
  }
  if (schema.contains("enum")) {
    EXPECT_NE(std::find(schema["enum"].begin(), schema["enum"].end(), value), schema["enum"].end())
        << where << " = " << value;
  }
  if (schema.contains("type")) {
    const std::string type = schema["type"];
    const bool matches =
        (type == "integer" && value.is_number_integer()) ||
        (type == "number" && value.is_number()) || (type == "string" && value.is_string()) ||
        (type == "boolean" && value.is_boolean()) || (type == "array" && value.is_array()) ||
        (type == "object" && value.is_object());
    EXPECT_TRUE(matches) << where << " is not of type " << type;
  }
  if (schema.contains("items") && value.is_array()) {
    for (const auto& item : value)
      check_property(where + "[]", schema["items"], item);
  }
  if (schema.contains("maxLength") && value.is_string()) {
    EXPECT_LE(value.get<std::string>().size(), schema["maxLength"].get<std::size_t>()) << where;
  }
}

void check_against_schema(const std::string& name, const json& schema, const json& message) {
  ASSERT_TRUE(message.is_object()) << name;
  for (const auto& key : schema["required"]) {
    EXPECT_TRUE(message.contains(key.get<std::string>())) << name << " lacks " << key;
  }
  for (const auto& [key, value] : message.items()) {
    ASSERT_TRUE(schema["properties"].contains(key)) << name << " has undeclared field " << key;
    check_property(name + "." + key, schema["properties"][key], value);
  }
}

template <class T>
void check_message(const std::string& file) {
  json schema = load(kSchemas / file);
  ASSERT_TRUE(schema.contains("examples")) << file;
  for (const json& example : schema["examples"]) {
    check_against_schema(file + " example", schema, example);
    std::vector<std::uint8_t> bytes = json::to_msgpack(example);
    auto decoded = decode_frame<T>(bytes.data(), bytes.size());
    ASSERT_TRUE(decoded.ok()) << file << ": " << decoded.error().message;
    std::string encoded = pack_to_string(*decoded);
    json back = json::from_msgpack(encoded);
    EXPECT_EQ(back, example) << file;
    check_against_schema(file + " as encoded", schema, back);
  }
}

// Commands carry an op-specific "args" map: decode the envelope and the args, encode both again.
void check_command(const std::string& file) {
  json schema = load(kSchemas / file);
  for (const json& example : schema["examples"]) {
    check_against_schema(file + " example", schema, example);
    std::vector<std::uint8_t> bytes = json::to_msgpack(example);
    msgpack::zone zone;
    auto object = unpack_frame(zone, bytes.data(), bytes.size());
    ASSERT_TRUE(object.ok());
    auto header = decode<bus::CommandHeader>(*object);
    ASSERT_TRUE(header.ok()) << header.error().message;
    const msgpack::object* args = find_key(*object, "args");
    ASSERT_NE(args, nullptr);
    const auto op = parse_name<bus::CommandOp>(header->op);
    ASSERT_TRUE(op) << header->op;
    auto again = [&](const auto& decoded) {
      ASSERT_TRUE(decoded.ok()) << header->op << ": " << decoded.error().message;
      EXPECT_EQ(json::from_msgpack(bus::pack_command(*header, *decoded)), example) << file;
    };
    switch (*op) {
      case bus::CommandOp::deploy:
        again(decode<config::DeployArgs>(*args));
        break;
      case bus::CommandOp::launch:
      case bus::CommandOp::kill:
      case bus::CommandOp::restart:
        again(decode<bus::AppCommandArgs>(*args));
        break;
      case bus::CommandOp::set_vars:
        again(decode<bus::SetVarsArgs>(*args));
        break;
      case bus::CommandOp::kill_all:
      case bus::CommandOp::get_state:
        again(decode<control::Empty>(*args));
        break;
      case bus::CommandOp::tail:
        again(decode<bus::TailArgs>(*args));
        break;
    }
  }
}

// Control requests: the envelope, and the args of each op through their own declaration.
void check_request(const std::string& file) {
  namespace c = control;
  json schema = load(kSchemas / file);
  for (const json& example : schema["examples"]) {
    check_against_schema(file + " example", schema, example);
    std::vector<std::uint8_t> bytes = json::to_msgpack(example);
    msgpack::zone zone;
    auto object = unpack_frame(zone, bytes.data(), bytes.size());
    ASSERT_TRUE(object.ok());
    auto header = decode<c::RequestHeader>(*object);
    ASSERT_TRUE(header.ok()) << header.error().message;
    const msgpack::object* args = find_key(*object, "args");
    ASSERT_NE(args, nullptr);
    const auto op = parse_name<c::ControlOp>(header->op);
    ASSERT_TRUE(op) << header->op;
    auto again = [&](const auto& decoded) {
      ASSERT_TRUE(decoded.ok()) << header->op << ": " << decoded.error().message;
      EXPECT_EQ(json::from_msgpack(c::pack_request(*header, *decoded)), example) << header->op;
    };
    using Op = c::ControlOp;
    switch (*op) {
      case Op::hello:
        again(decode<c::HelloArgs>(*args));
        break;
      case Op::launch:
      case Op::kill:
      case Op::restart:
      case Op::get_app_state:
        again(decode<c::AppArgs>(*args));
        break;
      case Op::plan_start:
      case Op::plan_stop:
      case Op::plan_kill:
      case Op::plan_restart:
      case Op::plan_status:
        again(decode<c::PlanArgs>(*args));
        break;
      case Op::kill_all:
        again(decode<c::MachineArgs>(*args));
        break;
      case Op::set_vars:
        again(decode<c::SetVarsRequest>(*args));
        break;
      case Op::logs:
        again(decode<c::LogsArgs>(*args));
        break;
      case Op::get_all_apps_state:
      case Op::plans:
      case Op::machines:
      case Op::reload:
        again(decode<c::Empty>(*args));
        break;
    }
  }
}

void check_control_reply(const std::string& file) {
  json schema = load(kSchemas / file);
  for (const json& example : schema["examples"]) {
    check_against_schema(file + " example", schema, example);
    std::vector<std::uint8_t> bytes = json::to_msgpack(example);
    auto header = decode_frame<control::ReplyHeader>(bytes.data(), bytes.size());
    ASSERT_TRUE(header.ok()) << header.error().message;
    EXPECT_EQ(json::from_msgpack(control::pack_reply(*header, control::Empty{})), example);
  }
}

const std::map<std::string, std::function<void(const std::string&)>>& checks() {
  namespace am = appmonitor;
  static const std::map<std::string, std::function<void(const std::string&)>> table = {
      {"appmonitor/register.json", check_message<am::RegisterRequest>},
      {"appmonitor/register_reply.json", check_message<am::RegisterReply>},
      {"appmonitor/refresh.json", check_message<am::RefreshRequest>},
      {"appmonitor/refresh_reply.json", check_message<am::RefreshReply>},
      {"appmonitor/refresh_many.json", check_message<am::RefreshManyRequest>},
      {"appmonitor/refresh_many_error.json", check_message<am::RefreshManyError>},
      {"appmonitor/unregister.json", check_message<am::UnregisterRequest>},
      {"appmonitor/ok_reply.json", check_message<am::OkReply>},
      {"appmonitor/error_reply.json", check_message<am::ErrorReply>},
      {"bus/app_state.json", check_message<bus::AppState>},
      {"bus/event.json", check_message<bus::Event>},
      {"bus/node_state.json", check_message<bus::NodeState>},
      {"bus/usage_report.json", check_message<bus::UsageReport>},
      {"bus/log_lines.json", check_message<bus::LogLines>},
      {"bus/command.json", check_command},
      {"bus/reply.json", check_message<bus::ReplyHeader>},
      {"bus/app_def.json", check_message<baton::config::AppDef>},
      {"bus/plan_state.json", check_message<control::PlanState>},
      {"control/request.json", check_request},
      {"control/reply.json", check_control_reply},
      {"control/hello_result.json", check_message<control::HelloResult>},
      {"control/app_status.json", check_message<control::AppStatus>},
      {"control/machine_status.json", check_message<control::MachineStatus>},
      {"control/reload_result.json", check_message<control::ReloadResult>},
      {"bus/tail_result.json", check_message<bus::TailResult>},
  };
  return table;
}

TEST(Schemas, EveryExampleRoundTripsThroughTheCodec) {
  for (const auto& [file, check] : checks()) {
    SCOPED_TRACE(file);
    check(file);
  }
}

TEST(Schemas, EveryMessageSchemaIsChecked) {
  std::set<std::string> on_disk;
  for (const auto& entry : fs::recursive_directory_iterator(kSchemas)) {
    if (entry.path().extension() == ".json") {
      on_disk.insert(fs::relative(entry.path(), kSchemas).string());
    }
  }
  std::set<std::string> checked;
  for (const auto& [file, check] : checks())
    checked.insert(file);
  EXPECT_EQ(on_disk, checked) << "a schema without a codec check, or a check without a schema";
}

TEST(Schemas, RequestExamplesAreValidRequests) {
  for (const char* file : {"appmonitor/register.json", "appmonitor/refresh.json",
                           "appmonitor/refresh_many.json", "appmonitor/unregister.json"}) {
    json example = load(kSchemas / file)["examples"][0];
    std::vector<std::uint8_t> bytes = json::to_msgpack(example);
    auto request = appmonitor::decode_request(bytes.data(), bytes.size());
    EXPECT_TRUE(request.ok()) << file << ": " << request.error().message;
  }
}

TEST(Schemas, ErrorCodesMatchTheCode) {
  json codes = load(kSchemas / "appmonitor/error_reply.json")["properties"]["code"]["enum"];
  namespace c = appmonitor::code;
  std::set<std::string> in_code = {std::string(c::kMalformed),  std::string(c::kUnknownOp),
                                   std::string(c::kBadRequest), std::string(c::kUnsupportedVersion),
                                   std::string(c::kRefused),    std::string(c::kUnknownId),
                                   std::string(c::kLimit)};
  EXPECT_EQ(codes.get<std::set<std::string>>(), in_code);
}

// The names the code writes are the names the schema allows, all of them and in its order.
template <class Enum, std::size_t N>
std::vector<std::string> names_of(const NameTable<Enum, N>& table) {
  std::vector<std::string> names;
  for (const auto& [value, name] : table) {
    EXPECT_EQ(parse_name<Enum>(name), value) << name;
    EXPECT_EQ(to_name(value), name);
    names.emplace_back(name);
  }
  EXPECT_EQ(names, all_names<Enum>());
  return names;
}

TEST(Schemas, PlanStatusNamesMatchTheCode) {
  const json schema = load(kSchemas / "bus/plan_state.json")["properties"];
  EXPECT_EQ(schema["status"]["enum"].get<std::vector<std::string>>(),
            names_of(control::kPlanStatusNames));
  EXPECT_EQ(schema["apps"]["items"]["properties"]["status"]["enum"].get<std::vector<std::string>>(),
            names_of(control::kPlanAppStatusNames));
  EXPECT_EQ(control::parse_plan_status("none"), std::nullopt) << "names are case-sensitive";
  EXPECT_EQ(control::to_name(control::PlanStatus::InProgress), "InProgress");
}

TEST(Schemas, AppFlagNamesMatchTheCode) {
  const json flags = load(kSchemas / "bus/app_state.json")["properties"]["flags"]["items"]["enum"];
  EXPECT_EQ(flags.get<std::vector<std::string>>(), names_of(bus::kAppFlagNames));
}

TEST(Schemas, EventKindNamesMatchTheCode) {
  const json kinds = load(kSchemas / "bus/event.json")["properties"]["kind"]["enum"];
  EXPECT_EQ(kinds.get<std::vector<std::string>>(), names_of(bus::kEventKindNames));
}

TEST(Schemas, CommandOpNamesMatchTheCode) {
  const json ops = load(kSchemas / "bus/command.json")["properties"]["op"]["enum"];
  EXPECT_EQ(ops.get<std::vector<std::string>>(), names_of(bus::kCommandOpNames));
}

TEST(Schemas, ControlOpNamesMatchTheCode) {
  const json ops = load(kSchemas / "control/request.json")["properties"]["op"]["enum"];
  EXPECT_EQ(ops.get<std::vector<std::string>>(), names_of(control::kControlOpNames));
}

// What the dispatch tables rely on: an op outside the table is no op, whatever it resembles.
TEST(Schemas, OnlyTheTablesNamesAreOps) {
  EXPECT_EQ(parse_name<control::ControlOp>("Launch"), std::nullopt) << "names are case-sensitive";
  EXPECT_EQ(parse_name<control::ControlOp>("plan_"), std::nullopt);
  EXPECT_EQ(parse_name<control::ControlOp>("get_state"), std::nullopt) << "a node's op";
  EXPECT_EQ(parse_name<bus::CommandOp>("plans"), std::nullopt) << "a client's op";
  EXPECT_EQ(parse_name<bus::CommandOp>(""), std::nullopt);
  EXPECT_EQ(parse_name<bus::EventKind>("watchdog"), std::nullopt);
  EXPECT_EQ(kEnumCount<control::ControlOp>, 17u);
  EXPECT_EQ(kEnumCount<bus::CommandOp>, 8u);
}

}  // namespace
}  // namespace baton::proto
