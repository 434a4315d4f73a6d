// A pipe that child processes report through: each writes whole fixed-size records, one per
// write(2) (atomic below PIPE_BUF, so the records of many writers never mix), and the parent
// collects them as they come.
#pragma once

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace baton::bench {

class Pipe {
 public:
  Pipe();  // close-on-exec both ends
  ~Pipe();
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int read_end() const { return read_; }
  int write_end() const { return write_; }
  void close_read_end();
  void close_write_end();

 private:
  int read_ = -1, write_ = -1;
};

// Reads up to `size` bytes that arrive within `wait`; 0 when none did, -1 when every writer is
// gone.
long read_some(int fd, char* buffer, std::size_t size, std::chrono::milliseconds wait);

template <class Record>
class RecordReader {
 public:
  explicit RecordReader(int fd) : fd_(fd) {}

  // Adds what arrives within `wait`. False once every writer is gone.
  bool poll(std::chrono::milliseconds wait) {
    char buffer[16 * 1024];
    const long n = read_some(fd_, buffer, sizeof buffer, wait);
    if (n < 0) return false;
    pending_.append(buffer, static_cast<std::size_t>(n));
    std::size_t used = 0;
    for (; pending_.size() - used >= sizeof(Record); used += sizeof(Record)) {
      Record record;
      std::memcpy(&record, pending_.data() + used, sizeof record);
      records_.push_back(record);
    }
    pending_.erase(0, used);
    return true;
  }

  // Reads until `enough()` holds, the deadline passes or every writer is gone; returns enough().
  bool read_until(std::chrono::steady_clock::time_point deadline,
                  const std::function<bool()>& enough) {
    while (!enough()) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !poll(std::min(left, std::chrono::milliseconds(1000)))) break;
    }
    return enough();
  }

  const std::vector<Record>& records() const { return records_; }

 private:
  int fd_;
  std::string pending_;
  std::vector<Record> records_;
};

}  // namespace baton::bench
