#include "node/appmonitor/refresh_deadlines.hpp"

#include <bit>
#include <utility>

namespace baton::node {

bool RefreshDeadlines::insert(Token token, TimePoint deadline, Duration timeout) {
  if (token == 0 || contains(token)) return false;
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();
  std::size_t i = home(token);
  while (slots_[i].token != 0)
    i = (i + 1) & mask_;
  slots_[i] = Entry{token, deadline, timeout};
  ++size_;
  return true;
}

std::optional<TimePoint> RefreshDeadlines::deadline(Token token) const {
  const Entry* entry = find(token);
  if (entry == nullptr) return std::nullopt;
  return entry->deadline;
}

bool RefreshDeadlines::contains(Token token) const {
  return token != 0 && find(token) != nullptr;
}

void RefreshDeadlines::erase(Token token) {
  Entry* entry = find(token);
  if (entry == nullptr) return;
  // Backward-shift deletion: the entries after the hole that could sit in it move up, so every
  // probe sequence stays unbroken without tombstones.
  std::size_t hole = static_cast<std::size_t>(entry - slots_.data());
  for (std::size_t i = (hole + 1) & mask_; slots_[i].token != 0; i = (i + 1) & mask_) {
    const std::size_t wanted = home(slots_[i].token);
    // Movable when its home is not within (hole, i], cyclically.
    const bool home_after_hole = ((i - wanted) & mask_) < ((i - hole) & mask_);
    if (!home_after_hole) {
      slots_[hole] = slots_[i];
      hole = i;
    }
  }
  slots_[hole] = Entry{};
  --size_;
}

void RefreshDeadlines::grow() {
  std::vector<Entry> old = std::exchange(slots_, {});
  const std::size_t capacity = old.empty() ? 16 : old.size() * 2;
  slots_.resize(capacity);
  mask_ = capacity - 1;
  shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
  size_ = 0;
  for (const Entry& entry : old) {
    if (entry.token != 0) insert(entry.token, entry.deadline, entry.timeout);
  }
}

}  // namespace baton::node
