// baton logs -f end to end: a real broker and node, apps that write lines, and the real `baton`
// following them live over log/ topics, as a reader that keeps up and as one that stops reading.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "common/os/unique_fd.hpp"
#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/baton_runner.hpp"

// A namespace of its own: the test files of an executable compile as one unity source.
namespace baton::test::log_follow_test {

using namespace harness;

namespace {

namespace control = proto::control;

constexpr int kFloodLines = 150'000;  // of 100 bytes: more than the follower holds for stdout

class LogFollow : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = dir_ / "SharedConfig.xml";
    // Two tickers write numbered lines, interleaved; flood writes kFloodLines once `go` exists.
    auto ticker = [](const std::string& name) {
      return "  <App AppIdTuple=\"m1." + name +
             "\" ExeFullPath=\"/bin/sh\" CmdLineArgs=\"-c &quot;i=1; while :; do echo " + name +
             " $i; i=$((i+1)); sleep 0.02; done&quot;\"/>\n";
    };
    std::ofstream(config)
        << "<Shared>\n"
        << ticker("tick_a") << ticker("tick_b")
        << "  <App AppIdTuple=\"m1.flood\" ExeFullPath=\"/bin/sh\" CmdLineArgs=\"-c &quot;"
           "echo ready; while [ ! -e "
        << (dir_ / "go")
        << " ]; do sleep 0.05; done; seq -f 'flood %08g "
           "...........................................................................' 1 "
        << kFloodLines
        << "; echo END; exec sleep 600&quot;\"/>\n"
           "</Shared>\n";
    broker_ = std::make_unique<BrokerProcess>(dir_, config, BrokerEndpoints::in(dir_));
    node_ = std::make_unique<FleetNode>(dir_, "m1", broker_->endpoints().control);
    client_ = std::make_unique<ControlClient>(broker_->endpoints().control);
    ASSERT_TRUE(client_->wait_linked("m1")) << logs();
  }
  std::string logs() { return "--- broker\n" + broker_->log() + "--- node\n" + node_->log(); }
  void launch(const std::string& app) {
    auto reply = client_->request("launch", control::AppArgs{app});
    ASSERT_TRUE(reply && reply->ok) << app << ": " << (reply ? reply->error : "no reply");
  }
  std::vector<std::string> with_broker(std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker", broker_->endpoints().control});
    return args;
  }
  CliRun baton(std::vector<std::string> args) { return runner_.run(with_broker(std::move(args))); }
  bool wait_last_line(const std::string& app, const std::string& last) {
    return wait_until([&] {
      const CliRun run = baton({"logs", app, "-n", "1"});
      return run.code == 0 && run.out == last + "\n";
    });
  }

  TempDir dir_;
  BatonRunner runner_{dir_};
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<FleetNode> node_;
  std::unique_ptr<ControlClient> client_;
};

// The numbers each app's lines carry, in the order printed ("m1.tick_a | tick_a 17").
std::map<std::string, std::vector<long>> numbers_by_app(const std::string& out) {
  std::map<std::string, std::vector<long>> numbers;
  std::istringstream lines(out);
  const std::regex line(R"((m1\.\w+) +\| (\w+) (\d+))");
  for (std::string text; std::getline(lines, text);) {
    std::smatch m;
    if (std::regex_match(text, m, line)) numbers[m[1]].push_back(std::stol(m[3]));
  }
  return numbers;
}

TEST_F(LogFollow, TwoAppsLiveInOrderWithNoLineTwiceOrMissing) {
  launch("m1.tick_a");
  launch("m1.tick_b");
  ASSERT_TRUE(wait_until([&] {
    return baton({"logs", "m1.tick_b", "-n", "1"}).out.size() > 0;
  })) << logs();
  RunningBaton follower =
      runner_.start(with_broker({"logs", "m1.tick_a", "m1.tick_b", "-n", "3", "-f"}));
  // 3 lines of each from the tail, then lines as they are written: 40 of each needs about a
  // second of live lines after the tail.
  ASSERT_TRUE(wait_until([&] {
    auto numbers = numbers_by_app(read_file(follower.out_path));
    return numbers["m1.tick_a"].size() >= 40 && numbers["m1.tick_b"].size() >= 40;
  })) << read_file(follower.out_path)
      << read_file(follower.err_path) << logs();
  follower.process.signal(SIGINT);
  const CliRun run = BatonRunner::finish(follower);
  EXPECT_EQ(run.code, 0) << describe(run);
  for (const auto& [app, numbers] : numbers_by_app(run.out)) {
    SCOPED_TRACE(app);
    // The tail's last line and the first live one meet: every number once, none left out.
    for (std::size_t i = 1; i < numbers.size(); ++i)
      ASSERT_EQ(numbers[i], numbers[i - 1] + 1) << run.out;
  }
  // Interleaved as written, not one app's lines after the other's: b's first live lines come
  // before a's last ones.
  const auto first_b = run.out.find("m1.tick_b | tick_b");
  const auto last_a = run.out.rfind("m1.tick_a | tick_a");
  EXPECT_LT(first_b, last_a) << run.out;
  EXPECT_EQ(run.out.find("dropped"), std::string::npos) << run.out;
}

TEST_F(LogFollow, AStalledFollowerDropsAndCountsWhileTheAppWritesOn) {
  launch("m1.flood");
  ASSERT_TRUE(wait_last_line("m1.flood", "ready")) << logs();
  // The follower prints into a FIFO that is open but not read, until the flood is over.
  const std::string fifo = dir_ / "follower.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  UniqueFd reader(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(reader.valid());
  RunningBaton follower =
      runner_.start(with_broker({"logs", "m1.flood", "-n", "1", "-f"}), {{"BATON_TEST_OUT", fifo}});
  std::string out;
  auto read_some = [&] {
    pollfd item{reader.get(), POLLIN, 0};
    if (::poll(&item, 1, 10) <= 0) return;
    char buffer[65536];
    const ssize_t n = ::read(reader.get(), buffer, sizeof buffer);
    if (n > 0) out.append(buffer, static_cast<std::size_t>(n));
  };
  // The tail comes once the node publishes the app's lines: from then on none can be missed.
  ASSERT_TRUE(wait_until([&] {
    read_some();
    return out == "ready\n";
  })) << out
      << read_file(follower.err_path) << logs();

  std::ofstream(dir_ / "go") << "go\n";
  // The app writes everything, and the node logs it, while nobody reads the follower.
  ASSERT_TRUE(wait_last_line("m1.flood", "END")) << logs();
  std::string logged;
  for (const char* file : {"flood.log", "flood.log.1", "flood.log.2"})
    logged += read_file(dir_ / ("logs-m1/" + std::string(file)));
  EXPECT_EQ(std::count(logged.begin(), logged.end(), '\n'), kFloodLines + 2);

  // Read on: every line is either printed, in order, or counted as dropped.
  const std::regex dropped(R"(… ([\d,]+) lines? dropped …)");
  long printed = 0, counted = 0, last = 0;
  bool in_order = true;
  std::size_t parsed = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        read_some();
        for (std::size_t end; (end = out.find('\n', parsed)) != std::string::npos;
             parsed = end + 1) {
          const std::string line = out.substr(parsed, end - parsed);
          std::smatch m;
          if (line.starts_with("flood ")) {
            const long n = std::stol(line.substr(6, 8));
            in_order = in_order && n > last;
            last = n;
            ++printed;
          } else if (line == "END") {
            ++printed;
          } else if (std::regex_match(line, m, dropped)) {
            std::string digits = m[1];
            std::erase(digits, ',');
            counted += std::stol(digits);
          }
        }
        return printed + counted == kFloodLines + 1;
      },
      std::chrono::seconds(60)))
      << "printed " << printed << ", counted as dropped " << counted << "\n"
      << read_file(follower.err_path);
  EXPECT_TRUE(in_order);
  EXPECT_GT(counted, 0) << "the follower never fell behind: the test tested nothing";
  EXPECT_GT(printed, 0);
  // Not BatonRunner::finish, which would open the FIFO again to read it.
  follower.process.signal(SIGTERM);
  const auto status = follower.process.wait_exit();
  ASSERT_TRUE(status && status->exited_normally()) << read_file(follower.err_path);
  EXPECT_EQ(status->code, 0);
}

TEST_F(LogFollow, UnknownAppsAreNamedAtOnce) {
  CliRun run = baton({"logs", "-f", "m1.nope"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("unknown app m1.nope"), std::string::npos) << describe(run);
}

}  // namespace
}  // namespace baton::test::log_follow_test
