// The application monitor's registrations and their deadlines.
//
// Refresh is the hot path (millions per second): it is one lookup in a compact table of deadlines
// (refresh_deadlines.hpp) and one store; what the registration says otherwise sits apart and is
// not touched. Deadlines sit in a min-heap with exactly one entry per registration, and a refresh
// does not touch the heap:
// when an entry comes due, take_expired() compares it with the registration's current deadline and
// either fires the registration or pushes the entry back at the later deadline. So each
// registration costs at most one O(log n) heap operation per timeout period, however often it
// refreshes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/loop/timer_queue.hpp"
#include "common/proto/appmonitor.hpp"
#include "common/proto/codec.hpp"
#include "node/appmonitor/refresh_deadlines.hpp"

namespace baton::node {

using Token = std::uint64_t;
using proto::appmonitor::Action;

// What a registration says, as the app gave it (and the node saw it: pid, uid, gid, start time).
// The node's state file saves it as it is, so that a restarted node takes it back, token and all.
struct RegistrationRecord {
  Token token = 0;
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // process_start_time(pid): tells a reused pid apart
  uid_t uid = 0;
  gid_t gid = 0;
  std::chrono::milliseconds timeout{0};
  Action action = Action::kill;
  std::string restart_command;
  std::string app;  // optional app id given at registration
  std::string cwd;  // the app's working directory at registration; its restart command runs there
  static constexpr auto kFields =
      std::make_tuple(proto::required("token", &RegistrationRecord::token),
                      proto::required("pid", &RegistrationRecord::pid),
                      proto::required("start_time", &RegistrationRecord::start_time),
                      proto::required("uid", &RegistrationRecord::uid),
                      proto::required("gid", &RegistrationRecord::gid),
                      proto::required("timeout_ms", &RegistrationRecord::timeout),
                      proto::required("action", &RegistrationRecord::action),
                      proto::required("restart_command", &RegistrationRecord::restart_command),
                      proto::required("app", &RegistrationRecord::app),
                      proto::required("cwd", &RegistrationRecord::cwd));
};

struct Registration : RegistrationRecord {
  TimePoint registered_at{};
};

// A registration that came due, and when it was last refreshed (or registered).
struct Expired {
  Registration registration;
  TimePoint last_refresh;
};

class WatchdogTable {
 public:
  WatchdogTable();

  // Stores `registration` with a fresh unguessable token and a deadline of now + timeout.
  Token add(Registration registration, TimePoint now);
  // Pushes the deadline to now + timeout. False when the token is unknown.
  bool refresh(Token token, TimePoint now) { return deadlines_of_.refresh(token, now); }
  // Takes back a registration saved before a node restart, with its token; its deadline starts
  // over at now + timeout. False when the token is 0 or taken.
  bool restore(Registration registration, TimePoint now);
  const std::unordered_map<Token, Registration>& all() const { return registrations_; }
  std::optional<Registration> remove(Token token);
  // Removes every registration of a process.
  std::vector<Registration> remove_pid(pid_t pid);
  // The same, returning only how many: when a process that holds thousands fires, moving them all
  // into a vector cost the node ~7 ms (mostly page faults of the fresh 600 KiB buffer) in the
  // middle of the deadlines of others.
  std::size_t erase_pid(pid_t pid);
  // The latest refresh (or registration) of any registration of the process; nullopt when it holds
  // none. O(its registrations): for the moment a registration fires, not the hot path.
  std::optional<TimePoint> latest_refresh(pid_t pid) const;
  const Registration* find(Token token) const;

  // Removes and returns the registrations whose deadline is at or before `now`, earliest first.
  // With `read_until` (the caller has read every refresh that came before that moment), only those
  // whose deadline is at or before it as well: a later one may have its refresh still waiting
  // unread. Those stay, and come due again at once; one whose deadline is a whole timeout past
  // (at most kMaxUnreadWait) is taken all the same.
  //
  // Entries due within kLookahead of `now` whose registration was refreshed since are moved to
  // their new deadline in the same pass, up to the first one that was not refreshed (the check at
  // its deadline moves those behind it): under steady refreshes nearly every heap entry is such a
  // stale one, and without this each came due on its own, one wake-up of the node (and one
  // re-arming of its timer) each: 36,000 a second at 10,000 registrations. What fires, and when,
  // does not change: an entry not refreshed since stays at its deadline.
  std::vector<Expired> take_expired(TimePoint now, TimePoint read_until = TimePoint::max());
  static constexpr std::chrono::milliseconds kMaxUnreadWait{1000};
  static constexpr std::chrono::milliseconds kLookahead{10};
  // The current deadline of a registration.
  std::optional<TimePoint> deadline(Token token) const { return deadlines_of_.deadline(token); }
  // When take_expired() should next be called; may be earlier than any real deadline.
  std::optional<TimePoint> next_check() const;

  std::size_t size() const { return registrations_.size(); }
  std::size_t count_for_pid(pid_t pid) const;

 private:
  struct HeapEntry {
    TimePoint deadline;
    Token token;
    bool operator>(const HeapEntry& other) const { return deadline > other.deadline; }
  };
  void erase_from_pid_index(pid_t pid, Token token);
  // Removes every registration of `pid`, handing each to `take` (Registration&&).
  template <class Take>
  void remove_each_of_pid(pid_t pid, Take&& take);

  RefreshDeadlines deadlines_of_;
  std::unordered_map<Token, Registration> registrations_;
  std::unordered_map<pid_t, std::unordered_set<Token>> by_pid_;
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<>> deadlines_;
  std::mt19937_64 token_source_;
};

}  // namespace baton::node
