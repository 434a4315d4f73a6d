#include <gtest/gtest.h>

#include <unistd.h>

#include <zmq.hpp>

#include <algorithm>
#include <memory>
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
  void close_write_end() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }
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

// A connected inproc PAIR: `to` sends, `from` is watched.
struct SocketPair {
  zmq::context_t context{0};
  zmq::socket_t from{context, zmq::socket_type::pair};
  zmq::socket_t to{context, zmq::socket_type::pair};
  SocketPair() {
    from.bind("inproc://event-loop-test");
    to.connect("inproc://event-loop-test");
  }
};

TEST(EventLoop, SocketIsDispatchedAgainWhileMessagesAreQueued) {
  EventLoop loop;
  SocketPair pair;
  int received = 0;
  loop.watch_socket(pair.from, [&] {
    zmq::message_t message;  // one per call: the others stay queued, with no new signal
    if (pair.from.recv(message, zmq::recv_flags::dontwait)) ++received;
    if (received == 3) loop.stop();
  });
  for (int i = 0; i < 3; ++i)
    pair.to.send(zmq::str_buffer("m"), zmq::send_flags::none);
  loop.after(5s, [&] { loop.stop(); });
  loop.run();
  EXPECT_EQ(received, 3);
}

// A call on the socket outside its handler (here ZMQ_EVENTS, in the node a send on a socket that
// also receives) reads the command that signalled its message: the loop must still see it.
TEST(EventLoop, SocketWhoseSignalAnotherCallTookIsDispatched) {
  EventLoop loop;
  SocketPair pair;
  bool received = false;
  loop.watch_socket(pair.from, [&] {
    zmq::message_t message;
    received = pair.from.recv(message, zmq::recv_flags::dontwait).has_value();
    loop.stop();
  });
  loop.after(0ms, [&] {
    pair.to.send(zmq::str_buffer("m"), zmq::send_flags::none);
    EXPECT_TRUE(pair.from.get(zmq::sockopt::events) & ZMQ_POLLIN);
  });
  loop.after(5s, [&] { loop.stop(); });
  loop.run();
  EXPECT_TRUE(received);
}

TEST(EventLoop, EveryWatchOfOneFdRunsAndUnwatchingOneKeepsTheOther) {
  EventLoop loop;
  Pipe pipe;
  int first = 0, second = 0;
  const auto first_watch = loop.watch_fd(pipe.read_end(), [&] { ++first; });
  loop.watch_fd(pipe.read_end(), [&] { ++second; });
  pipe.put();
  loop.run_once(1000ms);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  loop.unwatch(first_watch);
  loop.run_once(1000ms);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
}

TEST(EventLoop, HungUpPipeIsDispatched) {
  EventLoop loop;
  Pipe pipe;
  int ran = 0;
  loop.watch_fd(pipe.read_end(), [&] { ++ran; });
  pipe.close_write_end();
  loop.run_once(1000ms);
  EXPECT_EQ(ran, 1);
}

TEST(EventLoop, TimerRunsOnTimeAndTheLoopThenWaits) {
  EventLoop loop;
  int ran = 0;
  const auto start = SteadyClock::now();
  loop.after(20ms, [&] { ++ran; });
  while (ran == 0 && SteadyClock::now() - start < 5s)
    loop.run_once(1000ms);
  EXPECT_EQ(ran, 1);
  EXPECT_GE(SteadyClock::now() - start, 20ms);
  // The timerfd fired and was not read: it must not keep the loop from waiting.
  const auto idle_start = SteadyClock::now();
  loop.run_once(50ms);
  EXPECT_GE(SteadyClock::now() - idle_start, 40ms);
}

// A node watches a pidfd per process and a pipe per app: of hundreds of fds, the ready one runs,
// again while it stays ready, and one unwatched by an earlier handler of the same round does not.
TEST(EventLoop, OfManyFdsOnlyTheReadyOnesRun) {
  EventLoop loop;
  std::vector<std::unique_ptr<Pipe>> pipes;
  std::vector<int> runs(400, 0);
  std::vector<EventLoop::WatchId> ids;
  for (int i = 0; i < 400; ++i) {  // 800 fds: below the usual soft limit of 1024
    pipes.push_back(std::make_unique<Pipe>());
    ids.push_back(loop.watch_fd(pipes.back()->read_end(), [&runs, i] { ++runs[i]; }));
  }
  pipes[123]->put();
  loop.run_once(1000ms);
  loop.run_once(0ms);  // still readable: level-triggered
  EXPECT_EQ(runs[123], 2);
  EXPECT_EQ(std::count(runs.begin(), runs.end(), 0), 399);

  // Whichever of the two runs first unwatches the other, which then does not run.
  pipes[123]->take();
  loop.unwatch(ids[5]);
  loop.unwatch(ids[6]);
  int ran = 0;
  EventLoop::WatchId first = 0, second = 0;
  first = loop.watch_fd(pipes[5]->read_end(), [&] {
    ++ran;
    loop.unwatch(second);
  });
  second = loop.watch_fd(pipes[6]->read_end(), [&] {
    ++ran;
    loop.unwatch(first);
  });
  pipes[5]->put();
  pipes[6]->put();
  loop.run_once(1000ms);
  EXPECT_EQ(ran, 1);
  for (auto id : ids)
    loop.unwatch(id);
}

}  // namespace
}  // namespace baton
