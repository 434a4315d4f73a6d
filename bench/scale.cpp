// Scale: one real baton-broker with 1,000 simulated nodes of 100 apps each (100,000 apps in the
// SharedConfig.xml it loads; bench/support/simulated_fleet.hpp speaks the node side). Measured:
//   - the broker's resident memory once every app has a state (target <= 200 MiB);
//   - get_all_apps_state, the round trip of the whole fleet's status to a control client (target
//     <= 50 ms at p50; the max is reported beside it);
//   - the start of a plan of 1,000 apps, one per machine: from plan_start to the plan's Success on
//     the bus (every app launched, Running and Initialized at its node). No target; a broker that
//     evaluates the plan at every app state (O(apps²)) takes seconds here, and while it works
//     through them it reads its ingest so late that it takes nodes for offline and fails the plan.
// --quick: 100 nodes of 100 apps.

#include <iostream>

#include "bench/support/bench_report.hpp"
#include "bench/support/fleet_config.hpp"
#include "bench/support/latency_stats.hpp"
#include "bench/support/process_stats.hpp"
#include "bench/support/simulated_fleet.hpp"
#include "harness/control_client.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/temp_dir.hpp"

namespace baton::bench {
namespace {

namespace bus = proto::bus;
namespace control = proto::control;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kAppsPerMachine = 100;
constexpr const char* kPlan = "wide";
constexpr double kLimitAllAppsMs = 50;
constexpr double kLimitRssMib = 200;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// A DEALER on the broker's control socket whose requests keep the simulated fleet answering
// while they wait (a ControlClient would block the thread the nodes live on).
class PumpedControl {
 public:
  PumpedControl(const std::string& endpoint, SimulatedFleet& fleet)
      : socket_(context_, zmq::socket_type::dealer), fleet_(fleet) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, 0);
    socket_.connect(endpoint);
  }
  // Sends the request and returns the whole reply frame once it arrived (the time it took in
  // `round_trip_ms`); throws when no reply came within `deadline`.
  template <class Args>
  std::string request(const std::string& op, const Args& args, double* round_trip_ms = nullptr,
                      std::chrono::milliseconds deadline = 30s) {
    const std::string id = "s" + std::to_string(++id_);
    const std::string frame =
        control::pack_request(control::RequestHeader{control::kVersion, id, op}, args);
    const auto sent = Clock::now();
    socket_.send(zmq::buffer(frame), zmq::send_flags::dontwait);
    const auto end = sent + deadline;
    while (Clock::now() < end) {
      zmq::pollitem_t items[] = {{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0}};
      fleet_.poll(10ms, items);
      zmq::message_t reply;
      while (socket_.recv(reply, zmq::recv_flags::dontwait)) {
        const auto arrived = Clock::now();
        msgpack::zone zone;
        auto object =
            proto::unpack_frame(zone, reply.data(), reply.size(), proto::bulk_frame_limits());
        if (!object) throw std::runtime_error(op + ": malformed reply");
        auto header = proto::decode<control::ReplyHeader>(*object);
        if (!header || header->id != id) continue;  // an earlier, timed-out request's
        if (!header->ok) throw std::runtime_error(op + " failed: " + header->error.value_or("?"));
        if (round_trip_ms != nullptr) *round_trip_ms = ms_between(sent, arrived);
        return reply.to_string();
      }
    }
    throw std::runtime_error(op + ": no reply within " + std::to_string(deadline.count()) + " ms");
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  SimulatedFleet& fleet_;
  unsigned id_ = 0;
};

// The apps of a get_all_apps_state reply, and how many of them have a state from their node
// (seq above 0). Reads the few fields it needs instead of decoding 100,000 AppStatus.
struct AllAppsCount {
  std::size_t apps = 0;
  std::size_t with_state = 0;
};
AllAppsCount count_apps(const std::string& frame) {
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, frame.data(), frame.size(), proto::bulk_frame_limits());
  const msgpack::object* result = object ? proto::find_key(*object, "result") : nullptr;
  const msgpack::object* apps = result ? proto::find_key(*result, "apps") : nullptr;
  if (apps == nullptr || apps->type != msgpack::type::ARRAY) {
    throw std::runtime_error("get_all_apps_state: no list of apps in the reply");
  }
  AllAppsCount count;
  count.apps = apps->via.array.size;
  for (std::uint32_t i = 0; i < apps->via.array.size; ++i) {
    const msgpack::object* state = proto::find_key(apps->via.array.ptr[i], "state");
    const msgpack::object* seq = state ? proto::find_key(*state, "seq") : nullptr;
    if (seq != nullptr && seq->type == msgpack::type::POSITIVE_INTEGER && seq->via.u64 > 0) {
      ++count.with_state;
    }
  }
  return count;
}

// A SUB on plan/<plan>. Its subscription is known to be in place once a message of a topic
// subscribed after it (node/m0, the presence of a simulated node) has come through: the broker
// grants one connection's subscriptions in order.
class PlanWatcher {
 public:
  PlanWatcher(const std::string& bus_endpoint, SimulatedFleet& fleet)
      : socket_(context_, zmq::socket_type::sub), fleet_(fleet) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, 0);
    socket_.set(zmq::sockopt::subscribe, bus::plan_topic(kPlan));
    socket_.set(zmq::sockopt::subscribe, bus::node_topic(fleet.machine_name(0)));
    socket_.connect(bus_endpoint);
    const auto end = Clock::now() + 20s;
    while (!subscribed_) {
      if (Clock::now() > end)
        throw std::runtime_error("the plan watcher's subscription never took");
      pump(100ms);
    }
  }
  // Waits up to `wait` (answering for the fleet meanwhile) and takes the plan states that came.
  void pump(std::chrono::milliseconds wait) {
    zmq::pollitem_t items[] = {{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0}};
    fleet_.poll(wait, items);
    for (int i = 0; i < 100'000; ++i) {
      zmq::message_t topic, payload;
      if (!socket_.recv(topic, zmq::recv_flags::dontwait)) return;
      if (!topic.more() || !socket_.recv(payload, zmq::recv_flags::dontwait)) continue;
      if (topic.to_string_view() != bus::plan_topic(kPlan)) {
        subscribed_ = true;
        continue;
      }
      // Only the status and its reason: decoding the 1,000 apps of each of the ~1,000 states
      // would take this process's time from answering for the fleet.
      msgpack::zone zone;
      auto object =
          proto::unpack_frame(zone, payload.data(), payload.size(), proto::bulk_frame_limits());
      const msgpack::object* status = object ? proto::find_key(*object, "status") : nullptr;
      if (status == nullptr || status->type != msgpack::type::STR) {
        throw std::runtime_error("malformed plan state on " + bus::plan_topic(kPlan));
      }
      status_.assign(status->via.str.ptr, status->via.str.size);
      const msgpack::object* reason = proto::find_key(*object, "reason");
      reason_ = reason != nullptr && reason->type == msgpack::type::STR
                    ? std::string(reason->via.str.ptr, reason->via.str.size)
                    : std::string("no reason given");
      last_at_ = Clock::now();
      ++states_;
    }
  }
  // The last status that came ("" before any).
  const std::string& status() const { return status_; }
  const std::string& reason() const { return reason_; }
  Clock::time_point last_at() const { return last_at_; }
  std::size_t states() const { return states_; }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  SimulatedFleet& fleet_;
  bool subscribed_ = false;
  std::string status_;
  std::string reason_;
  Clock::time_point last_at_;
  std::size_t states_ = 0;
};

int run(const BenchOptions& options) {
  const std::size_t machines = options.quick ? 100 : 1000;
  const std::size_t total_apps = machines * kAppsPerMachine;
  const int requests = options.quick ? 5 : 20;
  // Each phase normally takes a few seconds; these bound a broker that stalls, within the time
  // run_bench.py gives the benchmark.
  const std::chrono::milliseconds phase_deadline = options.quick ? 8s : 45s;
  const std::string shape =
      std::to_string(machines) + " nodes x " + std::to_string(kAppsPerMachine) + " apps";

  harness::TempDir dir;
  const std::string config = dir / "SharedConfig.xml";
  write_fleet_config(config, FleetConfig{machines, kAppsPerMachine, kPlan});
  const auto broker_start = Clock::now();
  // tcp://, as a fleet's nodes reach their broker; --insecure: what is measured is the broker and
  // the transport, not CURVE.
  harness::BrokerProcess broker(dir, config, harness::BrokerEndpoints::loopback_tcp(),
                                {"--insecure"});
  const double broker_start_ms = ms_between(broker_start, Clock::now());
  const pid_t broker_pid = broker.process().pid();
  const double rss_config_only = resident_mib(broker_pid).value_or(-1);
  std::cerr << "broker up with " << total_apps << " apps in " << broker_start_ms << " ms (RSS "
            << rss_config_only << " MiB); connecting " << machines << " simulated nodes\n";

  // What went wrong is often in the broker's log: it goes with the error.
  try {
    SimulatedFleet fleet(broker.endpoints().control, machine_names(machines));
    const auto connect_start = Clock::now();
    fleet.connect(phase_deadline);
    const double connect_ms = ms_between(connect_start, Clock::now());
    if (fleet.deployed_apps() != total_apps) {
      throw std::runtime_error("the broker deployed " + std::to_string(fleet.deployed_apps()) +
                               " apps, the config has " + std::to_string(total_apps));
    }
    PumpedControl control(broker.endpoints().control, fleet);

    // Every app has a state at the broker (from the node's publication after the deploy or from its
    // get_state reply): the broker holds the whole fleet.
    const auto states_end = Clock::now() + phase_deadline;
    for (;;) {
      const AllAppsCount count =
          count_apps(control.request("get_all_apps_state", control::Empty{}));
      if (count.apps != total_apps) {
        throw std::runtime_error("get_all_apps_state listed " + std::to_string(count.apps) +
                                 " apps, the config has " + std::to_string(total_apps));
      }
      if (count.with_state == total_apps) break;
      if (Clock::now() > states_end) {
        throw std::runtime_error("only " + std::to_string(count.with_state) + " of " +
                                 std::to_string(total_apps) + " apps have a state at the broker");
      }
      fleet.poll(200ms);
    }
    const double synced_ms = ms_between(connect_start, Clock::now());
    const double rss = resident_mib(broker_pid).value_or(-1);
    std::cerr << "every app has a state " << synced_ms
              << " ms after the nodes connected; broker RSS " << rss << " MiB\n";

    std::vector<double> all_apps_ms;
    std::size_t reply_bytes = 0;
    const double cpu_before_queries = cpu_seconds(broker_pid).value_or(0);
    for (int i = 0; i < requests; ++i) {
      double ms = 0;
      reply_bytes = control.request("get_all_apps_state", control::Empty{}, &ms).size();
      all_apps_ms.push_back(ms);
    }
    const double cpu_per_query =
        (cpu_seconds(broker_pid).value_or(0) - cpu_before_queries) / requests;
    const LatencyStats all_apps(all_apps_ms);
    std::cerr << "get_all_apps_state: p50 " << all_apps.quantile(0.5) << " ms, max "
              << all_apps.max() << " ms, " << reply_bytes << " bytes\n";

    PlanWatcher plan(broker.endpoints().bus, fleet);
    const std::size_t launches_before =
        fleet.commands_answered().contains("launch") ? fleet.commands_answered().at("launch") : 0;
    const double cpu_before_plan = cpu_seconds(broker_pid).value_or(0);
    const auto plan_start = Clock::now();
    control.request("plan_start", control::PlanArgs{kPlan});
    const auto plan_end = plan_start + phase_deadline;
    while (plan.status() != "Success") {
      if (plan.status() == "Failure") {
        throw std::runtime_error("plan " + std::string(kPlan) + " failed: " + plan.reason());
      }
      if (Clock::now() > plan_end) {
        throw std::runtime_error("plan " + std::string(kPlan) + " did not succeed within " +
                                 std::to_string(phase_deadline.count()) + " ms (" +
                                 (plan.status().empty() ? "no state" : plan.status()) + ")");
      }
      plan.pump(10ms);
    }
    const double plan_ms = ms_between(plan_start, plan.last_at());
    const double plan_cpu = cpu_seconds(broker_pid).value_or(0) - cpu_before_plan;
    const std::size_t launches = fleet.commands_answered().at("launch") - launches_before;
    std::cerr << "plan of " << machines << " apps: Success after " << plan_ms << " ms, " << launches
              << " launches, " << plan.states() << " plan states published\n";
    if (launches != machines) {
      throw std::runtime_error("the plan launched " + std::to_string(launches) + " apps, not " +
                               std::to_string(machines));
    }

    Report report("scale");
    report.add(Figure{"broker RSS, every app with a state (" + shape + ")", rss, "MiB",
                      std::nullopt, "≤ 200 MiB", kLimitRssMib, std::nullopt, Better::lower});
    report.add(Figure{"get_all_apps_state round trip, p50 (" + shape + ")", all_apps.quantile(0.5),
                      "ms", std::nullopt, "≤ 50 ms", kLimitAllAppsMs, std::nullopt, Better::lower});
    report.add(Figure{"get_all_apps_state round trip, max of " + std::to_string(requests),
                      all_apps.max(), "ms", std::nullopt, "", std::nullopt, std::nullopt,
                      Better::lower});
    report.add(Figure{"plan start of " + std::to_string(machines) + " apps to Success", plan_ms,
                      "ms", std::nullopt, "", std::nullopt, std::nullopt, Better::lower});
    report.add_series("get_all_apps_state round trip (ms) by quantile", all_apps.distribution());
    report.note("machines", machines);
    report.note("apps", total_apps);
    report.note("broker_start_ms", broker_start_ms);
    report.note("broker_rss_mib_config_only", rss_config_only);
    report.note("nodes_synced_ms", connect_ms);
    report.note("all_states_ms", synced_ms);
    report.note("get_all_apps_state_reply_bytes", reply_bytes);
    report.note("get_all_apps_state_broker_cpu_ms", cpu_per_query * 1000);
    report.note("plan_states_published", plan.states());
    report.note("plan_broker_cpu_seconds", plan_cpu);
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
