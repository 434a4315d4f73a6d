// The C++ SDK's own guarantees, in-process: invalid arguments are rejected before anything is sent,
// and calls never hang when no node runs.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "baton/appmonitor.hpp"
#include "common/proto/appmonitor.hpp"
#include "common/proto/codec.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/forgetful_node.hpp"
#include "tests/support/scoped_env.hpp"

namespace baton::test {

using namespace harness;

namespace {

namespace mon = baton::appmonitor;

TEST(Sdk, InvalidArgumentsThrowBeforeAnythingIsSent) {
  // A bare ROUTER stands where the node would be: it must receive nothing.
  TempDir dir;
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.bind("ipc://" + dir.path() + "/am.sock");
  ScopedEnv endpoint("BATON_APPMONITOR", "ipc://" + dir.path() + "/am.sock");

  EXPECT_THROW(mon::register_app(0, mon::AppMonitorAction::KILL), std::invalid_argument);
  EXPECT_THROW(mon::register_app(-5, mon::AppMonitorAction::KILL), std::invalid_argument);
  EXPECT_THROW(mon::register_app(1000, mon::AppMonitorAction::RESTART), std::invalid_argument);
  EXPECT_THROW(mon::register_app(1000, mon::AppMonitorAction::RESTART, std::string(5000, 'x')),
               std::invalid_argument);

  zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&item, 1, std::chrono::milliseconds(300)), 0) << "something was sent";
}

TEST(Sdk, MissingSocketFileFailsAtOnce) {
  ScopedEnv endpoint("BATON_APPMONITOR", "ipc:///nonexistent/baton/appmonitor.sock");
  // "At once": without waiting for an answer, which would take this long.
  ScopedEnv wait("BATON_APPMONITOR_TIMEOUT_MS", std::to_string(kDeadline.count()));
  const auto start = std::chrono::steady_clock::now();
  try {
    mon::register_app(1000, mon::AppMonitorAction::KILL);
    FAIL() << "register_app did not throw";
  } catch (const mon::AppMonitorError& e) {
    EXPECT_NE(std::string(e.what()).find("no Baton node is listening"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, kDeadline);
}

TEST(Sdk, SilentEndpointFailsWithinTheBoundedWait) {
  // Something holds the socket file but never answers: a hung or stopped node.
  TempDir dir;
  zmq::context_t context;
  zmq::socket_t mute(context, zmq::socket_type::router);
  mute.bind("ipc://" + dir.path() + "/am.sock");
  ScopedEnv endpoint("BATON_APPMONITOR", "ipc://" + dir.path() + "/am.sock");
  ScopedEnv wait("BATON_APPMONITOR_TIMEOUT_MS", "300");
  const auto start = std::chrono::steady_clock::now();
  try {
    mon::register_app(1000, mon::AppMonitorAction::KILL);
    FAIL() << "register_app did not throw";
  } catch (const mon::AppMonitorError& e) {
    EXPECT_NE(std::string(e.what()).find("within 300 ms"), std::string::npos) << e.what();
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, kDeadline);  // bounded: it does not hang
}

// A node killed after reading a refresh never answers it (the node restarted on the same socket
// knows nothing of it): the SDK sends the refresh again on a new connection within its wait, and
// refresh() succeeds. A registration is never sent twice. Here a ROUTER that speaks the protocol
// plays the node and ignores the first refresh.
TEST(Sdk, ARefreshLeftUnansweredIsSentAgainWithinTheWait) {
  namespace am = proto::appmonitor;
  TempDir dir;
  const std::string endpoint = "ipc://" + dir.path() + "/am.sock";
  zmq::context_t context;
  zmq::socket_t node(context, zmq::socket_type::router);
  node.set(zmq::sockopt::linger, 0);
  node.bind(endpoint);
  ScopedEnv env_endpoint("BATON_APPMONITOR", endpoint);
  ScopedEnv env_wait("BATON_APPMONITOR_TIMEOUT_MS", "2000");
  std::atomic<bool> done{false};
  std::atomic<int> registers{0}, refreshes{0};
  std::vector<std::uint64_t> refresh_seqs;  // written by the node thread, read after join
  std::thread node_thread([&] {
    zmq::pollitem_t item{node.handle(), 0, ZMQ_POLLIN, 0};
    while (!done) {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(20)) == 0) continue;
      zmq::message_t identity, frame;
      if (!node.recv(identity) || !identity.more() || !node.recv(frame)) continue;
      msgpack::zone zone;
      auto object = proto::unpack_frame(zone, frame.data(), frame.size());
      if (!object) continue;
      std::string reply;
      if (auto refresh = proto::decode<am::RefreshRequest>(*object);
          refresh && refresh->op == "refresh") {
        refresh_seqs.push_back(refresh->seq);
        if (refreshes++ == 0) continue;  // read, never answered: the node died here
        reply = proto::pack_to_string(am::RefreshReply{true, refresh->seq});
      } else if (auto registration = proto::decode<am::RegisterRequest>(*object); registration) {
        ++registers;
        reply = proto::pack_to_string(am::RegisterReply{true, 42});
      } else {
        continue;
      }
      node.send(identity, zmq::send_flags::sndmore);
      node.send(zmq::buffer(reply));
    }
  });
  std::string error;
  try {
    auto handler = mon::register_app(5000, mon::AppMonitorAction::KILL);
    handler.refresh();
  } catch (const mon::AppMonitorError& e) {
    error = e.what();
  }
  done = true;
  node_thread.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(registers, 1);
  ASSERT_EQ(refreshes, 2);
  EXPECT_EQ(refresh_seqs[0], refresh_seqs[1]);  // the same request, sent again
}

TEST(Sdk, MalformedEndpointIsAnAppMonitorError) {
  for (const char* endpoint : {"not-an-endpoint", "tcp://", "udp://x:1"}) {
    ScopedEnv env("BATON_APPMONITOR", endpoint);
    try {
      mon::register_app(1000, mon::AppMonitorAction::KILL);
      FAIL() << endpoint << ": register_app did not throw";
    } catch (const mon::AppMonitorError& e) {
      EXPECT_NE(std::string(e.what()).find("BATON_APPMONITOR"), std::string::npos) << e.what();
    }
  }
}

TEST(Sdk, UnusableWaitSettingIsAnError) {
  ScopedEnv wait("BATON_APPMONITOR_TIMEOUT_MS", "soon");
  EXPECT_THROW(mon::register_app(1000, mon::AppMonitorAction::KILL), mon::AppMonitorError);
}

TEST(Sdk, HandlerAgainstARealNode) {
  TempDir dir;
  NodeProcess node(dir);
  ScopedEnv endpoint("BATON_APPMONITOR", node.endpoint());
  auto handler = mon::register_app(60'000, mon::AppMonitorAction::RESTART, "true");
  EXPECT_TRUE(handler.registered());
  EXPECT_EQ(handler.timeout(), 60'000);
  EXPECT_EQ(handler.action(), mon::AppMonitorAction::RESTART);
  EXPECT_EQ(handler.restart_command(), "true");
  EXPECT_NE(handler.id(), 0u);
  for (int i = 0; i < 100; ++i)
    handler.refresh();

  mon::AppMonitorHandler moved = std::move(handler);
  moved.refresh();
  moved.unregister();
  EXPECT_FALSE(moved.registered());
  EXPECT_THROW(moved.refresh(), mon::AppMonitorError);
  EXPECT_THROW(moved.unregister(), mon::AppMonitorError);
}

TEST(Sdk, RefreshAllAgainstARealNode) {
  TempDir dir;
  NodeProcess node(dir);
  ScopedEnv endpoint("BATON_APPMONITOR", node.endpoint());
  std::vector<mon::AppMonitorHandler> handlers;
  for (int i = 0; i < 3; ++i)
    handlers.push_back(mon::register_app(60'000, mon::AppMonitorAction::KILL));
  for (int i = 0; i < 10; ++i)
    mon::refresh_all(handlers);

  std::vector<mon::AppMonitorHandler> none;
  EXPECT_THROW(mon::refresh_all(none), std::invalid_argument);
  mon::AppMonitorHandler* with_null[] = {&handlers[0], nullptr};
  try {
    mon::refresh_all(with_null, 2);
    FAIL() << "refresh_all did not throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("handler 1 is null"), std::string::npos) << e.what();
  }

  handlers[1].unregister();
  EXPECT_THROW(mon::refresh_all(handlers), mon::AppMonitorError);
  for (auto& h : handlers)
    if (h.registered()) h.unregister();
}

TEST(Sdk, RefreshAllNamesTheRegistrationsTheNodeForgot) {
  ForgetfulNode node;
  std::vector<mon::AppMonitorHandler> handlers;
  handlers.push_back(mon::register_app(60'000, mon::AppMonitorAction::KILL));
  node.forget();
  handlers.push_back(mon::register_app(60'000, mon::AppMonitorAction::KILL));
  try {
    mon::refresh_all(handlers);
    FAIL() << "refresh_all did not throw";
  } catch (const mon::AppMonitorError& e) {
    char forgotten[17];
    std::snprintf(forgotten, sizeof forgotten, "%016llx",
                  static_cast<unsigned long long>(handlers[0].id()));
    EXPECT_NE(std::string(e.what()).find(std::string("unknown registration id ") + forgotten),
              std::string::npos)
        << e.what();
  }
  handlers[1].refresh();  // the one the node knows was refreshed, and still is
  handlers[1].unregister();
}

TEST(Sdk, RefreshAfterTheNodeForgotThrows) {
  ForgetfulNode node;
  auto handler = mon::register_app(60'000, mon::AppMonitorAction::KILL);
  node.forget();
  try {
    handler.refresh();
    FAIL() << "refresh did not throw";
  } catch (const mon::AppMonitorError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown registration"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace baton::test
