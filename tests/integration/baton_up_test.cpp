// baton up: broker and node in one process. The plan starts, other clients reach it on its control
// endpoint, its output is plain lines when not on a terminal, and SIGINT (Ctrl-C) kills the apps
// and exits 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "harness/child_process.hpp"
#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

// A namespace of its own: the test files of an executable compile as one unity source, and other
// test files define an alive() of their own.
namespace baton::test::baton_up_test {

using namespace harness;

namespace {

namespace control = proto::control;

bool alive(std::int64_t pid) {
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

TEST(BatonUp, RunsThePlanAnswersClientsAndStopsCleanly) {
  TempDir dir;
  const std::string config = dir / "SharedConfig.xml";
  std::ofstream(config) << "<Shared>\n"
                           "  <Plan Name=\"p\">\n"
                           "    <App AppIdTuple=\"solo.first\" ExeFullPath=\"/bin/sleep\" "
                           "CmdLineArgs=\"600\" InitCondition=\"timeout 0.2\"/>\n"
                           "    <App AppIdTuple=\"solo.second\" ExeFullPath=\"/bin/sleep\" "
                           "CmdLineArgs=\"600\" Dependencies=\"first\"/>\n"
                           "  </Plan>\n"
                           "</Shared>\n";
  const BrokerEndpoints endpoints = BrokerEndpoints::in(dir);
  const std::string out = dir / "up.out";
  // No --machine: the config names one machine, "solo", and up takes it.
  ChildProcess up({binary_path("baton"), "up", config, "--plan", "p", "--control",
                   endpoints.control, "--ingest", endpoints.ingest, "--bus", endpoints.bus,
                   "--appmonitor", "ipc://" + dir.path() + "/am.sock", "--log-dir", dir / "logs"},
                  ChildProcess::Options{{}, {}, out});
  ControlClient client(endpoints.control);
  ASSERT_TRUE(client.wait_plan("p", "Success")) << read_file(out);
  auto first = client.app("solo.first"), second = client.app("solo.second");
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(alive(first->state.pid));
  EXPECT_TRUE(alive(second->state.pid));
  EXPECT_GT(second->state.started_at, first->state.started_at);
  // Not a terminal: one line per change, the plan's status among them.
  ASSERT_TRUE(wait_until([&] {
    return read_file(out).find("plan p: Success") != std::string::npos;
  })) << read_file(out);
  EXPECT_EQ(read_file(out).find("\x1b["), std::string::npos) << "no terminal codes in a file";

  up.signal(SIGINT);
  auto exit = up.wait_exit();
  ASSERT_TRUE(exit) << read_file(out);
  EXPECT_EQ(exit->code, 0) << read_file(out);
  EXPECT_FALSE(alive(first->state.pid));
  EXPECT_FALSE(alive(second->state.pid));
}

TEST(BatonUp, UnknownPlanOrBrokenConfigIsAUsageError) {
  TempDir dir;
  const std::string config = dir / "SharedConfig.xml";
  std::ofstream(config) << "<Shared><App AppIdTuple=\"m1.a\" ExeFullPath=\"/bin/true\"/></Shared>";
  ChildProcess unknown({binary_path("baton"), "up", config, "--plan", "nope"},
                       ChildProcess::Options{{}, {}, dir / "out1"});
  auto exit = unknown.wait_exit();
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 2);
  EXPECT_NE(read_file(dir / "out1").find("no plan named 'nope'"), std::string::npos);

  const std::string broken = dir / "broken.xml";
  std::ofstream(broken) << "<Shared>\n<App AppIdTuple=\"m1.a\"\n";
  ChildProcess bad({binary_path("baton"), "up", broken},
                   ChildProcess::Options{{}, {}, dir / "out2"});
  exit = bad.wait_exit();
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 2);
  EXPECT_NE(read_file(dir / "out2").find(broken + ":"), std::string::npos)
      << read_file(dir / "out2");
}

}  // namespace
}  // namespace baton::test::baton_up_test
