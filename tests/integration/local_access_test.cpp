// The broker's local door (issue #28): its ipc:// socket files are mode 0660 with one group, so a
// local user outside the group can neither command the fleet nor forge what nodes publish, while a
// member can do everything; a tcp:// endpoint without keys is refused unless --insecure. The users
// are real: `baton` and a forger run as uid 65534 (setpriv), outside or inside the socket's group.
// Needs root (to switch users); skips itself, saying so, otherwise.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness/child_process.hpp"
#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/baton_runner.hpp"

// A namespace of its own: the test files of an executable compile as one unity source.
namespace baton::test::local_access_test {

using namespace harness;

namespace {

namespace control = proto::control;

// A group no account needs to have: the socket files get it, and the "member" gets it as a
// supplementary group.
constexpr gid_t kSocketGroup = 47113;
constexpr const char* kNobody = "65534";

std::vector<std::string> as_nobody(bool member) {
  std::vector<std::string> argv{"setpriv", std::string("--reuid=") + kNobody,
                                std::string("--regid=") + kNobody};
  if (member) {
    argv.push_back("--groups=" + std::to_string(kSocketGroup));
  } else {
    argv.push_back("--clear-groups");
  }
  return argv;
}

// Publishes a forged NodeState of machine m9 on the ingest socket for `seconds`, after saying
// whether the kernel lets it connect at all.
constexpr const char* kForger = R"(
import socket, sys, time
import msgpack, zmq
path, seconds = sys.argv[1], float(sys.argv[2])
probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    probe.connect(path)
    print("kernel: connected", flush=True)
except OSError as e:
    print("kernel: " + e.strerror, flush=True)
probe.close()
context = zmq.Context()
pub = context.socket(zmq.PUB)
pub.setsockopt(zmq.LINGER, 0)
pub.connect("ipc://" + path)
state = msgpack.packb({"v": 1, "machine": "m9", "online": True, "apps": 0, "registrations": 0,
                       "uptime": 1.0, "seq": 1})
end = time.monotonic() + seconds
while time.monotonic() < end:
    pub.send_multipart([b"node/m9", state])
    time.sleep(0.02)
)";

class LocalAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "switching to another user needs root";
    if (!file_exists("/usr/bin/setpriv")) GTEST_SKIP() << "setpriv (util-linux) is missing";
    // TempDir is 0700: uid 65534 must be able to cross it to reach the socket files, whose own
    // mode is what is tested.
    ASSERT_EQ(::chmod(dir_.path().c_str(), 0711), 0);
    std::ofstream(dir_ / "SharedConfig.xml")
        << "<Shared>\n"
           "  <App AppIdTuple=\"m1.svc\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "  <Plan Name=\"p\">\n"
           "    <App AppIdTuple=\"m1.planned\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
           "  </Plan>\n"
           "</Shared>\n";
    std::ofstream(dir_ / "forge.py") << kForger;
    broker_.emplace(dir_, dir_ / "SharedConfig.xml", BrokerEndpoints::in(dir_),
                    std::vector<std::string>{"--group", std::to_string(kSocketGroup)});
    node_.emplace(dir_, "m1", broker_->endpoints().control);
    client_.emplace(broker_->endpoints().control);
    // Linked, not only online: an empty set_vars is routed like any command and changes nothing.
    const std::string link =
        proto::bus::pack_with(control::RequestHeader{1, "link", "set_vars"}, "args", [](auto& pk) {
          pk.pack_map(2);
          pk.pack(std::string_view("machine"));
          pk.pack(std::string_view("m1"));
          pk.pack(std::string_view("vars"));
          pk.pack_map(0);
        });
    ASSERT_TRUE(wait_until([&] {
      auto linked = client_->request_raw("set_vars", link);
      return linked && linked->ok;
    })) << logs();
  }

  std::string path_of(const std::string& endpoint) const { return endpoint.substr(6); }

  CliRun baton_as(bool member, std::vector<std::string> args) {
    BatonRunner runner(dir_, as_nobody(member));
    args.insert(args.begin(), {"--broker", broker_->endpoints().control, "--timeout", "10000"});
    return runner.run(args);
  }

  bool machine_known(const std::string& machine) {
    auto reply = client_->request("machines");
    auto machines = reply ? client_->result_as<control::MachinesResult>(*reply) : std::nullopt;
    if (!machines) return false;
    for (const auto& m : machines->machines) {
      if (m.node.machine == machine) return true;
    }
    return false;
  }

  ChildProcess forge(bool member, const std::string& seconds, const std::string& out) {
    std::vector<std::string> argv = as_nobody(member);
    argv.insert(argv.end(), {"/usr/bin/python3", dir_ / "forge.py",
                             path_of(broker_->endpoints().ingest), seconds});
    return ChildProcess(argv, ChildProcess::Options{{}, {}, out});
  }

  std::string logs() {
    return "--- broker\n" + broker_->log() + "--- node m1\n" + (node_ ? node_->log() : "");
  }

  TempDir dir_;
  std::optional<BrokerProcess> broker_;
  std::optional<FleetNode> node_;
  std::optional<ControlClient> client_;
};

// Every verb, as `baton` arguments.
const std::vector<std::vector<std::string>> kEveryVerb = {
    {"status"},
    {"status", "m1.svc"},
    {"launch", "m1.svc"},
    {"kill", "m1.svc"},
    {"restart", "m1.svc"},
    {"plan", "start", "p"},
    {"plan", "stop", "p"},
    {"plan", "kill", "p"},
    {"plan", "restart", "p"},
    {"plan", "status", "p"},
    {"plans"},
    {"machines"},
    {"set-vars", "m1", "PWNED_BY=nobody"},
    {"set-vars", "all", "LD_PRELOAD=/tmp/x.so"},
    {"reload"},
    {"kill-all", "m1"},
    {"kill-all"},
    {"watch", "--count", "1", "--for", "5"},
};

std::string line_of(const std::vector<std::string>& args) {
  std::string line = "baton";
  for (const auto& a : args)
    line += " " + a;
  return line;
}

TEST_F(LocalAccess, SocketFilesAreMode0660WithTheGivenGroup) {
  for (const std::string* endpoint :
       {&broker_->endpoints().control, &broker_->endpoints().ingest, &broker_->endpoints().bus}) {
    struct stat info {};
    ASSERT_EQ(::stat(path_of(*endpoint).c_str(), &info), 0) << *endpoint;
    EXPECT_TRUE(S_ISSOCK(info.st_mode)) << *endpoint;
    EXPECT_EQ(info.st_mode & 07777, 0660u) << *endpoint;
    EXPECT_EQ(info.st_gid, kSocketGroup) << *endpoint;
    EXPECT_EQ(info.st_uid, ::geteuid()) << *endpoint;
  }
  // A clean stop takes the files away: a client then says "is the broker running?".
  node_.reset();
  ASSERT_TRUE(broker_->process().terminate());
  for (const std::string* endpoint :
       {&broker_->endpoints().control, &broker_->endpoints().ingest, &broker_->endpoints().bus}) {
    EXPECT_FALSE(file_exists(path_of(*endpoint))) << *endpoint;
  }
}

TEST_F(LocalAccess, AUserOutsideTheGroupIsRefusedEveryVerbAndToldWhy) {
  for (const auto& args : kEveryVerb) {
    const auto start = std::chrono::steady_clock::now();
    CliRun run = baton_as(false, args);
    EXPECT_EQ(run.code, 1) << line_of(args) << "\n" << describe(run);
    // Why, and what to do; at once, not after the 10 s timeout.
    EXPECT_NE(run.err.find("cannot reach the broker at " + broker_->endpoints().control +
                           ": permission denied"),
              std::string::npos)
        << line_of(args) << "\n"
        << describe(run);
    EXPECT_NE(run.err.find("uid 65534"), std::string::npos) << describe(run);
    EXPECT_NE(run.err.find("ask to be added to group " + std::to_string(kSocketGroup)),
              std::string::npos)
        << describe(run);
    EXPECT_NE(run.err.find("--broker tcp://"), std::string::npos) << describe(run);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << line_of(args);
  }
  // Nothing of it reached the broker or the node.
  EXPECT_EQ(broker_->log().find("asked by uid 65534"), std::string::npos) << logs();
  auto svc = client_->app("m1.svc");
  ASSERT_TRUE(svc);
  EXPECT_EQ(svc->state.pid, 0) << "m1.svc was launched";
}

TEST_F(LocalAccess, AMemberOfTheGroupCanDoEverythingAndTheBrokerLogsWhoAsked) {
  CliRun run = baton_as(true, {"set-vars", "m1", "ASKED_BY=member"});
  ASSERT_EQ(run.code, 0) << describe(run);
  run = baton_as(true, {"launch", "m1.svc"});
  ASSERT_EQ(run.code, 0) << describe(run);
  auto svc = client_->app("m1.svc");
  ASSERT_TRUE(svc && svc->state.pid > 0) << logs();
  EXPECT_NE(read_file("/proc/" + std::to_string(svc->state.pid) + "/environ")
                .find(std::string("ASKED_BY=member\0", 16)),
            std::string::npos);
  EXPECT_NE(broker_->log().find("launch m1.svc (asked by uid 65534"), std::string::npos)
      << broker_->log();
  EXPECT_NE(broker_->log().find("set_vars m1 ASKED_BY (asked by uid 65534"), std::string::npos)
      << broker_->log();

  // The verbs of kEveryVerb, in an order where each has something to act on.
  const std::vector<std::vector<std::string>> verbs = {
      {"status"},
      {"status", "m1.svc"},
      {"restart", "m1.svc"},
      {"kill", "m1.svc"},
      {"plan", "start", "p"},
      {"plan", "status", "p"},
      {"plans"},
      {"machines"},
      {"plan", "stop", "p"},
      {"plan", "restart", "p"},
      {"plan", "kill", "p"},
      {"set-vars", "all", "ANOTHER=1"},
      {"reload"},
      {"kill-all", "m1"},
      {"kill-all"},
      {"watch", "node/", "--count", "1", "--for", "10"},
  };
  for (const auto& args : verbs) {
    run = baton_as(true, args);
    EXPECT_EQ(run.code, 0) << line_of(args) << "\n" << describe(run) << logs();
  }
}

// The ingest socket is where nodes publish app and node states: a forger outside the group cannot
// even connect. The same forger in the group gets through, which shows the check can fail.
TEST_F(LocalAccess, AUserOutsideTheGroupCannotForgeWhatNodesPublish) {
  ChildProcess outsider = forge(false, "2", dir_ / "outsider.out");
  auto exit = outsider.wait_exit();
  ASSERT_TRUE(exit && exit->code == 0) << read_file(dir_ / "outsider.out");
  EXPECT_NE(read_file(dir_ / "outsider.out").find("kernel: Permission denied"), std::string::npos)
      << read_file(dir_ / "outsider.out");
  EXPECT_FALSE(machine_known("m9")) << logs();

  ChildProcess member = forge(true, "60", dir_ / "member.out");
  EXPECT_TRUE(wait_until([&] { return machine_known("m9"); }))
      << read_file(dir_ / "member.out") << logs();
  EXPECT_NE(read_file(dir_ / "member.out").find("kernel: connected"), std::string::npos)
      << read_file(dir_ / "member.out");
}

TEST(LocalAccessDefaults, WithoutGroupTheSocketsGetTheBatonGroupElseTheBrokersOwn) {
  TempDir dir;
  std::ofstream(dir / "SharedConfig.xml")
      << "<Shared><App AppIdTuple=\"m1.a\" ExeFullPath=\"/bin/true\"/></Shared>\n";
  BrokerProcess broker(dir, dir / "SharedConfig.xml", BrokerEndpoints::in(dir));
  const ::group* baton = ::getgrnam("baton");
  const gid_t expected = baton != nullptr && ::geteuid() == 0 ? baton->gr_gid : ::getegid();
  struct stat info {};
  ASSERT_EQ(::stat((dir / "control.sock").c_str(), &info), 0);
  EXPECT_EQ(info.st_gid, expected);
  EXPECT_EQ(info.st_mode & 07777, 0660u);
}

// The single-machine defaults as an ordinary user: `baton up` binds its sockets in the user's own
// $XDG_RUNTIME_DIR/baton, and `baton` without --broker finds them there.
TEST(LocalDefaults, BatonFindsTheUsersOwnBatonUpWithoutBroker) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching to another user needs root";
  if (!file_exists("/usr/bin/setpriv")) GTEST_SKIP() << "setpriv (util-linux) is missing";
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
  const std::string runtime = dir / "xdg";
  ASSERT_EQ(::mkdir(runtime.c_str(), 0700), 0);
  ASSERT_EQ(::chown(runtime.c_str(), 65534, 65534), 0);
  std::ofstream(dir / "SharedConfig.xml")
      << "<Shared>\n  <Plan Name=\"p\">\n"
         "    <App AppIdTuple=\"solo.sleeper\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"600\"/>\n"
         "  </Plan>\n</Shared>\n";
  std::vector<std::string> up_argv = as_nobody(false);
  up_argv.insert(up_argv.end(),
                 {binary_path("baton"), "up", dir / "SharedConfig.xml", "--plan", "p"});
  ChildProcess up(up_argv,
                  ChildProcess::Options{{{"XDG_RUNTIME_DIR", runtime}}, {}, dir / "up.out"});
  const std::string control = runtime + "/baton/control.sock";
  BatonRunner baton(dir, as_nobody(false));
  CliRun run;
  EXPECT_TRUE(wait_until([&] {
    run = baton.run({"plan", "status", "p"}, {{"XDG_RUNTIME_DIR", runtime}});
    return run.code == 0 && run.out.find("Success") != std::string::npos;
  })) << describe(run)
      << read_file(dir / "up.out");
  // Checked once it answers: the file is 0600 from its bind until it has its group.
  struct stat info {};
  ASSERT_EQ(::stat(control.c_str(), &info), 0) << read_file(dir / "up.out");
  EXPECT_EQ(info.st_uid, 65534u);
  EXPECT_EQ(info.st_mode & 07777, 0660u);

  // Another user, root included, reaches it only by naming it.
  run = BatonRunner(dir).run({"--broker", "ipc://" + control, "plans"});
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_TRUE(up.terminate());
}

// A tcp:// endpoint, loopback included, says nothing of who connects: without keys the broker,
// `baton up` and the node refuse it (exit 2, saying why and what to do) unless --insecure.
TEST(TcpWithoutKeys, RefusedOnLoopbackUnlessInsecure) {
  TempDir dir;
  std::ofstream(dir / "SharedConfig.xml")
      << "<Shared><App AppIdTuple=\"m1.a\" ExeFullPath=\"/bin/true\"/></Shared>\n";
  const BrokerEndpoints tcp = BrokerEndpoints::loopback_tcp();
  for (const std::string& endpoint :
       {tcp.control, std::string("tcp://localhost:7100"), std::string("tcp://[::1]:7100")}) {
    ChildProcess broker(
        {binary_path("baton-broker"), "--config", dir / "SharedConfig.xml", "--control", endpoint,
         "--ingest", "ipc://" + (dir / "i.sock"), "--bus", "ipc://" + (dir / "b.sock")},
        ChildProcess::Options{{}, {}, dir / "broker.out"});
    auto exit = broker.wait_exit();
    ASSERT_TRUE(exit) << endpoint;
    EXPECT_EQ(exit->code, 2) << endpoint;
    const std::string out = read_file(dir / "broker.out");
    EXPECT_NE(out.find("refusing to bind " + endpoint + " without keys"), std::string::npos) << out;
    EXPECT_NE(out.find("--insecure"), std::string::npos) << out;
  }

  ChildProcess up({binary_path("baton"), "up", dir / "SharedConfig.xml", "--control", tcp.control,
                   "--ingest", tcp.ingest, "--bus", tcp.bus, "--appmonitor",
                   "ipc://" + (dir / "am.sock"), "--log-dir", dir / "logs"},
                  ChildProcess::Options{{}, {}, dir / "up.out"});
  auto exit = up.wait_exit();
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 2) << read_file(dir / "up.out");
  EXPECT_NE(read_file(dir / "up.out").find("refusing to bind " + tcp.control + " without keys"),
            std::string::npos)
      << read_file(dir / "up.out");

  ChildProcess node({binary_path("baton-node"), "--machine", "m1", "--broker", tcp.control,
                     "--appmonitor", "ipc://" + (dir / "m1.sock"), "--state-dir", ""},
                    ChildProcess::Options{{}, {}, dir / "node.out"});
  exit = node.wait_exit();
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 2) << read_file(dir / "node.out");
  EXPECT_NE(read_file(dir / "node.out").find("refusing to connect to " + tcp.control),
            std::string::npos)
      << read_file(dir / "node.out");

  // With --insecure, on both ends, it works as before.
  BrokerProcess broker(dir, dir / "SharedConfig.xml", tcp, {"--insecure"}, "insecure-broker");
  FleetNode insecure_node(dir, "m1", tcp.control, {"--insecure"});
  ControlClient client(tcp.control);
  EXPECT_TRUE(client.wait_app("m1.a", [](const control::AppStatus& s) { return s.online; }))
      << broker.log() << insecure_node.log();
}

}  // namespace
}  // namespace baton::test::local_access_test
