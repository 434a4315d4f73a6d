// Decides when the node's state file (node_state_file.hpp) is written: soon after a change, in one
// go for the changes of a loop round, and never so often that saving holds up the event loop or
// keeps the disk busy. The loop only packs the state: the registrations, which make most of the
// file on a busy machine, are packed once each (pack_node_state), so with 10,000 of them a save is
// a copy of about a megabyte into a buffer kept from save to save. The file itself is written by
// StateWriter's thread, while the loop goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/loop/event_loop.hpp"
#include "node/state/state_writer.hpp"

namespace baton::node {

class StateSaver {
 public:
  // Packs the state as the file holds it (pack_node_state) into its argument, which holds the
  // previous save's bytes: its capacity is reused, not allocated again for every save.
  using Snapshot = std::function<void(std::string&)>;

  // `saved` runs on the loop each time a snapshot is on disk (the node then drops the journal
  // segments it covers).
  StateSaver(EventLoop& loop, std::string path, Snapshot snapshot,
             std::function<void()> saved = {});
  StateSaver(const StateSaver&) = delete;
  StateSaver& operator=(const StateSaver&) = delete;
  ~StateSaver();

  // Something in the state changed: the file is written again right after this loop round (a plan
  // that launches a thousand apps writes it once), at most ten times a second, and never more than
  // a tenth of the time goes to saving, on the loop or on the disk (10,000 apps registering one
  // after the other would otherwise have the file rewritten 10,000 times, growing). A change while
  // the file is being written is saved when that write is done. What changed since the last save
  // is in the journal (journal.hpp).
  void changed();
  // Writes the file now, on the loop's thread, after the write in progress: at start and at
  // shutdown.
  void save_now();

  // Saves that wrote the file, and that failed (logged); for tests.
  std::uint64_t saves_completed() const { return saves_completed_; }
  std::uint64_t saves_failed() const { return saves_failed_; }

 private:
  void start_save();
  void on_written(const Status& result, std::chrono::microseconds took);

  EventLoop& loop_;
  std::string path_;
  Snapshot snapshot_;
  std::function<void()> saved_;
  std::string packed_;  // the bytes of the latest save; the writer's while it writes them
  // Before writer_: a write that ends in writer_'s destructor may still schedule the next save.
  Timer timer_;
  bool changed_while_writing_ = false;
  // When the last save ended and what it cost, packing and writing (the rate limit of changed()).
  TimePoint last_save_end_{};
  SteadyClock::duration last_save_cost_{};
  SteadyClock::duration packing_cost_{};  // of the save being written
  std::uint64_t saves_completed_ = 0;
  std::uint64_t saves_failed_ = 0;
  StateWriter writer_;  // last: its destructor waits for the write of packed_
};

}  // namespace baton::node
