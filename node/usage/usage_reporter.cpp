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
  report();
}

proto::bus::UsageReport UsageReporter::sample() {
  proto::bus::UsageReport report;
  report.machine = machine_;
  report.time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  report.interval = std::chrono::duration<double>(interval_).count();
  report.host = host_.sample();
  report.apps = apps_.sample(running_(), SteadyClock::now());
  report.seq = next_seq_();
  return report;
}

void UsageReporter::report() {
  publish_(proto::bus::usage_topic(machine_), proto::pack_to_string(sample()));
  timer_ = loop_.after(interval_, [this] { report(); });
}

}  // namespace baton::node
