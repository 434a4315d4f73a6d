// The C API (baton/appmonitor.h) keeps every promise of the C++ SDK, with a status and a message
// instead of exceptions: in-process against a real node or a mute socket, and as a real C program
// (baton-c-example) that the node watches, kills and restarts.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <cstring>
#include <zmq.hpp>

#include "baton/appmonitor.h"
#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/forgetful_node.hpp"
#include "tests/support/scoped_env.hpp"

namespace baton::test {

using namespace harness;

namespace {

// Sets (or, with nullopt, unsets) an environment variable for one scope.
// Owns a handler for the length of a test, whatever assertion fails.
struct HandlerPtr {
  baton_appmonitor_handler* handler = nullptr;
  ~HandlerPtr() { baton_appmonitor_free(handler); }
};

bool contains(const char* text, const std::string& part) {
  return std::string(text).find(part) != std::string::npos;
}

TEST(CSdk, InvalidArgumentsFailBeforeAnythingIsSent) {
  // A bare ROUTER stands where the node would be: it must receive nothing.
  TempDir dir;
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.bind("ipc://" + dir.path() + "/am.sock");
  ScopedEnv endpoint("BATON_APPMONITOR", "ipc://" + dir.path() + "/am.sock");

  struct Case {
    int timeout_ms;
    int action;
    const char* command;
    const char* says;
  };
  const std::string too_long(5000, 'x');
  for (const Case& c : {
           Case{0, BATON_APPMONITOR_KILL, nullptr, "timeout"},
           Case{-5, BATON_APPMONITOR_KILL, nullptr, "timeout"},
           Case{7 * 24 * 3600 * 1000 + 1, BATON_APPMONITOR_KILL, nullptr, "one week"},
           Case{1000, BATON_APPMONITOR_RESTART, nullptr, "restart command"},
           Case{1000, BATON_APPMONITOR_RESTART, "", "restart command"},
           Case{1000, BATON_APPMONITOR_RESTART, too_long.c_str(), "longer than"},
           Case{1000, 7, nullptr, "unknown action 7"},
       }) {
    baton_appmonitor_handler* handler = reinterpret_cast<baton_appmonitor_handler*>(&router);
    baton_appmonitor_error error;
    EXPECT_EQ(baton_appmonitor_register(c.timeout_ms, c.action, c.command, &handler, &error),
              BATON_APPMONITOR_INVALID_ARGUMENT)
        << c.says;
    EXPECT_EQ(error.code, BATON_APPMONITOR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(error.message, c.says)) << error.message;
    EXPECT_EQ(handler, nullptr) << "a failed register leaves no handler behind";
  }
  baton_appmonitor_error error;
  EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_KILL, nullptr, nullptr, &error),
            BATON_APPMONITOR_INVALID_ARGUMENT);
  EXPECT_EQ(baton_appmonitor_refresh(nullptr, &error), BATON_APPMONITOR_INVALID_ARGUMENT);
  EXPECT_EQ(baton_appmonitor_unregister(nullptr, &error), BATON_APPMONITOR_INVALID_ARGUMENT);
  EXPECT_EQ(baton_appmonitor_refresh_many(nullptr, 1, &error), BATON_APPMONITOR_INVALID_ARGUMENT);
  baton_appmonitor_handler* none[2] = {nullptr, nullptr};
  EXPECT_EQ(baton_appmonitor_refresh_many(none, 0, &error), BATON_APPMONITOR_INVALID_ARGUMENT);
  EXPECT_EQ(baton_appmonitor_refresh_many(none, 2, &error), BATON_APPMONITOR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(error.message, "handler 0 is NULL")) << error.message;
  EXPECT_EQ(baton_appmonitor_refresh_many(none, 1025, &error), BATON_APPMONITOR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(error.message, "at most 1024")) << error.message;
  // The error report is optional.
  baton_appmonitor_handler* handler = nullptr;
  EXPECT_EQ(baton_appmonitor_register(0, BATON_APPMONITOR_KILL, nullptr, &handler, nullptr),
            BATON_APPMONITOR_INVALID_ARGUMENT);

  zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&item, 1, std::chrono::milliseconds(300)), 0) << "something was sent";
}

TEST(CSdk, MissingSocketFileFailsAtOnce) {
  ScopedEnv endpoint("BATON_APPMONITOR", "ipc:///nonexistent/baton/appmonitor.sock");
  // "At once": without waiting for an answer, which would take this long.
  ScopedEnv wait("BATON_APPMONITOR_TIMEOUT_MS", std::to_string(kDeadline.count()));
  const auto start = std::chrono::steady_clock::now();
  HandlerPtr h;
  baton_appmonitor_error error;
  EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_KILL, nullptr, &h.handler, &error),
            BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "no Baton node is listening")) << error.message;
  EXPECT_EQ(h.handler, nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kDeadline);
}

TEST(CSdk, DefaultEndpointIsTheNodesDefault) {
  if (file_exists("/run/baton/appmonitor.sock")) GTEST_SKIP() << "a node runs on this machine";
  ScopedEnv endpoint("BATON_APPMONITOR", std::nullopt);
  HandlerPtr h;
  baton_appmonitor_error error;
  EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_KILL, nullptr, &h.handler, &error),
            BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "ipc:///run/baton/appmonitor.sock")) << error.message;
}

TEST(CSdk, NodeKilledWithoutCleanupFailsWithinTheBoundedWait) {
  // SIGKILL leaves the socket file behind with nobody listening: the stale file of a crashed node.
  TempDir dir;
  NodeProcess node(dir);
  node.process().signal(SIGKILL);
  ASSERT_TRUE(node.process().wait_exit().has_value());
  ASSERT_TRUE(file_exists(node.endpoint().substr(6)));
  ScopedEnv endpoint("BATON_APPMONITOR", node.endpoint());
  ScopedEnv wait("BATON_APPMONITOR_TIMEOUT_MS", "300");
  const auto start = std::chrono::steady_clock::now();
  HandlerPtr h;
  baton_appmonitor_error error;
  EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_KILL, nullptr, &h.handler, &error),
            BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "within 300 ms")) << error.message;
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, kDeadline);  // bounded: it does not hang
}

TEST(CSdk, SilentEndpointFailsWithinTheBoundedWait) {
  // Something holds the socket but never answers: a hung or stopped node.
  TempDir dir;
  zmq::context_t context;
  zmq::socket_t mute(context, zmq::socket_type::router);
  mute.bind("ipc://" + dir.path() + "/am.sock");
  ScopedEnv endpoint("BATON_APPMONITOR", "ipc://" + dir.path() + "/am.sock");
  ScopedEnv wait("BATON_APPMONITOR_TIMEOUT_MS", "300");
  const auto start = std::chrono::steady_clock::now();
  HandlerPtr h;
  baton_appmonitor_error error;
  EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_KILL, nullptr, &h.handler, &error),
            BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "within 300 ms")) << error.message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, kDeadline);  // bounded: it does not hang
}

TEST(CSdk, UnusableSettingsAreErrorsNotCrashes) {
  baton_appmonitor_error error;
  {
    ScopedEnv wait("BATON_APPMONITOR_TIMEOUT_MS", "soon");
    HandlerPtr h;
    EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_KILL, nullptr, &h.handler, &error),
              BATON_APPMONITOR_ERROR);
    EXPECT_TRUE(contains(error.message, "BATON_APPMONITOR_TIMEOUT_MS")) << error.message;
  }
  {
    // The socket layer rejects this endpoint with its own exception type: it must not escape.
    ScopedEnv endpoint("BATON_APPMONITOR", "nonsense://endpoint");
    HandlerPtr h;
    EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_KILL, nullptr, &h.handler, &error),
              BATON_APPMONITOR_ERROR);
    EXPECT_TRUE(contains(error.message, "nonsense://endpoint")) << error.message;
  }
}

TEST(CSdk, HandlerAgainstARealNode) {
  TempDir dir;
  NodeProcess node(dir);
  ScopedEnv endpoint("BATON_APPMONITOR", node.endpoint());
  ScopedEnv app("DIRIGENT_APPID", "c-sdk-app");
  HandlerPtr h;
  baton_appmonitor_error error;
  ASSERT_EQ(baton_appmonitor_register(60'000, BATON_APPMONITOR_RESTART, "true", &h.handler, &error),
            BATON_APPMONITOR_OK)
      << error.message;
  EXPECT_EQ(error.code, BATON_APPMONITOR_OK);
  EXPECT_STREQ(error.message, "");
  EXPECT_EQ(baton_appmonitor_is_registered(h.handler), 1);
  EXPECT_EQ(baton_appmonitor_get_timeout(h.handler), 60'000);
  EXPECT_EQ(baton_appmonitor_get_action(h.handler), BATON_APPMONITOR_RESTART);
  EXPECT_STREQ(baton_appmonitor_get_restart_command(h.handler), "true");
  EXPECT_NE(baton_appmonitor_get_id(h.handler), 0u);
  EXPECT_TRUE(
      node.log_contains("registered pid " + std::to_string(::getpid()) + " (app c-sdk-app)"))
      << node.log();
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(baton_appmonitor_refresh(h.handler, &error), BATON_APPMONITOR_OK) << error.message;

  ASSERT_EQ(baton_appmonitor_unregister(h.handler, &error), BATON_APPMONITOR_OK) << error.message;
  EXPECT_EQ(baton_appmonitor_is_registered(h.handler), 0);
  EXPECT_TRUE(node.log_contains("unregistered pid " + std::to_string(::getpid()) + " "))
      << node.log();
  EXPECT_EQ(baton_appmonitor_refresh(h.handler, &error), BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "not registered")) << error.message;
  EXPECT_EQ(baton_appmonitor_unregister(h.handler, &error), BATON_APPMONITOR_ERROR);
}

TEST(CSdk, RefreshManyAgainstARealNode) {
  TempDir dir;
  NodeProcess node(dir);
  ScopedEnv endpoint("BATON_APPMONITOR", node.endpoint());
  HandlerPtr a, b;
  baton_appmonitor_error error;
  for (HandlerPtr* h : {&a, &b}) {
    ASSERT_EQ(
        baton_appmonitor_register(60'000, BATON_APPMONITOR_KILL, nullptr, &h->handler, &error),
        BATON_APPMONITOR_OK)
        << error.message;
  }
  baton_appmonitor_handler* both[] = {a.handler, b.handler};
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(baton_appmonitor_refresh_many(both, 2, &error), BATON_APPMONITOR_OK) << error.message;

  // An unregistered handler in the list fails the call before anything is sent.
  ASSERT_EQ(baton_appmonitor_unregister(b.handler, &error), BATON_APPMONITOR_OK) << error.message;
  EXPECT_EQ(baton_appmonitor_refresh_many(both, 2, &error), BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "handler 1 of the list is not registered")) << error.message;
  ASSERT_EQ(baton_appmonitor_refresh_many(both, 1, &error), BATON_APPMONITOR_OK) << error.message;
  ASSERT_EQ(baton_appmonitor_unregister(a.handler, &error), BATON_APPMONITOR_OK) << error.message;
}

TEST(CSdk, RefreshAfterTheNodeForgotFails) {
  ForgetfulNode node;
  HandlerPtr h;
  baton_appmonitor_error error;
  ASSERT_EQ(baton_appmonitor_register(60'000, BATON_APPMONITOR_KILL, nullptr, &h.handler, &error),
            BATON_APPMONITOR_OK)
      << error.message;
  node.forget();
  EXPECT_EQ(baton_appmonitor_refresh(h.handler, &error), BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "unknown registration")) << error.message;
  // The handler is still usable: a later call gets the same clear answer.
  EXPECT_EQ(baton_appmonitor_unregister(h.handler, &error), BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "unknown registration")) << error.message;
}

TEST(CSdk, RebootIsRefusedWithoutAllowReboot) {
  TempDir dir;
  NodeProcess node(dir);
  ScopedEnv endpoint("BATON_APPMONITOR", node.endpoint());
  HandlerPtr h;
  baton_appmonitor_error error;
  EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_REBOOT, nullptr, &h.handler, &error),
            BATON_APPMONITOR_ERROR);
  EXPECT_TRUE(contains(error.message, "--allow-reboot")) << error.message;
  EXPECT_STREQ(baton_appmonitor_status_name(error.code), "application monitor error");
}

TEST(CSdk, LongMessagesAreCutAndTerminated) {
  // An endpoint far longer than the message buffer shows up in the error text.
  ScopedEnv endpoint("BATON_APPMONITOR", "ipc:///nonexistent/" + std::string(2000, 'x'));
  HandlerPtr h;
  baton_appmonitor_error error;
  std::memset(error.message, 'z', sizeof error.message);
  EXPECT_EQ(baton_appmonitor_register(1000, BATON_APPMONITOR_KILL, nullptr, &h.handler, &error),
            BATON_APPMONITOR_ERROR);
  EXPECT_EQ(std::strlen(error.message), sizeof error.message - 1);
}

// The C example program under a real node: what the node does with a C program.
class CProgramTest : public ::testing::Test {
 protected:
  static constexpr int kTimeoutMs = 300;

  void SetUp() override { node_.emplace(dir_, std::vector<std::string>{"--kill-grace", "400"}); }

  ChildProcess program(std::vector<std::string> args) {
    std::vector<std::string> argv{binary_path("baton-c-example")};
    argv.insert(argv.end(), args.begin(), args.end());
    return ChildProcess(argv, {{{"BATON_APPMONITOR", node_->endpoint()}}, {}, output_path()});
  }
  std::string output_path() const { return dir_ / "program.log"; }
  std::string output() const { return read_file(output_path()); }

  TempDir dir_;
  std::optional<NodeProcess> node_;
};

TEST_F(CProgramTest, RefreshingKeepsItAliveThroughManyTimeouts) {
  // 20 refreshes at timeout/4: five timeouts of wall time, each one refreshed in time.
  auto app = program({"--timeout", std::to_string(kTimeoutMs), "--refreshes", "20"});
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0) << output();
  EXPECT_EQ(exit->signal, 0) << node_->log();
  EXPECT_TRUE(contains(output().c_str(), "refreshed 20\nunregistered\n")) << output();
  EXPECT_TRUE(node_->log_contains("unregistered pid " + std::to_string(app.pid()) + " "));
  EXPECT_FALSE(node_->log_contains("watchdog timeout")) << node_->log();
  EXPECT_FALSE(node_->log_contains("exited without unregistering")) << node_->log();
}

TEST_F(CProgramTest, SilenceGetsItKilled) {
  auto app =
      program({"--timeout", std::to_string(kTimeoutMs), "--refreshes", "2", "--then", "hang"});
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value()) << node_->log();
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_TRUE(contains(output().c_str(), "hanging")) << output();
  EXPECT_TRUE(node_->log_contains("watchdog timeout: pid " + std::to_string(app.pid()) + " "))
      << node_->log();
}

TEST_F(CProgramTest, RestartRunsTheRestartCommand) {
  const std::string marker = dir_ / "restarted";
  auto app = program({"--timeout", std::to_string(kTimeoutMs), "--refreshes", "1", "--then", "hang",
                      "--action", "restart", "--restart-command",
                      "echo \"$BATON_WATCHDOG_PID\" > " + marker});
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value()) << node_->log();
  EXPECT_EQ(exit->signal, SIGTERM);
  ASSERT_TRUE(wait_until([&] { return !read_file(marker).empty(); })) << node_->log();
  EXPECT_EQ(read_file(marker), std::to_string(app.pid()) + "\n");
}

TEST_F(CProgramTest, ExitWithoutUnregisterFiresAtOnce) {
  const std::string marker = dir_ / "restarted";
  // A timeout of ten minutes: only the exit can explain a restart within the test's deadline.
  auto app = program({"--timeout", "600000", "--every", "50", "--refreshes", "1", "--then", "exit",
                      "--action", "restart", "--restart-command", "touch " + marker});
  auto exit = app.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0) << output();
  ASSERT_TRUE(wait_until([&] { return file_exists(marker); })) << node_->log();
  EXPECT_TRUE(node_->log_contains("exited without unregistering")) << node_->log();
}

}  // namespace
}  // namespace baton::test
