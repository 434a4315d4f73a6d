// The application-monitor clients of bench_watchdog_precision, each a process of its own (the node
// identifies a registration's process by the peer credentials of its connection, and a fired KILL
// takes the whole process). They speak the appmonitor protocol (docs/protocol.md) on a DEALER
// and report to the benchmark through a pipe, one fixed-size record per write (atomic below
// PIPE_BUF).
//
// Both are entered in a freshly forked child that has no ZeroMQ context yet: each makes its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace baton::bench::watchdog {

inline constexpr std::int64_t kNsPerMs = 1'000'000;

// CLOCK_MONOTONIC in nanoseconds: the clock of the node's deadlines (steady_clock).
std::int64_t monotonic_ns();

// One registration of its own process: it registers, refreshes a few times every half timeout,
// then stops and waits for the node's SIGTERM. The stopper starts its ZeroMQ context and connects
// at once, reports `connected`, and registers when the benchmark sends it SIGUSR1: the cost of
// starting a thousand processes is paid before the measurement, and each stopper is woken alone,
// at its own time (a thousand woken at once would stall a small machine for a tenth of a second).
struct StopperPlan {
  std::string endpoint;
  std::int64_t timeout_ms = 0;
  int refreshes = 3;
  std::int64_t give_up_ns = 0;  // after SIGUSR1: no SIGTERM by then, reports not_fired
  int report_fd = -1;
};

// Past its planned refreshes a stopper refreshes on (at most this many more times) until one is
// answered within a millisecond, so that the node's deadline is known that closely.
inline constexpr int kMaxExtraRefreshes = 20;

enum class StopperOutcome : std::int32_t {
  connected,        // first record: its ZeroMQ context runs, it waits for SIGUSR1
  fired,            // SIGTERM came: the timing fields hold
  register_failed,  // the node refused or did not answer the registration
  refresh_failed,   // a refresh sent in time was refused (the registration was gone) or unanswered
  not_fired,        // no SIGTERM by give_up_ns
};

struct StopperReport {
  std::int32_t pid = 0;
  StopperOutcome outcome = StopperOutcome::fired;
  std::int64_t timeout_ms = 0;
  // Read just before the last refresh (or the registration) was sent: the node received it later,
  // so its deadline is at or after last_send_ns + timeout. Lateness measured from there is an
  // upper bound.
  std::int64_t last_send_ns = 0;
  // When the answer to that last request came: the node's deadline is at most this + timeout.
  std::int64_t last_answer_ns = 0;
  std::int64_t sigterm_ns = 0;  // when sigtimedwait returned SIGTERM
  std::int32_t refreshes = 0;
  // A planned refresh was skipped because the stopper woke too late to be sure it reaches the node
  // before the deadline: the stopper stopped earlier than planned (still a valid sample).
  std::int32_t woke_late = 0;
  // refresh_failed: when the failed refresh was sent (last_send_ns is the one before) and whether
  // the node answered unknown_id (it had fired the registration) or nothing within 5 s.
  std::int64_t failed_send_ns = 0;
  std::int32_t failed_unknown_id = 0;
};

// Never returns: after its report the child ends with _exit, or once fired waits to be killed.
[[noreturn]] void run_stopper(const StopperPlan& plan);

// Registrations that refresh as fast as the node answers, a window of requests in flight, always
// the registration nearest its deadline first (and one near its deadline even when the window is
// full); until `stop_fd` reads EOF or SIGTERM comes.
struct RefresherPlan {
  std::string endpoint;
  std::vector<std::int64_t> timeouts_ms;  // one registration each
  std::size_t window = 32;
  int stop_fd = -1;
  int report_fd = -1;
  std::int64_t give_up_ns = 0;  // ends by itself then, whatever happens
};

enum class RefresherPhase : std::int32_t { ready, finished, failed };

struct RefresherReport {
  std::int32_t pid = 0;
  RefresherPhase phase = RefresherPhase::ready;
  std::int64_t registrations = 0;
  std::int64_t refreshes = 0;    // answered ok, since every registration was made
  std::int64_t unknown_ids = 0;  // answered unknown_id: the node no longer held the registration
  std::int64_t other_errors = 0;
  std::int32_t got_sigterm = 0;
  // When SIGTERM came: how many registrations had gone longer than their timeout without a
  // refresh being sent. With no late send either, the node fired a registration that was kept
  // alive (a false fire); else this refresher fell behind (starved of CPU) and the fire may be
  // right.
  std::int64_t overdue_at_sigterm = 0;
  // Refreshes sent longer than their timeout after the one before (the refresher fell behind):
  // the node may rightly have fired the registration before they arrived.
  std::int64_t late_sends = 0;
  // The least time left before a registration's deadline (last send + timeout) when its next
  // refresh was sent. Registrations are refreshed nearest deadline first, so this margin is about
  // the same for all: a stall of the refresher longer than it makes registrations fire.
  double min_slack_ms = 1e9;
  std::int64_t run_ns = 0;  // from having every registration to the report
  // When SIGTERM came: how long the oldest request still unanswered had been sent. Requests are
  // answered in order, so a large value means nothing sent since then reached the node or came
  // back: the connection stalled (on this loaded machine, the refresher's own ZeroMQ thread waiting
  // for a CPU), and a refresh "sent in time" may never have reached the node.
  double oldest_unanswered_ms_at_sigterm = 0;
  char error[160] = {};
};

[[noreturn]] void run_refresher(const RefresherPlan& plan);

}  // namespace baton::bench::watchdog
