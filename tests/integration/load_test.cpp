// Load on one node (issue "fault tolerance: load"): 10,000 watchdog registrations refreshing at
// full speed while 1,000 commands a second go through the broker to the node for 30 s; and a
// restart storm (an app that dies at once, relaunched with no delay) during which command round
// trips are timed. Real baton-broker, baton-node and SDK client processes on loopback.
//
// The figures are the point of these tests, so they run alone (RUN_SERIAL) and only in the normal
// build: under a sanitizer they would measure the sanitizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/support/fleet_processes.hpp"

namespace baton::test {
namespace {

namespace control = proto::control;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1));
  return values[index];
}

// set_vars LOAD=<i> for machine m1: a command the broker routes to the node and answers when the
// node has.
std::string set_vars_frame(const std::string& id, std::size_t i) {
  return proto::bus::pack_with(control::RequestHeader{1, id, "set_vars"}, "args", [&](auto& pk) {
    pk.pack_map(2);
    pk.pack(std::string_view("machine"));
    pk.pack(std::string_view("m1"));
    pk.pack(std::string_view("vars"));
    pk.pack_map(1);
    pk.pack(std::string_view("LOAD"));
    pk.pack(std::to_string(i));
  });
}

struct CommandRun {
  std::size_t sent = 0;
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::string first_error;
  std::vector<double> round_trip_ms;
};

// Sends `total` commands, `per_second` of them a second (0: each after the answer to the last),
// and collects every answer, waiting at most 10 s after the last was sent.
CommandRun run_commands(const std::string& endpoint, std::size_t total, int per_second) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, 0);
  socket.set(zmq::sockopt::rcvhwm, 0);
  socket.connect(endpoint);
  CommandRun run;
  std::vector<steady_clock::time_point> sent_at(total);
  std::vector<bool> answered(total, false);
  const auto start = steady_clock::now();
  auto receive = [&](std::chrono::milliseconds wait) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, wait) <= 0) return;
    zmq::message_t frame;
    while (socket.recv(frame, zmq::recv_flags::dontwait)) {
      const auto now = steady_clock::now();
      auto reply = proto::decode_frame<control::ReplyHeader>(frame.data(), frame.size());
      if (!reply || reply->id.size() < 2) continue;
      const std::size_t i = std::stoul(reply->id.substr(1));
      if (i >= total || answered[i]) continue;
      answered[i] = true;
      run.round_trip_ms.push_back(
          std::chrono::duration<double, std::milli>(now - sent_at[i]).count());
      if (reply->ok) {
        ++run.ok;
      } else {
        ++run.failed;
        if (run.first_error.empty()) run.first_error = reply->error.value_or("?");
      }
    }
  };
  while (run.sent < total) {
    const auto now = steady_clock::now();
    const bool due =
        per_second == 0
            ? run.ok + run.failed == run.sent
            : now >= start + std::chrono::microseconds(run.sent * 1'000'000 /
                                                       static_cast<std::size_t>(per_second));
    if (due) {
      const std::size_t i = run.sent++;
      sent_at[i] = steady_clock::now();
      socket.send(zmq::buffer(set_vars_frame("c" + std::to_string(i), i)));
      continue;
    }
    receive(1ms);
  }
  const auto end = steady_clock::now() + 10s;
  while (run.ok + run.failed < run.sent && steady_clock::now() < end)
    receive(10ms);
  return run;
}

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
    ASSERT_TRUE(client_->wait_app("m1.storm", [](const auto& s) { return s.online; }))
        << broker_->log();
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

  const CommandRun run = run_commands(broker_->endpoints().control, 30'000, 1000);
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

TEST_F(Load, RestartStormKeepsCommandRoundTripsUnder10msAtP99) {
  ASSERT_TRUE(client_->request("launch", control::AppArgs{"m1.storm"})->ok);
  ASSERT_TRUE(client_->wait_app("m1.storm", [](const auto& s) { return s.state.restarts >= 50; }))
      << logs();
  const std::int64_t restarts_before = client_->app("m1.storm")->state.restarts;
  const CommandRun run = run_commands(broker_->endpoints().control, 5000, 0);
  const std::int64_t restarts = client_->app("m1.storm")->state.restarts - restarts_before;
  const double p99 = percentile(run.round_trip_ms, 99);
  std::cout << "during " << restarts << " restarts: " << run.ok << " commands, round trip p50 "
            << percentile(run.round_trip_ms, 50) << " ms, p99 " << p99 << " ms, max "
            << percentile(run.round_trip_ms, 100) << " ms\n";
  EXPECT_EQ(run.ok, 5000u) << "first error: " << run.first_error;
  EXPECT_GT(restarts, 50) << "no storm: " << logs().substr(0, 4000);
  EXPECT_LT(p99, 10.0);
}

}  // namespace
}  // namespace baton::test
