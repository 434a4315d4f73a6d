// What `baton logs -f` prints, from the tail of each app and the lines that follow on log/.
// Each app's lines are numbered by its node (LogLines::seq): a live line the tail already held is
// skipped, and a line that never came (dropped on the way, or here because the terminal could not
// keep up) shows as "… 1,234 lines dropped …" where it would have been. The text waits in a
// bounded buffer for stdout, so a slow terminal costs lines, never the broker's memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/bus.hpp"

namespace baton::cli {

class LogFollower {
 public:
  // `apps` as machine.app; their lines are prefixed with the app when there is more than one.
  // Past `max_buffered` bytes waiting for stdout, new lines are dropped (and counted).
  LogFollower(const std::vector<std::string>& apps, std::size_t max_buffered);

  // The app's tail, printed; its live lines from the tail's next_seq on follow (those that came
  // before, held until now, included).
  void tail(const std::string& app, const proto::bus::TailResult& tail);
  // A message from log/: lines of one of our apps, or a node's answer to our subscription.
  void take(const proto::bus::LogLines& lines);

  // Whether the app's node has answered our subscription (or sent lines): from then on it
  // publishes every line, and a tail asked for now ends where the live lines begin.
  bool heard_from(const std::string& app) const;
  bool heard_from_all() const;

  // The text waiting for stdout; consumed(n) once n bytes of it are written.
  std::string_view pending() const { return std::string_view(pending_).substr(written_); }
  void consumed(std::size_t bytes);
  std::uint64_t dropped() const { return dropped_total_; }

 private:
  struct App {
    std::string prefix;  // "m1.web | ", or "" with a single app
    bool heard = false;
    bool tail_done = false;
    std::uint64_t stream = 0;
    std::uint64_t next_seq = 0;              // the next line to print
    std::uint64_t dropped = 0;               // not shown yet: printed before the next line
    std::vector<proto::bus::LogLines> held;  // live lines that came before the tail
  };
  void follow(App& app, const proto::bus::LogLines& lines);
  void print(App& app, const std::string& line);
  void print_dropped(App& app);
  std::size_t buffered() const { return pending_.size() - written_; }

  std::map<std::string, App> apps_;
  std::size_t max_buffered_;
  std::string pending_;
  std::size_t written_ = 0;  // of pending_, already on stdout
  std::uint64_t dropped_total_ = 0;
};

// "1,234,567": how the follower counts dropped lines.
std::string with_thousands(std::uint64_t n);

}  // namespace baton::cli
