#include "broker/routing/command_router.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/proto/codec.hpp"
#include "harness/polling.hpp"

namespace baton::broker {
namespace {

using namespace std::chrono_literals;
namespace bus = proto::bus;

constexpr auto kTimeout = 1000ms;

struct NoArgs {
  static constexpr auto kFields = std::make_tuple();
};

// The router on a real loop; what it publishes is kept, as a node would receive it.
class RouterFixture : public ::testing::Test {
 protected:
  // Sends `op` to m1, its outcome to be kept as `label`'s, and returns the command's id.
  std::string send(const std::string& label, bus::CommandOp op = bus::CommandOp::launch) {
    router.send("m1", op, NoArgs{}, [this, label](const CommandRouter::Outcome& outcome) {
      outcomes[label] = outcome;
    });
    msgpack::zone zone;
    auto object = proto::unpack_frame(zone, sent.back().data(), sent.back().size());
    auto header = object ? proto::decode<bus::CommandHeader>(*object)
                         : Expected<bus::CommandHeader>(object.error());
    EXPECT_TRUE(header) << (header ? "" : header.error().message);
    return header ? header->id : "";
  }
  void answer(const std::string& id) {
    bus::ReplyHeader reply;
    reply.id = id;
    router.on_reply(reply, "");
  }
  // Runs the loop until `label` has an outcome or `limit` passed.
  const CommandRouter::Outcome* run_until_done(const std::string& label,
                                               std::chrono::milliseconds limit) {
    const auto until = SteadyClock::now() + limit;
    while (!outcomes.contains(label) && SteadyClock::now() < until)
      loop.run_once(5ms);
    auto it = outcomes.find(label);
    return it == outcomes.end() ? nullptr : &it->second;
  }

  EventLoop loop;
  std::vector<std::string> sent;
  std::map<std::string, CommandRouter::Outcome> outcomes;
  CommandRouter router{
      loop, [this](const std::string&, const std::string& payload) { sent.push_back(payload); },
      kTimeout};
};

TEST_F(RouterFixture, ACommandNobodyAnswersFailsAfterTheTimeout) {
  const auto start = SteadyClock::now();
  send("launch");
  const auto* outcome = run_until_done("launch", harness::kDeadline);
  ASSERT_NE(outcome, nullptr);
  EXPECT_FALSE(outcome->ok);
  EXPECT_NE(outcome->error.find("did not answer launch"), std::string::npos) << outcome->error;
  EXPECT_GE(SteadyClock::now() - start, kTimeout);
  EXPECT_EQ(router.pending(), 0u);
}

// A node working through a long queue answers its last command long after it was sent: as long as
// answers keep coming, nothing waiting times out.
TEST_F(RouterFixture, CommandsWaitWhileTheirMachineAnswersOthers) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i)
    ids.push_back(send("launch" + std::to_string(i)));
  // One answer every 300 ms: the last comes 1.8 s after it was sent, nearly two timeouts; a test
  // process stalled for up to 700 ms between two answers still sees none time out.
  for (const auto& id : ids) {
    const auto next = SteadyClock::now() + 300ms;
    while (SteadyClock::now() < next)
      loop.run_once(5ms);
    answer(id);
  }
  for (int i = 0; i < 6; ++i) {
    const auto* outcome = run_until_done("launch" + std::to_string(i), 0ms);
    ASSERT_NE(outcome, nullptr) << i;
    EXPECT_TRUE(outcome->ok) << i << ": " << outcome->error;
  }
}

TEST_F(RouterFixture, WhatIsLeftFailsOnceTheMachineFallsSilent) {
  const std::string first = send("launch");
  send("kill", bus::CommandOp::kill);
  // Before the answer: the router takes its own time of the answer after this one, so the kill
  // must not fail sooner than a timeout after it (taken after answer(), a test thread preempted
  // in between would see the timeout fire "early" by as long as it was preempted).
  const auto answered_at = SteadyClock::now();
  answer(first);
  const auto* outcome = run_until_done("kill", harness::kDeadline);
  ASSERT_NE(outcome, nullptr);
  EXPECT_FALSE(outcome->ok);
  EXPECT_GE(SteadyClock::now() - answered_at, kTimeout);
  EXPECT_TRUE(outcomes.at("launch").ok);
}

}  // namespace
}  // namespace baton::broker
