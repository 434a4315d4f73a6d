#include "node/apps/app_output_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace baton::node {

AppOutputLog::AppOutputLog(std::string path, OutputLogLimits limits, Report report, LogTimes* times,
                           Tap tap)
    : path_(std::move(path)),
      limits_(limits),
      report_(std::move(report)),
      times_(times),
      tap_(std::move(tap)) {
  if (limits_.max_bytes == 0) limits_.max_bytes = 1;  // a zero limit could never make progress
  if (limits_.max_files == 0) limits_.max_files = 1;
  // Open at once, so that the file exists from the app's launch and a problem shows up then.
  ensure_open();
}

std::string AppOutputLog::rotated_path(unsigned n) const {
  return path_ + "." + std::to_string(n);
}

void AppOutputLog::write(Stream& stream, std::string_view data) {
  const auto last_end = data.rfind('\n');
  if (last_end == std::string_view::npos) {
    stream.partial.append(data);
  } else {
    const std::string_view lines = data.substr(0, last_end + 1);
    if (stream.partial.empty()) {
      emit(lines);
    } else {
      stream.partial.append(lines);
      emit(stream.partial);
    }
    stream.partial.assign(data.substr(last_end + 1));
  }
  // A line that fills a whole file by itself cannot stay in one file anyway: write the pieces
  // that fill whole files now, so that what is held stays below max_bytes.
  const std::uint64_t max = limits_.max_bytes;
  if (stream.partial.size() >= max) {
    const std::size_t whole = stream.partial.size() - stream.partial.size() % max;
    emit(std::string_view(stream.partial).substr(0, whole));
    stream.partial.erase(0, whole);
  }
}

void AppOutputLog::flush(Stream& stream) {
  if (stream.partial.empty()) return;
  emit(stream.partial);
  stream.partial.clear();
}

void AppOutputLog::emit(std::string_view text) {
  append(text);
  if (tap_) tap_(text);
}

void AppOutputLog::append(std::string_view text) {
  while (!text.empty()) {
    if (!ensure_open()) {
      drop(text);
      return;
    }
    const std::uint64_t max = limits_.max_bytes;
    const std::uint64_t room = size_ < max ? max - size_ : 0;
    if (text.size() <= room) {
      write_all(text);
      return;
    }
    // It does not fit: fill this file up to the last line end that fits, the rest goes on in the
    // next file.
    std::size_t cut = 0;
    if (room > 0) {
      const auto end = text.rfind('\n', room - 1);
      if (end != std::string_view::npos) {
        cut = end + 1;
      } else if (size_ == 0 || mid_line_) {
        // No line end fits: the line is longer than a file, or it began in this file already.
        // Either way it is split, and filling this file up keeps the pieces as few as possible.
        cut = room;
      }
      // Otherwise the file ends at a line end: the line starts in the next file, whole.
    }
    if (cut > 0) {
      if (!write_all(text.substr(0, cut))) {
        drop(text.substr(cut));
        return;
      }
      text.remove_prefix(cut);
    }
    if (!rotate()) {
      // Keeping the output matters more than the size limit while the file cannot be renamed.
      if (ensure_open()) {
        write_all(text);
      } else {
        drop(text);
      }
      return;
    }
  }
}

bool AppOutputLog::ensure_open() {
  if (fd_.valid()) return true;
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    const int error = errno;
    if (!write_failing_) {
      write_failing_ = true;
      dropped_at_failure_ = dropped_bytes_;
      report_("cannot open " + path_ + ": " + std::strerror(error) +
              "; the app's output is dropped until it can be written again");
    }
    return false;
  }
  struct stat st {};
  size_ = ::fstat(fd.get(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  // What an earlier run left at the end is not ours to complete: treat it as a line end.
  mid_line_ = false;
  if (times_ != nullptr) times_->opened(size_);
  fd_ = std::move(fd);
  return true;
}

bool AppOutputLog::write_all(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd_.get(), text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      if (!write_failing_) {
        write_failing_ = true;
        dropped_at_failure_ = dropped_bytes_;
        report_("cannot write " + path_ + ": " + std::strerror(error) +
                "; the app's output is dropped until it can be written again");
      }
      // Reopen on the next write: the file may have been removed or replaced meanwhile.
      fd_.reset();
      drop(text);
      return false;
    }
    const auto written = static_cast<std::size_t>(n);
    size_ += written;
    if (times_ != nullptr) times_->appended(LogTimes::Clock::now(), written);
    mid_line_ = text[written - 1] != '\n';
    text.remove_prefix(written);
  }
  if (write_failing_) {
    write_failing_ = false;
    report_("writing " + path_ + " again; " + std::to_string(dropped_bytes_ - dropped_at_failure_) +
            " bytes of output were lost");
  }
  return true;
}

bool AppOutputLog::rotate() {
  fd_.reset();
  std::string problem;
  // Only the run .1, .2, ... that exists moves up, so a rotation costs as many renames as there
  // are files, not max_files. Oldest first: once the run is full, renaming .N-1 over .N drops the
  // oldest file, the one beyond max_files.
  unsigned existing = 0;
  while (existing < limits_.max_files && ::access(rotated_path(existing + 1).c_str(), F_OK) == 0)
    ++existing;
  for (unsigned n = std::min(existing + 1, limits_.max_files); n > 1; --n) {
    const std::string from = rotated_path(n - 1);
    if (::rename(from.c_str(), rotated_path(n).c_str()) != 0) {
      const int error = errno;
      if (error != ENOENT && problem.empty()) {
        problem =
            "cannot rotate " + path_ + ": renaming " + from + " failed: " + std::strerror(error);
      }
    }
  }
  bool rotated = true;
  bool kept = true;
  if (::rename(path_.c_str(), rotated_path(1).c_str()) != 0) {
    const int error = errno;
    // ENOENT: the file was removed under us; the next open starts a new one, as a rotation would.
    kept = error != ENOENT;
    if (error != ENOENT) {
      problem = "cannot rotate " + path_ + ": " + std::strerror(error) +
                "; it grows past its size limit until it can be rotated";
      rotated = false;
    }
  }
  if (rotated && times_ != nullptr) times_->rotated(kept);
  if (!problem.empty()) {
    if (!rotate_failing_) report_(problem);
    rotate_failing_ = true;
  } else if (rotate_failing_) {
    rotate_failing_ = false;
    report_("rotating " + path_ + " again");
  }
  return rotated;
}

void AppOutputLog::drop(std::string_view text) {
  dropped_bytes_ += text.size();
}

}  // namespace baton::node
