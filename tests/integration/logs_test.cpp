// baton logs end to end: a real broker and node, apps that write lines, logs rotated by the node,
// the lines read back by the node and printed by the command line.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>

#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "node/apps/log_times.hpp"
#include "tests/support/baton_runner.hpp"

namespace baton::test {

using namespace harness;

namespace {

namespace control = proto::control;

class LogsFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = dir_ / "SharedConfig.xml";
    // talker writes 3,000 numbered lines of 20 bytes: 60 KB, rotated at 16 KB into several files.
    std::ofstream(config)
        << "<Shared>\n"
           "  <App AppIdTuple=\"m1.talker\" ExeFullPath=\"/bin/sh\" CmdLineArgs=\"-c &quot;"
           "i=1; while [ $i -le 3000 ]; do printf 'talker line %08d\\n' $i; i=$((i+1)); done; "
           "exec sleep 600&quot;\"/>\n"
           "  <App AppIdTuple=\"m1.quiet\" ExeFullPath=\"/bin/sh\" "
           "CmdLineArgs=\"-c &quot;echo first; echo second; exec sleep 600&quot;\"/>\n"
           "  <App AppIdTuple=\"m2.db\" ExeFullPath=\"/bin/sh\" "
           "CmdLineArgs=\"-c &quot;echo db ready; exec sleep 600&quot;\"/>\n"
           // feed prints what the test appends to its feed file, as it comes.
           "  <App AppIdTuple=\"m1.feed\" ExeFullPath=\"/usr/bin/tail\" "
           "CmdLineArgs=\"-n +1 -f " +
               feed_ +
               "\"/>\n"
               "</Shared>\n";
    feed("before 1\nbefore 2\n");
    broker_ = std::make_unique<BrokerProcess>(dir_, config, BrokerEndpoints::in(dir_));
    for (const char* m : {"m1", "m2"}) {
      nodes_.push_back(std::make_unique<FleetNode>(
          dir_, m, broker_->endpoints().control,
          std::vector<std::string>{"--log-max-bytes", "16K", "--log-max-files", "9"}));
    }
    client_ = std::make_unique<ControlClient>(broker_->endpoints().control);
    for (const char* m : {"m1", "m2"})
      ASSERT_TRUE(client_->wait_linked(m)) << logs();
    for (const char* app : {"m1.talker", "m1.quiet", "m2.db", "m1.feed"}) {
      auto reply = client_->request("launch", control::AppArgs{app});
      ASSERT_TRUE(reply && reply->ok) << app << ": " << (reply ? reply->error : "no reply");
    }
  }
  std::string logs() {
    std::string out = "--- broker\n" + broker_->log();
    for (auto& node : nodes_)
      out += "--- node\n" + node->log();
    return out;
  }
  CliRun baton(std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker", broker_->endpoints().control});
    return BatonRunner(dir_).run(args);
  }
  // Waits until the last line of `app`'s log is `last`.
  bool wait_last_line(const std::string& app, const std::string& last) {
    return wait_until([&] {
      const CliRun run = baton({"logs", app, "-n", "1"});
      return run.code == 0 && run.out == last + "\n";
    });
  }

  // Appends to what m1.feed prints.
  void feed(const std::string& text) { std::ofstream(feed_, std::ios::app) << text << std::flush; }

  TempDir dir_;
  std::string feed_ = dir_ / "feed.txt";
  std::unique_ptr<BrokerProcess> broker_;
  std::vector<std::unique_ptr<FleetNode>> nodes_;
  std::unique_ptr<ControlClient> client_;
};

TEST_F(LogsFleet, TheLastLinesReachBackAcrossRotations) {
  ASSERT_TRUE(wait_last_line("m1.talker", "talker line 00003000")) << logs();
  ASSERT_TRUE(file_exists(dir_ / "logs-m1/talker.log.2")) << "the log was not rotated";

  const CliRun run = baton({"logs", "m1.talker", "-n", "2500"});
  ASSERT_EQ(run.code, 0) << describe(run);
  std::string expected;
  char line[32];
  for (int i = 501; i <= 3000; ++i) {
    std::snprintf(line, sizeof line, "talker line %08d\n", i);
    expected += line;
  }
  EXPECT_EQ(run.out, expected);

  const CliRun few = baton({"logs", "m1.talker"});  // 20 by default
  EXPECT_EQ(few.out, expected.substr(expected.size() - 20 * 21));
}

TEST_F(LogsFleet, SeveralAppsArePrefixedWithTheirIds) {
  ASSERT_TRUE(wait_last_line("m1.quiet", "second")) << logs();
  ASSERT_TRUE(wait_last_line("m2.db", "db ready")) << logs();
  const CliRun run = baton({"logs", "m1.quiet", "m2.db"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out,
            "m1.quiet | first\n"
            "m1.quiet | second\n"
            "m2.db    | db ready\n");
  const CliRun glob = baton({"logs", "*.db", "m1.q*"});
  EXPECT_EQ(glob.out,
            "m2.db    | db ready\n"
            "m1.quiet | first\n"
            "m1.quiet | second\n");
  const CliRun machine = baton({"logs", "m2"});
  EXPECT_EQ(machine.out, "db ready\n");
}

TEST_F(LogsFleet, BadTargetsAndCountsAreClearErrors) {
  CliRun run = baton({"logs", "m1.nope"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("unknown app m1.nope"), std::string::npos) << describe(run);
  run = baton({"logs", "m9"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("unknown machine m9"), std::string::npos) << describe(run);
  run = baton({"logs", "x*"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("no app matches 'x*'"), std::string::npos) << describe(run);
  run = baton({"logs", "m1.talker", "-n", "-5"});
  EXPECT_EQ(run.code, 2) << describe(run);
  run = baton({"logs"});
  EXPECT_EQ(run.code, 2) << describe(run);
  for (const char* bad : {"yesterday", "10", "25:00", "2024-02-30T10:00"}) {
    run = baton({"logs", "m1.talker", "--since", bad});
    EXPECT_EQ(run.code, 2) << describe(run);
    EXPECT_NE(run.err.find("'" + std::string(bad) + "' is not a time: use a duration ago (90s"),
              std::string::npos)
        << describe(run);
  }
}

// The local time of `time` as `baton logs --since` takes it: YYYY-MM-DDTHH:MM:SS.
std::string local_time_text(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm fields{};
  localtime_r(&seconds, &fields);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &fields);
  return text;
}

TEST_F(LogsFleet, SinceShowsOnlyTheLinesWrittenSinceThen) {
  ASSERT_TRUE(wait_last_line("m1.feed", "before 2")) << logs();
  // TIME on a whole second (the form has no fractions), after the first batch was written and at
  // least the node's time resolution after it, so that even a coarse index puts it before TIME.
  using std::chrono::system_clock;
  const auto since =
      std::chrono::ceil<std::chrono::seconds>(system_clock::now() + node::LogTimes::kResolution);
  ASSERT_TRUE(wait_until([&] { return system_clock::now() >= since; }));
  feed("after 1\nafter 2\nafter 3\n");
  ASSERT_TRUE(wait_last_line("m1.feed", "after 3")) << logs();
  const std::string time = local_time_text(system_clock::time_point(since));

  CliRun run = baton({"logs", "m1.feed", "--since", time});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out, "after 1\nafter 2\nafter 3\n") << "since " << time;
  // The first batch is in the log: --since is what left it out.
  const std::string all = "before 1\nbefore 2\nafter 1\nafter 2\nafter 3\n";
  EXPECT_EQ(baton({"logs", "m1.feed"}).out, all);
  // With -n, the last N of the lines since TIME.
  EXPECT_EQ(baton({"logs", "m1.feed", "--since", time, "-n", "2"}).out, "after 2\nafter 3\n");
  // A duration back to before the launch: everything.
  EXPECT_EQ(baton({"logs", "m1.feed", "--since", "1h"}).out, all);
  // Without -n, all the lines since TIME, not the default 20: talker wrote 3,000.
  ASSERT_TRUE(wait_last_line("m1.talker", "talker line 00003000")) << logs();
  run = baton({"logs", "m1.talker", "--since", "1h"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(count_occurrences(run.out, "\n"), 3000u);
  // A time to come: nothing yet, and no error.
  run = baton({"logs", "m1.feed", "--since", "2999-01-01T00:00"});
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out, "");
}

}  // namespace
}  // namespace baton::test
