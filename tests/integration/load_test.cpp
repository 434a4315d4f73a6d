// Load on one node: 10,000 watchdog registrations refreshing at full speed while 1,000 commands a
// second go through the broker to the node for 30 s; and a restart storm (an app that dies at
// once, relaunched with no delay) under a stream of commands. Real baton-broker, baton-node and
// SDK client processes on loopback. What must hold on any machine is checked: every command
// answered and none lost, no false watchdog fire. How fast is bench_fleet_commands' business.
//
// They run alone (RUN_SERIAL) and only in the normal build: a sanitizer build cannot carry the
// load in the time these tests give it.
#include <gtest/gtest.h>

#include <fstream>

#include "harness/child_process.hpp"
#include "harness/command_stream.hpp"
#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

namespace {

namespace control = proto::control;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

class Load : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef BATON_SANITIZED
    GTEST_SKIP() << "load figures of a sanitizer build would measure the sanitizer: this runs in "
                    "the normal build";
#endif
    std::ofstream(dir_ / "SharedConfig.xml")
        << "<Shared>\n"
           "  <App AppIdTuple=\"m1.storm\" ExeFullPath=\"/bin/false\" RestartOnCrash=\"1\">\n"
           "    <Restarter delay=\"0\" maxTries=\"-1\"/>\n"
           "  </App>\n"
           "</Shared>\n";
    broker_ =
        std::make_unique<BrokerProcess>(dir_, dir_ / "SharedConfig.xml", BrokerEndpoints::in(dir_));
    // No backoff: a crash loop relaunches as fast as the node can.
    node_ = std::make_unique<FleetNode>(dir_, "m1", broker_->endpoints().control,
                                        std::vector<std::string>{"--restart-backoff-cap", "0"});
    client_ = std::make_unique<ControlClient>(broker_->endpoints().control);
    ASSERT_TRUE(client_->wait_linked("m1")) << logs();
  }
  std::string logs() {
    return "--- broker\n" + broker_->log() + "--- node\n" + node_->log();
  }

  TempDir dir_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<FleetNode> node_;
  std::unique_ptr<ControlClient> client_;
};

TEST_F(Load, TenThousandRegistrationsAndAThousandCommandsASecondFor30s) {
  // Four SDK processes of 2,500 registrations each (5 s timeout, KILL), refreshing all of them
  // one after the other, every millisecond: as fast as they can.
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 0; i < 4; ++i) {
    const std::string status = dir_ / ("client" + std::to_string(i) + ".status");
    clients.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{binary_path("appmon_client"), "--count", "2500", "--timeouts",
                                 "5000", "--tick-ms", "1", "--mode", "refresh", "--status-file",
                                 status},
        ChildProcess::Options{{{"BATON_APPMONITOR", "ipc://" + dir_.path() + "/m1.sock"}},
                              {},
                              dir_ / ("client" + std::to_string(i) + ".log")}));
  }
  ASSERT_TRUE(wait_until(
      [&] {
        for (int i = 0; i < 4; ++i) {
          if (!read_file(dir_ / ("client" + std::to_string(i) + ".status"))
                   .starts_with("refreshed"))
            return false;
        }
        return true;
      },
      120s))
      << logs();

  const CommandRun run = run_commands(broker_->endpoints().control, "m1", 30'000, 1000);
  std::cout << "commands: " << run.sent << " sent, " << run.ok << " ok, " << run.failed
            << " failed; round trip p50 " << percentile(run.round_trip_ms, 50) << " ms, p99 "
            << percentile(run.round_trip_ms, 99) << " ms, max "
            << percentile(run.round_trip_ms, 100) << " ms\n";
  EXPECT_EQ(run.ok, run.sent) << "first error: " << run.first_error;

  // No false fire: every client still runs (the action is KILL), and the node logged no timeout.
  for (auto& client : clients)
    EXPECT_TRUE(client->running());
  const std::string node_log = node_->log();
  EXPECT_EQ(count_occurrences(node_log, "watchdog timeout"), 0u) << node_log.substr(0, 4000);
  std::string last;
  for (int i = 0; i < 4; ++i)
    last += read_file(dir_ / ("client" + std::to_string(i) + ".status"));
  std::cout << "clients at the end: " << last;
}

TEST_F(Load, RestartStormLosesNoCommand) {
  const auto launched = client_->request("launch", control::AppArgs{"m1.storm"});
  ASSERT_TRUE(launched && launched->ok) << (launched ? launched->error : "no reply") << "\n"
                                        << logs().substr(0, 4000);
  ASSERT_TRUE(client_->wait_app("m1.storm", [](const auto& s) { return s.state.restarts >= 50; }))
      << logs();
  const std::int64_t restarts_before = client_->app("m1.storm")->state.restarts;
  const CommandRun run = run_commands(broker_->endpoints().control, "m1", 5000, 0);
  const std::int64_t restarts = client_->app("m1.storm")->state.restarts - restarts_before;
  std::cout << "during " << restarts << " restarts: " << run.ok << " commands, round trip p50 "
            << percentile(run.round_trip_ms, 50) << " ms, p99 " << percentile(run.round_trip_ms, 99)
            << " ms, max " << percentile(run.round_trip_ms, 100) << " ms\n";
  EXPECT_EQ(run.ok, 5000u) << "first error: " << run.first_error << "\n" << logs().substr(0, 4000);
  EXPECT_GT(restarts, 50) << "no storm: " << logs().substr(0, 4000);
}

}  // namespace
}  // namespace baton::test
