#include "node/state/state_saver.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace baton::node {

namespace {
// At most ten saves a second, however cheap: each one creates a file and renames it over the old
// one, and a hundred of those a second keep the file system's journal committing, which stalls
// every writer of the disk (the node's own log among them) for milliseconds at a time.
constexpr auto kMinInterval = std::chrono::milliseconds(100);

long long micros(SteadyClock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}
}  // namespace

StateSaver::StateSaver(EventLoop& loop, std::string path, Snapshot snapshot,
                       std::function<void()> saved)
    : loop_(loop),
      path_(path),
      snapshot_(std::move(snapshot)),
      saved_(std::move(saved)),
      writer_(loop, std::move(path), [this](const Status& result, std::chrono::microseconds took) {
        on_written(result, took);
      }) {}

StateSaver::~StateSaver() {
  // The write in progress ends first (packed_ is its bytes); what it would schedule is dropped.
  changed_while_writing_ = false;
  writer_.wait();
}

void StateSaver::changed() {
  if (writer_.busy()) {
    changed_while_writing_ = true;
    return;
  }
  if (timer_.pending()) return;
  const auto earliest =
      last_save_end_ + std::max<SteadyClock::duration>(9 * last_save_cost_, kMinInterval);
  const auto now = SteadyClock::now();
  timer_ = loop_.after(earliest > now ? earliest - now : SteadyClock::duration::zero(),
                       [this] { start_save(); });
}

void StateSaver::start_save() {
  const TimePoint start = SteadyClock::now();
  snapshot_(packed_);
  packing_cost_ = SteadyClock::now() - start;
  writer_.write(packed_);
}

void StateSaver::on_written(const Status& result, std::chrono::microseconds took) {
  if (result) {
    ++saves_completed_;
    spdlog::debug("saved {} ({} bytes): packed in {} us, written in {} us", path_, packed_.size(),
                  micros(packing_cost_), took.count());
    if (saved_) saved_();
  } else {
    // The file on disk is still the previous one, whole; the next change tries again.
    ++saves_failed_;
    spdlog::error("{}", result.error().message);
  }
  last_save_end_ = SteadyClock::now();
  last_save_cost_ = packing_cost_ + took;
  if (changed_while_writing_) {
    changed_while_writing_ = false;
    changed();
  }
}

void StateSaver::save_now() {
  writer_.wait();  // packed_ is the writer's until its write is done
  timer_.reset();  // this save takes every change so far
  changed_while_writing_ = false;
  const TimePoint start = SteadyClock::now();
  snapshot_(packed_);
  const TimePoint packed = SteadyClock::now();
  packing_cost_ = packed - start;
  const Status result = writer_.write_now(packed_);
  on_written(result,
             std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - packed));
}

}  // namespace baton::node
