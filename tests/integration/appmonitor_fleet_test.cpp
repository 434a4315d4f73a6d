// 1,000 registrations with mixed timeouts from 50 real processes (20 each). In ten processes one
// registration goes silent while the other 19 keep refreshing. Exactly those ten must fire: their
// restart commands (each naming its own registration) run, their processes are killed, and every
// other process and registration is left alone while the rest keep refreshing.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

namespace {

constexpr int kProcesses = 50;
constexpr int kPerProcess = 20;
constexpr int kTickMs = 600;
// Every timeout is far above the refresh period, so a busy machine cannot cause a false fire. A
// client registers its 20 one after the other before it refreshes any: with 50 clients starting
// at once on two slow cores that took 1.3 s (several times that under ASan), so the shortest
// timeout leaves room for that too.
const char* kTimeouts = "5000,6000,7000,8000";

int rounds(const std::string& status_file) {
  std::string s = read_file(status_file);
  return s.starts_with("refreshed ") ? std::stoi(s.substr(10)) : 0;
}

TEST(AppMonitorFleet, ExactlyTheSilentRegistrationsFire) {
  TempDir dir;
  NodeProcess node(dir, {"--kill-grace", "300"});
  const std::string fired_file = dir / "fired";

  std::vector<ChildProcess> clients;
  std::set<std::string> expected_fired;
  std::set<int> stoppers;
  for (int p = 0; p < kProcesses; ++p) {
    std::vector<std::string> argv{binary_path("appmon_client"),
                                  "--count",
                                  std::to_string(kPerProcess),
                                  "--timeouts",
                                  kTimeouts,
                                  "--tick-ms",
                                  std::to_string(kTickMs),
                                  "--mode",
                                  "refresh",
                                  "--action",
                                  "restart",
                                  "--label",
                                  "p" + std::to_string(p),
                                  "--restart-command",
                                  "echo {label} >> " + fired_file,
                                  "--status-file",
                                  dir / ("st" + std::to_string(p))};
    if (p % 5 == 2) {
      const int stop_index = (p * 7) % kPerProcess;
      argv.push_back("--stop-index");
      argv.push_back(std::to_string(stop_index));
      expected_fired.insert("p" + std::to_string(p) + "-" + std::to_string(stop_index));
      stoppers.insert(p);
    }
    clients.emplace_back(argv, ChildProcess::Options{{{"BATON_APPMONITOR", node.endpoint()},
                                                      {"BATON_APPMONITOR_TIMEOUT_MS", "10000"}},
                                                     {},
                                                     {}});
  }
  ASSERT_EQ(stoppers.size(), 10u);

  // Every silent registration fires and its process dies by the watchdog's SIGTERM.
  ASSERT_TRUE(wait_until([&] { return read_lines(fired_file).size() >= expected_fired.size(); },
                         std::chrono::seconds(60)))
      << node.log();
  for (int p : stoppers) {
    auto exit = clients[p].wait_exit();
    ASSERT_TRUE(exit.has_value()) << "stopper " << p << " still running";
    EXPECT_EQ(exit->signal, SIGTERM) << "stopper " << p;
  }

  // The healthy ones go on for another 15 rounds (more than the longest timeout) untouched.
  std::vector<int> start(kProcesses);
  for (int p = 0; p < kProcesses; ++p)
    start[p] = rounds(dir / ("st" + std::to_string(p)));
  ASSERT_TRUE(wait_until(
      [&] {
        for (int p = 0; p < kProcesses; ++p) {
          if (!stoppers.contains(p) && rounds(dir / ("st" + std::to_string(p))) < start[p] + 15) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(60)))
      <<
      [&] {
        std::string behind;
        for (int p = 0; p < kProcesses; ++p) {
          std::string status = read_file(dir / ("st" + std::to_string(p)));
          if (!stoppers.contains(p) && rounds(dir / ("st" + std::to_string(p))) < start[p] + 15)
            behind += "client " + std::to_string(p) + ": " + status;
        }
        return behind;
      }()
      << node.log();

  auto lines = read_lines(fired_file);
  std::set<std::string> fired(lines.begin(), lines.end());
  EXPECT_EQ(lines.size(), fired.size()) << "a registration fired twice";
  EXPECT_EQ(fired, expected_fired);
  for (int p = 0; p < kProcesses; ++p) {
    if (!stoppers.contains(p)) {
      EXPECT_TRUE(clients[p].running()) << "healthy client " << p;
    }
  }
  // The other 19 registrations of each stopper ended with their process, without firing.
  std::string log = node.log();
  // ("dropped the N other registrations of pid P: its process is being acted on", one per
  // stopper, or a single "dropped <registration>: its process is already being acted on" each when
  // they came due in the same round as the one that fired.)
  const std::string marker = "dropped the ";
  std::size_t dropped = count_occurrences(log, "its process is already being acted on");
  for (std::size_t at = 0; (at = log.find(marker, at)) != std::string::npos; ++at) {
    dropped += std::stoul(log.substr(at + marker.size(), 12));
  }
  EXPECT_EQ(dropped, stoppers.size() * (kPerProcess - 1));
}

}  // namespace
}  // namespace baton::test
