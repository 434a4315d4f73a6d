// LogStream (node) and LogFollower (baton logs -f): the two ends of log/ lines, without sockets
// between them: what the node publishes when, and what the follower prints of it.
#include <gtest/gtest.h>

#include "cli/log_follower.hpp"
#include "common/proto/codec.hpp"
#include "node/apps/log_stream.hpp"

namespace baton {
namespace {

namespace bus = proto::bus;

struct Published {
  std::string topic;
  bus::LogLines lines;
};

class LogStreamTest : public ::testing::Test {
 protected:
  node::LogStream stream_{"m1",
                          [this](const std::string& topic, const std::string& payload) {
                            auto lines = proto::decode_frame<bus::LogLines>(
                                payload.data(), payload.size(), proto::bulk_frame_limits());
                            ASSERT_TRUE(lines) << lines.error().message;
                            published_.push_back({topic, *lines});
                          },
                          [] {
                            return std::vector<std::string>{"web", "db"};
                          }};
  std::vector<Published> published_;
};

TEST_F(LogStreamTest, NothingIsPublishedWhileNobodyFollows) {
  stream_.output("web", "one\ntwo\n");
  EXPECT_TRUE(published_.empty());
  EXPECT_EQ(stream_.next_seq("web"), 0u);
}

TEST_F(LogStreamTest, AFollowerIsAnsweredThenGetsNumberedLines) {
  stream_.subscription(true, "log/m1/web/");
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].topic, "log/m1/web/");
  EXPECT_TRUE(published_[0].lines.lines.empty());
  EXPECT_EQ(published_[0].lines.seq, 0u);
  EXPECT_EQ(published_[0].lines.stream, stream_.stream());

  stream_.output("web", "one\ntwo\n");
  stream_.output("db", "not followed\n");
  stream_.output("web", "three\npart");
  ASSERT_EQ(published_.size(), 3u);
  EXPECT_EQ(published_[1].lines.seq, 0u);
  EXPECT_EQ(published_[1].lines.lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(published_[2].lines.seq, 2u);
  EXPECT_EQ(published_[2].lines.lines,
            (std::vector<std::string>{"three", "part" + std::string(bus::kLineContinues)}));
  EXPECT_EQ(stream_.next_seq("web"), 4u);

  stream_.subscription(false, "log/m1/web/");
  stream_.output("web", "four\n");
  EXPECT_EQ(published_.size(), 3u);
}

TEST_F(LogStreamTest, AMachineWideSubscriptionCoversEveryAppAndEndsWithTheBroker) {
  stream_.subscription(true, "log/m1/");
  ASSERT_EQ(published_.size(), 2u);       // each app is answered
  stream_.subscription(true, "log/m2/");  // another machine's: nothing here
  stream_.subscription(true, "status/");  // not a log/ topic
  EXPECT_EQ(published_.size(), 2u);
  stream_.output("db", "x\n");
  EXPECT_EQ(published_.size(), 3u);
  stream_.subscription(false, "");  // the broker went away
  stream_.output("db", "y\n");
  EXPECT_EQ(published_.size(), 3u);
}

TEST_F(LogStreamTest, ALongLineTravelsInMarkedPiecesAndWebIsNotWeb2) {
  stream_.subscription(true, "log/m1/web/");
  stream_.output("web2", "other app\n");
  EXPECT_EQ(published_.size(), 1u);
  const std::string line(bus::kMaxLogLineBytes * 2 + 10, 'x');
  stream_.output("web", line + "\n");
  std::vector<std::string> all;
  for (std::size_t i = 1; i < published_.size(); ++i)
    all.insert(all.end(), published_[i].lines.lines.begin(), published_[i].lines.lines.end());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(all[0].ends_with(bus::kLineContinues));
  EXPECT_TRUE(all[1].ends_with(bus::kLineContinues));
  EXPECT_EQ(all[2], std::string(10, 'x'));
}

TEST(LogStreamBudget, PastTheBudgetLinesAreDroppedFromTheBusButStillNumbered) {
  std::vector<bus::LogLines> published;
  // A budget that never refills: what goes out does not depend on how fast this test runs.
  node::LogStream stream(
      "m1",
      [&](const std::string&, const std::string& payload) {
        auto lines = proto::decode_frame<bus::LogLines>(payload.data(), payload.size(),
                                                        proto::bulk_frame_limits());
        ASSERT_TRUE(lines);
        published.push_back(*lines);
      },
      [] { return std::vector<std::string>{"web"}; }, node::LogBudget{0, 1024 * 1024});
  stream.subscription(true, "log/m1/web/");
  const std::string line(99, 'x');
  std::string flood;
  for (int i = 0; i < 60'000; ++i)
    flood += line + "\n";
  stream.output("web", flood);  // 6 MB: six times the budget
  std::uint64_t sent = 0, end = 0;
  for (std::size_t i = 1; i < published.size(); ++i) {
    EXPECT_GE(published[i].seq, end);  // in order; a gap where lines were dropped
    sent += published[i].lines.size();
    end = published[i].seq + published[i].lines.size();
  }
  EXPECT_GT(sent, 9'000u);  // 1 MiB holds 10,591 lines of 99 bytes
  EXPECT_LE(sent, 10'591u);
  EXPECT_EQ(stream.next_seq("web"), 60'000u);  // the followers see how many they missed
}

bus::LogLines lines_of(std::uint64_t stream, std::uint64_t seq, std::vector<std::string> lines) {
  bus::LogLines message;
  message.machine = "m1";
  message.app = "web";
  message.stream = stream;
  message.seq = seq;
  message.lines = std::move(lines);
  return message;
}

TEST(LogFollower, LiveLinesTheTailHeldAreSkippedAndGapsCounted) {
  cli::LogFollower follower({"m1.web"}, 1 << 20);
  EXPECT_FALSE(follower.heard_from_all());
  follower.take(lines_of(7, 5, {}));          // the node's answer
  follower.take(lines_of(7, 5, {"e", "f"}));  // before the tail: held
  EXPECT_TRUE(follower.heard_from("m1.web"));
  EXPECT_TRUE(follower.pending().empty());
  bus::TailResult tail;
  tail.lines = {"c", "d", "e"};
  tail.next_seq = 6;  // "e" was line 5
  tail.stream = 7;
  follower.tail("m1.web", tail);
  EXPECT_EQ(follower.pending(), "c\nd\ne\nf\n");
  follower.consumed(follower.pending().size());
  follower.take(lines_of(7, 6, {"f"}));  // again: nothing
  follower.take(lines_of(7, 1'240, {"z"}));
  EXPECT_EQ(follower.pending(), "… 1,233 lines dropped …\nz\n");
  follower.consumed(follower.pending().size());
  follower.take(lines_of(8, 0, {"after a node restart"}));
  EXPECT_EQ(follower.pending(), "after a node restart\n");
  EXPECT_EQ(follower.dropped(), 1'233u);
}

TEST(LogFollower, AFullBufferDropsAndSaysSoOnceDrained) {
  cli::LogFollower follower({"m1.web", "m1.db"}, 16);
  bus::TailResult tail;
  tail.next_seq = 0;
  tail.stream = 1;
  follower.tail("m1.web", tail);
  follower.take(lines_of(1, 0, {"aaaa", "bbbb", "cccc"}));
  EXPECT_EQ(follower.pending(), "m1.web | aaaa\nm1.web | bbbb\n");
  follower.consumed(follower.pending().size());
  EXPECT_EQ(follower.pending(), "m1.web | … 1 line dropped …\n");
  EXPECT_EQ(cli::with_thousands(1234567), "1,234,567");
  EXPECT_EQ(cli::with_thousands(999), "999");
}

}  // namespace
}  // namespace baton
