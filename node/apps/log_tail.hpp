// The last lines of an app's output log, across its rotations: <app>.log, then <app>.log.1 (the
// newest rotated) and on, as far back as the lines asked for reach. Read from the end of each
// file, so that the cost follows the lines asked for, not the size of the logs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace baton::node {

struct LogTail {
  std::vector<std::string> lines;  // oldest first, without their '\n'
  // Fewer lines than asked for came back because of `max_bytes`, not because the logs hold no more.
  bool truncated = false;
};

// At most `count` lines, and at most about `max_bytes` of them: the newest ones win. A missing
// file is the end of the log, not an error.
LogTail read_log_tail(const std::string& path, std::size_t count, std::size_t max_bytes);

}  // namespace baton::node
