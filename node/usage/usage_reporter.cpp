#include "node/usage/usage_reporter.hpp"

#include "common/proto/codec.hpp"

namespace baton::node {

UsageReporter::UsageReporter(EventLoop& loop, std::string machine,
                             std::chrono::milliseconds interval, RunningApps running,
                             Publish publish, NextSeq next_seq)
    : loop_(loop),
      machine_(std::move(machine)),
      interval_(interval),
      running_(std::move(running)),
      publish_(std::move(publish)),
      next_seq_(std::move(next_seq)) {}

void UsageReporter::start() {
  begin_report();
}

void UsageReporter::begin_report() {
  interval_timer_ = loop_.after(interval_, [this] { begin_report(); });
  if (slice_timer_.pending()) return;  // the last report is still being taken
  report_ = proto::bus::UsageReport{};
  report_.machine = machine_;
  report_.time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  report_.interval = std::chrono::duration<double>(interval_).count();
  report_.host = host_.sample();
  apps_.begin(running_(), SteadyClock::now());
  next_slice();
}

void UsageReporter::next_slice() {
  if (!apps_.step(AppUsageSampler::kSliceProcesses)) {
    // Due just after now, so not within this round's timers: what became ready meanwhile (a
    // refresh, a command, an exit) is served first.
    slice_timer_ = loop_.after(std::chrono::microseconds(1), [this] { next_slice(); });
    return;
  }
  report_.apps = apps_.take();
  report_.seq = next_seq_();
  publish_(proto::bus::usage_topic(machine_), proto::pack_to_string(report_));
}

}  // namespace baton::node
