#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "common/loop/event_loop.hpp"

namespace baton {
namespace {

using namespace std::chrono_literals;

class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int read_end() const { return fds_[0]; }
  void put() { EXPECT_EQ(::write(fds_[1], "x", 1), 1); }
  void take() {
    char c;
    EXPECT_EQ(::read(fds_[0], &c, 1), 1);
  }

 private:
  int fds_[2];
};

TEST(EventLoop, RoundEndRunsAfterTheRoundsHandlersAndDueTimers) {
  EventLoop loop;
  Pipe pipe;
  std::vector<std::string> ran;
  loop.watch_fd(pipe.read_end(), [&] {
    pipe.take();
    ran.push_back("handler");
    loop.at_round_end([&] { ran.push_back("round end"); });
    loop.after(0ms, [&] { ran.push_back("timer"); });
  });
  pipe.put();
  loop.run_once(1000ms);
  EXPECT_EQ(ran, (std::vector<std::string>{"handler", "timer", "round end"}));
}

TEST(EventLoop, RoundEndAddedAtRoundEndRunsInTheNextRound) {
  EventLoop loop;
  int first = 0, second = 0;
  loop.at_round_end([&] {
    ++first;
    loop.at_round_end([&] { ++second; });
  });
  loop.run_once(0ms);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 0);
  loop.run_once(0ms);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(EventLoop, RoundEndRunsWhenAHandlerStopsTheLoop) {
  EventLoop loop;
  Pipe pipe;
  bool flushed = false;
  loop.watch_fd(pipe.read_end(), [&] {
    pipe.take();
    loop.at_round_end([&] { flushed = true; });
    loop.stop();
  });
  pipe.put();
  loop.run();
  EXPECT_TRUE(flushed);
}

}  // namespace
}  // namespace baton
