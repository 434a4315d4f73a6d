// The real `baton` binary as a child process: every verb against a real baton-broker with one
// real baton-node (machine m1; m2 is in the config but never comes).
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

// A namespace of its own: the test files of an executable compile as one unity source, and other
// test files define an alive() of their own.
namespace baton::test::cli_test {

using namespace harness;

namespace {

using nlohmann::json;

bool alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

bool has_flag(const json& state, const std::string& flag) {
  const auto& flags = state.at("flags");
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

// Two machines, m1 and m2; a plan where web waits for db; two standalone apps, one of them
// writing %GREETING% (set by set-vars) to a file.
std::string shared_config(const TempDir& dir, bool with_extra) {
  std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<Shared>\n"
      "  <Plan Name=\"main\" StartTimeout=\"60\">\n"
      "    <App AppIdTuple=\"m1.db\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"\n"
      "         InitCondition=\"timeout 0.3\"/>\n"
      "    <App AppIdTuple=\"m1.web\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"\n"
      "         Dependencies=\"db\"/>\n"
      "  </Plan>\n"
      "  <App AppIdTuple=\"m1.tool\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
      "  <App AppIdTuple=\"m1.greeter\" ExeFullPath=\"/bin/sh\"\n"
      "       CmdLineArgs=\"-c 'echo [%GREETING%] &gt; " +
      (dir / "greeting.txt") +
      "; exec sleep 600'\"/>\n"
      "  <App AppIdTuple=\"m2.remote\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n";
  if (with_extra) {
    xml += "  <App AppIdTuple=\"m1.extra\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n";
  }
  return xml + "</Shared>\n";
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!file_exists(binary_path("baton-broker"))) {
      GTEST_SKIP() << "baton-broker is not built: " << binary_path("baton-broker");
    }
    config_path_ = dir_ / "SharedConfig.xml";
    write_config(false);
    control_ = "ipc://" + (dir_ / "control.sock");
    broker_log_ = dir_ / "broker.log";
    broker_.emplace(
        std::vector<std::string>{binary_path("baton-broker"), "--config", config_path_, "--control",
                                 control_, "--ingest", "ipc://" + (dir_ / "ingest.sock"), "--bus",
                                 "ipc://" + (dir_ / "bus.sock")},
        ChildProcess::Options{{}, {}, broker_log_});
    node_.emplace(dir_, std::vector<std::string>{"--broker", control_});
    ASSERT_TRUE(eventually([&] {
      json machines = request_json({"machines", "--json"});
      for (const auto& m : machines.value("machines", json::array())) {
        if (m["node"]["machine"] == "m1" && m["node"]["online"] == true) return true;
      }
      return false;
    })) << logs();
  }

  void write_config(bool with_extra) {
    std::ofstream(config_path_) << shared_config(dir_, with_extra);
  }

  std::string logs() const {
    return "broker log:\n" + read_file(broker_log_) + "\nnode log:\n" + (node_ ? node_->log() : "");
  }

  CliRun baton(std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker", control_});
    return baton_.run(args);
  }

  // The JSON a verb prints, or null when it failed.
  json request_json(const std::vector<std::string>& args) {
    CliRun run = baton(args);
    if (run.code != 0) return nullptr;
    return json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  }

  // The AppState of one app as `baton status APP --json` gives it ({} when that failed).
  json app_state(const std::string& app) {
    json status = request_json({"status", app, "--json"});
    if (!status.is_object() || !status.contains("app")) return json::object();
    return status["app"]["state"];
  }

  // Polls `condition`, which runs baton, a few times a second.
  static bool eventually(const std::function<bool()>& condition) {
    return wait_until([&] {
      if (condition()) return true;
      std::this_thread::sleep_for(100ms);
      return false;
    });
  }

  bool wait_running(const std::string& app) {
    return eventually([&] {
      json state = app_state(app);
      return state.contains("flags") && has_flag(state, "Running") && state["pid"] > 0;
    });
  }
  bool wait_not_running(const std::string& app) {
    return eventually([&] {
      json state = app_state(app);
      return state.contains("flags") && !has_flag(state, "Running") && state["pid"] == 0;
    });
  }
  std::string plan_status(const std::string& plan) {
    json state = request_json({"plan", "status", plan, "--json"});
    return state.is_object() ? state.value("status", "") : "";
  }

  TempDir dir_;
  BatonRunner baton_{dir_};
  std::string config_path_;
  std::string control_;
  std::string broker_log_;
  std::optional<ChildProcess> broker_;
  std::optional<NodeProcess> node_;
};

TEST_F(CliTest, StatusJsonMatchesTheRealProcess) {
  CliRun run = baton({"launch", "m1.tool"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_EQ(run.out, "m1.tool: launched\n");
  ASSERT_TRUE(wait_running("m1.tool")) << logs();

  json status = request_json({"status", "m1.tool", "--json"});
  ASSERT_TRUE(status.is_object()) << logs();
  const json& app = status["app"];
  EXPECT_EQ(app["online"], true);
  EXPECT_EQ(app["state"]["machine"], "m1");
  EXPECT_EQ(app["state"]["app"], "tool");
  EXPECT_EQ(app["state"]["v"], 1);
  const pid_t pid = app["state"]["pid"].get<pid_t>();
  EXPECT_TRUE(alive(pid)) << pid;
  EXPECT_EQ(read_file("/proc/" + std::to_string(pid) + "/cmdline").substr(0, 11),
            std::string("/bin/sleep\0", 11));
  EXPECT_GT(app["state"]["started_at"].get<double>(), 0);

  // Every app of the config, launched or not, m2's offline.
  json all = request_json({"status", "--json"});
  ASSERT_TRUE(all.is_object());
  std::vector<std::string> ids;
  for (const auto& a : all["apps"]) {
    ids.push_back(a["state"]["machine"].get<std::string>() + "." +
                  a["state"]["app"].get<std::string>());
    if (a["state"]["machine"] == "m2") {
      EXPECT_EQ(a["online"], false);
    }
  }
  EXPECT_EQ(ids,
            (std::vector<std::string>{"m1.db", "m1.greeter", "m1.tool", "m1.web", "m2.remote"}));

  run = baton({"status"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out.rfind("APP ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("RESTARTS"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(std::to_string(pid)), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("m2.remote"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("offline"), std::string::npos) << run.out;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 6) << run.out;
}

TEST_F(CliTest, LaunchRestartAndKillChangeTheRealProcess) {
  ASSERT_EQ(baton({"launch", "m1.tool"}).code, 0) << logs();
  ASSERT_TRUE(wait_running("m1.tool")) << logs();
  const pid_t first = app_state("m1.tool")["pid"].get<pid_t>();
  ASSERT_TRUE(alive(first));

  CliRun run = baton({"restart", "m1.tool"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_EQ(run.out, "m1.tool: restarted\n");
  ASSERT_TRUE(eventually([&] {
    json state = app_state("m1.tool");
    return state.contains("pid") && state["pid"] > 0 && state["pid"] != first &&
           has_flag(state, "Running");
  })) << logs();
  EXPECT_TRUE(wait_until([&] { return !alive(first); }));
  const pid_t second = app_state("m1.tool")["pid"].get<pid_t>();
  EXPECT_TRUE(alive(second));

  run = baton({"kill", "m1.tool"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_EQ(run.out, "m1.tool: killed\n");
  ASSERT_TRUE(wait_not_running("m1.tool")) << logs();
  EXPECT_TRUE(has_flag(app_state("m1.tool"), "Killed"));
  EXPECT_TRUE(wait_until([&] { return !alive(second); }));
}

TEST_F(CliTest, PlanStartReachesSuccessAndPlanKillNone) {
  CliRun run = baton({"plan", "start", "main"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_EQ(run.out, "plan main: start accepted\n");
  ASSERT_TRUE(eventually([&] { return plan_status("main") == "Success"; }))
      << plan_status("main") << logs();
  for (const char* app : {"m1.db", "m1.web"}) {
    json state = app_state(app);
    EXPECT_TRUE(has_flag(state, "Running")) << app;
    EXPECT_TRUE(has_flag(state, "PlanApplied")) << app;
    EXPECT_EQ(state["plan"], "main") << app;
    EXPECT_TRUE(alive(state["pid"].get<pid_t>())) << app;
  }
  // db first: web depends on it.
  EXPECT_LT(app_state("m1.db")["started_at"].get<double>(),
            app_state("m1.web")["started_at"].get<double>());

  run = baton({"plan", "status", "main"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out.rfind("plan main: Success\n", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("m1.web"), std::string::npos) << run.out;

  run = baton({"plans"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out, "PLAN  STATUS\nmain  Success\n");
  json plans = request_json({"plans", "--json"});
  ASSERT_TRUE(plans.is_object());
  ASSERT_EQ(plans["plans"].size(), 1u);
  EXPECT_EQ(plans["plans"][0]["plan"], "main");
  EXPECT_EQ(plans["plans"][0]["status"], "Success");

  const pid_t web = app_state("m1.web")["pid"].get<pid_t>();
  run = baton({"plan", "kill", "main"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  ASSERT_TRUE(eventually([&] { return plan_status("main") == "None"; }))
      << plan_status("main") << logs();
  EXPECT_TRUE(wait_not_running("m1.web")) << logs();
  EXPECT_TRUE(wait_until([&] { return !alive(web); }));

  run = baton({"plan", "restart", "main"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  ASSERT_TRUE(eventually([&] { return plan_status("main") == "Success"; })) << logs();
  run = baton({"plan", "stop", "main"});
  EXPECT_EQ(run.code, 0) << describe(run);
}

TEST_F(CliTest, MachinesShowM1OnlineAndM2Offline) {
  json machines = request_json({"machines", "--json"});
  ASSERT_TRUE(machines.is_object()) << logs();
  std::map<std::string, json> by_name;
  for (const auto& m : machines["machines"])
    by_name[m["node"]["machine"].get<std::string>()] = m;
  ASSERT_TRUE(by_name.contains("m1") && by_name.contains("m2")) << machines.dump();
  EXPECT_EQ(by_name["m1"]["node"]["online"], true);
  EXPECT_GT(by_name["m1"]["last_seen"].get<double>(), 0);
  EXPECT_EQ(by_name["m2"]["node"]["online"], false);

  CliRun run = baton({"machines"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out.rfind("MACHINE", 0), 0u) << run.out;
  auto line_of = [&](const std::string& machine) {
    auto at = run.out.find("\n" + machine + " ");
    return at == std::string::npos ? "" : run.out.substr(at + 1, run.out.find('\n', at + 1) - at);
  };
  EXPECT_NE(line_of("m1").find("online"), std::string::npos) << run.out;
  EXPECT_NE(line_of("m2").find("offline"), std::string::npos) << run.out;
  EXPECT_NE(line_of("m2").find("never"), std::string::npos) << run.out;
}

TEST_F(CliTest, SetVarsReachesTheNextLaunch) {
  CliRun run = baton({"set-vars", "m1", "GREETING=hello", "UNUSED="});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_EQ(run.out, "set 2 variables on m1\n");
  ASSERT_EQ(baton({"launch", "m1.greeter"}).code, 0) << logs();
  EXPECT_TRUE(wait_until([&] { return read_file(dir_ / "greeting.txt") == "[hello]\n"; }))
      << read_file(dir_ / "greeting.txt") << logs();

  run = baton({"set-vars", "all", "GREETING=again"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_EQ(run.out, "set 1 variable on every machine\n");
  ASSERT_EQ(baton({"restart", "m1.greeter"}).code, 0) << logs();
  EXPECT_TRUE(wait_until([&] { return read_file(dir_ / "greeting.txt") == "[again]\n"; }))
      << read_file(dir_ / "greeting.txt") << logs();

  run = baton({"set-vars", "m2", "GREETING=x"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("machine m2 is offline"), std::string::npos) << describe(run);
}

TEST_F(CliTest, ReloadReportsWhatChanged) {
  write_config(true);
  json reload = request_json({"reload", "--json"});
  ASSERT_TRUE(reload.is_object()) << logs();
  EXPECT_EQ(reload["added"], json::array({"m1.extra"}));
  EXPECT_EQ(reload["removed"], json::array());
  EXPECT_TRUE(reload.contains("changed") && reload.contains("warnings")) << reload.dump();
  ASSERT_EQ(baton({"launch", "m1.extra"}).code, 0) << logs();
  EXPECT_TRUE(wait_running("m1.extra")) << logs();

  write_config(false);
  CliRun run = baton({"reload"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_NE(run.out.find("removed: m1.extra"), std::string::npos) << run.out;

  std::ofstream(config_path_) << "<Shared><App AppIdTuple=\"broken\"/></Shared>";
  run = baton({"reload"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_FALSE(run.err.empty());
}

TEST_F(CliTest, KillAllStopsEveryAppOfTheMachine) {
  ASSERT_EQ(baton({"launch", "m1.tool"}).code, 0) << logs();
  ASSERT_EQ(baton({"launch", "m1.db"}).code, 0) << logs();
  ASSERT_TRUE(wait_running("m1.tool") && wait_running("m1.db")) << logs();
  const pid_t tool = app_state("m1.tool")["pid"].get<pid_t>();

  CliRun run = baton({"kill-all", "m1"});
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_EQ(run.out, "killed every app on m1\n");
  EXPECT_TRUE(wait_not_running("m1.tool")) << logs();
  EXPECT_TRUE(wait_not_running("m1.db")) << logs();
  EXPECT_TRUE(wait_until([&] { return !alive(tool); }));

  ASSERT_EQ(baton({"launch", "m1.tool"}).code, 0) << logs();
  ASSERT_TRUE(wait_running("m1.tool")) << logs();
  run = baton({"kill-all"});  // every machine that is online
  ASSERT_EQ(run.code, 0) << describe(run) << logs();
  EXPECT_EQ(run.out, "killed every app on every machine\n");
  EXPECT_TRUE(wait_not_running("m1.tool")) << logs();

  run = baton({"kill-all", "m2"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("machine m2 is offline"), std::string::npos) << describe(run);
}

TEST_F(CliTest, WatchPrintsBusMessagesAndStopsByItself) {
  // JSON, one object per line, with its topic.
  RunningBaton watch = baton_.start(
      {"--broker", control_, "watch", "status/m1/tool", "--json", "--count", "1", "--for", "30"});
  // The subscription takes a moment to reach the broker: change the app until watch sees it.
  bool launched = false;
  ASSERT_TRUE(eventually([&] {
    if (!watch.process.running()) return true;
    baton({launched ? "kill" : "launch", "m1.tool"});
    launched = !launched;
    return false;
  })) << logs();
  CliRun run = baton_.finish(watch);
  ASSERT_EQ(run.code, 0) << describe(run);
  ASSERT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << run.out;
  json line = json::parse(run.out);
  EXPECT_EQ(line["topic"], "status/m1/tool");
  EXPECT_EQ(line["machine"], "m1");
  EXPECT_EQ(line["app"], "tool");
  EXPECT_TRUE(line.contains("flags") && line.contains("seq")) << line.dump();

  // Human form: node presence comes every second.
  run = baton({"watch", "node/m1", "--count", "2"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 2) << run.out;
  EXPECT_NE(run.out.find(" node m1 online apps "), std::string::npos) << run.out;

  // Everything, for a while.
  const auto start = std::chrono::steady_clock::now();
  run = baton({"watch", "--for", "1.5"});
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_NE(run.out.find("node m1"), std::string::npos) << run.out;
}

TEST_F(CliTest, WatchEndsCleanlyOnSigint) {
  RunningBaton watch = baton_.start({"--broker", control_, "watch", "node/"});
  // Once a line is out, hello is done and the stream runs: Ctrl-C must end it with exit 0.
  ASSERT_TRUE(wait_until([&] { return !read_file(watch.out_path).empty(); })) << logs();
  watch.process.signal(SIGINT);
  CliRun run = baton_.finish(watch, 5s);
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_TRUE(run.err.empty()) << describe(run);
}

TEST_F(CliTest, FailedRequestsExit1WithTheBrokersReason) {
  CliRun run = baton({"launch", "m1.nope"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("unknown app m1.nope"), std::string::npos) << describe(run);
  EXPECT_TRUE(run.out.empty()) << describe(run);

  run = baton({"status", "m1.nope"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("m1.nope"), std::string::npos) << describe(run);

  run = baton({"launch", "m2.remote"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_NE(run.err.find("machine m2 is offline"), std::string::npos) << describe(run);

  run = baton({"plan", "start", "nope"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_FALSE(run.err.empty());
  run = baton({"plan", "status", "nope", "--json"});
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_TRUE(run.out.empty()) << describe(run);
}

TEST_F(CliTest, BrokerGoneMeansExit3) {
  broker_->terminate();
  CliRun run = baton({"--timeout", "300", "plans"});
  EXPECT_EQ(run.code, 3) << describe(run);
  EXPECT_NE(run.err.find("cannot reach the broker at " + control_), std::string::npos)
      << describe(run);
}

}  // namespace
}  // namespace baton::test::cli_test
