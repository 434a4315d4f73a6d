// Status fan-out: how long an app state change takes from the node that publishes it, through a
// real baton-broker, to a client subscribed to status/ on the broker's bus. 100 simulated nodes
// of 100 apps each (bench/support/simulated_fleet.hpp) publish 2,000 changes a second, spread
// over the 10,000 apps; the subscriber lives in the same process and thread, so the send time of
// each change (kept by its seq) and its arrival are read from one clock. Every change must arrive.
// Baseline, in the same run and the same moments: each change also goes over a direct PUB to SUB
// of the benchmark's own (one ZeroMQ hop, no broker).
//
// Target: p99 <= 2 ms.
#include <iostream>
#include <unordered_map>

#include "bench/support/bench_report.hpp"
#include "bench/support/fleet_config.hpp"
#include "bench/support/latency_stats.hpp"
#include "bench/support/process_stats.hpp"
#include "bench/support/simulated_fleet.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/temp_dir.hpp"

namespace baton::bench {
namespace {

namespace bus = proto::bus;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMachines = 100;
constexpr std::size_t kAppsPerMachine = 100;
constexpr double kChangesPerSecond = 2000;
constexpr double kLimitP99Ms = 2.0;
// After the last change is sent, how long the stragglers may take before they count as lost.
constexpr auto kDrainDeadline = 5s;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// A plain SUB for status/, as a monitor subscribes, and the changes it waits for: their send
// times by seq (unique in the fleet) and the latencies of those that arrived.
class StatusPath {
 public:
  explicit StatusPath(const std::string& endpoint) : socket_(context_, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, 0);
    socket_.set(zmq::sockopt::subscribe, "status/");
    socket_.connect(endpoint);
    latencies_ms_.reserve(20'000);
  }
  zmq::pollitem_t poll_item() { return {static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0}; }
  void expect(const bus::AppState& state, Clock::time_point sent) {
    in_flight_.emplace(state.seq, Sent{state.machine, state.app, sent});
  }
  // Takes every AppState waiting on the socket; returns true when one had seq `probe`.
  bool drain(std::uint64_t probe = 0) {
    bool probe_seen = false;
    for (int i = 0; i < 100'000; ++i) {
      zmq::message_t topic, payload;
      if (!socket_.recv(topic, zmq::recv_flags::dontwait)) break;
      const auto arrival = Clock::now();
      if (!topic.more() || !socket_.recv(payload, zmq::recv_flags::dontwait)) continue;
      auto state = proto::decode_frame<bus::AppState>(payload.data(), payload.size());
      if (!state) {
        ++malformed_;
        continue;
      }
      probe_seen = probe_seen || (probe != 0 && state->seq == probe);
      auto it = in_flight_.find(state->seq);
      if (it == in_flight_.end()) continue;  // a probe's, or a deploy's
      if (it->second.machine != state->machine || it->second.app != state->app) {
        ++mismatched_;
        continue;
      }
      latencies_ms_.push_back(ms_between(it->second.at, arrival));
      in_flight_.erase(it);
    }
    return probe_seen;
  }
  std::size_t missing() const { return in_flight_.size(); }
  std::size_t mismatched() const { return mismatched_; }
  std::size_t malformed() const { return malformed_; }
  const std::vector<double>& latencies_ms() const { return latencies_ms_; }

 private:
  struct Sent {
    std::string machine, app;
    Clock::time_point at;
  };
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::unordered_map<std::uint64_t, Sent> in_flight_;
  std::vector<double> latencies_ms_;
  std::size_t mismatched_ = 0;
  std::size_t malformed_ = 0;
};

// The baseline: the same changes published on a PUB that the benchmark binds itself, to a SUB of
// the same process, in the same moments. One ZeroMQ hop over loopback, no broker: what the
// machine gives at the time, against the broker path's two hops and the broker between them.
class DirectPublisher {
 public:
  DirectPublisher() : socket_(context_, zmq::socket_type::pub) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndhwm, 0);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }
  const std::string& endpoint() const { return endpoint_; }
  void publish(const bus::AppState& state) {
    const std::string topic = bus::status_topic(state.machine, state.app);
    const std::string payload = proto::pack_to_string(state);
    socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string endpoint_;
};

// A subscription reaches its publisher some time after connect (ZeroMQ's slow joiner): changes
// one app, published both ways, until both subscribers have seen that change.
void wait_for_subscriptions(SimulatedFleet& fleet, DirectPublisher& direct, StatusPath& via_broker,
                            StatusPath& via_direct) {
  const auto end = Clock::now() + 20s;
  std::uint64_t probe = 0;
  bool broker_seen = false, direct_seen = false;
  auto next_probe = Clock::now();
  while (!(broker_seen && direct_seen)) {
    if (Clock::now() > end) {
      throw std::runtime_error(std::string("the ") + (broker_seen ? "direct" : "bus") +
                               " subscriber never saw a status change");
    }
    if (Clock::now() >= next_probe) {
      const bus::AppState& state = fleet.change_app(0, app_name(0));
      direct.publish(state);
      probe = state.seq;
      broker_seen = direct_seen = false;  // the new probe must come through both
      next_probe = Clock::now() + 20ms;
    }
    zmq::pollitem_t items[] = {via_broker.poll_item(), via_direct.poll_item()};
    fleet.poll(5ms, items);
    broker_seen = via_broker.drain(probe) || broker_seen;
    direct_seen = via_direct.drain(probe) || direct_seen;
  }
}

int run(const BenchOptions& options) {
  const auto duration = options.quick ? 1s : 5s;
  const auto total =
      static_cast<std::size_t>(kChangesPerSecond * std::chrono::duration<double>(duration).count());

  harness::TempDir dir;
  const std::string config = dir / "SharedConfig.xml";
  write_fleet_config(config, FleetConfig{kMachines, kAppsPerMachine, ""});
  // tcp://, as a fleet's nodes reach their broker; --insecure: what is measured is the broker and
  // the transport, not CURVE.
  harness::BrokerProcess broker(dir, config, harness::BrokerEndpoints::loopback_tcp(),
                                {"--insecure"});
  std::cerr << "broker up (pid " << broker.process().pid() << "); connecting " << kMachines
            << " simulated nodes\n";
  // What went wrong is often in the broker's log: it goes with the error.
  try {
    SimulatedFleet fleet(broker.endpoints().control, machine_names(kMachines));
    fleet.connect(options.quick ? 10s : 30s);
    if (fleet.deployed_apps() != kMachines * kAppsPerMachine) {
      throw std::runtime_error("the broker deployed " + std::to_string(fleet.deployed_apps()) +
                               " apps, the config has " +
                               std::to_string(kMachines * kAppsPerMachine));
    }
    StatusPath via_broker(broker.endpoints().bus);
    DirectPublisher direct;
    StatusPath via_direct(direct.endpoint());
    wait_for_subscriptions(fleet, direct, via_broker, via_direct);
    std::cerr << "fleet synced, subscribers connected; sending " << total << " changes at "
              << kChangesPerSecond << "/s\n";

    const double broker_cpu_before = cpu_seconds(broker.process().pid()).value_or(0);
    const auto start = Clock::now();
    std::size_t sent = 0;
    // Paced on the clock: change k is due at start + k / rate. ZeroMQ's poll waits in whole
    // milliseconds, so the changes due within one go out together (two at 2,000/s).
    const auto send_end = start + duration + 10s;  // bound, should the loop fall far behind
    while (sent < total) {
      const auto now = Clock::now();
      if (now > send_end) throw std::runtime_error("could not send the changes at the set rate");
      while (sent < total &&
             now >= start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(sent / kChangesPerSecond))) {
        // Spread over the apps: consecutive changes go to different machines.
        const std::size_t machine = sent % kMachines;
        const std::string app = app_name((sent / kMachines) % kAppsPerMachine);
        const auto at = Clock::now();
        const bus::AppState& state = fleet.change_app(machine, app);
        via_broker.expect(state, at);
        const auto direct_at = Clock::now();
        direct.publish(state);
        via_direct.expect(state, direct_at);
        ++sent;
      }
      zmq::pollitem_t items[] = {via_broker.poll_item(), via_direct.poll_item()};
      fleet.poll(1ms, items);
      via_broker.drain();
      via_direct.drain();
    }
    const auto sending_took = Clock::now() - start;
    const auto drain_end = Clock::now() + kDrainDeadline;
    while ((via_broker.missing() > 0 || via_direct.missing() > 0) && Clock::now() < drain_end) {
      zmq::pollitem_t items[] = {via_broker.poll_item(), via_direct.poll_item()};
      fleet.poll(10ms, items);
      via_broker.drain();
      via_direct.drain();
    }
    const double broker_cpu = cpu_seconds(broker.process().pid()).value_or(0) - broker_cpu_before;
    const double measured_s = std::chrono::duration<double>(Clock::now() - start).count();

    const LatencyStats stats(via_broker.latencies_ms());
    const LatencyStats baseline(via_direct.latencies_ms());
    std::cerr << "sent " << sent << " in " << std::chrono::duration<double>(sending_took).count()
              << " s; via the broker: received " << stats.count() << ", p50 " << stats.quantile(0.5)
              << " ms, p99 " << stats.quantile(0.99) << " ms, max " << stats.max()
              << " ms; direct: received " << baseline.count() << ", p50 " << baseline.quantile(0.5)
              << " ms, p99 " << baseline.quantile(0.99) << " ms\n";
    if (via_broker.missing() != 0 || via_broker.mismatched() != 0 || via_broker.malformed() != 0) {
      throw std::runtime_error(
          "FAILED: " + std::to_string(via_broker.missing()) + " of " + std::to_string(sent) +
          " changes did not reach the bus subscriber within " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kDrainDeadline).count()) +
          " s of the last send (" + std::to_string(via_broker.mismatched()) +
          " arrived for the wrong app, " + std::to_string(via_broker.malformed()) + " malformed)");
    }
    if (via_direct.missing() != 0) {
      throw std::runtime_error(std::to_string(via_direct.missing()) +
                               " changes were lost on the direct baseline path");
    }

    Report report("status fan-out");
    const std::string shape =
        std::to_string(kMachines) + " nodes x " + std::to_string(kAppsPerMachine) + " apps";
    report.add(Figure{"state change to bus subscriber, p50 (" + shape + ")", stats.quantile(0.5),
                      "ms", baseline.quantile(0.5), "", std::nullopt, std::nullopt, Better::lower});
    report.add(Figure{"state change to bus subscriber, p99 (" + shape + ")", stats.quantile(0.99),
                      "ms", baseline.quantile(0.99), "≤ 2 ms", kLimitP99Ms, std::nullopt,
                      Better::lower});
    report.add(Figure{"changes received of those sent", static_cast<double>(stats.count()),
                      "changes", static_cast<double>(sent), "all", std::nullopt, 1.0,
                      Better::higher});
    report.add_series("status fan-out latency (ms) by quantile, via the broker",
                      stats.distribution());
    report.add_series("status fan-out latency (ms) by quantile, direct PUB to SUB (baseline)",
                      baseline.distribution());
    report.note("baseline", "the same changes on a PUB to SUB of the benchmark's own, no broker");
    report.note("machines", kMachines);
    report.note("apps", kMachines * kAppsPerMachine);
    report.note("changes_per_second", kChangesPerSecond);
    report.note("changes_sent", sent);
    report.note("max_ms", stats.max());
    report.note("baseline_max_ms", baseline.max());
    report.note("broker_cpu_seconds", broker_cpu);
    report.note("broker_cpu_share", broker_cpu / measured_s);
    report.note("broker_rss_mib", resident_mib(broker.process().pid()).value_or(-1));
    report.print();
    return 0;
  } catch (const std::exception& e) {
    const std::string log = broker.log();
    throw std::runtime_error(std::string(e.what()) + "\n--- broker log (end)\n" +
                             log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  }
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) {
  return baton::bench::guarded_main(argv[0], [&] {
    const auto options = baton::bench::parse_options(argc, argv);
    return baton::bench::run(options);
  });
}
