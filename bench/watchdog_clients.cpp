#include "bench/watchdog_clients.hpp"

#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <zmq.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <initializer_list>
#include <optional>
#include <utility>

#include "common/proto/appmonitor.hpp"

namespace baton::bench::watchdog {

namespace am = proto::appmonitor;

namespace {

constexpr auto kReplyWait = std::chrono::seconds(5);
constexpr std::int64_t kPreciseRoundTripNs = kNsPerMs;
// The refreshers are load, not what is measured: on a machine of two cores, refreshers running at
// full speed at the node's own priority would take the CPU from the node and the stoppers, and
// the lateness would measure the scheduler. At nice 10 they still keep the node busy (it answers
// as fast as it can) but yield the CPU whenever the node or a stopper has something to do.
constexpr int kRefresherNice = 10;
// A registration costs the node as much as some twenty refreshes (it reads /proc, logs, saves
// its state file): with more of them queued, 9,000 registrations being refreshed starve.
constexpr std::size_t kRegistrationsInFlight = 1;

void sleep_until_ns(std::int64_t when) {
  timespec at{static_cast<time_t>(when / 1'000'000'000), static_cast<long>(when % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
  }
}

// Called first in the child, before ZeroMQ starts its threads: they inherit the mask, so the
// signals stay pending for sigtimedwait/signalfd instead of acting in some thread. One malloc
// arena: the child's threads allocate little, and a thousand children must stay small.
sigset_t block_signals(std::initializer_list<int> signals) {
  ::mallopt(M_ARENA_MAX, 1);
  sigset_t set;
  sigemptyset(&set);
  for (int sig : signals)
    sigaddset(&set, sig);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  return set;
}

sigset_t only(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  return set;
}

template <class Report>
[[noreturn]] void report_and_exit(int fd, const Report& report) {
  static_assert(sizeof(Report) <= PIPE_BUF, "one atomic write");
  [[maybe_unused]] ssize_t n = ::write(fd, &report, sizeof report);
  // No destructors: the ZeroMQ context would linger, and the parent's objects are not ours.
  ::_exit(0);
}

// A fired stopper stays until the benchmark ends it: on a small VM the exit of a process (its
// threads, its address space) costs milliseconds of CPU, and a few stoppers exiting at once would
// stall the node and the refreshers for tens of ms in the middle of the measurement.
[[noreturn]] void report_and_linger(int fd, const StopperReport& report) {
  [[maybe_unused]] ssize_t n = ::write(fd, &report, sizeof report);
  for (;;)
    ::pause();
}

zmq::socket_t connect_dealer(zmq::context_t& context, const std::string& endpoint) {
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, 0);
  socket.set(zmq::sockopt::rcvhwm, 0);
  socket.connect(endpoint);
  return socket;
}

// One answer of the node: ok with the value of `value_key` ("id" or "seq"), or the error's code.
struct Reply {
  bool ok = false;
  std::uint64_t value = 0;
  std::string code;
};

template <class OkReply>
Reply decode_reply(const zmq::message_t& frame, std::uint64_t OkReply::*value) {
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, frame.data(), frame.size());
  if (!object) return Reply{false, 0, "malformed reply"};
  const msgpack::object* ok = proto::find_key(*object, "ok");
  if (ok != nullptr && ok->type == msgpack::type::BOOLEAN && ok->via.boolean) {
    auto reply = proto::decode<OkReply>(*object);
    if (!reply) return Reply{false, 0, "malformed reply"};
    return Reply{true, (*reply).*value, {}};
  }
  auto error = proto::decode<am::ErrorReply>(*object);
  return Reply{false, 0, error ? error->code : std::string("malformed reply")};
}

// Sends one request and waits for its answer (the stoppers have one request in flight at most).
template <class OkReply, class Request>
std::optional<Reply> request(zmq::socket_t& socket, const Request& message,
                             std::uint64_t OkReply::*value) {
  const std::string frame = proto::pack_to_string(message);
  if (!socket.send(zmq::buffer(frame), zmq::send_flags::none)) return std::nullopt;
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, kReplyWait) <= 0) return std::nullopt;
  zmq::message_t reply;
  if (!socket.recv(reply, zmq::recv_flags::dontwait)) return std::nullopt;
  return decode_reply(reply, value);
}

}  // namespace

std::int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

void run_stopper(const StopperPlan& plan) {
  block_signals({SIGTERM, SIGUSR1});
  const sigset_t sigterm = only(SIGTERM), sigusr1 = only(SIGUSR1);
  StopperReport report;
  report.pid = ::getpid();
  report.timeout_ms = plan.timeout_ms;
  zmq::context_t context(1);
  zmq::socket_t socket = connect_dealer(context, plan.endpoint);
  report.outcome = StopperOutcome::connected;
  if (::write(plan.report_fd, &report, sizeof report) != sizeof report) ::_exit(1);
  while (::sigwaitinfo(&sigusr1, nullptr) != SIGUSR1) {
  }
  report.outcome = StopperOutcome::fired;
  const std::int64_t give_up = monotonic_ns() + plan.give_up_ns;
  am::RegisterRequest registration;
  registration.pid = ::getpid();
  registration.timeout_ms = plan.timeout_ms;
  registration.action = "kill";
  report.last_send_ns = monotonic_ns();
  auto registered = request(socket, registration, &am::RegisterReply::id);
  report.last_answer_ns = monotonic_ns();
  if (!registered || !registered->ok) {
    report.outcome = StopperOutcome::register_failed;
    report_and_exit(plan.report_fd, report);
  }

  // Refreshes every half timeout. One that would leave the node less than a quarter timeout to
  // receive it before the deadline is not sent: it could arrive late and make the fire look early.
  // It stops after the planned refreshes once one was answered within kPreciseRoundTripNs: the
  // node's deadline lies between send + timeout and answer + timeout.
  const std::int64_t timeout_ns = plan.timeout_ms * kNsPerMs;
  am::RefreshRequest refresh;
  refresh.id = registered->value;
  while (report.refreshes < plan.refreshes + kMaxExtraRefreshes) {
    const bool precise = report.last_answer_ns - report.last_send_ns <= kPreciseRoundTripNs;
    if (report.refreshes >= plan.refreshes && precise) break;
    const std::int64_t due = report.last_send_ns + timeout_ns / 2;
    sleep_until_ns(due);
    const std::int64_t now = monotonic_ns();
    if (now - report.last_send_ns > timeout_ns * 3 / 4) {
      report.woke_late = 1;
      break;
    }
    refresh.seq = static_cast<std::uint64_t>(++report.refreshes);
    auto answer = request(socket, refresh, &am::RefreshReply::seq);
    if (!answer || !answer->ok || answer->value != refresh.seq) {
      report.outcome = StopperOutcome::refresh_failed;
      report.failed_send_ns = now;
      report.failed_unknown_id = answer && answer->code == am::code::kUnknownId ? 1 : 0;
      report_and_exit(plan.report_fd, report);
    }
    report.last_send_ns = now;
    report.last_answer_ns = monotonic_ns();
  }

  for (;;) {
    const std::int64_t left = give_up - monotonic_ns();
    if (left <= 0) {
      report.outcome = StopperOutcome::not_fired;
      break;
    }
    timespec wait{static_cast<time_t>(left / 1'000'000'000),
                  static_cast<long>(left % 1'000'000'000)};
    if (::sigtimedwait(&sigterm, nullptr, &wait) == SIGTERM) {
      report.sigterm_ns = monotonic_ns();
      report.outcome = StopperOutcome::fired;
      report_and_linger(plan.report_fd, report);
    }
  }
  report_and_exit(plan.report_fd, report);
}

namespace {

// The refresher's state: which registration goes next (earliest deadline first), what is in flight
// (the node answers one connection's requests in order), and what came back. Registering and
// refreshing share the window, so the first registrations are kept alive while the last are sent.
class Refresher {
 public:
  Refresher(const RefresherPlan& plan, zmq::socket_t& socket)
      : plan_(plan),
        socket_(socket),
        ids_(plan.timeouts_ms.size()),
        last_sent_(plan.timeouts_ms.size()),
        shortest_timeout_ns_(*std::min_element(plan.timeouts_ms.begin(), plan.timeouts_ms.end()) *
                             kNsPerMs) {
    report_.pid = ::getpid();
    report_.registrations = static_cast<std::int64_t>(ids_.size());
  }

  // Registers everything, reports ready, and refreshes until the parent closes the stop pipe,
  // SIGTERM comes, or give_up_ns. Returns the final report.
  const RefresherReport& run(int sigterm_fd) {
    const std::int64_t register_by = monotonic_ns() + 20'000 * kNsPerMs;
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, plan_.stop_fd, ZMQ_POLLIN, 0},
                               {nullptr, sigterm_fd, ZMQ_POLLIN, 0}};
    while (monotonic_ns() < plan_.give_up_ns) {
      if (!ready_ && monotonic_ns() > register_by) {
        fail("not every registration answered within 20 s");
        break;
      }
      while (in_flight_.size() < plan_.window && send_next()) {
      }
      // A registration near its deadline is refreshed even when the window is full, as an app
      // refreshing on its own would: the window paces the load, it must not hold back a refresh
      // that is due (while the node is slow to answer, for instance).
      while (!due_.empty() && urgent(due_.front(), monotonic_ns()))
        send_refresh(monotonic_ns());
      zmq::poll(items, 3, poll_wait());
      if (items[2].revents != 0) {
        report_.got_sigterm = 1;
        report_.overdue_at_sigterm = count_overdue();
        if (!in_flight_.empty()) {
          report_.oldest_unanswered_ms_at_sigterm =
              static_cast<double>(monotonic_ns() - in_flight_.front().sent_ns) / 1e6;
        }
        break;
      }
      if (items[1].revents != 0) break;
      zmq::message_t frame;
      while (socket_.recv(frame, zmq::recv_flags::dontwait)) {
        if (!handle_reply(frame)) return report_;
      }
    }
    if (report_.phase != RefresherPhase::failed) report_.phase = RefresherPhase::finished;
    report_.run_ns = ready_ ? monotonic_ns() - ready_at_ : 0;
    return report_;
  }

 private:
  struct InFlight {
    std::uint32_t index;
    std::uint64_t seq;  // 0: a registration
    std::int64_t sent_ns;
  };
  using Due = std::pair<std::int64_t, std::uint32_t>;  // deadline as the refresher sees it, index

  template <class Message>
  void send(const Message& message) {
    buffer_.clear();
    msgpack::packer<msgpack::sbuffer> packer(buffer_);
    proto::pack_message(packer, message);
    (void)socket_.send(zmq::buffer(buffer_.data(), buffer_.size()), zmq::send_flags::none);
  }

  bool fail(const std::string& why) {
    report_.phase = RefresherPhase::failed;
    std::strncpy(report_.error, why.c_str(), sizeof report_.error - 1);
    return false;
  }

  void push_due(std::uint32_t index) {
    due_.emplace_back(last_sent_[index] + plan_.timeouts_ms[index] * kNsPerMs, index);
    std::push_heap(due_.begin(), due_.end(), std::greater<>());
  }

  // Due within half the shortest timeout.
  bool urgent(const Due& due, std::int64_t now) const {
    return due.first - now < shortest_timeout_ns_ / 2;
  }

  // Until the earliest registration becomes urgent; at most 100 ms.
  std::chrono::milliseconds poll_wait() const {
    if (due_.empty()) return std::chrono::milliseconds(100);
    const std::int64_t until = due_.front().first - shortest_timeout_ns_ / 2 - monotonic_ns();
    return std::chrono::milliseconds(std::clamp<std::int64_t>(until / kNsPerMs + 1, 0, 100));
  }

  // The next request: a refresh of the registration nearest its deadline, unless registrations
  // are still to be sent, fewer than kRegistrationsInFlight of them are in flight and no deadline
  // is urgent. False when everything is in flight.
  bool send_next() {
    const std::int64_t now = monotonic_ns();
    if (next_registration_ < ids_.size() && !(!due_.empty() && urgent(due_.front(), now)) &&
        next_registration_ - registered_ < kRegistrationsInFlight) {
      const std::uint32_t index = next_registration_++;
      am::RegisterRequest r;
      r.pid = ::getpid();
      r.timeout_ms = plan_.timeouts_ms[index];
      r.action = "kill";
      last_sent_[index] = now;
      send(r);
      in_flight_.push_back(InFlight{index, 0, now});
      return true;
    }
    if (due_.empty()) return false;
    send_refresh(now);
    return true;
  }

  // Refreshes the registration nearest its deadline.
  void send_refresh(std::int64_t now) {
    std::pop_heap(due_.begin(), due_.end(), std::greater<>());
    const std::uint32_t index = due_.back().second;
    due_.pop_back();
    const std::int64_t slack = last_sent_[index] + plan_.timeouts_ms[index] * kNsPerMs - now;
    report_.min_slack_ms = std::min(report_.min_slack_ms, static_cast<double>(slack) / 1e6);
    if (slack < 0) ++report_.late_sends;
    last_sent_[index] = now;
    am::RefreshRequest refresh;
    refresh.id = ids_[index];
    refresh.seq = ++seq_;
    send(refresh);
    in_flight_.push_back(InFlight{index, refresh.seq, now});
  }

  // Registrations whose last request went out longer than their timeout ago (in flight or not).
  std::int64_t count_overdue() const {
    const std::int64_t now = monotonic_ns();
    std::int64_t overdue = 0;
    for (std::size_t i = 0; i < next_registration_; ++i) {
      overdue += now - last_sent_[i] > plan_.timeouts_ms[i] * kNsPerMs ? 1 : 0;
    }
    return overdue;
  }

  bool handle_reply(const zmq::message_t& frame) {
    if (in_flight_.empty()) return fail("an answer to no request");
    const InFlight request = in_flight_.front();
    in_flight_.pop_front();
    if (request.seq == 0) {
      const Reply reply = decode_reply(frame, &am::RegisterReply::id);
      if (!reply.ok) return fail("registration refused: " + reply.code);
      ids_[request.index] = reply.value;
      push_due(request.index);
      if (++registered_ == ids_.size()) announce_ready();
      return true;
    }
    const Reply reply = decode_reply(frame, &am::RefreshReply::seq);
    if (reply.ok) {
      if (reply.value != request.seq) return fail("answers out of order");
      ++report_.refreshes;
      push_due(request.index);
    } else if (reply.code == am::code::kUnknownId) {
      ++report_.unknown_ids;  // fired (or dropped with a sibling): not refreshed again
    } else {
      ++report_.other_errors;
      push_due(request.index);
    }
    return true;
  }

  // The refresh rate counts from here: the steady state with every registration held.
  void announce_ready() {
    ready_ = true;
    ready_at_ = monotonic_ns();
    RefresherReport ready = report_;
    ready.phase = RefresherPhase::ready;
    [[maybe_unused]] ssize_t n = ::write(plan_.report_fd, &ready, sizeof ready);
    report_.refreshes = 0;
  }

  const RefresherPlan& plan_;
  zmq::socket_t& socket_;
  std::vector<std::uint64_t> ids_;
  std::vector<std::int64_t> last_sent_;
  const std::int64_t shortest_timeout_ns_;
  std::uint32_t next_registration_ = 0;
  std::size_t registered_ = 0;
  bool ready_ = false;
  std::int64_t ready_at_ = 0;
  std::vector<Due> due_;
  std::deque<InFlight> in_flight_;
  std::uint64_t seq_ = 0;
  msgpack::sbuffer buffer_;
  RefresherReport report_;
};

}  // namespace

void run_refresher(const RefresherPlan& plan) {
  // Before ZeroMQ starts its threads: they inherit the nice value of the thread that creates them.
  [[maybe_unused]] int niced = ::nice(kRefresherNice);
  const sigset_t sigterm = block_signals({SIGTERM});
  const int sigterm_fd = ::signalfd(-1, &sigterm, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigterm_fd < 0) {
    RefresherReport report;
    report.pid = ::getpid();
    report.phase = RefresherPhase::failed;
    std::strcpy(report.error, "signalfd failed");
    report_and_exit(plan.report_fd, report);
  }
  zmq::context_t context(1);
  zmq::socket_t socket = connect_dealer(context, plan.endpoint);
  Refresher refresher(plan, socket);
  report_and_exit(plan.report_fd, refresher.run(sigterm_fd));
}

}  // namespace baton::bench::watchdog
