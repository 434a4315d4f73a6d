#include <gtest/gtest.h>

#include <unistd.h>

#include <zmq.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
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
  Timer timer;
  const Watch watch = loop.watch_fd(pipe.read_end(), [&] {
    pipe.take();
    ran.push_back("handler");
    loop.at_round_end([&] { ran.push_back("round end"); });
    timer = loop.after(0ms, [&] { ran.push_back("timer"); });
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
  const Watch watch = loop.watch_fd(pipe.read_end(), [&] {
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
  const Watch watch = loop.watch_socket(pair.from, [&] {
    zmq::message_t message;  // one per call: the others stay queued, with no new signal
    if (pair.from.recv(message, zmq::recv_flags::dontwait)) ++received;
    if (received == 3) loop.stop();
  });
  for (int i = 0; i < 3; ++i)
    pair.to.send(zmq::str_buffer("m"), zmq::send_flags::none);
  const Timer deadline = loop.after(5s, [&] { loop.stop(); });
  loop.run();
  EXPECT_EQ(received, 3);
}

// A call on the socket outside its handler (here ZMQ_EVENTS, in the node a send on a socket that
// also receives) reads the command that signalled its message: the loop must still see it.
TEST(EventLoop, SocketWhoseSignalAnotherCallTookIsDispatched) {
  EventLoop loop;
  SocketPair pair;
  bool received = false;
  const Watch watch = loop.watch_socket(pair.from, [&] {
    zmq::message_t message;
    received = pair.from.recv(message, zmq::recv_flags::dontwait).has_value();
    loop.stop();
  });
  const Timer send = loop.after(0ms, [&] {
    pair.to.send(zmq::str_buffer("m"), zmq::send_flags::none);
    EXPECT_TRUE(pair.from.get(zmq::sockopt::events) & ZMQ_POLLIN);
  });
  const Timer deadline = loop.after(5s, [&] { loop.stop(); });
  loop.run();
  EXPECT_TRUE(received);
}

TEST(EventLoop, EveryWatchOfOneFdRunsAndUnwatchingOneKeepsTheOther) {
  EventLoop loop;
  Pipe pipe;
  int first = 0, second = 0;
  Watch first_watch = loop.watch_fd(pipe.read_end(), [&] { ++first; });
  const Watch second_watch = loop.watch_fd(pipe.read_end(), [&] { ++second; });
  pipe.put();
  loop.run_once(1000ms);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  first_watch.reset();
  loop.run_once(1000ms);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
}

TEST(EventLoop, HungUpPipeIsDispatched) {
  EventLoop loop;
  Pipe pipe;
  int ran = 0;
  const Watch watch = loop.watch_fd(pipe.read_end(), [&] { ++ran; });
  pipe.close_write_end();
  loop.run_once(1000ms);
  EXPECT_EQ(ran, 1);
}

TEST(EventLoop, TimerRunsOnTimeAndTheLoopThenWaits) {
  EventLoop loop;
  int ran = 0;
  const auto start = SteadyClock::now();
  const Timer timer = loop.after(20ms, [&] { ++ran; });
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
  std::vector<Watch> watches;
  for (int i = 0; i < 400; ++i) {  // 800 fds: below the usual soft limit of 1024
    pipes.push_back(std::make_unique<Pipe>());
    watches.push_back(loop.watch_fd(pipes.back()->read_end(), [&runs, i] { ++runs[i]; }));
  }
  pipes[123]->put();
  loop.run_once(1000ms);
  loop.run_once(0ms);  // still readable: level-triggered
  EXPECT_EQ(runs[123], 2);
  EXPECT_EQ(std::count(runs.begin(), runs.end(), 0), 399);

  // Whichever of the two runs first unwatches the other, which then does not run.
  pipes[123]->take();
  watches[5].reset();
  watches[6].reset();
  int ran = 0;
  Watch first, second;
  first = loop.watch_fd(pipes[5]->read_end(), [&] {
    ++ran;
    second.reset();
  });
  second = loop.watch_fd(pipes[6]->read_end(), [&] {
    ++ran;
    first.reset();
  });
  pipes[5]->put();
  pipes[6]->put();
  loop.run_once(1000ms);
  EXPECT_EQ(ran, 1);
  watches.clear();
}

// ---- Owning handles ----

TEST(EventLoop, DroppingAWatchStopsItsHandler) {
  EventLoop loop;
  Pipe pipe;
  int ran = 0;
  Watch watch = loop.watch_fd(pipe.read_end(), [&] { ++ran; });
  pipe.put();  // stays readable: level-triggered, it would run every round
  loop.run_once(1000ms);
  EXPECT_EQ(ran, 1);
  watch.reset();
  EXPECT_FALSE(watch.watching());
  loop.run_once(50ms);
  EXPECT_EQ(ran, 1);
  {
    const Watch scoped = loop.watch_fd(pipe.read_end(), [&] { ++ran; });
    loop.run_once(1000ms);
    EXPECT_EQ(ran, 2);
  }
  loop.run_once(50ms);
  EXPECT_EQ(ran, 2);
}

TEST(EventLoop, DroppingASocketWatchStopsItsHandler) {
  EventLoop loop;
  SocketPair pair;
  int ran = 0;
  pair.to.send(zmq::str_buffer("m"), zmq::send_flags::none);
  Watch watch = loop.watch_socket(pair.from, [&] { ++ran; });  // never reads: stays readable
  const auto deadline = SteadyClock::now() + 5s;
  while (ran == 0 && SteadyClock::now() < deadline)
    loop.run_once(100ms);
  EXPECT_EQ(ran, 1);
  watch = Watch{};  // assigning an empty handle ends the watch too
  loop.run_once(50ms);
  EXPECT_EQ(ran, 1);
}

TEST(EventLoop, MovedWatchKeepsWatchingAndAssigningEndsTheOldWatch) {
  EventLoop loop;
  Pipe pipe;
  int old_runs = 0, new_runs = 0;
  Watch from = loop.watch_fd(pipe.read_end(), [&] { ++old_runs; });
  Watch to = std::move(from);
  EXPECT_FALSE(from.watching());  // a moved-from handle is empty
  EXPECT_TRUE(to.watching());
  from.reset();  // ends nothing
  pipe.put();
  loop.run_once(1000ms);
  EXPECT_EQ(old_runs, 1);
  to = loop.watch_fd(pipe.read_end(), [&] { ++new_runs; });
  loop.run_once(1000ms);
  EXPECT_EQ(old_runs, 1);
  EXPECT_EQ(new_runs, 1);
}

// A pipe and its watch in a map entry that the watch's own handler erases: its fd closes, the
// handler runs to its end and never again. Once for a pipe in the epoll set, once for one that
// poll watches (a socket).
TEST(EventLoop, AHandlerMayEraseTheOwnerOfItsOwnWatch) {
  EventLoop loop;
  struct Owner {
    std::unique_ptr<Pipe> pipe = std::make_unique<Pipe>();
    Watch watch;
  };
  std::map<int, Owner> owners;
  std::vector<std::string> ran;
  const std::string word(100, 'x');  // on the heap: a freed handler would be seen (ASan)
  for (int i = 0; i < 2; ++i) {
    Owner& owner = owners[i];
    owner.watch = loop.watch_fd(owner.pipe->read_end(), [&, i, word] {
      owners.erase(i);
      ran.push_back(word);
    });
    owner.pipe->put();
  }
  loop.run_once(1000ms);
  EXPECT_EQ(ran.size(), 2u);
  EXPECT_TRUE(owners.empty());
  loop.run_once(50ms);
  EXPECT_EQ(ran.size(), 2u);

  SocketPair pair;
  std::optional<Watch> socket_watch;
  int socket_runs = 0;
  socket_watch = loop.watch_socket(pair.from, [&, word] {
    socket_watch.reset();
    ++socket_runs;
    EXPECT_EQ(word.size(), 100u);
  });
  pair.to.send(zmq::str_buffer("m"), zmq::send_flags::none);
  const auto deadline = SteadyClock::now() + 5s;
  while (socket_runs == 0 && SteadyClock::now() < deadline)
    loop.run_once(100ms);
  loop.run_once(50ms);  // the message is still there, unread
  EXPECT_EQ(socket_runs, 1);
}

TEST(EventLoop, DroppedTimerNeverRuns) {
  EventLoop loop;
  bool ran = false;
  int later = 0;
  {
    const Timer dropped = loop.after(0ms, [&] { ran = true; });
  }
  const Timer kept = loop.after(10ms, [&] { ++later; });
  const auto deadline = SteadyClock::now() + 5s;
  while (later == 0 && SteadyClock::now() < deadline)
    loop.run_once(1000ms);
  EXPECT_EQ(later, 1);
  EXPECT_FALSE(ran);
}

// Timers in map entries that their own callbacks erase, as CommandRouter and OutputPipes do.
TEST(EventLoop, ATimerCallbackMayEraseTheOwnerOfItsOwnTimer) {
  EventLoop loop;
  std::map<int, Timer> timers;
  std::vector<int> ran;
  for (int i = 0; i < 3; ++i) {
    timers[i] = loop.after(0ms, [&, i] {
      timers.erase(i);
      timers.erase(i + 1);  // a timer due in the same round, erased before it runs
      ran.push_back(i);
    });
  }
  loop.run_once(1000ms);
  EXPECT_EQ(ran, (std::vector<int>{0, 2}));
  EXPECT_TRUE(timers.empty());
}

}  // namespace
}  // namespace baton
