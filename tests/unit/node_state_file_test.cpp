#include "node/state/node_state_file.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "harness/files.hpp"
#include "harness/temp_dir.hpp"

namespace baton::node {
namespace {

RegistrationRecord registration(std::uint64_t token) {
  RegistrationRecord r;
  r.token = token;
  r.pid = 1000 + static_cast<pid_t>(token);
  r.start_time = 12345;
  r.timeout = std::chrono::milliseconds(250);
  r.action = proto::appmonitor::Action::restart;
  r.restart_command = "/bin/app --again " + std::to_string(token);
  r.app = "m1.app" + std::to_string(token);
  r.cwd = "/srv";
  return r;
}

SavedNode node_with_an_app() {
  SavedNode state;
  state.machine = "m1";
  state.seq = 42;
  state.vars.push_back(SavedVar{"ROOT", "/srv"});
  SavedApp app;
  app.app = "m1.web";
  app.state = LifecycleState::running;
  app.pid = 77;
  state.apps.push_back(app);
  return state;
}

// The registrations packed one by one and appended make the same file as packing the whole state,
// for each size of msgpack array header (fixarray up to 15, array 16 up to 65,535, array 32).
TEST(NodeStateFile, PreparedRegistrationsPackLikeTheWholeState) {
  for (std::size_t count : {0u, 1u, 15u, 16u, 65'536u}) {
    SavedNode head = node_with_an_app();
    SavedNode whole = head;
    std::vector<std::string> packed;
    for (std::size_t i = 0; i < count; ++i) {
      whole.registrations.push_back(registration(i + 1));
      packed.push_back(pack_saved_registration(whole.registrations.back()));
    }
    const std::vector<std::string_view> views(packed.begin(), packed.end());
    EXPECT_EQ(pack_node_state(head, views), proto::pack_to_string(whole)) << count;
  }
}

// The saver packs every save into the buffer of the one before: what it held must not show.
TEST(NodeStateFile, PackingIntoAUsedBufferReplacesItsContents) {
  SavedNode head = node_with_an_app();
  std::vector<std::string> packed;
  for (std::size_t i = 0; i < 40; ++i)
    packed.push_back(pack_saved_registration(registration(i + 1)));
  const std::vector<std::string_view> many(packed.begin(), packed.end());
  const std::vector<std::string_view> few(packed.begin(), packed.begin() + 2);
  std::string buffer;
  pack_node_state(head, many, buffer);
  EXPECT_EQ(buffer, pack_node_state(head, many));
  pack_node_state(head, few, buffer);
  EXPECT_EQ(buffer, pack_node_state(head, few));
}

// An app is saved as its lifecycle's record plus its launch, in one flat map, its state by name.
TEST(NodeStateFile, AnAppIsItsRecordWithTheStateByName) {
  SavedApp app;
  app.app = "web";
  app.state = LifecycleState::restart_wait;
  app.exit_code = -9;
  app.launch_id = "m1.web.42.3";
  const std::string packed = proto::pack_to_string(app);
  msgpack::object_handle handle = msgpack::unpack(packed.data(), packed.size());
  const auto fields = handle.get().as<std::map<std::string, msgpack::object>>();
  EXPECT_EQ(fields.at("state").as<std::string>(), "restart_wait");
  EXPECT_EQ(fields.at("exit_code").as<int>(), -9);
  EXPECT_EQ(fields.size(), std::tuple_size_v<decltype(SavedApp::kFields)>);
  auto back = proto::decode_frame<SavedApp>(packed.data(), packed.size());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->state, LifecycleState::restart_wait);
  EXPECT_EQ(back->launch_id, "m1.web.42.3");

  std::string unknown = packed;
  unknown.replace(unknown.find("restart_wait"), 12, "restart_soon");
  auto refused = proto::decode_frame<SavedApp>(unknown.data(), unknown.size());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "field 'state': unknown value 'restart_soon'");
}

// A registration is saved as its record: the timeout in milliseconds, the action by name.
TEST(NodeStateFile, ARegistrationIsSavedAsItsRecord) {
  const std::string packed = pack_saved_registration(registration(7));
  msgpack::object_handle handle = msgpack::unpack(packed.data(), packed.size());
  const auto fields = handle.get().as<std::map<std::string, msgpack::object>>();
  EXPECT_EQ(fields.at("timeout_ms").as<std::int64_t>(), 250);
  EXPECT_EQ(fields.at("action").as<std::string>(), "restart");
  auto back = proto::decode_frame<RegistrationRecord>(packed.data(), packed.size());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(back->action, proto::appmonitor::Action::restart);
  EXPECT_EQ(back->pid, 1007);
}

TEST(NodeStateFile, WrittenStateLoadsBack) {
  harness::TempDir dir;
  SavedNode head = node_with_an_app();
  const std::string one = pack_saved_registration(registration(9));
  ASSERT_TRUE(write_node_state(dir / "m1.state", pack_node_state(head, {one})));
  auto loaded = load_node_state(dir / "m1.state", "m1");
  ASSERT_TRUE(loaded && *loaded);
  ASSERT_EQ((**loaded).registrations.size(), 1u);
  EXPECT_EQ((**loaded).registrations[0].restart_command, "/bin/app --again 9");
  EXPECT_EQ((**loaded).apps.at(0).pid, 77);
  EXPECT_FALSE(harness::file_exists(dir / "m1.state.tmp"));
}

}  // namespace
}  // namespace baton::node
