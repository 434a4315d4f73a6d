// When each part of one app's output log was written, so that `baton logs --since TIME` can start
// at the first line written since TIME. The log files hold the app's output as it came, nothing
// added: this index is kept beside them, in memory, for the node's lifetime (output from before
// the node started is judged by the files' modification times instead, see TailSince).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "node/apps/log_tail.hpp"

namespace baton::node {

// Positions are counted in the bytes this node appended to the log: the files' concatenation,
// oldest rotation first, is the output as written, so the bytes since a time are a count back
// from the log's end whatever rotations happened meanwhile.
//
// One entry per kResolution at most, taken when output is written: a busy app costs a few entries
// a second, a quiet one none. Entries are merged as they age (an exponential histogram): each
// holds 2^level of the entries first taken, and at most kPerLevel entries share a level, the
// oldest two merging into the next level when one more comes. So recent output stays precise to
// kResolution, an entry never spans more than about 1/kPerLevel of the output written after it
// (so `since` takes in at most that much output from before the time), and the entries grow with
// the logarithm of the output's duration: a day of continuous output takes about 400 of them (32
// bytes each).
class LogTimes {
 public:
  using Clock = std::chrono::system_clock;
  static constexpr auto kResolution = std::chrono::milliseconds(250);
  static constexpr std::size_t kPerLevel = 32;

  // The log's current file was opened and holds `size` bytes. Any other size than this index
  // counted means the file was changed by someone else: what is known no longer lines up with it,
  // so the index starts over.
  void opened(std::uint64_t size);
  // `bytes` were appended to the current file at `now`.
  void appended(Clock::time_point now, std::uint64_t bytes);
  // The current file was renamed away (`kept`), or found removed: the next one starts empty. The
  // output a removed file held is gone from the log, so the index starts over.
  void rotated(bool kept);

  // Where the output written since `time` starts, given the current file's size now (when it is
  // not what this index counted, only the files' times can tell). A line written within
  // kResolution (or a merged entry's span) around `time` may be included: better one line too many
  // than one missing.
  TailSince since(Clock::time_point time, std::uint64_t current_file_size) const;

  std::size_t entries() const { return entries_.size(); }

 private:
  // Output written from `first` to `last`, starting at `position`; it ends where the next starts.
  struct Entry {
    Clock::time_point first;
    Clock::time_point last;
    std::uint64_t position = 0;
    unsigned level = 0;  // merged from 2^level entries; never lower than a newer entry's
  };
  // Merges the oldest two of a level that holds more than kPerLevel, level by level upwards.
  void merge_crowded_levels();

  std::vector<Entry> entries_;
  std::uint64_t end_ = 0;         // the position after the last byte appended
  std::uint64_t file_bytes_ = 0;  // of the current file
  bool file_known_ = false;
};

}  // namespace baton::node
