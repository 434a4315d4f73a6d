// bench_footprint: what an idle baton-node costs while it supervises 1 app and 100 apps: its
// resident memory (VmRSS) and the CPU it spends over 60 s of idling (its presence every second,
// its timers). Each case is a real baton-broker and baton-node with one plan of idle apps
// (bench/programs/idle_app), started and Success before the window opens; the two cases run side
// by side, so the window is shared. The brokers' memory and CPU are reported too, without
// targets. Beside VmRSS (which counts every shared library page the process maps, whole), PSS
// (those pages shared among the processes that map them) and the make-up of the memory are
// reported, and the wake-ups that the idle CPU goes to. --quick idles 3 s and extrapolates the
// CPU to 60 s (a note says so).
//
// Baseline, in the same window: bench/programs/bare_zmq_daemon, the least a daemon on this
// machine's libzmq costs (the libraries it loads; one wake-up and one presence-sized TCP message a
// second, to a SUB of the benchmark's own).
#include <zmq.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/idle_plan_fleet.hpp"
#include "bench/support/bench_report.hpp"
#include "bench/support/process_stats.hpp"
#include "harness/child_process.hpp"
#include "harness/polling.hpp"

namespace baton::bench {
namespace {

using namespace std::chrono_literals;

constexpr double kTargetWindowS = 60;

// A "Name:   123 kB" line of /proc/PID/<file> (status, smaps_rollup), in KiB; nullopt when
// absent.
std::optional<double> proc_kib(pid_t pid, const std::string& file, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(name + ":")) {
      std::istringstream fields(line.substr(name.size() + 1));
      double value = 0;
      if (fields >> value) return value;
    }
  }
  return std::nullopt;
}

// How many times the threads of the process were put on a CPU (the third field of each
// /proc/PID/task/*/schedstat): its wake-ups, which is what an idle daemon's CPU goes to.
std::optional<double> cpu_runs(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ec);
  if (ec) return std::nullopt;
  double runs = 0;
  for (const auto& task : tasks) {
    std::ifstream in(task.path() / "schedstat");
    unsigned long long on_cpu_ns = 0, waiting_ns = 0, timeslices = 0;
    if (in >> on_cpu_ns >> waiting_ns >> timeslices) runs += static_cast<double>(timeslices);
  }
  return runs;
}

double must(std::optional<double> value, const std::string& what) {
  if (!value) throw std::runtime_error("cannot read " + what + " (process gone?)");
  return *value;
}

// One daemon's cost over the window.
struct Cost {
  double rss_mib = 0;
  double pss_mib = 0;
  double cpu_s = 0;  // over the window
  double runs = 0;   // over the window, every thread
  nlohmann::json detail;
};

class Meter {
 public:
  Meter(std::string name, harness::ChildProcess& process)
      : name_(std::move(name)), process_(process) {}
  void open() {
    cpu_start_ = must(precise_cpu_seconds(process_.pid()), name_ + " CPU");
    runs_start_ = must(cpu_runs(process_.pid()), name_ + " schedstat");
  }
  Cost close() {
    const pid_t pid = process_.pid();
    Cost cost;
    cost.cpu_s = must(precise_cpu_seconds(pid), name_ + " CPU") - cpu_start_;
    cost.runs = must(cpu_runs(pid), name_ + " schedstat") - runs_start_;
    cost.rss_mib = must(resident_mib(pid), name_ + " RSS");
    // PSS shares each page among the processes that map it: the libraries' pages (libc,
    // libstdc++, libzmq), which VmRSS counts whole, weigh little there.
    cost.pss_mib = must(proc_kib(pid, "smaps_rollup", "Pss"), name_ + " PSS") / 1024;
    // VmRSS = RssAnon (heap, stacks) + RssFile (code and data of the binary and its libraries)
    // + RssShmem.
    for (const char* field : {"RssAnon", "RssFile", "RssShmem", "VmHWM", "Threads"}) {
      if (auto v = proc_kib(pid, "status", field)) cost.detail[std::string(field)] = *v;
    }
    for (const char* field : {"Shared_Clean", "Private_Clean", "Private_Dirty"}) {
      if (auto v = proc_kib(pid, "smaps_rollup", field)) cost.detail[std::string(field)] = *v;
    }
    return cost;
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  harness::ChildProcess& process_;
  double cpu_start_ = 0;
  double runs_start_ = 0;
};

// The launch's aftermath (the last status messages, the state file's save) is over once the
// process spends next to nothing for half a second: an idle node wakes once a second and spends
// well under a millisecond then.
bool wait_quiet(harness::ChildProcess& process, std::chrono::milliseconds deadline) {
  constexpr double kQuietCpuPerSecond = 0.005;
  const pid_t pid = process.pid();
  auto since = std::chrono::steady_clock::now();
  double cpu = must(precise_cpu_seconds(pid), "CPU");
  return harness::wait_until(
      [&] {
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - since).count();
        if (elapsed < 0.5) return false;
        const double spent = must(precise_cpu_seconds(pid), "CPU") - cpu;
        since = now;
        cpu += spent;
        return spent / elapsed < kQuietCpuPerSecond;
      },
      deadline);
}

int run(const BenchOptions& options) {
  const double window_s = options.quick ? 3 : kTargetWindowS;
  const double scale = kTargetWindowS / window_s;

  // The baseline's peer: it must subscribe, or the PUB would send nothing at all.
  zmq::context_t context(1);
  zmq::socket_t presence_sink(context, zmq::socket_type::sub);
  presence_sink.set(zmq::sockopt::linger, 0);
  presence_sink.set(zmq::sockopt::subscribe, "");
  presence_sink.bind("tcp://127.0.0.1:*");
  harness::ChildProcess bare(
      {harness::binary_path("bare_zmq_daemon"), presence_sink.get(zmq::sockopt::last_endpoint)},
      {});

  IdlePlanFleet one(1, "idle");
  IdlePlanFleet hundred(100, "idle");
  for (IdlePlanFleet* fleet : {&one, &hundred}) {
    fleet->start_plan();
    fleet->wait_all_running(60s);
    if (!fleet->control().wait_plan(fleet->plan(), "Success", 60s)) {
      throw std::runtime_error("plan " + fleet->plan() + " did not reach Success:\n" +
                               fleet->logs());
    }
  }

  Report report("footprint");
  std::vector<harness::ChildProcess*> daemons{&bare};
  for (IdlePlanFleet* fleet : {&one, &hundred}) {
    daemons.push_back(&fleet->node().process());
    daemons.push_back(&fleet->broker().process());
  }
  for (harness::ChildProcess* process : daemons) {
    // Not quiet within the deadline: measured anyway, the figures will show it.
    if (!wait_quiet(*process, 10s)) {
      report.note("not quiet before the window: pid " + std::to_string(process->pid()), true);
    }
  }
  zmq::pollitem_t sent{presence_sink.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&sent, 1, std::chrono::milliseconds(10s)) == 0) {
    throw std::runtime_error("the bare ZeroMQ daemon sent nothing to " +
                             presence_sink.get(zmq::sockopt::last_endpoint));
  }

  // The baseline first: its figures go beside every daemon's.
  std::vector<Meter> meters{{"bare ZeroMQ daemon", bare},
                            {"node, 1 app", one.node().process()},
                            {"node, 100 apps", hundred.node().process()},
                            {"broker, 1 app", one.broker().process()},
                            {"broker, 100 apps", hundred.broker().process()}};
  for (auto& meter : meters)
    meter.open();
  std::cerr << "idling " << window_s << " s\n";
  // The window itself: nothing is sent to the daemons while it runs.
  std::this_thread::sleep_for(std::chrono::duration<double>(window_s));
  std::vector<Cost> costs;
  for (auto& meter : meters)
    costs.push_back(meter.close());
  // Every app still runs: the node was supervising all of them the whole window.
  one.wait_all_running(10s);
  hundred.wait_all_running(10s);

  const Cost& bare_cost = costs.front();
  for (std::size_t i = 0; i < meters.size(); ++i) {
    if (i > 0) {  // the baseline's figures are the baseline column of the others
      Figure rss;
      rss.name = meters[i].name() + ": RSS";
      rss.value = costs[i].rss_mib;
      rss.baseline = bare_cost.rss_mib;
      rss.unit = "MiB";
      Figure cpu;
      cpu.name = meters[i].name() + ": idle CPU per 60 s";
      cpu.value = costs[i].cpu_s * scale;
      cpu.baseline = bare_cost.cpu_s * scale;
      cpu.unit = "s";
      if (i <= 2) {  // the nodes have targets, the brokers are reported
        rss.target = i == 1 ? "≤ 4 MiB" : "≤ 6 MiB";
        rss.limit = i == 1 ? 4 : 6;
        cpu.target = "≤ 0.02 s";
        cpu.limit = 0.02;
      }
      Figure pss;
      pss.name = meters[i].name() + ": PSS";
      pss.value = costs[i].pss_mib;
      pss.baseline = bare_cost.pss_mib;
      pss.unit = "MiB";
      report.add(rss);
      report.add(pss);
      report.add(cpu);
    }
    report.note(
        meters[i].name() + ": memory (KiB, from /proc status and smaps_rollup; Threads a count)",
        costs[i].detail);
    std::cerr << meters[i].name() << ": RSS " << costs[i].rss_mib << " MiB (PSS "
              << costs[i].pss_mib << "), CPU " << costs[i].cpu_s << " s over " << window_s << " s, "
              << costs[i].runs / window_s << " wake-ups/s\n";
  }
  report.note("window (s)", window_s);
  report.note("baseline",
              "bare_zmq_daemon: a C program on libzmq alone that wakes once a second "
              "and publishes one message of the size of a node's presence");
  if (options.quick) {
    report.note("quick",
                "CPU measured over " + std::to_string(static_cast<int>(window_s)) +
                    " s and extrapolated to 60 s: a rough figure, the full run measures 60 s");
  }
  report.print();
  return 0;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) {
  return baton::bench::guarded_main(argv[0], [&] {
    const auto options = baton::bench::parse_options(argc, argv);
    return baton::bench::run(options);
  });
}
