// The real `baton` binary as a child process without a broker: usage errors exit 2 before any
// request, an absent broker exits 3 within the timeout, and every verb has its --help.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/baton_runner.hpp"

// A namespace of its own: the test files of an executable compile as one unity source.
namespace baton::test::cli_without_broker_test {

using namespace harness;

namespace {

// `count` TCP ports nothing listens on now: each bound to port 0 and read back, all released
// only at the end so that the kernel cannot hand out one port twice.
std::vector<int> free_ports(std::size_t count) {
  std::vector<int> fds;
  std::vector<int> ports;
  for (std::size_t i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot find a free port");
    }
    fds.push_back(fd);
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : fds)
    ::close(fd);
  return ports;
}

int free_port() {
  return free_ports(1).front();
}

std::string loopback(int port) {
  return "tcp://127.0.0.1:" + std::to_string(port);
}

class CliWithoutBrokerTest : public ::testing::Test {
 protected:
  TempDir dir_;
  BatonRunner baton_{dir_};
};

TEST_F(CliWithoutBrokerTest, NoBrokerExits3WithinTheTimeout) {
  const std::string endpoint = loopback(free_port());
  const auto start = std::chrono::steady_clock::now();
  CliRun run = baton_.run({"--broker", endpoint, "--timeout", "400", "status"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(run.code, 3) << describe(run);
  EXPECT_NE(run.err.find("cannot reach the broker at " + endpoint + " (no answer in 400 ms)"),
            std::string::npos)
      << describe(run);
  EXPECT_TRUE(run.out.empty()) << describe(run);
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, kDeadline);  // bounded: it does not hang
}

// An ipc:// endpoint whose socket file does not exist: still waited for (a broker that starts
// meanwhile is found), then the message says what is missing.
TEST_F(CliWithoutBrokerTest, NoSocketFileExits3AndAsksWhetherTheBrokerRuns) {
  const std::string endpoint = "ipc://" + (dir_ / "control.sock");
  CliRun run = baton_.run({"--broker", endpoint, "--timeout", "300", "status"});
  EXPECT_EQ(run.code, 3) << describe(run);
  EXPECT_NE(run.err.find("cannot reach the broker at " + endpoint +
                         " (no answer in 300 ms): there is no socket file there; is the broker "
                         "running?"),
            std::string::npos)
      << describe(run);
}

TEST_F(CliWithoutBrokerTest, BrokerComesFromTheEnvironmentAndOptionsMayFollowTheVerb) {
  const std::string from_env = loopback(free_port());
  CliRun run = baton_.run({"plans", "--timeout", "200"}, {{"BATON_BROKER", from_env}});
  EXPECT_EQ(run.code, 3) << describe(run);
  EXPECT_NE(run.err.find(from_env), std::string::npos) << describe(run);

  const std::string given = loopback(free_port());
  run =
      baton_.run({"--broker", given, "--timeout", "200", "machines"}, {{"BATON_BROKER", from_env}});
  EXPECT_EQ(run.code, 3) << describe(run);
  EXPECT_NE(run.err.find(given), std::string::npos) << describe(run);  // the option wins
}

TEST_F(CliWithoutBrokerTest, WatchWithoutBrokerExits3) {
  CliRun run = baton_.run({"--broker", loopback(free_port()), "--timeout", "200", "watch"});
  EXPECT_EQ(run.code, 3) << describe(run);
}

TEST_F(CliWithoutBrokerTest, UsageErrorsExit2BeforeAnyRequest) {
  // No broker runs and the timeout is long: a usage error must not wait for one.
  const std::vector<std::vector<std::string>> bad_lines = {
      {},
      {"frobnicate"},
      {"status", "--bogus"},
      {"status", "no-dot"},
      {"status", "m1."},
      {"launch"},
      {"launch", "web"},
      {"kill", "m1.a b"},
      {"restart", "m1.web", "extra"},
      {"plan"},
      {"plan", "start"},
      {"plan", "launch", "main"},
      {"set-vars", "m1"},
      {"set-vars", "m1", "NOEQUALS"},
      {"set-vars", "all", "A=1", "=2"},
      {"--timeout", "0", "plans"},
      {"--timeout", "soon", "plans"},
      {"watch", "--count", "0"},
      {"watch", "--for", "-1"},
      {"logs", "m1.web", "--since", "yesterday"},
      {"logs", "m1.web", "--since"},
  };
  for (const auto& args : bad_lines) {
    std::vector<std::string> argv{"--broker", loopback(free_port()), "--timeout", "60000"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto start = std::chrono::steady_clock::now();
    CliRun run = baton_.run(argv);
    std::string line;
    for (const auto& a : args)
      line += a + " ";
    EXPECT_EQ(run.code, 2) << "baton " << line << "\n" << describe(run);
    EXPECT_FALSE(run.err.empty()) << "baton " << line;
    // Refused before the 60 s the broker could have taken.
    EXPECT_LT(std::chrono::steady_clock::now() - start, kDeadline) << "baton " << line;
  }
  CliRun run = baton_.run({"launch", "web"});
  EXPECT_NE(run.err.find("is not machine.app"), std::string::npos) << describe(run);
  run = baton_.run({"set-vars", "m1", "NOEQUALS"});
  EXPECT_NE(run.err.find("'NOEQUALS' is not NAME=VALUE"), std::string::npos) << describe(run);
}

TEST_F(CliWithoutBrokerTest, HelpForEveryVerbExits0) {
  CliRun run = baton_.run({"--help"});
  EXPECT_EQ(run.code, 0) << describe(run);
  for (const char* verb : {"status", "launch", "kill", "restart", "plan", "plans", "machines",
                           "top", "logs", "set-vars", "reload", "kill-all", "watch"}) {
    EXPECT_NE(run.out.find(verb), std::string::npos) << verb << "\n" << run.out;
  }
  EXPECT_NE(run.out.find("Exit codes"), std::string::npos) << run.out;

  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"status", "--help"},
                                             {"launch", "--help"},
                                             {"plan", "--help"},
                                             {"plan", "start", "--help"},
                                             {"plan", "status", "--help"},
                                             {"plans", "--help"},
                                             {"machines", "--help"},
                                             {"top", "--help"},
                                             {"logs", "--help"},
                                             {"set-vars", "--help"},
                                             {"reload", "--help"},
                                             {"kill-all", "--help"},
                                             {"watch", "--help"}}) {
    run = baton_.run(args);
    EXPECT_EQ(run.code, 0) << args[0] << "\n" << describe(run);
    EXPECT_NE(run.out.find("Usage"), std::string::npos) << args[0] << "\n" << describe(run);
  }
  run = baton_.run({"watch", "--help"});
  EXPECT_NE(run.out.find("--count"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace baton::test::cli_without_broker_test
