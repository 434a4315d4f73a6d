#include "node/appmonitor/watchdog_table.hpp"

#include <algorithm>

namespace baton::node {

WatchdogTable::WatchdogTable() {
  std::random_device entropy;
  std::seed_seq seed{entropy(), entropy(), entropy(), entropy()};
  token_source_.seed(seed);
}

Token WatchdogTable::add(Registration registration, TimePoint now) {
  Token token;
  do {
    token = token_source_();
  } while (token == 0 || registrations_.contains(token));
  registration.token = token;
  restore(std::move(registration), now);
  return token;
}

bool WatchdogTable::restore(Registration registration, TimePoint now) {
  const Token token = registration.token;
  if (token == 0 || registrations_.contains(token)) return false;
  registration.registered_at = now;
  const TimePoint deadline = now + registration.timeout;
  deadlines_of_.insert(token, deadline, registration.timeout);
  deadlines_.push(HeapEntry{deadline, token});
  by_pid_[registration.pid].insert(token);
  registrations_.emplace(token, std::move(registration));
  return true;
}

void WatchdogTable::erase_from_pid_index(pid_t pid, Token token) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return;
  it->second.erase(token);
  if (it->second.empty()) by_pid_.erase(it);
}

std::optional<Registration> WatchdogTable::remove(Token token) {
  auto it = registrations_.find(token);
  if (it == registrations_.end()) return std::nullopt;
  Registration r = std::move(it->second);
  registrations_.erase(it);
  deadlines_of_.erase(token);
  erase_from_pid_index(r.pid, token);
  // Its heap entry stays and is discarded when it comes due: tokens are never reused.
  return r;
}

template <class Take>
void WatchdogTable::remove_each_of_pid(pid_t pid, Take&& take) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return;
  for (Token token : it->second) {
    auto reg = registrations_.find(token);
    take(std::move(reg->second));
    registrations_.erase(reg);
    deadlines_of_.erase(token);
  }
  by_pid_.erase(it);
}

std::vector<Registration> WatchdogTable::remove_pid(pid_t pid) {
  std::vector<Registration> removed;
  remove_each_of_pid(pid, [&](Registration&& r) { removed.push_back(std::move(r)); });
  return removed;
}

std::size_t WatchdogTable::erase_pid(pid_t pid) {
  std::size_t erased = 0;
  remove_each_of_pid(pid, [&](Registration&&) { ++erased; });
  return erased;
}

std::optional<TimePoint> WatchdogTable::latest_refresh(pid_t pid) const {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return std::nullopt;
  std::optional<TimePoint> latest;
  for (Token token : it->second) {
    const auto deadline = deadlines_of_.deadline(token);
    const Registration* r = find(token);
    if (!deadline || r == nullptr) continue;
    const TimePoint last = *deadline - r->timeout;
    if (!latest || last > *latest) latest = last;
  }
  return latest;
}

const Registration* WatchdogTable::find(Token token) const {
  auto it = registrations_.find(token);
  return it == registrations_.end() ? nullptr : &it->second;
}

std::size_t WatchdogTable::count_for_pid(pid_t pid) const {
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? 0 : it->second.size();
}

std::vector<Expired> WatchdogTable::take_expired(TimePoint now, TimePoint read_until) {
  std::vector<Expired> expired;
  std::vector<HeapEntry> unread;  // due, but their refresh may be waiting unread: kept
  const TimePoint horizon = now + kLookahead;
  while (!deadlines_.empty() && deadlines_.top().deadline <= horizon) {
    const HeapEntry entry = deadlines_.top();
    const auto deadline = deadlines_of_.deadline(entry.token);
    if (deadline && *deadline > now) {
      // Not refreshed since and not due yet: it stays on top, and the next check is at its
      // deadline (the stale entries behind it, none of them due, are moved then).
      if (*deadline == entry.deadline) break;
      deadlines_.pop();
      deadlines_.push(HeapEntry{*deadline, entry.token});  // refreshed since
      continue;
    }
    deadlines_.pop();
    if (!deadline) continue;  // removed since
    auto it = registrations_.find(entry.token);
    const auto wait = std::min<TimePoint::duration>(it->second.timeout, kMaxUnreadWait);
    if (*deadline > read_until && now < *deadline + wait) {
      unread.push_back(HeapEntry{*deadline, entry.token});
      continue;
    }
    Registration r = std::move(it->second);
    registrations_.erase(it);
    deadlines_of_.erase(entry.token);
    erase_from_pid_index(r.pid, entry.token);
    const TimePoint last_refresh = *deadline - r.timeout;
    expired.push_back(Expired{std::move(r), last_refresh});
  }
  for (const HeapEntry& entry : unread)
    deadlines_.push(entry);
  return expired;
}

std::optional<TimePoint> WatchdogTable::next_check() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.top().deadline;
}

}  // namespace baton::node
