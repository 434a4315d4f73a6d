// A network cut between the broker and a node (issue "fault tolerance"): the broker in one network
// namespace, the node in another, joined by a veth pair with addresses that exist only there. The
// broker binds a non-loopback address, which it does only with keys. Skips itself, saying why,
// where the machine does not allow network namespaces.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/baton_runner.hpp"
#include "tests/support/network_namespaces.hpp"

// A namespace of its own: the test files of an executable compile as one unity source.
namespace baton::test::network_cut_test {

using namespace harness;

namespace {

using nlohmann::json;
using std::chrono::steady_clock;

class NetworkCut : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = NetworkPair::unavailable()) {
      GTEST_SKIP() << "network namespaces are not available here: " << *why;
    }
    net_.emplace();
    for (const char* name : {"broker", "m1", "op"}) {
      CliRun made = BatonRunner(dir_).run({"keygen", name, "--dir", dir_.path()});
      ASSERT_EQ(made.code, 0) << describe(made);
    }
    auto public_key = [&](const std::string& name) {
      std::string text = read_file(dir_ / (name + ".pub"));
      return text.substr(text.find("public-key  ") + 12, 40);
    };
    std::ofstream(dir_ / "authorized_keys")
        << "node " << public_key("m1") << " m1\noperator " << public_key("op") << " op\n";
    std::ofstream(dir_ / "SharedConfig.xml")
        << "<Shared>\n"
           "  <App AppIdTuple=\"m1.sleeper\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "  <App AppIdTuple=\"m1.other\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "</Shared>\n";
    const std::string host = std::string("tcp://") + NetworkPair::kServerAddress;
    control_ = host + ":7100";
    broker_args_ = {binary_path("baton-broker"),
                    "--config",
                    dir_ / "SharedConfig.xml",
                    "--control",
                    control_,
                    "--ingest",
                    host + ":7101",
                    "--bus",
                    host + ":7102"};
    cli_.emplace(dir_, net_->in_server());
  }

  ChildProcess start_broker(const std::vector<std::string>& extra, const std::string& log) {
    std::vector<std::string> argv = net_->in_server();
    argv.insert(argv.end(), broker_args_.begin(), broker_args_.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return ChildProcess(argv, ChildProcess::Options{{}, {}, dir_ / log});
  }

  CliRun baton(std::vector<std::string> args) {
    std::vector<std::string> argv{"--broker",      control_,       "--key",
                                  dir_ / "op.key", "--broker-key", dir_ / "broker.pub",
                                  "--timeout",     "3000"};
    argv.insert(argv.end(), args.begin(), args.end());
    last_run_ = cli_->run(argv);
    return last_run_;
  }
  std::optional<bool> online() {
    CliRun run = baton({"machines", "--json"});
    if (run.code != 0) return std::nullopt;
    const json answer = json::parse(run.out);
    for (const auto& m : answer.at("machines")) {
      if (m.at("node").at("machine") == "m1") return m.at("node").at("online").get<bool>();
    }
    return std::nullopt;
  }
  std::optional<json> app(const std::string& id) {
    CliRun run = baton({"status", id, "--json"});
    if (run.code != 0) return std::nullopt;
    return json::parse(run.out).at("app").at("state");
  }

  TempDir dir_;
  std::optional<NetworkPair> net_;  // outlives every process started in it (declared first)
  std::optional<BatonRunner> cli_;
  std::string control_;
  std::vector<std::string> broker_args_;
  CliRun last_run_;  // for failure messages
};

TEST_F(NetworkCut, NodeGoesOfflineKeepsItsAppsAndResyncsWithoutADuplicateLaunch) {
  // Without keys, a non-loopback address is refused, and why.
  ChildProcess refused = start_broker({}, "refused.log");
  auto refused_status = refused.wait_exit();
  ASSERT_TRUE(refused_status && refused_status->exited_normally());
  EXPECT_EQ(refused_status->code, 2);
  EXPECT_NE(read_file(dir_ / "refused.log").find("refusing to bind " + control_), std::string::npos)
      << read_file(dir_ / "refused.log");

  ChildProcess broker = start_broker(
      {"--key", dir_ / "broker.key", "--authorized-keys", dir_ / "authorized_keys"}, "broker.log");
  std::vector<std::string> node_argv = net_->in_client();
  node_argv.insert(
      node_argv.end(),
      {binary_path("baton-node"), "--machine", "m1", "--broker", control_, "--key", dir_ / "m1.key",
       "--broker-key", dir_ / "broker.pub", "--appmonitor", "ipc://" + dir_ / "m1.sock",
       "--log-dir", dir_ / "logs", "--state-dir", dir_ / "state"});
  ChildProcess node(node_argv, ChildProcess::Options{{}, {}, dir_ / "node.log"});
  auto logs = [&] {
    return "--- last baton\n" + describe(last_run_) + "--- broker\n" +
           read_file(dir_ / "broker.log") + "--- node\n" + read_file(dir_ / "node.log");
  };
  ASSERT_TRUE(wait_until([&] { return online() == true; })) << logs();

  CliRun launched = baton({"launch", "m1.sleeper"});
  ASSERT_EQ(launched.code, 0) << describe(launched) << logs();
  std::int64_t pid = 0;
  ASSERT_TRUE(wait_until([&] {
    auto state = app("m1.sleeper");
    pid = state ? state->at("pid").get<std::int64_t>() : 0;
    return pid > 0;
  })) << logs();

  // Cut: offline at the broker (how soon is bench_fleet_commands' business).
  net_->cut();
  ASSERT_TRUE(wait_until([&] { return online() == false; })) << logs();
  EXPECT_EQ(baton({"launch", "m1.other"}).code, 1);  // refused at once: offline
  // The node keeps its app through the cut.
  EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0);

  net_->heal();
  ASSERT_TRUE(wait_until([&] { return online() == true; })) << logs();
  // Resynchronised: the same process, no restart, and commands reach the node again.
  auto state = app("m1.sleeper");
  ASSERT_TRUE(state) << logs();
  EXPECT_EQ(state->at("pid").get<std::int64_t>(), pid);
  EXPECT_EQ(state->at("restarts").get<std::int64_t>(), 0);
  ASSERT_TRUE(wait_until([&] { return baton({"launch", "m1.other"}).code == 0; })) << logs();
  EXPECT_EQ(count_occurrences(read_file(dir_ / "node.log"), "app sleeper: launched"), 1u) << logs();
  EXPECT_EQ(count_occurrences(read_file(dir_ / "node.log"), "app other: launched"), 1u) << logs();
}

}  // namespace
}  // namespace baton::test::network_cut_test
