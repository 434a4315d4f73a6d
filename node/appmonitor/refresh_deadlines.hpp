// The deadline of every registration, found by its token on each refresh: the one lookup of the
// node's hottest path (a refresh is this lookup, one store and the answer).
//
// An open-addressing table (linear probing, at most 3/4 full) that holds each entry inline: 24
// bytes, so 10,000 registrations take 384 KiB and a lookup touches one or two adjacent cache lines.
// The node-based std::unordered_map it replaces chased three pointers into nodes of the whole
// ~250-byte registration scattered over megabytes: at 10,000 registrations that lookup was an
// eighth of the node's CPU and the node answered a third fewer refreshes than with 100.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/loop/timer_queue.hpp"

namespace baton::node {

class RefreshDeadlines {
 public:
  using Token = std::uint64_t;
  using Duration = SteadyClock::duration;

  // A new token (not 0, not held) with its first deadline. False when the token is 0 or held.
  bool insert(Token token, TimePoint deadline, Duration timeout);
  // Moves the deadline to now + the token's timeout. False when the token is not held.
  bool refresh(Token token, TimePoint now) {
    Entry* entry = find(token);
    if (entry == nullptr) return false;
    entry->deadline = now + entry->timeout;
    return true;
  }
  std::optional<TimePoint> deadline(Token token) const;
  bool contains(Token token) const;
  void erase(Token token);
  std::size_t size() const { return size_; }

 private:
  struct Entry {
    Token token = 0;  // 0: empty slot
    TimePoint deadline{};
    Duration timeout{};
  };
  // Fibonacci hashing: tokens are random already, the multiplication only spreads any pattern of
  // a restored or future token source over the high bits taken.
  std::size_t home(Token token) const {
    return static_cast<std::size_t>((token * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  Entry* find(Token token) {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(token);; i = (i + 1) & mask_) {
      // Empty first: token 0 (the empty mark, never held) is never found.
      if (slots_[i].token == 0) return nullptr;
      if (slots_[i].token == token) return &slots_[i];
    }
  }
  const Entry* find(Token token) const { return const_cast<RefreshDeadlines*>(this)->find(token); }
  void grow();

  std::vector<Entry> slots_;  // a power of two of them, or none
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace baton::node
