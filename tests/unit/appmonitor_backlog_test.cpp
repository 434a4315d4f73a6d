// The application monitor acts on a deadline only once it has read every request that came before
// it: a refresh sent in time but queued behind a burst (the node busy elsewhere) keeps its
// registration. A real server and client over ipc:// in this process; the test holds the loop
// still to make the backlog, as a busy node would.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <zmq.hpp>

#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "node/appmonitor/appmonitor_server.hpp"
#include "node/process/child_reaper.hpp"

namespace baton::node {
namespace {

namespace am = proto::appmonitor;
using namespace std::chrono_literals;

class CountFires : public AppMonitorListener {
 public:
  void registered(const Registration&) override {}
  void unregistered(const Registration&) override {}
  void fired(const Registration&, std::string_view, const std::string&) override { ++fires; }
  int fires = 0;
};

// The registration is this process's: a fire would SIGTERM it. SIGTERM is blocked while the test
// runs, and one that came is taken back (and fails the test).
class BlockedSigterm {
 public:
  BlockedSigterm() {
    ::sigemptyset(&term_);
    ::sigaddset(&term_, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &term_, &before_);
  }
  ~BlockedSigterm() { ::pthread_sigmask(SIG_SETMASK, &before_, nullptr); }
  bool take() {
    timespec none{};
    bool came = false;
    while (::sigtimedwait(&term_, nullptr, &none) == SIGTERM)
      came = true;
    return came;
  }

 private:
  sigset_t term_{}, before_{};
};

TEST(AppMonitorBacklog, ARefreshQueuedBehindOthersBeforeTheDeadlineKeepsTheRegistration) {
  BlockedSigterm sigterm;
  harness::TempDir dir;
  zmq::context_t context(1);
  EventLoop loop;
  ChildReaper reaper;
  WatchdogActionsConfig actions_config;
  actions_config.kill_grace = 600s;
  WatchdogActions actions(loop, reaper, actions_config);
  AppMonitorConfig config;
  config.endpoint = "ipc://" + (dir / "appmonitor.sock");
  AppMonitorServer server(context, loop, actions, config);
  CountFires listener;
  server.set_listener(&listener);
  ASSERT_TRUE(server.start());

  zmq::socket_t client(context, zmq::socket_type::dealer);
  client.set(zmq::sockopt::linger, 0);
  client.connect(config.endpoint);
  std::vector<zmq::message_t> answers;
  auto pump = [&] {
    loop.run_once(5ms);
    zmq::message_t answer;
    while (client.recv(answer, zmq::recv_flags::dontwait))
      answers.push_back(std::move(answer));
  };

  // Long enough that a test process stalled for a while between the deadline and its next loop
  // round does not reach the end of the wait for unread requests (one more timeout).
  constexpr auto kTimeout = 1000ms;
  am::RegisterRequest registration;
  registration.pid = ::getpid();
  registration.timeout_ms = kTimeout.count();
  registration.action = "kill";
  client.send(zmq::buffer(proto::pack_to_string(registration)), zmq::send_flags::none);
  ASSERT_TRUE(harness::pump_until(
      pump, [&] { return answers.size() == 1; }, harness::kDeadline));
  const auto registered = SteadyClock::now();
  auto id = proto::decode_frame<am::RegisterReply>(answers[0].data(), answers[0].size());
  ASSERT_TRUE(id && id->ok);

  // The loop stands still: a thousand requests (refreshes of an unknown registration, answered
  // with an error), then the refresh of ours, all well before its deadline.
  constexpr int kAhead = 1000;
  const std::string unknown = proto::pack_to_string(am::RefreshRequest{"refresh", id->id + 1, 1});
  for (int i = 0; i < kAhead; ++i)
    client.send(zmq::buffer(unknown), zmq::send_flags::none);
  client.send(zmq::buffer(proto::pack_to_string(am::RefreshRequest{"refresh", id->id, 7})),
              zmq::send_flags::none);
  ASSERT_LT(SteadyClock::now(), registered + kTimeout / 2) << "the refresh did not go in time";
  // The deadline passes with all of it queued.
  ASSERT_TRUE(
      harness::wait_until([&] { return SteadyClock::now() > registered + kTimeout + 10ms; }));

  ASSERT_TRUE(harness::pump_until(
      pump, [&] { return answers.size() == 2 + kAhead; }, harness::kDeadline));
  auto refreshed =
      proto::decode_frame<am::RefreshReply>(answers.back().data(), answers.back().size());
  ASSERT_TRUE(refreshed);
  EXPECT_TRUE(refreshed->ok) << "the refresh sent in time was refused: the registration fired";
  EXPECT_EQ(refreshed->seq, 7u);
  EXPECT_EQ(listener.fires, 0);
  EXPECT_FALSE(sigterm.take());
  server.stop();
}

}  // namespace
}  // namespace baton::node
