// The last lines of an app's output log, across its rotations: <app>.log, then <app>.log.1 (the
// newest rotated) and on, as far back as the lines asked for reach. Read from the end of each
// file, so that the cost follows the lines asked for, not the size of the logs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace baton::node {

struct LogTail {
  std::vector<std::string> lines;  // oldest first, without their '\n'
  // Fewer lines than asked for came back because of `max_bytes`, not because the logs hold no more.
  bool truncated = false;
};

// Where the output written since some time starts in a log (LogTimes::since says it).
struct TailSince {
  // The newest `bytes` bytes of the log, counted across its files, were written since the time:
  // the lines that start within them are taken.
  std::uint64_t bytes = 0;
  // For what is older than those bytes, when nothing better is known (output written before this
  // node started): a file modified at or after this time is taken whole, and the first one
  // modified before it ends the tail. Unset: nothing older than `bytes` is taken.
  std::optional<std::chrono::system_clock::time_point> modified_since;
};

// At most `count` lines, and at most about `max_bytes` of them: the newest ones win. With `since`,
// only the lines written since then. A missing file is the end of the log, not an error.
LogTail read_log_tail(const std::string& path, std::size_t count, std::size_t max_bytes,
                      const std::optional<TailSince>& since = std::nullopt);

}  // namespace baton::node
