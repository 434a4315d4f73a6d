// bench_watchdog_precision: how late the node's watchdog acts. A real baton-node holds 10,000
// registrations with timeouts spread over 50-500 ms: 9,000 are refreshed as fast as the node
// answers (a window of requests in flight per connection), and 1,000 "stoppers" stop refreshing,
// one after the other. For each stopper (a process of its own: the KILL action SIGTERMs the whole
// process) the figure is the time from its deadline to the SIGTERM it receives; a false fire is a
// registration fired although it was refreshed in time. A refresher that fell behind (sent a
// refresh late) or whose connection stalled (for half the shortest timeout nothing it sent reached
// the node, by both ends' account) is counted apart: the node saw silence and acted on it.
//
// The deadline is taken as (send time of the last refresh) + timeout: the node received the
// refresh a little later, so its own deadline is later and the lateness measured is an upper bound
// (by the one-way time of that refresh; a stopper ends on a refresh answered within 1 ms).
// Beside it, the node's own lateness, from its log ("sent no refresh for S ms (timeout T ms)"):
// from its deadline to its action, without the delivery of the signal and the stopper's wake-up,
// which on a loaded machine take milliseconds of their own.
//
// Every client process is forked from this one, which never creates a ZeroMQ context (a fork
// copies one thread only). The refreshers run at nice 10: they are the load, not what is measured,
// and on two cores they would otherwise take the CPU from the node and the stoppers.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/support/bench_report.hpp"
#include "bench/support/forked_process.hpp"
#include "bench/support/latency_stats.hpp"
#include "bench/support/process_stats.hpp"
#include "bench/support/record_pipe.hpp"
#include "bench/watchdog_clients.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::bench {
namespace {

using namespace watchdog;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Params {
  std::size_t registrations;
  std::size_t stoppers;
  std::size_t refresher_processes;
  std::int64_t timeout_min_ms, timeout_max_ms;
  std::size_t window;      // refresh requests in flight per refresher connection
  std::int64_t lead_ms;    // from the start of the measurement to the first stopper's registration
  std::int64_t spread_ms;  // the stoppers register one after the other over this time
  int stopper_refreshes;   // then each refreshes this many times and stops
};

// The stoppers do not all live at once: each lives about 2.5 timeouts, and they start one after
// the other, so that some 100 are registered at a time. A thousand processes each waking every few
// tens of ms would measure the machine: on a small VM their sleeps then end tens of ms late.
// The 9,000 refreshed registrations live in three processes (3,000 each), as in the quick run:
// every refresher is busy all the time (two threads, its loop and its ZeroMQ I/O thread), and with
// nine of them, eighteen busy threads at nice 10 on two cores, each waited so long for a CPU that
// its connection stalled past the shortest timeout: in the run of 2026-12-01, 7 of the 9 were
// fired (6 before they had even registered everything), and the measurement ran on a third of its
// load. Three keep the node as busy (more refreshes a second, in fact) and stay alive.
Params params_for(const BenchOptions& options) {
  if (options.quick) return Params{1'000, 100, 3, 50, 200, 32, 300, 1'500, 3};
  return Params{10'000, 1'000, 3, 50, 500, 32, 500, 8'000, 3};
}

// The pids named by the node's "watchdog timeout: pid N ..." lines, one per fired registration.
std::vector<long> fired_pids(const std::string& log) {
  std::vector<long> pids;
  const std::string marker = "watchdog timeout: pid ";
  for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    pids.push_back(std::strtol(log.c_str() + at + marker.size(), nullptr, 10));
  }
  return pids;
}

// From every line of the node's log that holds `pid_marker` followed by a pid and, further on the
// same line, `value_marker` followed by a number: that number by pid.
std::map<long, double> value_by_pid(const std::string& log, const std::string& pid_marker,
                                    const std::string& value_marker) {
  std::map<long, double> values;
  for (auto at = log.find(pid_marker); at != std::string::npos; at = log.find(pid_marker, at + 1)) {
    const long pid = std::strtol(log.c_str() + at + pid_marker.size(), nullptr, 10);
    const auto value = log.find(value_marker, at);
    if (value == std::string::npos || value > log.find('\n', at)) continue;
    values[pid] = std::strtod(log.c_str() + value + value_marker.size(), nullptr);
  }
  return values;
}

// For each fired pid, how long the node had heard nothing from the registration that fired, by
// its "watchdog timeout: pid P ... sent no refresh for S ms" lines.
std::map<long, double> node_silence_by_pid(const std::string& log) {
  return value_by_pid(log, "watchdog timeout: pid ", "sent no refresh for ");
}

// How late the node itself acted, by its "sent no refresh for S ms (timeout T ms)" lines: S - T.
// Beside the stoppers' figure, this tells the node's event loop from the delivery of the signal
// and the scheduling of the stopper.
std::vector<double> node_lateness_ms(const std::string& log) {
  std::vector<double> lateness;
  const std::string marker = "sent no refresh for ";
  for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    char* end = nullptr;
    const double silent = std::strtod(log.c_str() + at + marker.size(), &end);
    const auto timeout_at = log.find("(timeout ", at);
    if (timeout_at == std::string::npos) break;
    const double timeout = std::strtod(log.c_str() + timeout_at + 9, nullptr);
    lateness.push_back(silent - timeout);
  }
  return lateness;
}

// For each fired process that held other registrations, how long the node had heard from none of
// them, by its "dropped the N other registrations of pid P: ... (the latest of them was refreshed
// S ms ago)" lines.
std::map<long, double> silence_of_fired_processes_ms(const std::string& log) {
  return value_by_pid(log, "other registrations of pid ", "(the latest of them was refreshed ");
}

// Thrown, not exit(): the destructors must end the node and every client process.
[[noreturn]] void fail(const std::string& why, const harness::NodeProcess& node) {
  const std::string log = node.log();
  throw std::runtime_error(why + "\n--- node log (end)\n" +
                           log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
}

// What the stoppers' reports say.
struct StopperResults {
  std::vector<double> lateness_ms, last_round_trip_ms;
  std::size_t early = 0, refused = 0, woke_late = 0, register_failed = 0, not_fired = 0;
  std::int64_t refreshes = 0;
  std::vector<const StopperReport*> refused_reports;
};

StopperResults summarize(const std::vector<StopperReport>& reports) {
  StopperResults out;
  for (const auto& r : reports) {
    if (r.outcome == StopperOutcome::connected) continue;
    out.refreshes += r.refreshes;
    out.woke_late += static_cast<std::size_t>(r.woke_late);
    if (r.outcome == StopperOutcome::refresh_failed) {
      ++out.refused;
      out.refused_reports.push_back(&r);
    }
    out.register_failed += r.outcome == StopperOutcome::register_failed ? 1 : 0;
    out.not_fired += r.outcome == StopperOutcome::not_fired ? 1 : 0;
    if (r.outcome != StopperOutcome::fired) continue;
    out.last_round_trip_ms.push_back(static_cast<double>(r.last_answer_ns - r.last_send_ns) / 1e6);
    const double late =
        static_cast<double>(r.sigterm_ns - (r.last_send_ns + r.timeout_ms * kNsPerMs)) / 1e6;
    if (late < 0) {
      ++out.early;  // fired before the deadline of a refresh sent in time
    } else {
      out.lateness_ms.push_back(late);
    }
  }
  return out;
}

int run(const Params& p) {
  harness::TempDir dir;
  // The stoppers stay after their SIGTERM (report_and_linger): no SIGKILL from the node before
  // the benchmark ends them.
  // --nice -10, as a watchdog daemon is deployed: on two cores taken by the load, a node at the
  // default nice waited up to several milliseconds for a CPU after its timer fired (perf sched).
  // Without the privilege the node warns and runs at the default; the log says so.
  harness::NodeProcess node(dir, {"--kill-grace", "600000", "--nice", "-10"});
  const pid_t node_pid = node.process().pid();
  std::mt19937_64 random(20240611);
  std::uniform_int_distribution<std::int64_t> timeout_ms(p.timeout_min_ms, p.timeout_max_ms);
  const auto stopper_lifetime = [&](std::int64_t timeout) {
    return (p.stopper_refreshes + kMaxExtraRefreshes + 2) * timeout;
  };

  // The stoppers first, while the machine is quiet: each starts its ZeroMQ context, connects and
  // waits for its SIGUSR1.
  Pipe stopper_pipe;
  std::vector<ForkedProcess> stoppers;
  std::set<long> stopper_pids;
  for (std::size_t s = 0; s < p.stoppers; ++s) {
    StopperPlan plan;
    plan.endpoint = node.endpoint();
    plan.timeout_ms = timeout_ms(random);
    plan.refreshes = p.stopper_refreshes;
    plan.give_up_ns = (stopper_lifetime(plan.timeout_ms) + 10'000) * kNsPerMs;
    plan.report_fd = stopper_pipe.write_end();
    stoppers.emplace_back([&plan] { run_stopper(plan); },
                          std::vector<int>{stopper_pipe.write_end()});
    stopper_pids.insert(stoppers.back().pid());
  }
  stopper_pipe.close_write_end();
  RecordReader<StopperReport> stopper_reports(stopper_pipe.read_end());
  if (!stopper_reports.read_until(Clock::now() + std::chrono::seconds(120),
                                  [&] { return stopper_reports.records().size() == p.stoppers; })) {
    fail("the stoppers did not all start within 120 s", node);
  }

  // The refreshers: the registrations that must never fire.
  Pipe refresher_pipe, stop;
  std::vector<ForkedProcess> refreshers;
  const std::size_t refreshed = p.registrations - p.stoppers;
  const std::int64_t give_up =
      monotonic_ns() +
      (p.lead_ms + p.spread_ms + stopper_lifetime(p.timeout_max_ms) + 60'000) * kNsPerMs;
  for (std::size_t r = 0; r < p.refresher_processes; ++r) {
    RefresherPlan plan;
    plan.endpoint = node.endpoint();
    const std::size_t count =
        refreshed / p.refresher_processes + (r < refreshed % p.refresher_processes ? 1 : 0);
    for (std::size_t i = 0; i < count; ++i)
      plan.timeouts_ms.push_back(timeout_ms(random));
    plan.window = p.window;
    plan.stop_fd = stop.read_end();
    plan.report_fd = refresher_pipe.write_end();
    plan.give_up_ns = give_up;
    refreshers.emplace_back([&plan] { run_refresher(plan); },
                            std::vector<int>{stop.read_end(), refresher_pipe.write_end()});
  }
  stop.close_read_end();
  refresher_pipe.close_write_end();
  // The latest record of each refresher: ready, then finished (or failed).
  RecordReader<RefresherReport> refresher_reports(refresher_pipe.read_end());
  std::map<pid_t, RefresherReport> refresher_state;
  auto every_refresher = [&](bool (*condition)(const RefresherReport&)) {
    refresher_state.clear();
    for (const auto& report : refresher_reports.records())
      refresher_state[report.pid] = report;
    return refresher_state.size() == p.refresher_processes &&
           std::all_of(refresher_state.begin(), refresher_state.end(),
                       [&](const auto& entry) { return condition(entry.second); });
  };
  if (!refresher_reports.read_until(Clock::now() + harness::kDeadline, [&] {
        return every_refresher([](const RefresherReport&) { return true; });
      })) {
    fail("the refreshers did not all register within 20 s", node);
  }
  for (const auto& [pid, report] : refresher_state) {
    if (report.phase == RefresherPhase::failed)
      fail(std::string("a refresher failed: ") + report.error, node);
  }
  std::cerr << "bench_watchdog_precision: " << refreshed << " registrations refreshing in "
            << p.refresher_processes << " processes; " << p.stoppers << " stoppers to come\n";

  // Each stopper gets its SIGUSR1 at its own time, while their reports come in.
  const auto cpu_before = cpu_seconds(node_pid);
  const auto measure_start = Clock::now();
  for (std::size_t s = 0; s < p.stoppers; ++s) {
    const auto due = measure_start + milliseconds(p.lead_ms) +
                     milliseconds(static_cast<std::int64_t>(s) * p.spread_ms /
                                  static_cast<std::int64_t>(p.stoppers));
    for (auto now = Clock::now(); now < due; now = Clock::now()) {
      stopper_reports.poll(std::chrono::ceil<milliseconds>(due - now));
    }
    ::kill(stoppers[s].pid(), SIGUSR1);
  }
  const std::size_t expected = 2 * p.stoppers;  // connected, then the outcome
  stopper_reports.read_until(
      Clock::now() + milliseconds(stopper_lifetime(p.timeout_max_ms)) + std::chrono::seconds(15),
      [&] { return stopper_reports.records().size() == expected; });
  const auto cpu_after = cpu_seconds(node_pid);
  const double measured_s = std::chrono::duration<double>(Clock::now() - measure_start).count();

  stop.close_write_end();  // the refreshers report and exit
  refresher_reports.read_until(Clock::now() + harness::kDeadline, [&] {
    return every_refresher(
        [](const RefresherReport& r) { return r.phase != RefresherPhase::ready; });
  });
  std::vector<RefresherReport> finished;
  for (const auto& [pid, report] : refresher_state) {
    if (report.phase == RefresherPhase::failed)
      fail(std::string("a refresher failed: ") + report.error, node);
    if (report.phase == RefresherPhase::finished) finished.push_back(report);
  }
  if (finished.size() != p.refresher_processes) fail("the refreshers did not all report", node);

  const StopperResults stopped = summarize(stopper_reports.records());
  const std::size_t missing = expected - stopper_reports.records().size();
  if (missing > 0 || stopped.register_failed > 0 || stopped.not_fired > 0) {
    fail(std::to_string(missing) + " stoppers did not report, " +
             std::to_string(stopped.register_failed) + " could not register, " +
             std::to_string(stopped.not_fired) + " got no SIGTERM in time",
         node);
  }
  if (stopped.lateness_ms.empty()) fail("no stopper fired after its deadline", node);

  // A fired refresher process shows one "watchdog timeout" line (its other registrations are
  // dropped with it) and gets SIGTERM. The node is at fault when the refresher had sent every
  // refresh in time and its requests were reaching the node; when the refresher itself fell
  // behind (starved of CPU by the machine), or its connection stalled (below), the fire is
  // counted apart: it says nothing about the node.
  const std::string log = node.log();
  std::size_t refresher_fires_logged = 0;
  for (long pid : fired_pids(log))
    refresher_fires_logged += stopper_pids.contains(pid) ? 0 : 1;
  const auto process_silence_ms = silence_of_fired_processes_ms(log);
  std::int64_t refreshes = 0, unknown_ids = 0, other_errors = 0, late_sends = 0;
  std::size_t kept_alive_but_fired = 0, fell_behind_and_fired = 0, fired_while_registering = 0;
  std::size_t stalled_and_fired = 0;
  // Of each fired refresher: how long the node had heard nothing from it when it fired, and how
  // long its oldest unanswered request had been sent when SIGTERM came.
  nlohmann::json fired_refreshers = nlohmann::json::array();
  // A refresher refreshes a registration out of turn once it is due within half the shortest
  // timeout (the window of requests in flight may be full). When, for that long, nothing it sent
  // reached the node (the node heard from none of its registrations, and its oldest unanswered
  // request is that old), the refresh that was "sent in time" is among those that never arrived:
  // the connection stalled on the client's side (its ZeroMQ thread waiting for a CPU at nice 10),
  // and the node rightly saw silence. Such a fire is counted apart, not as a false fire; the
  // figures of every fired refresher are in the notes.
  const double stall_ms = static_cast<double>(p.timeout_min_ms) / 2;
  double refresh_rate = 0, min_slack_ms = 1e9;
  for (const auto& r : finished) {
    refreshes += r.refreshes;
    unknown_ids += r.unknown_ids;
    other_errors += r.other_errors;
    late_sends += r.late_sends;
    if (r.got_sigterm) {
      // Kept alive: every refresh went out at least 1 ms (some transit time) before the deadline.
      const bool kept_alive = r.overdue_at_sigterm == 0 && r.min_slack_ms >= 1.0;
      const auto silence = process_silence_ms.find(r.pid);
      const bool stalled = silence != process_silence_ms.end() && silence->second >= stall_ms &&
                           r.oldest_unanswered_ms_at_sigterm >= stall_ms;
      if (!kept_alive) {
        ++fell_behind_and_fired;
      } else {
        ++(stalled ? stalled_and_fired : kept_alive_but_fired);
      }
      // run_ns counts from the last registration made: 0 means it never got there.
      fired_while_registering += r.run_ns == 0 ? 1 : 0;
      nlohmann::json fired = {{"kept_alive", kept_alive},
                              {"connection_stalled", stalled},
                              {"oldest_unanswered_ms", r.oldest_unanswered_ms_at_sigterm},
                              {"min_slack_ms", r.min_slack_ms},
                              {"while_registering", r.run_ns == 0}};
      if (silence != process_silence_ms.end()) fired["node_heard_nothing_for_ms"] = silence->second;
      fired_refreshers.push_back(std::move(fired));
    }
    if (r.run_ns > 0) refresh_rate += static_cast<double>(r.refreshes) * 1e9 / r.run_ns;
    min_slack_ms = std::min(min_slack_ms, r.min_slack_ms);
  }
  const std::size_t false_fires = kept_alive_but_fired + stopped.early + stopped.refused;

  const LatencyStats stats(stopped.lateness_ms);
  Report report("watchdog precision");
  const std::string n = std::to_string(p.registrations);
  report.add(Figure{"lateness p50 (" + n + " registrations)", stats.quantile(0.5), "ms",
                    std::nullopt, "", std::nullopt, std::nullopt, Better::lower});
  report.add(Figure{"lateness p99 (" + n + " registrations)", stats.quantile(0.99), "ms",
                    std::nullopt, "≤ 2 ms", 2.0, std::nullopt, Better::lower});
  report.add(Figure{"lateness max (" + n + " registrations)", stats.max(), "ms", std::nullopt, "",
                    std::nullopt, std::nullopt, Better::lower});
  // The same lateness as the node saw it: from its deadline (the last refresh it read + timeout) to
  // its action, without the delivery of the signal and the wake-up of the stopper.
  const LatencyStats node_side(node_lateness_ms(log));
  report.add(Figure{"node's own lateness p99", node_side.quantile(0.99), "ms", std::nullopt,
                    "≤ 2 ms", 2.0, std::nullopt, Better::lower});
  report.note("node_side_lateness_ms_p50", node_side.quantile(0.5));
  report.note("node_side_lateness_ms_max", node_side.max());
  report.add(Figure{"false fires", static_cast<double>(false_fires), "fires", std::nullopt, "0",
                    0.0, std::nullopt, Better::lower});
  report.add_series("lateness", stats.distribution());
  report.note("registrations", p.registrations);
  report.note("stoppers", p.stoppers);
  report.note("lateness_samples", stats.count());
  report.note("timeouts_ms",
              std::to_string(p.timeout_min_ms) + "-" + std::to_string(p.timeout_max_ms));
  report.note("refresher_processes", p.refresher_processes);
  report.note("refresh_window_per_connection", p.window);
  report.note("refreshes_per_s", refresh_rate);
  report.note("refreshes", refreshes);
  report.note("refresher_min_slack_ms", min_slack_ms);
  report.note("refresher_late_sends", late_sends);
  report.note("refresher_fires_logged", refresher_fires_logged);
  report.note("refresher_fires_while_kept_alive", kept_alive_but_fired);
  report.note("refresher_fires_after_falling_behind", fell_behind_and_fired);
  report.note("refresher_fires_while_kept_alive_but_connection_stalled", stalled_and_fired);
  report.note("fired_refreshers", fired_refreshers);
  // A fired refresher takes its registrations with it: what was left of the load.
  report.note("refresher_processes_fired_while_registering", fired_while_registering);
  report.note("refresher_processes_alive_at_end", p.refresher_processes - kept_alive_but_fired -
                                                      fell_behind_and_fired - stalled_and_fired);
  report.note("refresher_unknown_id_answers", unknown_ids);
  report.note("refresher_other_errors", other_errors);
  // The lateness is an upper bound by up to the one-way time of the last refresh: about half this.
  const LatencyStats round_trip(stopped.last_round_trip_ms);
  report.note("stopper_last_refresh_round_trip_ms_p50", round_trip.quantile(0.5));
  report.note("stopper_last_refresh_round_trip_ms_p99", round_trip.quantile(0.99));
  report.note("stoppers_fired_early", stopped.early);
  report.note("stoppers_refresh_refused", stopped.refused);
  // Of each refused stopper: how much time its failed refresh had left before the deadline when
  // it was sent, and how long the node had heard nothing from it when it fired.
  nlohmann::json refused = nlohmann::json::array();
  const auto stopper_silence_ms = node_silence_by_pid(log);
  for (const StopperReport* r : stopped.refused_reports) {
    nlohmann::json entry = {
        {"timeout_ms", r->timeout_ms},
        {"answered_unknown_id", r->failed_unknown_id == 1},
        {"sent_with_slack_ms",
         static_cast<double>(r->last_send_ns + r->timeout_ms * kNsPerMs - r->failed_send_ns) /
             1e6}};
    if (const auto it = stopper_silence_ms.find(r->pid); it != stopper_silence_ms.end())
      entry["node_heard_nothing_for_ms"] = it->second;
    refused.push_back(std::move(entry));
  }
  report.note("refused_stoppers", refused);
  report.note("stoppers_woke_too_late_to_refresh", stopped.woke_late);
  report.note("stopper_refreshes", stopped.refreshes);
  report.note("watchdog_timeouts_logged", fired_pids(log).size());

  if (cpu_before && cpu_after) {
    report.note("node_cpu_s", *cpu_after - *cpu_before);
    report.note("node_cpu_percent_of_one_core", 100.0 * (*cpu_after - *cpu_before) / measured_s);
  }
  report.note("measured_s", measured_s);
  report.print();
  return 0;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) {
  return baton::bench::guarded_main(argv[0], [&] {
    const auto options = baton::bench::parse_options(argc, argv);
    return baton::bench::run(baton::bench::params_for(options));
  });
}
