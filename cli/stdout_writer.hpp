// stdout for a live verb that must go on reading its socket while the terminal or the pipe it
// prints to is slow (or stopped: Ctrl-S, a pager nobody scrolls). A pipe or a terminal is opened
// again through /proc/self/fd/1, non-blocking: a new open file description, so the shell's own
// stdout keeps its flags. A file never blocks and is written as it is.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/expected.hpp"
#include "common/os/unique_fd.hpp"

namespace baton::cli {

class StdoutWriter {
 public:
  StdoutWriter();

  // For poll(POLLOUT).
  int fd() const { return own_.valid() ? own_.get() : 1; }
  // Writes what stdout takes now of `text`: the number of bytes, 0 when it is full. An error
  // (the reader went away) says so.
  Expected<std::size_t> write_some(std::string_view text);

 private:
  UniqueFd own_;            // the non-blocking reopened stdout; none: fd 1 itself
  bool may_block_ = false;  // fd 1 itself and not a regular file: small writes, after POLLOUT
};

}  // namespace baton::cli
