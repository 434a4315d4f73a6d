// Writes the node's state file (write_node_state) on a thread of its own, so that the disk never
// holds up the event loop: creating the file and renaming it over the old one costs 0.3-1 ms on
// an idle ext4 and can stall for tens of milliseconds while the journal commits, and a watchdog
// deadline must not wait for either.
//
// The thread shares nothing with the loop; they talk over two pipes. A request names the bytes to
// write; the bytes belong to the writer until its answer comes back (the caller leaves them
// untouched meanwhile, see write()), so they are not copied and never touched by two threads at
// once. The answer pipe is a plain fd in the loop, like a pidfd: it costs the loop nothing while
// idle.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "common/expected.hpp"
#include "common/loop/event_loop.hpp"
#include "common/os/unique_fd.hpp"

namespace baton::node {

class StateWriter {
 public:
  // How a write ended, and how long the writer's thread took for it.
  using Done = std::function<void(const Status& result, std::chrono::microseconds took)>;

  // Throws std::system_error when the pipes or the thread cannot be made.
  StateWriter(EventLoop& loop, std::string path, Done done);
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;
  // Waits for the write in progress (its `done` runs), then stops the thread.
  ~StateWriter();

  // Writes `packed` to the file on the writer's thread; `done` runs on the loop when it is
  // written. The bytes must stay as they are until then. One write at a time: not while busy().
  void write(std::string_view packed);
  bool busy() const { return busy_; }
  // Waits for the write in progress, if any; its `done` runs.
  void wait() { take_answer(true); }
  // Writes `packed` on the calling thread, not while busy(): for the first save at start and the
  // last one at shutdown.
  Status write_now(std::string_view packed);

 private:
  void run_writer(int requests, int answers) const;
  void take_answer(bool wait);

  EventLoop& loop_;
  std::string path_;
  Done done_;
  UniqueFd requests_;  // the loop's ends
  UniqueFd answers_;
  Watch watch_;  // after answers_, which it watches
  std::thread thread_;
  bool busy_ = false;
};

}  // namespace baton::node
