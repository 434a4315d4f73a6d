// What the node did since its last state file, written before the node says it did it. The state
// file (node_state_file.hpp) is a whole snapshot, written now and then on a thread of its own; a
// node killed between two snapshots would forget a launch, an exit or a registration it had
// already acknowledged, and orphan the process. So every such change is also appended to a
// journal, and the appends of one loop round go out in one write() before the round's replies and
// publications do. A write() is in the page cache when it returns: it survives the node being
// killed, not the machine crashing (after which there is no process left to adopt anyway).
//
// The journal is a series of segments, <state_dir>/<machine>.journal.<n>, each a sequence of
// msgpack entries. An entry holds a whole value (an app's record, the definitions, the variables)
// or one registration coming or going, so replaying a segment twice, or over a snapshot that holds
// it already, changes nothing. A segment is closed once it holds kSegmentBytes; once a snapshot
// that covers it is on disk, it is removed. Creating and removing files is left to those moments,
// not done at every snapshot: on a busy disk each can stall the loop for milliseconds. At start:
// the snapshot, then every segment left, in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "common/os/unique_fd.hpp"
#include "node/state/node_state_file.hpp"

namespace baton::node {

struct JournalEntry {
  std::optional<SavedApp> app;  // the app's record now
  std::optional<std::vector<config::AppDef>> definitions;
  std::optional<std::vector<SavedVar>> vars;
  std::optional<RegistrationRecord> registered;
  std::optional<Token> unregistered;
  static constexpr auto kFields =
      std::make_tuple(proto::optional("app", &JournalEntry::app),
                      proto::optional("definitions", &JournalEntry::definitions),
                      proto::optional("vars", &JournalEntry::vars),
                      proto::optional("registered", &JournalEntry::registered),
                      proto::optional("unregistered", &JournalEntry::unregistered));
};

class Journal {
 public:
  // Appends to a new segment after those already in `state_dir` (a node starts with its own).
  Journal(std::string state_dir, std::string machine);
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Opens the new segment; an Error names the file.
  Status open();

  // Takes an entry for the next write.
  void add(const JournalEntry& entry);
  bool pending() const { return !pending_.empty(); }
  // Writes what was added, in one write(). A failure is logged: the node goes on (the snapshot
  // still comes), the entries are dropped.
  void write_pending();

  // The node takes a snapshot that holds everything written so far. Returns the last closed
  // segment it covers (0: none); a full segment is closed here, and later entries go to a new one.
  std::uint64_t snapshot_taken();
  // The snapshot covering `segment` is on disk: that segment and those before it go.
  void remove_through(std::uint64_t segment);
  // A segment is closed at the first snapshot after it holds this much.
  static constexpr std::size_t kSegmentBytes = 1 << 20;

  // Replays every segment in `state_dir` for `machine`, oldest first, over `state`. A segment
  // whose end is torn (a machine crash in the middle of a write) is read up to the tear. Returns
  // how many entries were applied.
  static std::size_t replay(const std::string& state_dir, const std::string& machine,
                            SavedNode& state);
  // Renames every segment to <name>.bad: after a state file that cannot be trusted, the changes
  // since it are no whole state either.
  static void set_aside(const std::string& state_dir, const std::string& machine);
  // Applies one entry to a state.
  static void apply(const JournalEntry& entry, SavedNode& state);

 private:
  std::string path_of(std::uint64_t segment) const {
    return segment_path(state_dir_, machine_, segment);
  }
  static std::string segment_path(const std::string& state_dir, const std::string& machine,
                                  std::uint64_t segment);
  // The numbers of the segments in the folder, ascending.
  static std::vector<std::uint64_t> segments(const std::string& state_dir,
                                             const std::string& machine);

  std::string state_dir_;
  std::string machine_;
  std::uint64_t segment_ = 0;
  std::uint64_t oldest_ = 0;  // the oldest segment on disk
  std::size_t segment_bytes_ = 0;
  UniqueFd fd_;
  std::string pending_;
};

}  // namespace baton::node
