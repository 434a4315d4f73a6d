#include "node/apps/log_times.hpp"

#include <algorithm>

namespace baton::node {

void LogTimes::opened(std::uint64_t size) {
  if (file_known_ && size == file_bytes_) return;
  if (file_known_) entries_.clear();  // truncated, replaced or appended to by someone else
  file_known_ = true;
  file_bytes_ = size;
}

void LogTimes::appended(Clock::time_point now, std::uint64_t bytes) {
  if (bytes == 0) return;
  if (!entries_.empty()) {
    // A clock stepped back must not break the order the lookups rely on.
    now = std::max(now, entries_.back().last);
  }
  if (entries_.empty() || now >= entries_.back().first + kResolution) {
    entries_.push_back(Entry{now, now, end_, 0});
    merge_crowded_levels();
  } else {
    entries_.back().last = now;
  }
  end_ += bytes;
  file_bytes_ += bytes;
}

void LogTimes::rotated(bool kept) {
  if (!kept) entries_.clear();
  file_bytes_ = 0;
}

void LogTimes::merge_crowded_levels() {
  // The levels fall from the oldest entry to the newest: each level is one run, the lowest last.
  std::size_t end = entries_.size();
  for (unsigned level = 0;; ++level) {
    std::size_t begin = end;
    while (begin > 0 && entries_[begin - 1].level == level)
      --begin;
    if (end - begin <= kPerLevel) return;
    Entry& oldest = entries_[begin];
    oldest.last = entries_[begin + 1].last;
    oldest.level = level + 1;
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(begin) + 1);
    end = begin + 1;  // the merged entry ends the next level's run
  }
}

TailSince LogTimes::since(Clock::time_point time, std::uint64_t current_file_size) const {
  if (!file_known_ || current_file_size != file_bytes_ || entries_.empty())
    return TailSince{0, time};
  // The last entry that began at or before `time`.
  const auto after =
      std::upper_bound(entries_.begin(), entries_.end(), time,
                       [](Clock::time_point t, const Entry& e) { return t < e.first; });
  if (after == entries_.begin()) {
    // All this node wrote is since then; what was there before it is older than the index.
    return TailSince{end_ - entries_.front().position, time};
  }
  const Entry& before = *std::prev(after);
  std::uint64_t start = end_;
  if (time <= before.last) {
    start = before.position;  // `time` falls within its output: all of it
  } else if (after != entries_.end()) {
    start = after->position;
  }
  return TailSince{end_ - start, std::nullopt};
}

}  // namespace baton::node
