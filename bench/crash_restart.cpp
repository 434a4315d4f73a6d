// bench_crash_restart: how soon the node relaunches an app that crashed. The app (crash_app)
// writes the CLOCK_MONOTONIC times of the start of its main and of just before its crash exit; the
// gap is from one run's exit to the next run's start. Baton: RestartOnCrash with Restarter delay 0
// on a real baton-node (broker-deployed, --restart-backoff-cap 0, as the restart storm of
// tests/integration/load_test.cpp). Baseline, in the same run: the same program relaunched by a
// plain fork/exec/waitpid loop (and, as a note, by a posix_spawn/waitpid loop: the node starts
// apps with a vfork-like clone, which skips the copy of the page tables that fork makes). The
// loops run in a small helper process, as a minimal supervisor would be. Baseline and Baton
// alternate in rounds, so that a noisy neighbour weighs on both alike.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
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

namespace baton::bench {
namespace {

using namespace std::chrono_literals;
namespace control = proto::control;

struct Params {
  int rounds;
  int restarts_per_round;
};

struct Run {
  long long start_ns, end_ns;
};

std::vector<Run> read_runs(const std::string& path) {
  std::vector<Run> runs;
  for (const std::string& line : harness::read_lines(path)) {
    std::istringstream fields(line);
    Run run{};
    if (!(fields >> run.start_ns >> run.end_ns)) throw std::runtime_error("bad line in " + path);
    runs.push_back(run);
  }
  return runs;
}

// The gaps between consecutive runs of `runs[from, to)`: runs of one round only, so that the wait
// between rounds is never counted.
void add_gaps(const std::vector<Run>& runs, std::size_t from, std::size_t to,
              std::vector<double>& gaps_ms) {
  for (std::size_t i = from + 1; i < to && i < runs.size(); ++i)
    gaps_ms.push_back(static_cast<double>(runs[i].start_ns - runs[i - 1].end_ns) / 1e6);
}

enum class Relaunch : std::int32_t { fork_exec, posix_spawn };

// The baseline: crash_app relaunched `runs` times in a row, each as soon as waitpid returns.
bool relaunch_loop(const std::string& program, const std::string& record, int runs, Relaunch how) {
  std::vector<char*> argv{const_cast<char*>(program.c_str()), const_cast<char*>(record.c_str()),
                          nullptr};
  for (int i = 0; i < runs; ++i) {
    pid_t pid = -1;
    if (how == Relaunch::fork_exec) {
      pid = ::fork();
      if (pid == 0) {
        ::execve(argv[0], argv.data(), environ);
        ::_exit(127);
      }
    } else if (::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      pid = -1;
    }
    if (pid < 0) return false;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) return false;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 3) return false;
  }
  return true;
}

// Runs the baseline rounds in a helper process forked before this one makes any thread (the
// ZeroMQ context of the control client): small and single-threaded like a minimal supervisor, so
// that its fork copies little and nothing else of the benchmark runs in it.
class BaselineRelauncher {
 public:
  BaselineRelauncher(const std::string& program, const std::string& record)
      : helper_(
            [&] {
              commands_.close_write_end();
              answers_.close_read_end();
              Command command{};
              while (::read(commands_.read_end(), &command, sizeof command) == sizeof command) {
                const std::int32_t ok = relaunch_loop(program, record, command.runs, command.how);
                if (::write(answers_.write_end(), &ok, sizeof ok) != sizeof ok) break;
              }
            },
            {commands_.read_end(), commands_.write_end(), answers_.read_end(),
             answers_.write_end()}) {
    commands_.close_read_end();
    answers_.close_write_end();
  }

  // Runs crash_app `runs` times in the helper; false when a run failed.
  bool round(int runs, Relaunch how) {
    const Command command{runs, how};
    std::int32_t ok = 0;
    return ::write(commands_.write_end(), &command, sizeof command) == sizeof command &&
           ::read(answers_.read_end(), &ok, sizeof ok) == sizeof ok && ok == 1;
  }

 private:
  struct Command {
    std::int32_t runs;
    Relaunch how;
  };
  Pipe commands_, answers_;
  ForkedProcess helper_;
};

int run(const Params& p) {
  harness::TempDir dir;
  const std::string program = harness::binary_path("crash_app");
  const std::string baton_record = dir / "baton.runs";
  const std::string baseline_record = dir / "baseline.runs";
  const std::string spawn_record = dir / "spawn.runs";
  BaselineRelauncher baseline_fork(program, baseline_record);
  BaselineRelauncher baseline_spawn(program, spawn_record);
  // maxTries bounds each round: the node relaunches the app that many times, then leaves it.
  std::ofstream(dir / "SharedConfig.xml") << "<Shared>\n"
                                             "  <App AppIdTuple=\"m1.crasher\" ExeFullPath=\""
                                          << program << "\" CmdLineArgs=\"" << baton_record
                                          << "\" RestartOnCrash=\"1\">\n"
                                             "    <Restarter delay=\"0\" maxTries=\""
                                          << p.restarts_per_round
                                          << "\"/>\n"
                                             "  </App>\n"
                                             "</Shared>\n";
  harness::BrokerProcess broker(dir, dir / "SharedConfig.xml", harness::BrokerEndpoints::in(dir));
  harness::FleetNode node(dir, "m1", broker.endpoints().control, {"--restart-backoff-cap", "0"});
  harness::ControlClient client(broker.endpoints().control);
  // Thrown, not exit(): the destructors must end the broker, the node and the helper.
  auto fail = [&](const std::string& why) {
    const std::string log = node.log();
    throw std::runtime_error(why + "\n--- node log (end)\n" +
                             log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  };

  if (!client.wait_app("m1.crasher", [](const auto& s) { return s.online; }))
    fail("the app never showed up online at the broker");

  const std::size_t runs_per_round = static_cast<std::size_t>(p.restarts_per_round) + 1;
  std::vector<double> baton_gaps, baseline_gaps, spawn_gaps;
  double node_cpu = 0;
  for (int round = 0; round < p.rounds; ++round) {
    const std::size_t baseline_before = read_runs(baseline_record).size();
    if (!baseline_fork.round(static_cast<int>(runs_per_round), Relaunch::fork_exec))
      fail("the fork/exec/waitpid loop failed (crash_app did not exit with code 3)");
    add_gaps(read_runs(baseline_record), baseline_before, baseline_before + runs_per_round,
             baseline_gaps);
    const std::size_t spawn_before = read_runs(spawn_record).size();
    if (!baseline_spawn.round(static_cast<int>(runs_per_round), Relaunch::posix_spawn))
      fail("the posix_spawn/waitpid loop failed (crash_app did not exit with code 3)");
    add_gaps(read_runs(spawn_record), spawn_before, spawn_before + runs_per_round, spawn_gaps);

    const std::size_t baton_before = read_runs(baton_record).size();
    const auto cpu_before = cpu_seconds(node.process().pid());
    auto launched = client.request("launch", control::AppArgs{"m1.crasher"});
    if (!launched || !launched->ok) fail("launch failed: " + (launched ? launched->error : "?"));
    if (!harness::wait_until(
            [&] { return read_runs(baton_record).size() >= baton_before + runs_per_round; }, 60s))
      fail("the node did not relaunch the app " + std::to_string(p.restarts_per_round) +
           " times within 60 s");
    // The round is over when the node has seen the last crash and left the app stopped.
    if (!client.wait_app("m1.crasher", [](const auto& s) {
          return !harness::has_flag(s.state, "Running") &&
                 !harness::has_flag(s.state, "Restarting");
        }))
      fail("the app did not stay stopped after its last try");
    const auto cpu_after = cpu_seconds(node.process().pid());
    if (cpu_before && cpu_after) node_cpu += *cpu_after - *cpu_before;
    const auto runs = read_runs(baton_record);
    if (runs.size() != baton_before + runs_per_round)
      fail("the node ran the app " + std::to_string(runs.size() - baton_before) +
           " times in a round, not " + std::to_string(runs_per_round));
    add_gaps(runs, baton_before, baton_before + runs_per_round, baton_gaps);
  }

  const LatencyStats baton(baton_gaps), baseline(baseline_gaps);
  Report report("crash restart");
  report.add(Figure{"restart gap p50", baton.quantile(0.5), "ms", baseline.quantile(0.5),
                    "≤ 1.2× baseline", std::nullopt, 1.2, Better::lower});
  report.add(Figure{"restart gap p99", baton.quantile(0.99), "ms", baseline.quantile(0.99), "",
                    std::nullopt, std::nullopt, Better::lower});
  report.add_series("gap",
                    {{"baton", baton.distribution()}, {"baseline", baseline.distribution()}});
  report.note("restarts", baton.count());
  report.note("baseline_restarts", baseline.count());
  report.note("rounds", p.rounds);
  report.note("baton_gap_max_ms", baton.max());
  report.note("baseline_gap_max_ms", baseline.max());
  // The node starts apps with a vfork-like clone, cheaper than fork (no copy of the page tables):
  // the same loop with posix_spawn (a vfork-like clone in glibc) shows how much of the gap fork is.
  const LatencyStats spawn(spawn_gaps);
  report.note("posix_spawn_loop_gap_p50_ms", spawn.quantile(0.5));
  report.note("posix_spawn_loop_gap_p99_ms", spawn.quantile(0.99));
  report.note("node_cpu_ms_per_restart", 1000.0 * node_cpu / static_cast<double>(baton.count()));
  report.print();
  return 0;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) {
  return baton::bench::guarded_main(argv[0], [&] {
    const auto options = baton::bench::parse_options(argc, argv);
    return baton::bench::run(options.quick ? baton::bench::Params{1, 50}
                                           : baton::bench::Params{5, 100});
  });
}
