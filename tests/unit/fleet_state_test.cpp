// The broker's last-value cache (broker/fleet/fleet_state.hpp): what get_all_apps_state lists.
#include "broker/fleet/fleet_state.hpp"

#include <gtest/gtest.h>

namespace baton::broker {
namespace {

using namespace std::chrono_literals;

proto::bus::AppState reported(const std::string& machine, const std::string& app,
                              std::uint64_t seq) {
  proto::bus::AppState state;
  state.machine = machine;
  state.app = app;
  state.flags = {"Started", "Running"};
  state.seq = seq;
  return state;
}

TEST(FleetState, AllAppsListsTheConfigsAndTheReportedAppsOnceInOrder) {
  FleetState fleet(2500ms);
  fleet.set_config_apps({{{"m1", "a"}, {"p"}}, {{"m1", "c"}, {}}, {{"m2", "x"}, {"p", "q"}}});
  ASSERT_TRUE(fleet.update_app(reported("m1", "c", 7)));
  ASSERT_TRUE(fleet.update_app(reported("m1", "b", 8)));  // not in the config
  ASSERT_TRUE(fleet.update_app(reported("m3", "z", 9)));  // neither its machine
  fleet.heard_from("m1", SteadyClock::now());

  const auto all = fleet.all_apps();
  ASSERT_EQ(all.size(), 5u);
  std::vector<std::string> ids;
  for (const auto& status : all)
    ids.push_back(status.state.machine + "." + status.state.app);
  EXPECT_EQ(ids, (std::vector<std::string>{"m1.a", "m1.b", "m1.c", "m2.x", "m3.z"}));
  for (const auto& status : all) {
    const config::AppId id{status.state.machine, status.state.app};
    const auto one = fleet.app_status(id);  // what get_app_state answers for the same app
    EXPECT_EQ(status.state.seq, one.state.seq) << id.to_string();
    EXPECT_EQ(status.state.flags, one.state.flags) << id.to_string();
    EXPECT_EQ(status.online, one.online) << id.to_string();
    EXPECT_EQ(status.plans, one.plans) << id.to_string();
  }
  EXPECT_TRUE(all[0].online);
  EXPECT_EQ(all[0].state.seq, 0u);  // configured, never reported
  EXPECT_EQ(all[3].plans, (std::vector<std::string>{"p", "q"}));
  EXPECT_FALSE(all[3].online);
  EXPECT_EQ(all[4].state.seq, 9u);
}

TEST(FleetState, NextExpiryIsTheFirstOnlineMachinesSilenceReachingTheLimit) {
  FleetState fleet(2500ms);
  const TimePoint t0{};
  EXPECT_EQ(fleet.next_expiry(), std::nullopt);  // nobody online: nothing to check
  fleet.heard_from("m1", t0 + 1s);
  fleet.heard_from("m2", t0);
  EXPECT_EQ(fleet.next_expiry(), t0 + 2500ms);
  fleet.heard_from("m2", t0 + 2s);
  EXPECT_EQ(fleet.next_expiry(), t0 + 3500ms);
  EXPECT_TRUE(fleet.expire(t0 + 3500ms).empty());  // silent exactly that long: not yet
  EXPECT_EQ(fleet.expire(t0 + 3501ms), std::vector<std::string>{"m1"});
  EXPECT_EQ(fleet.next_expiry(), t0 + 4500ms);
  EXPECT_EQ(fleet.expire(t0 + 5s), std::vector<std::string>{"m2"});
  EXPECT_EQ(fleet.next_expiry(), std::nullopt);
}

}  // namespace
}  // namespace baton::broker
