// The whole system as separate processes on loopback: baton-broker and nodes m1, m2, m3, driven
// through the control socket by a plain ZeroMQ client, apps that are small shell one-liners.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "harness/bus_watcher.hpp"
#include "harness/child_process.hpp"
#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

namespace {

namespace control = proto::control;

bool alive(std::int64_t pid) {
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

// db on m1 <- api on m2 <- web on m3 <- worker on m1: each app appends its id to `order` when
// it starts and is Initialized 0.3 s later; `api` also writes $GREETING to `greeting`.
std::string write_config(const TempDir& dir) {
  const std::string order = dir / "order";
  auto app = [&](const std::string& id, const std::string& deps, const std::string& extra = "") {
    return "    <App AppIdTuple=\"" + id + "\" Template=\"t\"" +
           (deps.empty() ? "" : " Dependencies=\"" + deps + "\"") +
           " CmdLineArgs=\"-c &quot;echo %DIRIGENT_MACHINEID%.%DIRIGENT_APPID% >> " + order + "; " +
           extra + "exec sleep 600&quot;\"/>\n";
  };
  const std::string path = dir / "SharedConfig.xml";
  std::ofstream(path) << "<Shared>\n"
                         "  <AppTemplate Name=\"t\" ExeFullPath=\"/bin/sh\" "
                         "InitCondition=\"timeout 0.3\"/>\n"
                         "  <Plan Name=\"chain\" StartTimeout=\"60\">\n" +
                             app("m1.db", "") +
                             app("m2.api", "m1.db",
                                 "echo $GREETING > " + (dir / "greeting") + "; ") +
                             app("m3.web", "m2.api") + app("m1.worker", "m3.web") +
                             "  </Plan>\n"
                             // a, then b 0.6 s later; off is skipped; slow never initializes
                             "  <Plan Name=\"opts\" StartTimeout=\"2\">\n"
                             "    <App AppIdTuple=\"m1.a\" ExeFullPath=\"/bin/sleep\" "
                             "CmdLineArgs=\"600\" SeparationInterval=\"0.6\"/>\n"
                             "    <App AppIdTuple=\"m1.b\" ExeFullPath=\"/bin/sleep\" "
                             "CmdLineArgs=\"600\"/>\n"
                             "    <App AppIdTuple=\"m1.off\" ExeFullPath=\"/bin/sleep\" "
                             "CmdLineArgs=\"600\" Disabled=\"1\"/>\n"
                             "    <App AppIdTuple=\"m1.slow\" ExeFullPath=\"/bin/sleep\" "
                             "CmdLineArgs=\"600\" InitCondition=\"exitcode 0\"/>\n"
                             "  </Plan>\n"
                             "  <App AppIdTuple=\"m2.solo\" ExeFullPath=\"/bin/sleep\" "
                             "CmdLineArgs=\"600\"/>\n"
                             "</Shared>\n";
  return path;
}

class BrokerFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = write_config(dir_);
    broker_ = std::make_unique<BrokerProcess>(dir_, config_, BrokerEndpoints::in(dir_));
    for (const char* m : {"m1", "m2", "m3"})
      nodes_[m] = std::make_unique<FleetNode>(dir_, m, broker_->endpoints().control);
    client_ = std::make_unique<ControlClient>(broker_->endpoints().control);
    for (const char* m : {"m1", "m2", "m3"})
      ASSERT_TRUE(client_->wait_linked(m)) << m << "\n" << logs();
  }

  std::string logs() {
    std::string out = "--- broker\n" + broker_->log();
    for (auto& [m, node] : nodes_)
      out += "--- " + m + "\n" + node->log();
    return out;
  }

  TempDir dir_;
  std::string config_;
  std::unique_ptr<BrokerProcess> broker_;
  std::map<std::string, std::unique_ptr<FleetNode>> nodes_;
  std::unique_ptr<ControlClient> client_;
};

TEST_F(BrokerFleet, PlanStartsInDependencyOrderAcrossMachines) {
  auto started = client_->request("plan_start", control::PlanArgs{"chain"});
  ASSERT_TRUE(started && started->ok) << (started ? started->error : "no reply");
  ASSERT_TRUE(client_->wait_plan("chain", "Success")) << logs();
  EXPECT_EQ(read_lines(dir_ / "order"),
            (std::vector<std::string>{"m1.db", "m2.api", "m3.web", "m1.worker"}));

  // GetAllAppsState matches reality: every plan app runs with a live pid, solo is idle.
  auto apps = client_->all_apps();
  ASSERT_EQ(apps.size(), 9u);
  for (const char* id : {"m1.db", "m2.api", "m3.web", "m1.worker"}) {
    const auto& s = apps.at(id);
    EXPECT_TRUE(has_flag(s.state, "Running")) << id;
    EXPECT_TRUE(has_flag(s.state, "Initialized")) << id;
    EXPECT_TRUE(has_flag(s.state, "PlanApplied")) << id;
    EXPECT_EQ(s.state.plan, "chain") << id;
    EXPECT_TRUE(alive(s.state.pid)) << id;
    EXPECT_TRUE(s.online);
  }
  EXPECT_FALSE(has_flag(apps.at("m2.solo").state, "Started"));
  EXPECT_EQ(apps.at("m2.solo").state.pid, 0);

  auto plan = client_->plan("chain");
  ASSERT_TRUE(plan);
  for (const auto& app : plan->apps)
    EXPECT_EQ(app.status, "initialized") << app.app;

  // KillPlan ends in None with nothing running.
  std::vector<std::int64_t> pids;
  for (const char* id : {"m1.db", "m2.api", "m3.web", "m1.worker"})
    pids.push_back(apps.at(id).state.pid);
  auto killed = client_->request("plan_kill", control::PlanArgs{"chain"});
  ASSERT_TRUE(killed && killed->ok);
  ASSERT_TRUE(client_->wait_plan("chain", "None")) << logs();
  for (const char* id : {"m1.db", "m2.api", "m3.web", "m1.worker"}) {
    auto s = client_->app(id);
    ASSERT_TRUE(s);
    EXPECT_FALSE(has_flag(s->state, "Running")) << id;
    EXPECT_FALSE(has_flag(s->state, "PlanApplied")) << id;
  }
  for (auto pid : pids)
    EXPECT_TRUE(wait_until([&] { return !alive(pid); })) << pid;
}

TEST_F(BrokerFleet, RestartPlanRelaunchesEverything) {
  ASSERT_TRUE(client_->request("plan_start", control::PlanArgs{"chain"})->ok);
  ASSERT_TRUE(client_->wait_plan("chain", "Success")) << logs();
  auto before = client_->all_apps();
  auto restarted = client_->request("plan_restart", control::PlanArgs{"chain"});
  ASSERT_TRUE(restarted && restarted->ok) << restarted->error;
  ASSERT_TRUE(wait_until([&] {
    auto now = client_->all_apps();
    auto plan = client_->plan("chain");
    if (!plan || plan->status != "Success") return false;
    for (const char* id : {"m1.db", "m2.api", "m3.web", "m1.worker"}) {
      if (now.at(id).state.pid == before.at(id).state.pid) return false;
    }
    return true;
  })) << logs();
  EXPECT_EQ(read_lines(dir_ / "order").size(), 8u);
  for (const char* id : {"m1.db", "m2.api", "m3.web", "m1.worker"})
    EXPECT_FALSE(alive(before.at(id).state.pid)) << id;
}

TEST_F(BrokerFleet, AppCommandsAndErrors) {
  auto launched = client_->request("launch", control::AppArgs{"m2.solo"});
  ASSERT_TRUE(launched && launched->ok) << (launched ? launched->error : "no reply");
  ASSERT_TRUE(client_->wait_app("m2.solo", [](const control::AppStatus& s) {
    return has_flag(s.state, "Running") && alive(s.state.pid);
  }));
  const auto first_pid = client_->app("m2.solo")->state.pid;

  auto restarted = client_->request("restart", control::AppArgs{"m2.solo"});
  ASSERT_TRUE(restarted && restarted->ok);
  ASSERT_TRUE(client_->wait_app("m2.solo", [&](const control::AppStatus& s) {
    return has_flag(s.state, "Running") && s.state.pid != first_pid;
  }));

  auto killed = client_->request("kill", control::AppArgs{"m2.solo"});
  ASSERT_TRUE(killed && killed->ok);
  ASSERT_TRUE(client_->wait_app("m2.solo", [](const control::AppStatus& s) {
    return has_flag(s.state, "Killed") && !has_flag(s.state, "Running");
  }));

  auto unknown = client_->request("launch", control::AppArgs{"m1.nope"});
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->ok);
  EXPECT_EQ(unknown->error, "unknown app m1.nope");
  auto bad = client_->request("launch", control::AppArgs{"no-dot-here/"});
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->ok);
  EXPECT_NE(bad->error.find("is not an app id"), std::string::npos) << bad->error;
  auto status = client_->request("get_app_state", control::AppArgs{"m9.ghost"});
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->ok);
  EXPECT_EQ(status->error, "unknown app m9.ghost");
  auto plan = client_->request("plan_start", control::PlanArgs{"nope"});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->error, "unknown plan nope");
  auto op = client_->request("frobnicate");
  ASSERT_TRUE(op);
  EXPECT_FALSE(op->ok);
  EXPECT_EQ(op->error, "unknown op 'frobnicate'");
}

TEST_F(BrokerFleet, SetVarsReachesTheNextLaunch) {
  std::string frame =
      proto::bus::pack_with(control::RequestHeader{1, "sv1", "set_vars"}, "args", [](auto& pk) {
        pk.pack_map(2);
        pk.pack(std::string_view("machine"));
        pk.pack(std::string_view("m2"));
        pk.pack(std::string_view("vars"));
        pk.pack_map(1);
        pk.pack(std::string_view("GREETING"));
        pk.pack(std::string_view("hello from the broker"));
      });
  auto set = client_->request_raw("set_vars", frame);
  ASSERT_TRUE(set && set->ok) << (set ? set->error : "no reply");
  ASSERT_TRUE(client_->request("launch", control::AppArgs{"m1.db"})->ok);
  ASSERT_TRUE(client_->wait_app(
      "m1.db", [](const control::AppStatus& s) { return has_flag(s.state, "Initialized"); }));
  ASSERT_TRUE(client_->request("launch", control::AppArgs{"m2.api"})->ok);
  ASSERT_TRUE(wait_until([&] { return !read_lines(dir_ / "greeting").empty(); })) << logs();
  EXPECT_EQ(read_lines(dir_ / "greeting"), std::vector<std::string>{"hello from the broker"});
}

TEST_F(BrokerFleet, NodeKilledGoesOfflineAndComesBack) {
  ASSERT_TRUE(client_->request("launch", control::AppArgs{"m3.web"})->ok);
  ASSERT_TRUE(client_->wait_app(
      "m3.web", [](const control::AppStatus& s) { return has_flag(s.state, "Running"); }));
  nodes_["m3"]->kill9();
  // How soon is bench_fleet_commands' business; here only that it happens.
  ASSERT_TRUE(client_->wait_app("m3.web", [](const control::AppStatus& s) { return !s.online; }))
      << logs();
  auto refused = client_->request("restart", control::AppArgs{"m3.web"});
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok);
  EXPECT_EQ(refused->error, "machine m3 is offline");

  nodes_["m3"]->start();
  ASSERT_TRUE(client_->wait_app("m3.web", [](const control::AppStatus& s) { return s.online; }))
      << logs();
  // Online means it can be commanded: the first command after it went online is obeyed (held by
  // the broker while the node's subscription to its commands is on its way), and the new node
  // knows its apps again (deployed on its return).
  auto launched = client_->request("launch", control::AppArgs{"m3.web"});
  ASSERT_TRUE(launched && launched->ok) << (launched ? launched->error : "no reply") << logs();
  ASSERT_TRUE(client_->wait_app("m3.web", [](const control::AppStatus& s) {
    return has_flag(s.state, "Running") && alive(s.state.pid);
  }));
}

TEST_F(BrokerFleet, BrokerKilledAppsKeepRunningAndStateComesBack) {
  ASSERT_TRUE(client_->request("plan_start", control::PlanArgs{"chain"})->ok);
  ASSERT_TRUE(client_->wait_plan("chain", "Success")) << logs();
  auto before = client_->all_apps();

  const BrokerEndpoints endpoints = broker_->endpoints();
  broker_->process().signal(SIGKILL);
  broker_->process().wait_exit();
  for (const char* id : {"m1.db", "m2.api", "m3.web", "m1.worker"})
    EXPECT_TRUE(alive(before.at(id).state.pid)) << id;

  broker_ = std::make_unique<BrokerProcess>(dir_, config_, endpoints, std::vector<std::string>{},
                                            "broker-2");
  client_ = std::make_unique<ControlClient>(endpoints.control);
  ASSERT_TRUE(wait_until([&] {
    auto now = client_->all_apps();
    for (const char* id : {"m1.db", "m2.api", "m3.web", "m1.worker"}) {
      if (now.count(id) == 0 || now.at(id).state.pid != before.at(id).state.pid) return false;
      if (!has_flag(now.at(id).state, "Running")) return false;
    }
    return true;
  })) << logs();
  // The plan is recomputed from the apps, and nothing was launched again.
  EXPECT_TRUE(client_->wait_plan("chain", "Success")) << logs();
  EXPECT_EQ(read_lines(dir_ / "order").size(), 4u);
  for (auto& [id, s] : client_->all_apps())
    EXPECT_EQ(s.state.restarts, before.at(id).state.restarts) << id;
}

TEST_F(BrokerFleet, GarbageOnEverySocketDisturbsNothing) {
  ASSERT_TRUE(client_->request("launch", control::AppArgs{"m2.solo"})->ok);
  // Control: non-msgpack, msgpack of the wrong shape, too many frames.
  ControlClient rogue(broker_->endpoints().control);
  for (const auto& frames : std::vector<std::vector<std::string>>{
           {"\xc1\xc1garbage"}, {std::string("\x93\x01\x02\x03", 4)}, {"a", "b", "c"}, {""}}) {
    rogue.send_garbage(frames);
  }
  auto no_op = rogue.request_raw("x", proto::pack_to_string(control::RequestHeader{1, "r1", ""}));
  ASSERT_TRUE(no_op);
  EXPECT_FALSE(no_op->ok);
  // Ingest: a publisher with bad topics, bad payloads and forged commands.
  zmq::context_t context;
  zmq::socket_t pub(context, zmq::socket_type::pub);
  pub.set(zmq::sockopt::linger, 0);
  pub.connect(broker_->endpoints().ingest);
  // Bus: a peer that sends things other than subscriptions.
  zmq::socket_t xsub(context, zmq::socket_type::xsub);
  xsub.set(zmq::sockopt::linger, 0);
  xsub.connect(broker_->endpoints().bus);
  BusWatcher watcher(broker_->endpoints().bus, {"cmd/"});
  for (int round = 0; round < 50; ++round) {
    pub.send(zmq::str_buffer("status/m2/solo"), zmq::send_flags::sndmore);
    pub.send(zmq::str_buffer("\xff\xfe not msgpack"));
    pub.send(zmq::str_buffer("cmd/m2/"), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(
        proto::bus::pack_command(proto::bus::CommandHeader{1, "forged", "kill", "x"},
                                 proto::bus::AppCommandArgs{"solo", std::nullopt, std::nullopt})));
    pub.send(zmq::str_buffer("node/m2"));
    xsub.send(zmq::str_buffer("\x05not a subscription"));
    xsub.send(zmq::str_buffer(""));
    client_->request("hello", control::HelloArgs{"client", std::nullopt, "t"});
  }
  watcher.pump(std::chrono::milliseconds(200));
  for (const auto& [topic, payload] : watcher.messages())
    EXPECT_EQ(payload.find("forged"), std::string::npos) << topic;
  ASSERT_TRUE(broker_->process().running()) << broker_->log();
  // Still fully working, and the forged kill never reached m2.
  ASSERT_TRUE(client_->wait_app("m2.solo", [](const control::AppStatus& s) {
    return has_flag(s.state, "Running") && !has_flag(s.state, "Killed");
  }));
  auto reply = client_->request("machines");
  ASSERT_TRUE(reply && reply->ok);
  EXPECT_NE(broker_->log().find("dropped"), std::string::npos);
}

TEST_F(BrokerFleet, SeparationDisabledAndStartTimeout) {
  BusWatcher plans(broker_->endpoints().bus, {"plan/opts"});
  plans.pump(std::chrono::milliseconds(200));  // let the subscription reach the broker
  auto started = client_->request("plan_start", control::PlanArgs{"opts"});
  ASSERT_TRUE(started && started->ok);
  // slow never meets its ExitCode detector: StartTimeout (2 s) fails the plan.
  ASSERT_TRUE(client_->wait_plan("opts", "Failure")) << logs();
  auto plan = client_->plan("opts");
  ASSERT_TRUE(plan && plan->reason);
  EXPECT_NE(plan->reason->find("StartTimeout"), std::string::npos) << *plan->reason;
  auto a = client_->app("m1.a"), b = client_->app("m1.b"), off = client_->app("m1.off");
  ASSERT_TRUE(a && b && off);
  EXPECT_GE(b->state.started_at - a->state.started_at, 0.55);  // SeparationInterval 0.6
  EXPECT_FALSE(has_flag(off->state, "Started"));
  for (const auto& app : plan->apps) {
    if (app.app == "m1.off") {
      EXPECT_EQ(app.status, "disabled");
    } else if (app.app == "m1.slow") {
      EXPECT_EQ(app.status, "running");
    }
  }
  // Every change went out on plan/opts, ending with the Failure.
  ASSERT_TRUE(plans.pump_until([&] {
    if (plans.messages().empty()) return false;
    const auto& last = plans.messages().back().second;
    auto state = proto::decode_frame<control::PlanState>(last.data(), last.size());
    return state && state->status == "Failure";
  }));
  std::vector<std::string> statuses;
  for (const auto& [topic, payload] : plans.messages()) {
    auto state = proto::decode_frame<control::PlanState>(payload.data(), payload.size());
    ASSERT_TRUE(state) << topic;
    if (statuses.empty() || statuses.back() != state->status) statuses.push_back(state->status);
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"InProgress", "Failure"}));
}

TEST_F(BrokerFleet, ReloadKeepsUnchangedAppsAndStopsRemovedOnes) {
  for (const char* id : {"m2.solo", "m1.a"})
    ASSERT_TRUE(client_->request("launch", control::AppArgs{id})->ok);
  ASSERT_TRUE(client_->wait_app(
      "m1.a", [](const control::AppStatus& s) { return has_flag(s.state, "Running"); }));
  ASSERT_TRUE(client_->wait_app(
      "m2.solo", [](const control::AppStatus& s) { return has_flag(s.state, "Running"); }));
  const auto solo_pid = client_->app("m2.solo")->state.pid;
  const auto a_pid = client_->app("m1.a")->state.pid;
  // The new config drops plan opts (and with it m1.a, b, off, slow) and adds m3.extra.
  std::string text = read_file(config_);
  const auto begin = text.find("  <Plan Name=\"opts\"");
  const auto end = text.find("</Plan>", begin) + std::string("</Plan>\n").size();
  text.replace(begin, end - begin,
               "  <App AppIdTuple=\"m3.extra\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"9\"/>\n");
  std::ofstream(config_) << text;
  auto reloaded = client_->request("reload");
  ASSERT_TRUE(reloaded && reloaded->ok) << (reloaded ? reloaded->error : "no reply");
  auto result = client_->result_as<control::ReloadResult>(*reloaded);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->added, std::vector<std::string>{"m3.extra"});
  EXPECT_TRUE(result->changed.empty());
  EXPECT_EQ(result->removed, (std::vector<std::string>{"m1.a", "m1.b", "m1.off", "m1.slow"}));
  EXPECT_TRUE(wait_until([&] { return !alive(a_pid); })) << logs();
  EXPECT_TRUE(client_->request("launch", control::AppArgs{"m3.extra"})->ok);
  auto solo = client_->app("m2.solo");
  ASSERT_TRUE(solo);
  EXPECT_EQ(solo->state.pid, solo_pid);
  EXPECT_TRUE(alive(solo_pid));
  // A broken file is refused and the running config stays.
  std::ofstream(config_) << "<Shared><App AppIdTuple=\"m1.x\"";
  auto refused = client_->request("reload");
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok);
  EXPECT_NE(refused->error.find("the running config stays"), std::string::npos) << refused->error;
  EXPECT_TRUE(client_->app("m3.extra").has_value());
}

// examples/monitor.py (python3-zmq, python3-msgpack) decodes our status messages: a client we did
// not write in C++.
TEST_F(BrokerFleet, PythonMonitorPrintsStatusChanges) {
  const std::string out = dir_ / "monitor.out";
  ChildProcess monitor(
      {"/usr/bin/python3", std::string(BATON_SOURCE_DIR) + "/examples/monitor.py", "--broker",
       broker_->endpoints().control, "--prefix", "status/m2/solo", "--count", "3", "--for", "60"},
      ChildProcess::Options{{}, {}, out});
  ASSERT_TRUE(wait_until([&] { return read_file(out).find("following") != std::string::npos; }))
      << read_file(out);
  // Each launch and kill changes the state several times; three lines are enough.
  ASSERT_TRUE(wait_until([&] {
    client_->request("launch", control::AppArgs{"m2.solo"});
    client_->request("kill", control::AppArgs{"m2.solo"});
    return !monitor.running();
  })) << read_file(out);
  auto exit = monitor.wait_exit();
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 0) << read_file(out);
  auto lines = read_lines(out);
  ASSERT_EQ(lines.size(), 4u) << read_file(out);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_TRUE(lines[i].starts_with("m2.solo: ")) << lines[i];
    EXPECT_NE(lines[i].find(" seq="), std::string::npos) << lines[i];
  }
}

TEST(BrokerConfig, MalformedConfigExitsWithFileAndLine) {
  TempDir dir;
  const std::string path = dir / "bad.xml";
  std::ofstream(path) << "<Shared>\n  <App AppIdTuple=\"m1.a\" ExeFullPath=\"/bin/true\"\n"
                         "       RestartOnCrash=\"yes please\"/>\n</Shared>\n";
  ChildProcess broker(
      {binary_path("baton-broker"), "--config", path, "--control", "ipc://" + (dir / "c.sock"),
       "--ingest", "ipc://" + (dir / "i.sock"), "--bus", "ipc://" + (dir / "b.sock")},
      ChildProcess::Options{{}, {}, dir / "out"});
  auto exit = broker.wait_exit();
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 2);
  EXPECT_NE(read_file(dir / "out").find(path + ":3"), std::string::npos) << read_file(dir / "out");
  EXPECT_NE(read_file(dir / "out").find("RestartOnCrash"), std::string::npos);
}

// Safe by default: an endpoint the network reaches is refused before anything is bound (nothing
// authenticates who connects), with the reason and the way out. (Loopback too: local_access_test.)
TEST(BrokerConfig, RefusesNetworkEndpointsWithoutInsecure) {
  TempDir dir;
  const std::string path = dir / "ok.xml";
  std::ofstream(path)
      << "<Shared>\n  <App AppIdTuple=\"m1.a\" ExeFullPath=\"/bin/true\"/>\n</Shared>\n";
  for (const std::string endpoint : {"tcp://0.0.0.0:7100", "tcp://*:7100", "tcp://10.1.2.3:7100",
                                     "tcp://127.example.com:7100"}) {
    ChildProcess broker({binary_path("baton-broker"), "--config", path, "--control", endpoint},
                        ChildProcess::Options{{}, {}, dir / "out"});
    auto exit = broker.wait_exit();
    ASSERT_TRUE(exit) << endpoint;
    EXPECT_EQ(exit->code, 2) << endpoint;
    const std::string out = read_file(dir / "out");
    EXPECT_NE(out.find("refusing to bind " + endpoint), std::string::npos) << out;
    EXPECT_NE(out.find("--insecure"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace baton::test
