// Publishes usage/<machine> every --usage-interval: the machine's usage and each running app's
// (AppUsageSampler, MachineUsageSampler). The broker keeps the last report of each machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/loop/event_loop.hpp"
#include "node/usage/app_usage_sampler.hpp"
#include "node/usage/machine_usage_sampler.hpp"

namespace baton::node {

class UsageReporter {
 public:
  using RunningApps = std::function<std::vector<RunningApp>()>;
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;
  using NextSeq = std::function<std::uint64_t()>;

  UsageReporter(EventLoop& loop, std::string machine, std::chrono::milliseconds interval,
                RunningApps running, Publish publish, NextSeq next_seq);
  UsageReporter(const UsageReporter&) = delete;
  UsageReporter& operator=(const UsageReporter&) = delete;

  // Reports now (CPU percentages start at the next report), then every interval.
  void start();

 private:
  // Starts a report: the machine at once, the apps in slices (next_slice).
  void begin_report();
  void next_slice();

  EventLoop& loop_;
  std::string machine_;
  std::chrono::milliseconds interval_;
  RunningApps running_;
  Publish publish_;
  NextSeq next_seq_;
  AppUsageSampler apps_;
  MachineUsageSampler host_;
  proto::bus::UsageReport report_;  // the one being taken
  Timer interval_timer_;
  Timer slice_timer_;
};

}  // namespace baton::node
