// Hostile and broken input to the node's application monitor socket, sent from a raw DEALER in
// this test. Each gets an error reply (or the connection is dropped), and the node keeps serving
// every other app.
#include <gtest/gtest.h>
#include <unistd.h>

#include <zmq.hpp>

#include <random>

#include "common/proto/appmonitor.hpp"
#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

namespace {

namespace am = proto::appmonitor;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.emplace(dir_, std::vector<std::string>{"--kill-grace", "300"});
    healthy_.emplace(std::vector<std::string>{binary_path("appmon_client"), "--timeouts", "400",
                                              "--mode", "refresh", "--status-file", dir_ / "st"},
                     ChildProcess::Options{{{"BATON_APPMONITOR", node_->endpoint()}}, {}, {}});
    ASSERT_TRUE(wait_until([&] { return read_file(dir_ / "st").starts_with("refreshed"); }));
    socket_ = connect();
  }

  zmq::socket_t connect() {
    zmq::socket_t s(context_, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.connect(node_->endpoint());
    return s;
  }

  // Sends the frames and returns the reply's error code ("" for ok, "<none>" for no reply).
  std::string send(zmq::socket_t& s, std::vector<std::string> frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      s.send(zmq::buffer(frames[i]),
             i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(5000)) == 0) return "<none>";
    zmq::message_t reply;
    (void)s.recv(reply);
    last_reply_ = reply.to_string();
    auto error = proto::decode_frame<am::ErrorReply>(reply.data(), reply.size());
    return error && !error->ok ? error->code : "";
  }
  std::string send(std::string frame) { return send(socket_, {std::move(frame)}); }

  // Raw maps for what our encoder would never produce.
  template <class... KV>
  static std::string map(const KV&... kv) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    pk.pack_map(sizeof...(KV));
    (pk.pack(kv.first).pack(kv.second), ...);
    return std::string(buffer.data(), buffer.size());
  }

  void expect_node_still_serves() {
    // The healthy app keeps being served, and a new client can still register and refresh.
    int before = std::stoi(read_file(dir_ / "st").substr(10));
    EXPECT_TRUE(wait_until([&] {
      auto s = read_file(dir_ / "st");
      return s.starts_with("refreshed") && std::stoi(s.substr(10)) >= before + 3;
    }));
    EXPECT_TRUE(healthy_->running());
    EXPECT_TRUE(node_->process().running());
    EXPECT_FALSE(node_->log_contains("watchdog timeout")) << node_->log();
  }

  TempDir dir_;
  zmq::context_t context_;
  std::optional<NodeProcess> node_;
  std::optional<ChildProcess> healthy_;
  zmq::socket_t socket_;
  std::string last_reply_;
};

TEST_F(BadInputTest, GarbageBytes) {
  EXPECT_EQ(send("this is not msgpack"), "malformed");
  EXPECT_EQ(send(std::string("\xc1\xc1\xc1", 3)), "malformed");
  EXPECT_EQ(send(std::string("\xdf\xff\xff\xff\xff", 5)), "malformed");  // map of 4G entries
  EXPECT_EQ(send(std::string(200, '\x91') + "\x01"), "malformed");       // nesting bomb
  EXPECT_EQ(send(""), "malformed");
  expect_node_still_serves();
}

TEST_F(BadInputTest, NotAMapOrNoOp) {
  EXPECT_EQ(send(std::string("\x93\x01\x02\x03", 4)), "malformed");
  EXPECT_EQ(send(map(std::pair{"id", 1})), "bad_request");
  EXPECT_EQ(send(map(std::pair{"op", 7})), "bad_request");
  expect_node_still_serves();
}

TEST_F(BadInputTest, UnknownOp) {
  EXPECT_EQ(send(map(std::pair{"op", "format_disk"})), "unknown_op");
  EXPECT_NE(last_reply_.find("unknown op"), std::string::npos);
  expect_node_still_serves();
}

TEST_F(BadInputTest, WrongFieldTypesAndMissingFields) {
  EXPECT_EQ(send(map(std::pair{"op", "refresh"}, std::pair{"id", "abc"}, std::pair{"seq", 1})),
            "bad_request");
  EXPECT_EQ(send(map(std::pair{"op", "refresh"}, std::pair{"id", -3}, std::pair{"seq", 1})),
            "bad_request");
  EXPECT_EQ(send(map(std::pair{"op", "refresh"}, std::pair{"seq", 1})), "bad_request");
  EXPECT_EQ(send(map(std::pair{"op", "unregister"})), "bad_request");
  EXPECT_EQ(send(map(std::pair{"op", "register"}, std::pair{"v", 1},
                     std::pair{"pid", static_cast<int>(::getpid())}, std::pair{"timeout_ms", "5s"},
                     std::pair{"action", "kill"})),
            "bad_request");
  EXPECT_EQ(send(map(std::pair{"op", "register"}, std::pair{"v", 1},
                     std::pair{"pid", static_cast<int>(::getpid())}, std::pair{"action", "kill"})),
            "bad_request");
  EXPECT_NE(last_reply_.find("missing field 'timeout_ms'"), std::string::npos);
  expect_node_still_serves();
}

TEST_F(BadInputTest, RefreshAndUnregisterOfUnknownIds) {
  EXPECT_EQ(send(proto::pack_to_string(am::RefreshRequest{"refresh", 12345, 1})), "unknown_id");
  EXPECT_EQ(send(proto::pack_to_string(am::UnregisterRequest{"unregister", 12345})), "unknown_id");
  expect_node_still_serves();
}

// A register's reply waits for the node's journal; a request sent behind it must not overtake it.
TEST_F(BadInputTest, RepliesComeInTheOrderOfTheRequests) {
  am::RegisterRequest r;
  r.pid = ::getpid();
  r.timeout_ms = 600'000;
  r.action = "kill";
  const std::string first = proto::pack_to_string(r);
  const std::string second = proto::pack_to_string(am::UnregisterRequest{"unregister", 12345});
  socket_.send(zmq::buffer(first), zmq::send_flags::none);
  socket_.send(zmq::buffer(second), zmq::send_flags::none);
  std::vector<std::string> replies;
  for (int i = 0; i < 2; ++i) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_EQ(zmq::poll(&item, 1, std::chrono::milliseconds(20'000)), 1);
    zmq::message_t reply;
    ASSERT_TRUE(socket_.recv(reply));
    replies.push_back(reply.to_string());
  }
  auto registered = proto::decode_frame<am::RegisterReply>(replies[0].data(), replies[0].size());
  ASSERT_TRUE(registered.ok()) << registered.error().message;
  EXPECT_NE(registered->id, 0u);
  auto refused = proto::decode_frame<am::ErrorReply>(replies[1].data(), replies[1].size());
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->code, "unknown_id");
  ASSERT_EQ(send(proto::pack_to_string(am::UnregisterRequest{"unregister", registered->id})), "");
}

TEST_F(BadInputTest, RefreshManyNamesTheIdsTheNodeDoesNotKnow) {
  // Two registrations of our own (a long timeout: this process must not be acted on), one of them
  // unregistered again.
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 2; ++i) {
    am::RegisterRequest r;
    r.pid = ::getpid();
    r.timeout_ms = 600'000;
    r.action = "kill";
    ASSERT_EQ(send(proto::pack_to_string(r)), "") << last_reply_;
    auto reply = proto::decode_frame<am::RegisterReply>(last_reply_.data(), last_reply_.size());
    ASSERT_TRUE(reply.ok());
    ids.push_back(reply->id);
  }
  ASSERT_EQ(send(proto::pack_to_string(am::UnregisterRequest{"unregister", ids[1]})), "");

  EXPECT_EQ(send(proto::pack_to_string(am::RefreshManyRequest{"refresh_many", {ids[0]}, 4})), "");
  auto ok = proto::decode_frame<am::RefreshReply>(last_reply_.data(), last_reply_.size());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->seq, 4u);

  EXPECT_EQ(send(proto::pack_to_string(
                am::RefreshManyRequest{"refresh_many", {ids[0], ids[1], 12345}, 5})),
            "unknown_id");
  auto error = proto::decode_frame<am::RefreshManyError>(last_reply_.data(), last_reply_.size());
  ASSERT_TRUE(error.ok()) << error.error().message;
  EXPECT_EQ(error->seq, 5u);
  EXPECT_EQ(error->unknown, (std::vector<std::uint64_t>{ids[1], 12345}));
  EXPECT_NE(error->error.find("the other ids were refreshed"), std::string::npos) << error->error;

  EXPECT_EQ(send(proto::pack_to_string(am::RefreshManyRequest{"refresh_many", {}, 6})),
            "bad_request");

  // The most unknown ids a request can carry: the answer still fits the frames an SDK accepts.
  zmq::socket_t sdk_like(context_, zmq::socket_type::dealer);
  sdk_like.set(zmq::sockopt::linger, 0);
  sdk_like.set(zmq::sockopt::maxmsgsize, am::kMaxFrameBytes);  // before connecting, as the SDK
  sdk_like.connect(node_->endpoint());
  am::RefreshManyRequest all_unknown{"refresh_many", {}, 7};
  for (std::uint64_t id = 1; all_unknown.ids.size() < am::kMaxRefreshIds; ++id)
    all_unknown.ids.push_back(id * 0x9E3779B97F4A7C15ULL);
  EXPECT_EQ(send(sdk_like, {proto::pack_to_string(all_unknown)}), "unknown_id");
  auto all = proto::decode_frame<am::RefreshManyError>(last_reply_.data(), last_reply_.size());
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->unknown, all_unknown.ids);
  EXPECT_NE(all->error.find("and 1016 more"), std::string::npos) << all->error;
  EXPECT_EQ(send(proto::pack_to_string(am::UnregisterRequest{"unregister", ids[0]})), "");
  expect_node_still_serves();
}

TEST_F(BadInputTest, MultiFrameRequest) {
  // REQ-style framing (empty delimiter) is not this protocol.
  EXPECT_EQ(send(socket_, {"", proto::pack_to_string(am::RefreshRequest{"refresh", 1, 1})}),
            "malformed");
  expect_node_still_serves();
}

TEST_F(BadInputTest, TenMegabyteFrameDropsOnlyThatConnection) {
  EXPECT_EQ(send(std::string(10 * 1024 * 1024, 'x')), "<none>");
  zmq::socket_t fresh = connect();
  EXPECT_EQ(send(fresh, {proto::pack_to_string(am::RefreshRequest{"refresh", 1, 1})}),
            "unknown_id");
  expect_node_still_serves();
}

TEST_F(BadInputTest, RegistrationForAnotherPidIsRefused) {
  am::RegisterRequest r;
  r.pid = healthy_->pid();  // not us
  r.timeout_ms = 100;
  r.action = "kill";
  EXPECT_EQ(send(proto::pack_to_string(r)), "refused");
  EXPECT_NE(last_reply_.find("an app can register only itself"), std::string::npos);
  expect_node_still_serves();
}

TEST_F(BadInputTest, RegisteringOurselvesWorksOnTheSameSocket) {
  // The control case for the test above: the same raw socket, our own pid, is accepted.
  am::RegisterRequest r;
  r.pid = ::getpid();
  r.timeout_ms = 600'000;
  r.action = "kill";
  EXPECT_EQ(send(proto::pack_to_string(r)), "");
  auto reply = proto::decode_frame<am::RegisterReply>(last_reply_.data(), last_reply_.size());
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(send(proto::pack_to_string(am::UnregisterRequest{"unregister", reply->id})), "");
}

TEST_F(BadInputTest, ThousandsOfRandomFramesLeaveTheNodeServing) {
  // Bounded: 3,000 mutated frames, each answered or dropped.
  std::mt19937 rng(99);
  std::string valid = proto::pack_to_string(am::RefreshRequest{"refresh", 1, 1});
  for (int i = 0; i < 3000; ++i) {
    std::string frame = valid;
    for (int f = 0; f < 3; ++f)
      frame[rng() % frame.size()] = static_cast<char>(rng());
    socket_.send(zmq::buffer(frame), zmq::send_flags::none);
  }
  int replies = 0;
  zmq::message_t reply;
  while (replies < 3000) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(5000)) == 0) break;
    (void)socket_.recv(reply);
    ++replies;
  }
  EXPECT_EQ(replies, 3000);  // every frame was answered
  expect_node_still_serves();
}

}  // namespace
}  // namespace baton::test
