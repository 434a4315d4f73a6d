// bench_log_follow: `baton logs -f` (node/apps/log_stream.hpp, cli/log_follower.hpp) on a real
// broker and node, with the real `baton` CLI following. The app is bench/programs/line_writer,
// which writes lines of 100 bytes once told to go (a file), so that the clock starts only when the
// follower is listening.
//
// 1. Follow latency: 100,000 lines/s for 5 s (quick: 1 s), each line carrying its CLOCK_MONOTONIC
//    write time and number; the bench reads the follower's stdout (a pipe) and takes read time -
//    write time per line, and counts the lines that never came. Baseline, in the same run: the
//    same writer's lines read straight from a pipe by the bench, the floor of pipe and scheduling
//    on this machine.
// 2. A stalled follower does not slow the app: the app writes 1 GB (quick: 100 MB) as fast as it
//    can, and times itself; with a follower whose stdout is a pipe nobody reads, beside the same
//    with nobody following. Target: at least 0.9 of it, "not slowed" give or take the noise of a
//    shared machine. Beside it, without a target, the same with a follower read as it prints: it
//    tells what stalling costs from what following at all costs.
// 3. No cost with nobody following: the node's CPU time per line in the flood nobody followed,
//    beside a bare loop that reads the same writer's output from a pipe in reads of 64 KiB, as the
//    node does, and appends it to a file started afresh every 10 MiB (the node's default
//    rotation): the least any supervisor that logs its apps' output pays. No target: the issue
//    asks for the figure and the ratio.
// 4. Last, the flood with a follower suspended (SIGSTOP, as Ctrl-Z does) until the app is done:
//    how much the broker's memory grows holding the lines for it, beside the same with the
//    stalled follower of (2), which runs and drops what it cannot print. No target in the issue.
//
// Every process here shares the machine (2 cores on the reference VM): app, node, broker, CLI and
// the bench itself; the notes give each one's CPU time per line, and how long each part took.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/support/bench_report.hpp"
#include "bench/support/forked_process.hpp"
#include "bench/support/latency_stats.hpp"
#include "bench/support/process_stats.hpp"
#include "bench/support/record_pipe.hpp"
#include "harness/child_process.hpp"
#include "harness/control_client.hpp"
#include "harness/files.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"
#include "node/process/spawn.hpp"

namespace baton::bench {
namespace {

using namespace std::chrono_literals;
namespace control = proto::control;

struct Params {
  long long paced_lines;  // at kRate lines/s
  long long flood_lines;  // of kLineBytes
};

constexpr long long kRate = 100'000;
constexpr long long kLineBytes = 100;  // as line_writer writes them
constexpr std::size_t kBareRotateBytes = 10 * 1024 * 1024;

long long monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000'000LL + now.tv_nsec;
}

// A process started with spawn() (safe once this process has threads, unlike fork), its stdout
// the given descriptor; killed and reaped on destruction.
class Spawned {
 public:
  Spawned(std::vector<std::string> argv, int stdout_fd, const std::string& stderr_file) {
    SpawnRequest request;
    request.argv = std::move(argv);
    request.stdout_fd = stdout_fd;
    const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    request.stderr_fd = err;
    auto pid = spawn(request);
    if (err >= 0) ::close(err);
    if (!pid)
      throw std::runtime_error("cannot start " + request.argv[0] + ": " + pid.error().message);
    pid_ = *pid;
  }
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;
  ~Spawned() { stop(SIGKILL); }
  pid_t pid() const { return pid_; }
  // Signals the process and reaps it (SIGKILL after 5 s); false when it was gone before.
  bool stop(int sig) {
    if (pid_ <= 0) return false;
    const bool alive = ::waitpid(pid_, nullptr, WNOHANG) == 0;
    if (alive) {
      ::kill(pid_, sig);
      if (!harness::wait_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) != 0; }, 5s)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    pid_ = -1;
    return alive;
  }

 private:
  pid_t pid_ = -1;
};

// The number in "… 1,234 lines dropped …".
long long digits_in(std::string_view text) {
  long long n = 0;
  for (char c : text)
    if (c >= '0' && c <= '9') n = n * 10 + (c - '0');
  return n;
}

// What a reader of line_writer's lines saw: each line's latency (read time - write time), lines
// that never came, and the follower's "… N lines dropped …" counts.
struct Delivery {
  std::vector<double> latency_ms;
  long long received = 0;
  long long out_of_order = 0;
  long long dropped = 0;  // as the follower counted them
  long long first_write_ns = 0, last_read_ns = 0;
  bool ended = false;  // END came
};

// Reads the lines of one run from `fd` as they come: the time is taken right after each read().
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  // Reads until the line "ready" (from the app, or the follower's tail of it); false at the
  // deadline or EOF.
  bool wait_ready(std::chrono::milliseconds wait) {
    bool ready = false;
    read_until(wait, [&](std::string_view line, long long) {
      ready = line == "ready";
      return ready;
    });
    return ready;
  }

  // Reads the run's lines until END, the deadline or EOF.
  Delivery read_run(std::chrono::milliseconds wait) {
    Delivery d;
    long long expected = 0;
    read_until(wait, [&](std::string_view line, long long now) {
      if (line == "END") return d.ended = true;
      if (line.find("dropped") != std::string_view::npos) {
        d.dropped += digits_in(line);
        return false;
      }
      if (line.size() < 30) return false;  // "ready" and anything else not a numbered line
      const long long seq = std::stoll(std::string(line.substr(0, 10)));
      const long long written = std::stoll(std::string(line.substr(11, 19)));
      if (d.received == 0) d.first_write_ns = written;
      if (seq != expected) ++d.out_of_order;
      expected = seq + 1;
      ++d.received;
      d.last_read_ns = now;
      d.latency_ms.push_back(static_cast<double>(now - written) / 1e6);
      return false;
    });
    return d;
  }

  // Reads what comes until `wait` passes or EOF; calls `line` for each whole line.
  void read_until(std::chrono::milliseconds wait,
                  const std::function<bool(std::string_view, long long)>& line) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    char buffer[64 * 1024];
    for (;;) {
      std::size_t start = 0;
      for (std::size_t end; (end = pending_.find('\n', start)) != std::string::npos;) {
        const bool done =
            line(std::string_view(pending_).substr(start, end - start), pending_read_ns_);
        start = end + 1;
        if (done) {
          pending_.erase(0, start);
          return;
        }
      }
      pending_.erase(0, start);
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      const long n = read_some(fd_, buffer, sizeof buffer, std::min(left, 200ms));
      if (n < 0) return;
      pending_read_ns_ = monotonic_ns();
      pending_.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string pending_;
  long long pending_read_ns_ = 0;
};

// Whether the app's log (or, just after a rotation, the file before it) ends with `text`.
bool log_ends_with(const std::string& log, const std::string& text) {
  for (const std::string& path : {log, log + ".1"}) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat info {};
    std::string tail(text.size(), '\0');
    const bool ok = ::fstat(fd, &info) == 0 && info.st_size >= static_cast<off_t>(text.size()) &&
                    ::pread(fd, tail.data(), tail.size(), info.st_size - tail.size()) ==
                        static_cast<ssize_t>(tail.size());
    ::close(fd);
    if (info.st_size > 0) return ok && tail == text;
  }
  return false;
}

// The last "<lines> <bytes> <elapsed ns>" line_writer appended to `path`.
struct WriterResult {
  long long lines = 0, bytes = 0, elapsed_ns = 0;
  double mb_per_s() const { return elapsed_ns > 0 ? 1e3 * bytes / elapsed_ns : 0; }
};
WriterResult last_result(const std::string& path) {
  const auto lines = harness::read_lines(path);
  WriterResult r;
  if (lines.empty() || !(std::istringstream(lines.back()) >> r.lines >> r.bytes >> r.elapsed_ns))
    throw std::runtime_error("line_writer left no result in " + path);
  return r;
}

void touch(const std::string& path) {
  std::ofstream(path) << "go\n";
}

// The baseline of (3): reads `input` to EOF in reads of 64 KiB, as the node does, and appends
// what it read to `file`, started afresh every 10 MiB; then writes its CPU time (ns) and the
// bytes it read to `report`. Forked before this process has threads.
class BareLogger {
 public:
  BareLogger(const std::string& file)
      : process_(
            [&] {
              input_.close_write_end();
              report_.close_read_end();
              std::vector<char> buffer(64 * 1024);
              long long total = 0;
              std::size_t in_file = 0;
              int out =
                  ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
              for (ssize_t n; (n = ::read(input_.read_end(), buffer.data(), buffer.size())) != 0;) {
                if (n < 0) {
                  if (errno == EINTR) continue;
                  break;
                }
                if (::write(out, buffer.data(), static_cast<std::size_t>(n)) != n) break;
                total += n;
                in_file += static_cast<std::size_t>(n);
                if (in_file >= kBareRotateBytes) {
                  ::close(out);
                  out = ::open(file.c_str(), O_WRONLY | O_TRUNC | O_APPEND | O_CLOEXEC);
                  in_file = 0;
                }
              }
              ::close(out);
              timespec cpu{};
              ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
              const Figures figures{cpu.tv_sec * 1'000'000'000LL + cpu.tv_nsec, total};
              (void)!::write(report_.write_end(), &figures, sizeof figures);
            },
            {input_.read_end(), input_.write_end(), report_.read_end(), report_.write_end()}) {
    input_.close_read_end();
    report_.close_write_end();
  }
  int input() const { return input_.write_end(); }
  // Once the writer has the input: so that the logger sees EOF when the writer exits.
  void close_input() { input_.close_write_end(); }
  struct Figures {
    long long cpu_ns = 0, bytes = 0;
  };
  // Once it has read everything; nullopt if it does not report in time.
  std::optional<Figures> result(std::chrono::milliseconds wait) {
    RecordReader<Figures> reader(report_.read_end());
    if (!reader.read_until(std::chrono::steady_clock::now() + wait,
                           [&] { return !reader.records().empty(); }))
      return std::nullopt;
    return reader.records().front();
  }

 private:
  Pipe input_, report_;
  ForkedProcess process_;
};

// CPU seconds of each process (0 for one that is gone).
std::vector<double> cpu_of(const std::vector<pid_t>& pids) {
  std::vector<double> seconds;
  for (pid_t pid : pids)
    seconds.push_back(precise_cpu_seconds(pid).value_or(0));
  return seconds;
}

// A flood followed by `baton logs -f`: the app's own figures, and what the others spent on it.
struct FollowedFlood {
  WriterResult writer;
  double node_cpu = 0, broker_cpu = 0, follower_cpu = 0;
  long long printed = 0, dropped = 0;  // by the follower, of the lines and END
  double broker_rss_growth_mib = 0, node_rss_growth_mib = 0;
};

// What the follower of a flood does with its stdout: not read until the app is done, read as it
// prints, or the follower itself stopped (SIGSTOP, as Ctrl-Z does) until the app is done.
enum class Follower { stalled, reading, suspended };

// Lines of the flood's logs (the current file and the rotated ones kept) that are not whole lines
// of line_writer: a line the node split (a partial line written out before its end came).
long long split_lines(const std::string& log) {
  long long split = 0;
  for (int i = 0; i <= 5; ++i) {
    std::ifstream file(i == 0 ? log : log + "." + std::to_string(i));
    for (std::string line; std::getline(file, line);) {
      if (line.size() != kLineBytes - 1 && line != "ready" && line != "END") ++split;
    }
  }
  return split;
}

std::string app_xml(const std::string& name, const std::string& program, const std::string& go,
                    const std::string& result, long long lines, long long rate) {
  return "  <App AppIdTuple=\"m1." + name + "\" ExeFullPath=\"" + program + "\" CmdLineArgs=\"" +
         go + " " + result + " " + std::to_string(lines) + " " + std::to_string(rate) + "\"/>\n";
}

int run(const Params& p) {
  harness::TempDir dir;
  // How long each part took: a slow part shows where the machine was busy.
  nlohmann::json seconds = nlohmann::json::object();
  auto part_started = std::chrono::steady_clock::now();
  auto part_done = [&](const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    seconds[name] = std::chrono::duration<double>(now - part_started).count();
    part_started = now;
  };
  // Forked first: this process has no thread yet.
  BareLogger bare(dir / "bare.log");

  const std::string writer = harness::binary_path("line_writer");
  const std::string cli = harness::binary_path("baton");
  const auto paced_seconds = std::chrono::milliseconds(1000 * p.paced_lines / kRate);
  const auto flood_wait = 120s;

  // (3)'s baseline: the writer's flood through the bare logger.
  std::optional<BareLogger::Figures> bare_figures;
  {
    Spawned app({writer, dir / "go-bare", dir / "result-bare", std::to_string(p.flood_lines), "0"},
                bare.input(), dir / "children.err");
    bare.close_input();
    touch(dir / "go-bare");
    // The logger reports at EOF, once the writer has exited (its result written).
    bare_figures = bare.result(flood_wait);
  }
  if (!bare_figures) throw std::runtime_error("the bare flood did not end within 120 s");
  const WriterResult bare_flood = last_result(dir / "result-bare");
  const long long bare_cpu_ns = bare_figures->cpu_ns;
  if (bare_figures->bytes != bare_flood.bytes + 10)  // "ready\n" and "END\n"
    throw std::runtime_error("the bare logger read " + std::to_string(bare_figures->bytes) +
                             " bytes, not " + std::to_string(bare_flood.bytes + 10));
  ::unlink((dir / "bare.log").c_str());
  part_done("bare_flood");

  // (1)'s baseline: the paced lines read straight from a pipe.
  Delivery piped;
  {
    Pipe lines;
    Spawned app({writer, dir / "go-piped", dir / "result-piped", std::to_string(p.paced_lines),
                 std::to_string(kRate)},
                lines.write_end(), dir / "children.err");
    lines.close_write_end();
    LineReader reader(lines.read_end());
    if (!reader.wait_ready(10s)) throw std::runtime_error("line_writer never said ready");
    touch(dir / "go-piped");
    piped = reader.read_run(paced_seconds + 15s);
  }

  part_done("pipe_paced");
  std::ofstream(dir / "SharedConfig.xml")
      << "<Shared>\n"
      << app_xml("paced", writer, dir / "go-paced", dir / "result-paced", p.paced_lines, kRate)
      << app_xml("flood", writer, dir / "go-flood", dir / "result-flood", p.flood_lines, 0)
      << "</Shared>\n";
  harness::BrokerProcess broker(dir, dir / "SharedConfig.xml", harness::BrokerEndpoints::in(dir));
  harness::FleetNode node(dir, "m1", broker.endpoints().control);
  harness::ControlClient client(broker.endpoints().control);
  const pid_t node_pid = node.process().pid();
  auto fail = [&](const std::string& why) {
    const std::string log = node.log();
    throw std::runtime_error(
        why + "\n--- node log (end)\n" + log.substr(log.size() > 4000 ? log.size() - 4000 : 0) +
        "\n--- follower and writer stderr\n" + harness::read_file(dir / "children.err"));
  };
  if (!client.wait_linked("m1")) fail("the node never linked to the broker");
  // Launches the app (once its last run is over) and waits until its log ends with "ready": it
  // waits for its go file.
  auto launch_ready = [&](const std::string& app) {
    const std::string log = dir / ("logs-m1/" + app + ".log");
    if (!client.wait_app("m1." + app,
                         [](const auto& s) { return !harness::has_flag(s.state, "Running"); }))
      fail(app + " still runs from its last run");
    auto reply = client.request("launch", control::AppArgs{"m1." + app});
    if (!reply || !reply->ok) fail("launch of " + app + " failed");
    if (!harness::wait_until([&] { return log_ends_with(log, "ready\n"); }, 20s))
      fail(app + " never wrote ready");
  };
  auto follower_argv = [&](const std::string& app) {
    return std::vector<std::string>{
        cli, "--broker", broker.endpoints().control, "logs", "m1." + app, "-n", "1", "-f"};
  };

  part_done("daemons_start");
  // (1) The paced lines through the node, the broker and `baton logs -f`.
  launch_ready("paced");
  Delivery followed;
  double node_cpu_followed = 0;
  {
    Pipe out;
    Spawned follower(follower_argv("paced"), out.write_end(), dir / "children.err");
    out.close_write_end();
    LineReader reader(out.read_end());
    // The tail ("ready") comes after the node has said it publishes: from then on no line is
    // missed.
    if (!reader.wait_ready(20s)) fail("the follower never printed the tail 'ready'");
    const auto cpu_before = precise_cpu_seconds(node_pid);
    touch(dir / "go-paced");
    followed = reader.read_run(paced_seconds + 15s);
    const auto cpu_after = precise_cpu_seconds(node_pid);
    if (cpu_before && cpu_after) node_cpu_followed = *cpu_after - *cpu_before;
    if (!follower.stop(SIGTERM)) fail("the follower exited by itself");
  }
  if (!harness::wait_until([&] { return log_ends_with(dir / "logs-m1/paced.log", "END\n"); }, 20s))
    fail("the paced app never finished");

  part_done("followed_paced");
  // (2a) and (3): the flood with nobody following, the node's CPU time meanwhile.
  const std::string flood_log = dir / "logs-m1/flood.log";
  launch_ready("flood");
  const auto cpu_before = precise_cpu_seconds(node_pid);
  touch(dir / "go-flood");
  if (!harness::wait_until([&] { return log_ends_with(flood_log, "END\n"); }, flood_wait))
    fail("the flood with nobody following did not end within 120 s");
  const auto cpu_after = precise_cpu_seconds(node_pid);
  if (!cpu_before || !cpu_after) fail("cannot read the node's CPU time");
  const double node_cpu_unfollowed = *cpu_after - *cpu_before;
  const WriterResult unfollowed = last_result(dir / "result-flood");

  // (2b) The flood again, followed by a `baton logs -f` whose stdout nobody reads until the app
  // is done; and, to tell the cost of stalling from that of following, (2c) by one read as it
  // prints; (4) by one suspended (SIGSTOP, as Ctrl-Z does) until the app is done. Every line must
  // then be printed or counted as dropped.
  const pid_t broker_pid = broker.process().pid();
  auto followed_flood = [&](Follower how) {
    FollowedFlood f;
    launch_ready("flood");
    Pipe out;
    Spawned follower(follower_argv("flood"), out.write_end(), dir / "children.err");
    out.close_write_end();
    LineReader reader(out.read_end());
    if (!reader.wait_ready(20s)) fail("the flood's follower never printed the tail 'ready'");
    const pid_t follower_pid = follower.pid();
    const auto before = cpu_of({node_pid, broker_pid, follower_pid});
    const double broker_rss_before = resident_mib(broker_pid).value_or(0);
    const double node_rss_before = resident_mib(node_pid).value_or(0);
    if (how == Follower::suspended) ::kill(follower_pid, SIGSTOP);
    touch(dir / "go-flood");
    // Done once every line and END are printed or counted: the last lines of a burst are
    // dropped when they find the follower's buffer full, and counted once stdout drains.
    const long long all = p.flood_lines + 1;
    auto count = [&](std::string_view line, long long) {
      if (line.find("dropped") != std::string_view::npos) {
        f.dropped += digits_in(line);
      } else {
        ++f.printed;
      }
      return f.printed + f.dropped >= all;
    };
    if (how == Follower::reading) reader.read_until(flood_wait, count);
    if (!harness::wait_until([&] { return log_ends_with(flood_log, "END\n"); }, flood_wait))
      fail("the flood with a follower did not end within 120 s");
    const auto after = cpu_of({node_pid, broker_pid, follower_pid});
    f.node_cpu = after[0] - before[0];
    f.broker_cpu = after[1] - before[1];
    f.follower_cpu = after[2] - before[2];
    f.broker_rss_growth_mib = resident_mib(broker_pid).value_or(0) - broker_rss_before;
    f.node_rss_growth_mib = resident_mib(node_pid).value_or(0) - node_rss_before;
    f.writer = last_result(dir / "result-flood");
    if (how == Follower::suspended) ::kill(follower_pid, SIGCONT);
    if (f.printed + f.dropped < all) reader.read_until(30s, count);
    if (!follower.stop(SIGTERM)) fail("the flood's follower exited by itself");
    return f;
  };
  part_done("unfollowed_flood");
  const FollowedFlood stalled = followed_flood(Follower::stalled);
  part_done("stalled_follower_flood");
  const FollowedFlood reading = followed_flood(Follower::reading);
  part_done("reading_follower_flood");
  const long long split = split_lines(flood_log);
  // Last: the broker keeps the memory it grew to.
  const FollowedFlood suspended = followed_flood(Follower::suspended);
  part_done("suspended_follower_flood");

  const LatencyStats follow(followed.latency_ms), pipe_latency(piped.latency_ms);
  auto delivered_per_s = [](const Delivery& d) {
    return d.last_read_ns > d.first_write_ns
               ? 1e9 * static_cast<double>(d.received) / (d.last_read_ns - d.first_write_ns)
               : 0.0;
  };
  const auto lost = [&](const Delivery& d) {
    return static_cast<double>(p.paced_lines - d.received);
  };
  const std::string rate = "100k lines/s, ";
  Report report("log follow");
  report.add({rate + "write to print p50", follow.quantile(0.5), "ms", pipe_latency.quantile(0.5),
              "", std::nullopt, std::nullopt, Better::lower});
  report.add({rate + "write to print p99", follow.quantile(0.99), "ms", pipe_latency.quantile(0.99),
              "≤ 20 ms", 20.0, std::nullopt, Better::lower});
  report.add({rate + "write to print max", follow.max(), "ms", pipe_latency.max(), "", std::nullopt,
              std::nullopt, Better::lower});
  report.add({rate + "lines lost", lost(followed), "lines", lost(piped), "0", 0.0, std::nullopt,
              Better::lower});
  report.add({rate + "delivered", delivered_per_s(followed), "lines/s", delivered_per_s(piped), "",
              std::nullopt, std::nullopt, Better::higher});
  const std::string flood = std::to_string(p.flood_lines * kLineBytes / 1'000'000) + " MB flood, ";
  report.add({flood + "app throughput, stalled follower", stalled.writer.mb_per_s(), "MB/s",
              unfollowed.mb_per_s(), "≥ 0.9× nobody following", std::nullopt, 0.9, Better::higher});
  const double node_us_per_line = 1e6 * node_cpu_unfollowed / static_cast<double>(p.flood_lines);
  const double bare_us_per_line = 1e-3 * bare_cpu_ns / static_cast<double>(p.flood_lines);
  report.add({flood + "app throughput, follower reading along", reading.writer.mb_per_s(), "MB/s",
              unfollowed.mb_per_s(), "", std::nullopt, std::nullopt, Better::higher});
  report.add({flood + "node CPU per line, nobody following", node_us_per_line, "µs",
              bare_us_per_line, "", std::nullopt, std::nullopt, Better::lower});
  // A follower that cannot read (suspended) holds the bus's lines where they queue: beside what
  // one that runs but cannot print costs. No target in the issue.
  // (Never below 0: memory given back meanwhile is no growth.)
  report.add({flood + "broker memory growth, follower suspended",
              std::max(0.0, suspended.broker_rss_growth_mib), "MiB",
              std::max(0.0, stalled.broker_rss_growth_mib), "", std::nullopt, std::nullopt,
              Better::lower});
  report.add_series("follow_latency",
                    {{"baton", follow.distribution()}, {"pipe", pipe_latency.distribution()}});
  report.note("paced_lines", p.paced_lines);
  report.note("follow_lines_out_of_order", followed.out_of_order);
  report.note("follow_dropped_counted", followed.dropped);
  report.note("follow_p999_ms", follow.quantile(0.999));
  report.note("pipe_p999_ms", pipe_latency.quantile(0.999));
  report.note("node_cpu_us_per_line_followed",
              1e6 * node_cpu_followed / static_cast<double>(p.paced_lines));
  report.note("flood_lines", p.flood_lines);
  report.note("flood_mb_per_s_bare_logger", bare_flood.mb_per_s());
  // Where the CPU goes while a follower is there (µs per line), and whether a follower that
  // reads along slows the app as much as a stalled one.
  const double lines = static_cast<double>(p.flood_lines);
  for (const auto& [name, f] : {std::pair{"stalled", stalled}, std::pair{"reading", reading},
                                std::pair{"suspended", suspended}}) {
    const std::string key = std::string(name) + "_follower_";
    report.note(key + "app_mb_per_s", f.writer.mb_per_s());
    report.note(key + "node_cpu_us_per_line", 1e6 * f.node_cpu / lines);
    report.note(key + "broker_cpu_us_per_line", 1e6 * f.broker_cpu / lines);
    report.note(key + "cli_cpu_us_per_line", 1e6 * f.follower_cpu / lines);
    report.note(key + "printed", f.printed);
    report.note(key + "dropped_counted", f.dropped);
    report.note(key + "unaccounted", p.flood_lines + 1 - f.printed - f.dropped);
    report.note(key + "broker_rss_growth_mib", f.broker_rss_growth_mib);
    report.note(key + "node_rss_growth_mib", f.node_rss_growth_mib);
  }
  report.note("flood_log_split_lines", split);
  report.note("seconds", seconds);
  report.print();
  return 0;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) {
  return baton::bench::guarded_main(argv[0], [&] {
    const auto options = baton::bench::parse_options(argc, argv);
    return baton::bench::run(options.quick ? baton::bench::Params{100'000, 1'000'000}
                                           : baton::bench::Params{500'000, 10'000'000});
  });
}
