// Decides when the node's state file (node_state_file.hpp) is written: soon after a change, in one
// go for the changes of a loop round, and never so often that saving holds up the event loop. The
// writing itself is cheap enough to stay on the loop: the registrations, which make most of the
// file on a busy machine, are packed once each (pack_node_state), so with 10,000 of them a save
// is a copy of about a megabyte and one write, not 13-28 ms of packing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/loop/event_loop.hpp"

namespace baton::node {

class StateSaver {
 public:
  // The state as the file holds it, packed (pack_node_state).
  using Snapshot = std::function<std::string()>;

  StateSaver(EventLoop& loop, std::string path, Snapshot snapshot);
  StateSaver(const StateSaver&) = delete;
  StateSaver& operator=(const StateSaver&) = delete;
  ~StateSaver();

  // Something in the state changed: the file is written again right after this loop round (a plan
  // that launches a thousand apps writes it once), and never more than a tenth of the loop's time
  // goes to saving (10,000 apps registering one after the other would otherwise have the file
  // rewritten 10,000 times, growing). A node killed before the save loses only what changed since
  // the last one.
  void changed();
  // Writes the file now: at start and at shutdown.
  void save_now();

  // Saves that wrote the file, and that failed (logged); for tests.
  std::uint64_t saves_completed() const { return saves_completed_; }
  std::uint64_t saves_failed() const { return saves_failed_; }

 private:
  void cancel_timer();

  EventLoop& loop_;
  std::string path_;
  Snapshot snapshot_;
  std::optional<TimerQueue::Id> timer_;
  // When the last save ended and how long it took (the rate limit of changed()).
  TimePoint last_save_end_{};
  SteadyClock::duration last_save_cost_{};
  std::uint64_t saves_completed_ = 0;
  std::uint64_t saves_failed_ = 0;
};

}  // namespace baton::node
