// One app's output log: <log_dir>/<app>.log, rotated by size to <app>.log.1 (newest) ...
// <app>.log.N (oldest). The node reads each app's stdout and stderr from a pipe and hands the bytes
// here, so that rotation never races with a child that holds the file open.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/os/unique_fd.hpp"
#include "node/apps/log_times.hpp"

namespace baton::node {

struct OutputLogLimits {
  std::uint64_t max_bytes = 10 * 1024 * 1024;  // no file grows past this (>= 1)
  unsigned max_files = 5;                      // rotated files kept besides <app>.log (>= 1)
};

// Writes one app's output to a file and rotates it. Lines stay whole: a rotation happens at a line
// end, and a line is split across files only when it is longer than max_bytes (or when its start
// had to be written before its end arrived, see flush()).
//
// Errors (disk full, folder removed, permissions) never throw: the output that cannot be written
// is dropped and counted, the problem is reported once through `report` when it starts and once
// when writing works again. Each write retries, so the log recovers by itself.
//
// Not thread-safe; meant for the node's single event loop. Never blocks beyond the file system
// calls themselves.
class AppOutputLog {
 public:
  // Receives one human-readable line per problem (and per recovery), for the node's log.
  using Report = std::function<void(const std::string& message)>;

  // The bytes of one output source (one pipe) that are not a whole line yet. Each source has its
  // own, so that two sources writing to the same log never mix within a line.
  struct Stream {
    std::string partial;
  };

  // Sees what is written, as it is written: whole lines, the last one possibly a piece of a line
  // (one held too long, or too long for a file). For the bus (LogStream).
  using Tap = std::function<void(std::string_view text)>;

  // Opens (creates) `path` for appending; what it holds already counts towards max_bytes. `times`,
  // when given, is told of every write and rotation; it outlives this object (OutputPipes keeps
  // it for the node's lifetime, while a log lasts only as long as its app's pipes).
  AppOutputLog(std::string path, OutputLogLimits limits, Report report, LogTimes* times = nullptr,
               Tap tap = {});
  AppOutputLog(const AppOutputLog&) = delete;
  AppOutputLog& operator=(const AppOutputLog&) = delete;

  // Appends output of `stream`: the whole lines now, the incomplete last line when its end
  // arrives (or once it alone fills a file: it is then written in max_bytes pieces).
  void write(Stream& stream, std::string_view data);
  // Writes the incomplete line `stream` holds as it is: at the end of the stream, or when it has
  // waited long enough that showing it matters more than keeping it in one file.
  void flush(Stream& stream);

  const std::string& path() const { return path_; }
  // Size of the current <app>.log as this writer knows it.
  std::uint64_t size() const { return size_; }
  // Output lost to write errors since this log was opened.
  std::uint64_t dropped_bytes() const { return dropped_bytes_; }

 private:
  // Writes `text` to the current file and rotates as needed, cutting at the last line end that
  // still fits.
  void append(std::string_view text);
  bool ensure_open();
  bool write_all(std::string_view text);
  bool rotate();
  void drop(std::string_view text);
  // append(), and the tap sees it.
  void emit(std::string_view text);
  std::string rotated_path(unsigned n) const;

  std::string path_;
  OutputLogLimits limits_;
  Report report_;
  LogTimes* times_;
  Tap tap_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
  // The current file ends inside a line (a flushed incomplete line or a long line's piece).
  bool mid_line_ = false;
  std::uint64_t dropped_bytes_ = 0;
  std::uint64_t dropped_at_failure_ = 0;
  bool write_failing_ = false;
  bool rotate_failing_ = false;
};

}  // namespace baton::node
