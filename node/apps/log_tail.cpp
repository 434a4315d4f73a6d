#include "node/apps/log_tail.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "common/os/unique_fd.hpp"

namespace baton::node {

namespace {

constexpr std::size_t kChunk = 64 * 1024;
// A longer line is cut to this, with a note of how much was cut: one endless line (a progress
// bar without a newline) must not crowd out every other line.
constexpr std::size_t kMaxLineBytes = 16 * 1024;

std::string shortened(std::string line) {
  if (line.size() <= kMaxLineBytes) return line;
  const std::size_t cut = line.size() - kMaxLineBytes;
  line.resize(kMaxLineBytes);
  return line + " [... " + std::to_string(cut) + " bytes cut]";
}

// Prepends to `newest_first` the lines of one file, newest first, until `count` lines or
// `max_bytes` are held. `partial` carries the start of a line that continues from an older file
// (a line split by a rotation stays split: each file's part is its own line). Returns false when
// the file does not exist.
bool read_file_backwards(const std::string& path, std::size_t count, std::size_t max_bytes,
                         std::vector<std::string>& newest_first, std::size_t& bytes,
                         bool& truncated) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  off_t end = ::lseek(fd.get(), 0, SEEK_END);
  if (end <= 0) return true;
  std::string line;  // the line being read, from its end towards its start
  bool skip_last_newline = true;
  std::string chunk;
  // Keeps one whole line; false when it would pass max_bytes (the tail ends there).
  auto keep = [&](std::string whole) {
    whole = shortened(std::move(whole));
    if (bytes + whole.size() > max_bytes) {
      truncated = true;
      return false;
    }
    bytes += whole.size();
    newest_first.push_back(std::move(whole));
    return true;
  };
  while (end > 0 && newest_first.size() < count) {
    const off_t start = std::max<off_t>(0, end - static_cast<off_t>(kChunk));
    chunk.resize(static_cast<std::size_t>(end - start));
    if (::pread(fd.get(), chunk.data(), chunk.size(), start) != static_cast<ssize_t>(chunk.size()))
      return true;
    std::size_t stop = chunk.size();
    if (skip_last_newline && chunk.back() == '\n') --stop;  // the file's final line end
    skip_last_newline = false;
    while (stop > 0) {
      const std::size_t newline = chunk.rfind('\n', stop - 1);
      const std::size_t from = newline == std::string::npos ? 0 : newline + 1;
      line.insert(0, chunk, from, stop - from);
      if (newline == std::string::npos) break;  // the line goes on in the chunk before
      if (!keep(std::exchange(line, {})) || newest_first.size() >= count) return true;
      stop = newline;
    }
    end = start;
  }
  if (end == 0 && newest_first.size() < count) keep(std::move(line));  // the file's first line
  return true;
}

}  // namespace

LogTail read_log_tail(const std::string& path, std::size_t count, std::size_t max_bytes) {
  LogTail tail;
  std::vector<std::string> newest_first;
  std::size_t bytes = 0;
  for (unsigned n = 0; newest_first.size() < count && !tail.truncated; ++n) {
    const std::string file = n == 0 ? path : path + "." + std::to_string(n);
    if (!read_file_backwards(file, count, max_bytes, newest_first, bytes, tail.truncated) &&
        n > 0) {
      break;  // no older rotation
    }
  }
  tail.lines.assign(newest_first.rbegin(), newest_first.rend());
  return tail;
}

}  // namespace baton::node
