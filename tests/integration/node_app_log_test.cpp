// Each app's stdout and stderr in its own rotated log: a real baton-node with small logs, real
// apps that write fast, and every line accounted for afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <sstream>

#include "tests/support/node_fixture.hpp"

namespace baton::test {
namespace {

namespace bus = proto::bus;
namespace fs = std::filesystem;

constexpr std::uint64_t kMaxBytes = 4096;
// Writing 20,000 lines twice through a 4 KiB log on a slow sanitizer build takes a while.
constexpr auto kLongDeadline = std::chrono::milliseconds(120'000);

// What the app's log folder holds, oldest file first.
struct LogFiles {
  std::vector<std::string> names;
  std::vector<std::string> contents;
  std::string joined() const {
    std::string all;
    for (const auto& c : contents)
      all += c;
    return all;
  }
};

class NodeAppLogTest : public NodeFixture {
 protected:
  void start(unsigned max_files, const std::string& max_bytes = std::to_string(kMaxBytes)) {
    start_node({"--restart-backoff-cap", "0", "--log-max-bytes", max_bytes, "--log-max-files",
                std::to_string(max_files)});
  }

  // Launches `app` and waits until that run has exited.
  void run_to_exit(const std::string& app) {
    const auto before = broker_.state("m1", app);
    const double previous_start = before ? before->started_at : 0;
    launch(app);
    ASSERT_TRUE(broker_.wait_state(
        "m1", app,
        [&](const bus::AppState& s) {
          return s.started_at != previous_start && !FakeBroker::has_flag(s, "Running") &&
                 s.exit_code.has_value();
        },
        kLongDeadline))
        << node_->log();
  }

  std::string log_path(const std::string& app) const {
    return node_->log_dir() + "/" + app + ".log";
  }
  LogFiles files_of(const std::string& app) const {
    LogFiles files;
    const std::string base = log_path(app);
    unsigned oldest = 0;
    while (fs::exists(base + "." + std::to_string(oldest + 1)))
      ++oldest;
    for (unsigned n = oldest; n >= 1; --n) {
      files.names.push_back(base + "." + std::to_string(n));
      files.contents.push_back(read_file(files.names.back()));
    }
    files.names.push_back(base);
    files.contents.push_back(read_file(base));
    return files;
  }
  // The numbers of the lines "<stream> <n>", in the order they appear.
  static std::vector<long> numbers(const std::string& text, const std::string& stream) {
    std::vector<long> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(stream + " ", 0) == 0)
        out.push_back(std::stol(line.substr(stream.size() + 1)));
    }
    return out;
  }
  static std::vector<long> one_to(long n) {
    std::vector<long> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 1);
    return v;
  }
  // Every file within the limit, and every file ends at a line end: no line was split.
  static void expect_whole_lines_within_limit(const LogFiles& files, std::uint64_t max_bytes) {
    for (std::size_t i = 0; i < files.names.size(); ++i) {
      EXPECT_LE(files.contents[i].size(), max_bytes) << files.names[i];
      if (!files.contents[i].empty()) {
        EXPECT_TRUE(files.contents[i].ends_with('\n')) << files.names[i] << " ends inside a line";
      }
    }
  }

  // Pipes the node holds open (its app output pipes; ZeroMQ uses eventfds, not pipes).
  std::size_t node_pipes() {
    std::size_t n = 0;
    const std::string dir = "/proc/" + std::to_string(node_->process().pid()) + "/fd";
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::error_code ec;
      const auto target = fs::read_symlink(entry.path(), ec);
      if (!ec && target.string().starts_with("pipe:")) ++n;
    }
    return n;
  }
};

// Two writers at once on stdout and stderr (one write per line, as echo does), far more output
// than the logs hold before rotating.
TEST_F(NodeAppLogTest, EveryNumberedLineOfBothStreamsArrivesOnceAndInOrder) {
  constexpr long kLines = 20'000;
  start(1000);
  const std::string n = std::to_string(kLines);
  deploy({shell_app("chatty", "(i=1; while [ $i -le " + n +
                                  " ]; do echo \"err $i\" >&2; i=$((i+1)); done) & i=1; "
                                  "while [ $i -le " +
                                  n + " ]; do echo \"out $i\"; i=$((i+1)); done; wait")});
  const auto started = std::chrono::steady_clock::now();
  run_to_exit("chatty");
  ASSERT_EQ(broker_.state("m1", "chatty")->exit_code, 0);
  // The node drains the pipe before it reports the exit; polling only guards against a slow disk.
  ASSERT_TRUE(wait_until(
      [&] { return numbers(files_of("chatty").joined(), "err").size() >= kLines; }, kLongDeadline));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const LogFiles files = files_of("chatty");
  const std::string all = files.joined();
  EXPECT_EQ(numbers(all, "out"), one_to(kLines));
  EXPECT_EQ(numbers(all, "err"), one_to(kLines));
  expect_whole_lines_within_limit(files, kMaxBytes);
  EXPECT_GT(files.names.size(), 50u);  // it did rotate, many times
  std::cout << "[ measure  ] " << 2 * kLines << " lines, " << all.size() << " bytes in "
            << files.names.size() << " files, " << seconds << " s from launch to settled\n";
}

// seq writes through stdio in 4 KiB blocks that end inside lines: the node must keep each line in
// one file anyway.
TEST_F(NodeAppLogTest, BlockBufferedOutputIsNotSplitAcrossFiles) {
  constexpr long kLines = 30'000;
  start(1000);
  deploy({shell_app("blocks", "seq 1 " + std::to_string(kLines) + " | sed \"s/^/out /\"")});
  run_to_exit("blocks");
  ASSERT_TRUE(wait_until(
      [&] { return numbers(files_of("blocks").joined(), "out").size() >= kLines; }, kLongDeadline));
  const LogFiles files = files_of("blocks");
  EXPECT_EQ(numbers(files.joined(), "out"), one_to(kLines));
  expect_whole_lines_within_limit(files, kMaxBytes);
}

TEST_F(NodeAppLogTest, FilesBeyondMaxFilesAreDropped) {
  constexpr long kLines = 5'000;  // about 50 KB: a dozen rotations of 4 KiB
  start(3, "4K");                 // kMaxBytes, spelled with a suffix
  deploy({shell_app("rotating", "i=1; while [ $i -le " + std::to_string(kLines) +
                                    " ]; do echo \"line $i\"; i=$((i+1)); done")});
  run_to_exit("rotating");
  ASSERT_TRUE(wait_until([&] {
    auto got = numbers(files_of("rotating").joined(), "line");
    return !got.empty() && got.back() == kLines;
  }));
  const LogFiles files = files_of("rotating");
  ASSERT_EQ(files.names.size(), 4u);  // rotating.log and .1 to .3
  EXPECT_FALSE(fs::exists(log_path("rotating") + ".4"));
  expect_whole_lines_within_limit(files, kMaxBytes);
  // What is kept is the newest output, without a gap: the oldest files went.
  const std::vector<long> kept = numbers(files.joined(), "line");
  ASSERT_FALSE(kept.empty());
  EXPECT_GT(kept.front(), 1);
  std::vector<long> expected(kept.size());
  std::iota(expected.begin(), expected.end(), kept.front());
  EXPECT_EQ(kept, expected);
  EXPECT_EQ(kept.back(), kLines);
  EXPECT_GT(files.joined().size(), 3 * kMaxBytes - 3 * 16);  // the rotated files are nearly full
}

TEST_F(NodeAppLogTest, RelaunchesAppendAndALastLineWithoutItsEndIsKept) {
  start(5);
  deploy({shell_app("twice", "echo run; printf tail")});
  run_to_exit("twice");
  EXPECT_EQ(read_file(log_path("twice")), "run\ntail");  // written when the app exits
  run_to_exit("twice");
  EXPECT_EQ(read_file(log_path("twice")), "run\ntailrun\ntail");
}

TEST_F(NodeAppLogTest, OutputOfAProcessLeftBehindIsReadUntilItClosesThePipe) {
  start(5);
  const std::size_t pipes_before = node_pipes();
  // The helper stays a while after its last line: the node sees the hangup alone, without data.
  deploy({shell_app("parent", "(sleep 0.5; echo late; sleep 0.5) & echo early")});
  run_to_exit("parent");
  EXPECT_TRUE(wait_until([&] { return read_file(log_path("parent")) == "early\nlate\n"; }))
      << read_file(log_path("parent"));
  // EOF once the last writer is gone: the node closes its end, no descriptor is left behind.
  EXPECT_TRUE(wait_until([&] { return node_pipes() == pipes_before; })) << node_pipes();
}

TEST_F(NodeAppLogTest, LogOptionsAreValidated) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--log-max-bytes", "100"}, "must be at least 1K (1024 bytes), got 100 bytes"},
      {{"--log-max-bytes", "lots"}, "--log-max-bytes"},
      {{"--log-max-bytes", "-5"}, "--log-max-bytes"},
      {{"--log-max-files", "0"}, "--log-max-files"},
      {{"--log-max-files", "1001"}, "--log-max-files"},
  };
  for (const auto& c : cases) {
    const std::string out = dir_ / "options.txt";
    std::vector<std::string> argv{binary_path("baton-node"), "--machine", "m1"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ChildProcess node(argv, ChildProcess::Options{{}, {}, out});
    auto exit = node.wait_exit();
    ASSERT_TRUE(exit.has_value()) << c.args[1];
    EXPECT_EQ(exit->code, 2) << c.args[1];
    EXPECT_NE(read_file(out).find(c.message), std::string::npos) << read_file(out);
    fs::remove(out);
  }
}

TEST_F(NodeAppLogTest, HelpListsTheLogOptions) {
  const std::string out = dir_ / "help.txt";
  ChildProcess help({binary_path("baton-node"), "--help"}, ChildProcess::Options{{}, {}, out});
  auto exit = help.wait_exit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0);
  const std::string text = read_file(out);
  EXPECT_NE(text.find("--log-max-bytes"), std::string::npos) << text;
  EXPECT_NE(text.find("--log-max-files"), std::string::npos) << text;
}

}  // namespace
}  // namespace baton::test
