#include "node/apps/log_tail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
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

// The lines kept so far, newest first, within the tail's limits.
class Kept {
 public:
  Kept(std::size_t count, std::size_t max_bytes) : count_(count), max_bytes_(max_bytes) {}

  // Keeps one whole line; false when no more lines fit (the tail ends there).
  bool keep(std::string whole) {
    whole = shortened(std::move(whole));
    if (bytes_ + whole.size() > max_bytes_) {
      truncated_ = true;
      return false;
    }
    bytes_ += whole.size();
    newest_first_.push_back(std::move(whole));
    return !full();
  }
  bool full() const { return truncated_ || newest_first_.size() >= count_; }

  LogTail oldest_first() && {
    LogTail tail;
    tail.lines.assign(std::make_move_iterator(newest_first_.rbegin()),
                      std::make_move_iterator(newest_first_.rend()));
    tail.truncated = truncated_;
    return tail;
  }

 private:
  std::size_t count_;
  std::size_t max_bytes_;
  std::vector<std::string> newest_first_;
  std::size_t bytes_ = 0;
  bool truncated_ = false;
};

// Keeps the lines of one file that start at or after offset `from`, newest first, until `kept` is
// full. A line split by a rotation stays split: each file's part is its own line.
void read_file_backwards(int fd, off_t size, off_t from, Kept& kept) {
  if (size <= from || kept.full()) return;
  // Whether the line at `from` starts there is told by the byte before it.
  const off_t floor = from > 0 ? from - 1 : 0;
  off_t end = size;
  std::string line;  // the line being read, from its end towards its start
  bool skip_last_newline = true;
  std::string chunk;
  while (end > floor) {
    const off_t start = std::max<off_t>(floor, end - static_cast<off_t>(kChunk));
    chunk.resize(static_cast<std::size_t>(end - start));
    if (::pread(fd, chunk.data(), chunk.size(), start) != static_cast<ssize_t>(chunk.size()))
      return;
    std::size_t stop = chunk.size();
    if (skip_last_newline && chunk.back() == '\n') --stop;  // the file's final line end
    skip_last_newline = false;
    while (stop > 0) {
      const std::size_t newline = chunk.rfind('\n', stop - 1);
      const std::size_t begin = newline == std::string::npos ? 0 : newline + 1;
      line.insert(0, chunk, begin, stop - begin);
      if (newline == std::string::npos) break;  // the line goes on in the chunk before
      if (!kept.keep(std::exchange(line, {}))) return;
      stop = newline;
    }
    end = start;
  }
  // What is left began before `from`, unless `from` is the file's start: then it is the first line.
  if (from == 0) kept.keep(std::move(line));
}

std::chrono::system_clock::time_point modified_at(const struct stat& st) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

}  // namespace

LogTail read_log_tail(const std::string& path, std::size_t count, std::size_t max_bytes,
                      const std::optional<TailSince>& since) {
  Kept kept(count, max_bytes);
  // Bytes of the output since `since` not yet met, going back from the log's end.
  std::uint64_t since_left = since ? since->bytes : 0;
  bool last_file = false;
  for (unsigned n = 0; !kept.full() && !last_file; ++n) {
    const std::string file = n == 0 ? path : path + "." + std::to_string(n);
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
      if (n > 0) break;  // no older rotation
      st.st_size = 0;    // no current file (yet): the rotated ones may still hold lines
    }
    const auto size = static_cast<std::uint64_t>(std::max<off_t>(0, st.st_size));
    std::uint64_t from = 0;
    if (since) {
      if (since_left >= size) {
        since_left -= size;  // all of this file is since then
        last_file = since_left == 0 && !since->modified_since;
      } else if (since->modified_since && fd.valid() && modified_at(st) >= *since->modified_since) {
        since_left = 0;  // modified since then: taken whole, which part came when is not known
      } else {
        from = size - since_left;  // since then only from `from` on
        last_file = true;
      }
    }
    if (fd.valid())
      read_file_backwards(fd.get(), static_cast<off_t>(size), static_cast<off_t>(from), kept);
  }
  return std::move(kept).oldest_first();
}

}  // namespace baton::node
