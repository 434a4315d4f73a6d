#include "node/state_saver.hpp"

#include <spdlog/spdlog.h>

#include "node/node_state_file.hpp"

namespace baton::node {

StateSaver::StateSaver(EventLoop& loop, std::string path, Snapshot snapshot)
    : loop_(loop), path_(std::move(path)), snapshot_(std::move(snapshot)) {}

StateSaver::~StateSaver() {
  cancel_timer();
}

void StateSaver::changed() {
  if (timer_) return;
  const auto earliest = last_save_end_ + 9 * last_save_cost_;
  const auto now = SteadyClock::now();
  timer_ = loop_.after(earliest > now ? earliest - now : SteadyClock::duration::zero(), [this] {
    timer_.reset();
    save_now();
  });
}

void StateSaver::cancel_timer() {
  if (timer_) loop_.cancel(*timer_);
  timer_.reset();
}

void StateSaver::save_now() {
  cancel_timer();
  const TimePoint start = SteadyClock::now();
  const std::string packed = snapshot_();
  if (Status saved = write_node_state(path_, packed); saved) {
    ++saves_completed_;
    spdlog::debug(
        "saved {} ({} bytes) in {} us", path_, packed.size(),
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count());
  } else {
    // The file on disk is still the previous one, whole; the next change tries again.
    ++saves_failed_;
    spdlog::error("{}", saved.error().message);
  }
  last_save_end_ = SteadyClock::now();
  last_save_cost_ = last_save_end_ - start;
}

}  // namespace baton::node
