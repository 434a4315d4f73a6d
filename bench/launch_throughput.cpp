// bench_launch_throughput: how long one plan of N apps on one machine takes from StartPlan until
// every app is Running. Real baton-broker and baton-node; the apps are bench/programs/idle_app (a
// static program that sleeps until killed), no dependencies, no init detector. The clock starts
// just before plan_start is sent on the control socket and stops when a SUB on the broker's bus
// has seen a status/ message with the Running flag for every app of the plan. The plan's Success
// on plan/ is recorded too: with no init detector an app is Initialized at launch, so Success
// (every app PlanApplied, Started, Initialized and Running) adds only the broker's handling of the
// nodes' launch replies.
//
// Baseline: the benchmark itself starting N idle_app processes one after the other (the same
// clone+exec the node uses, through the tests' ChildProcess): the machine's floor for N launches.
// Between runs the plan is killed and everything is down again (plan None, every process reaped).
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "bench/idle_plan_fleet.hpp"
#include "bench/support/bench_report.hpp"
#include "bench/support/process_stats.hpp"
#include "common/proto/codec.hpp"
#include "harness/bus_watcher.hpp"
#include "harness/child_process.hpp"
#include "harness/control_client.hpp"

namespace baton::bench {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

constexpr auto kLaunchDeadline = 60s;
constexpr auto kKillDeadline = 60s;

double seconds_since(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct LaunchRun {
  double all_running_s = 0;
  double plan_success_s = 0;
  // CPU the daemons spent from plan_start until every app ran: what the launch costs them,
  // whatever else the machine was doing.
  double node_cpu_s = 0;
  double broker_cpu_s = 0;
  // plan/ messages until Success: each lists every app of the plan.
  std::size_t plan_messages = 0;
};

double cpu_of(harness::ChildProcess& process) {
  auto cpu = precise_cpu_seconds(process.pid());
  if (!cpu)
    throw std::runtime_error("cannot read the CPU time of pid " + std::to_string(process.pid()));
  return *cpu;
}

// What the bus says about the plan's apps: Running or not, by the latest status/ message of each.
class PlanView {
 public:
  PlanView(const IdlePlanFleet& fleet, harness::BusWatcher& watcher)
      : watcher_(watcher),
        plan_topic_(proto::bus::plan_topic(fleet.plan())),
        node_topic_(proto::bus::node_topic(IdlePlanFleet::kMachine)) {
    for (const auto& id : fleet.app_ids())
      running_[id] = false;
  }

  // Waits at most `wait` for messages and takes in what arrived.
  void pump(std::chrono::milliseconds wait) {
    watcher_.pump(wait);
    const auto& messages = watcher_.messages();
    for (; consumed_ < messages.size(); ++consumed_) {
      const auto& [topic, payload] = messages[consumed_];
      if (topic.starts_with("status/")) {
        on_status(payload);
      } else if (topic == plan_topic_) {
        ++plan_messages_;
        on_plan(payload);
      } else if (topic == node_topic_) {
        node_seen_ = true;
      }
    }
  }
  std::size_t running() const { return running_count_; }
  std::size_t apps() const { return running_.size(); }
  bool node_seen() const { return node_seen_; }
  const std::string& plan_status() const { return plan_status_; }
  std::size_t plan_messages() const { return plan_messages_; }

 private:
  void on_status(const std::string& payload) {
    auto state = proto::decode_frame<proto::bus::AppState>(payload.data(), payload.size());
    if (!state) return;
    auto it = running_.find(state->machine + "." + state->app);
    if (it == running_.end()) return;
    const bool now = harness::has_flag(*state, "Running");
    if (now != it->second) running_count_ += now ? 1 : -1;
    it->second = now;
  }
  void on_plan(const std::string& payload) {
    // Only the status: the whole PlanState lists every app and would cost more to decode.
    msgpack::zone zone;
    auto object =
        proto::unpack_frame(zone, payload.data(), payload.size(), proto::bulk_frame_limits());
    if (!object) return;
    const msgpack::object* status = proto::find_key(*object, "status");
    if (status != nullptr && status->type == msgpack::type::STR)
      plan_status_ = status->as<std::string>();
  }

  harness::BusWatcher& watcher_;
  std::string plan_topic_;
  std::string node_topic_;
  std::map<std::string, bool> running_;
  std::size_t running_count_ = 0;
  std::size_t consumed_ = 0;
  bool node_seen_ = false;
  std::string plan_status_;
  std::size_t plan_messages_ = 0;
};

LaunchRun launch_once(IdlePlanFleet& fleet, PlanView& view) {
  // What is still queued from the last run's kill arrives first: every app and the plan are seen
  // down before the clock starts (a plan never started has published nothing since we listen).
  auto down = [&] {
    return view.running() == 0 && (view.plan_status().empty() || view.plan_status() == "None");
  };
  const auto drained = steady_clock::now() + 10s;
  while (!down() && steady_clock::now() < drained)
    view.pump(10ms);
  if (!down()) throw std::runtime_error("the plan is not down before the start");

  LaunchRun run;
  const double node_cpu = cpu_of(fleet.node().process());
  const double broker_cpu = cpu_of(fleet.broker().process());
  const std::size_t plan_messages = view.plan_messages();
  const auto start = steady_clock::now();
  fleet.start_plan();
  const auto end = start + kLaunchDeadline;
  while (view.running() < view.apps() && steady_clock::now() < end)
    view.pump(100ms);
  run.all_running_s = seconds_since(start);
  run.node_cpu_s = cpu_of(fleet.node().process()) - node_cpu;
  run.broker_cpu_s = cpu_of(fleet.broker().process()) - broker_cpu;
  if (view.running() < view.apps()) {
    throw std::runtime_error(std::to_string(view.running()) + " of " + std::to_string(view.apps()) +
                             " apps Running after " + std::to_string(run.all_running_s) + " s:\n" +
                             fleet.logs());
  }
  while (view.plan_status() != "Success" && steady_clock::now() < end)
    view.pump(100ms);
  run.plan_success_s = seconds_since(start);
  run.plan_messages = view.plan_messages() - plan_messages;
  if (view.plan_status() != "Success") {
    throw std::runtime_error("plan " + fleet.plan() + " is " + view.plan_status() +
                             ", not Success:\n" + fleet.logs());
  }
  fleet.kill_plan_and_wait(kKillDeadline);
  return run;
}

// The baseline: N idle_app processes started here, one after the other.
double spawn_directly(std::size_t apps) {
  std::vector<std::unique_ptr<harness::ChildProcess>> children;
  children.reserve(apps);
  const auto start = steady_clock::now();
  for (std::size_t i = 0; i < apps; ++i) {
    children.push_back(std::make_unique<harness::ChildProcess>(
        std::vector<std::string>{harness::binary_path("idle_app")},
        harness::ChildProcess::Options{}));
  }
  const double elapsed = seconds_since(start);
  for (auto& child : children)
    child->signal(SIGTERM);
  for (auto& child : children) {
    if (!child->wait_exit(10s)) throw std::runtime_error("an idle_app did not end on SIGTERM");
  }
  return elapsed;
}

struct SizeResult {
  std::size_t apps = 0;
  std::vector<double> all_running_s;
  std::vector<double> plan_success_s;
  std::vector<double> direct_spawn_s;
  std::vector<double> node_cpu_s;
  std::vector<double> broker_cpu_s;
  std::vector<std::size_t> plan_messages;
};

SizeResult measure(std::size_t apps, int runs) {
  SizeResult result;
  result.apps = apps;
  // The broker's default command timeout: it counts from the node's last answer, so a plan of
  // 1,000 launches that takes the node longer than the timeout in all still succeeds.
  IdlePlanFleet fleet(apps, "launch");
  harness::BusWatcher watcher(
      fleet.broker().endpoints().bus,
      {"status/" + std::string(IdlePlanFleet::kMachine) + "/", proto::bus::plan_topic(fleet.plan()),
       proto::bus::node_topic(IdlePlanFleet::kMachine)});
  PlanView view(fleet, watcher);
  // The subscription is in place once the node's presence (every second) comes through.
  const auto subscribed = steady_clock::now() + 10s;
  while (!view.node_seen() && steady_clock::now() < subscribed)
    view.pump(50ms);
  if (!view.node_seen()) throw std::runtime_error("nothing arrived on the bus:\n" + fleet.logs());

  for (int i = 0; i < runs; ++i) {
    const LaunchRun run = launch_once(fleet, view);
    result.all_running_s.push_back(run.all_running_s);
    result.plan_success_s.push_back(run.plan_success_s);
    result.node_cpu_s.push_back(run.node_cpu_s);
    result.broker_cpu_s.push_back(run.broker_cpu_s);
    result.plan_messages.push_back(run.plan_messages);
    result.direct_spawn_s.push_back(spawn_directly(apps));
    std::cerr << apps << " apps, run " << i + 1 << ": all Running after " << run.all_running_s
              << " s, plan Success after " << run.plan_success_s << " s; direct spawn "
              << result.direct_spawn_s.back() << " s; CPU node " << run.node_cpu_s << " s, broker "
              << run.broker_cpu_s << " s\n";
  }
  return result;
}

int run(const BenchOptions& options) {
  struct Size {
    std::size_t apps;
    int runs;
    std::string name;
    double limit;  // 0: no target
    std::string target;
  };
  std::vector<Size> sizes;
  if (options.quick) {
    sizes.push_back(Size{20, 2, "20 apps", 0, ""});
    sizes.push_back(Size{100, 2, "100 apps", 0.2, "≤ 0.2 s"});
  } else {
    sizes.push_back(Size{100, 9, "100 apps", 0.2, "≤ 0.2 s"});
    sizes.push_back(Size{1000, 3, "1,000 apps", 0, ""});
  }
  Report report("launch throughput");
  nlohmann::json points = nlohmann::json::array();
  for (const Size& size : sizes) {
    const SizeResult result = measure(size.apps, size.runs);
    Figure figure;
    figure.name = size.name;
    figure.value = median(result.all_running_s);
    figure.unit = "s";
    figure.baseline = median(result.direct_spawn_s);
    if (size.limit > 0) {
      figure.target = size.target;
      figure.limit = size.limit;
    }
    figure.better = Better::lower;
    report.add(figure);
    report.note(size.name + ": all Running, every run (s)", result.all_running_s);
    report.note(size.name + ": plan Success, every run (s)", result.plan_success_s);
    report.note(size.name + ": direct spawn, every run (s)", result.direct_spawn_s);
    report.note(size.name + ": node CPU until all Running, every run (s)", result.node_cpu_s);
    report.note(size.name + ": broker CPU until all Running, every run (s)", result.broker_cpu_s);
    report.note(size.name + ": plan/ messages until Success, every run", result.plan_messages);
    nlohmann::json point;
    point["apps"] = size.apps;
    point["baton"] = figure.value;
    point["baseline"] = *figure.baseline;
    point["plan_success"] = median(result.plan_success_s);
    points.push_back(std::move(point));
  }
  report.note("method",
              "median over the runs; from sending plan_start to a status/ message with Running "
              "for every app; baseline: the benchmark spawning the same idle_app processes "
              "itself");
  report.add_series("launch", points);
  report.print();
  return 0;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) {
  return baton::bench::guarded_main(argv[0], [&] {
    const auto options = baton::bench::parse_options(argc, argv);
    return baton::bench::run(options);
  });
}
