// bench_fleet_commands: how soon a command goes through the broker to a node and back, and how
// soon the broker sees a node that died. Real baton-broker and baton-node on loopback.
// - Round trips of set_vars (routed to the node and answered by it), one after the answer to the
//   last: on an idle node, and during a restart storm (an app that dies at once, relaunched with
//   no delay). The idle figures are the storm's baseline in the same run.
// - Offline detection: the node is killed (SIGKILL) and the broker polled until it reports the
//   machine offline; the baseline is the broker's --offline-after, the silence it waits for by
//   design.
#include <fstream>
#include <stdexcept>

#include "bench/support/bench_report.hpp"
#include "bench/support/latency_stats.hpp"
#include "harness/command_stream.hpp"
#include "harness/control_client.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::bench {
namespace {

using namespace std::chrono_literals;
namespace control = proto::control;
using std::chrono::steady_clock;

struct Params {
  std::size_t commands;  // per phase
  std::int64_t storm_restarts_first;
  int kills;
};

constexpr long long kOfflineAfterMs = 2500;  // the broker's default, passed explicitly

std::optional<bool> machine_online(harness::ControlClient& client, const std::string& machine) {
  auto reply = client.request("machines", control::Empty{}, 2s);
  auto machines = reply ? client.result_as<control::MachinesResult>(*reply) : std::nullopt;
  if (!machines) return std::nullopt;
  for (const auto& m : machines->machines) {
    if (m.node.machine == machine) return m.node.online;
  }
  return std::nullopt;
}

int run(const Params& p) {
  harness::TempDir dir;
  std::ofstream(dir / "SharedConfig.xml")
      << "<Shared>\n"
         "  <App AppIdTuple=\"m1.storm\" ExeFullPath=\"/bin/false\" RestartOnCrash=\"1\">\n"
         "    <Restarter delay=\"0\" maxTries=\"-1\"/>\n"
         "  </App>\n"
         "</Shared>\n";
  harness::BrokerProcess broker(dir, dir / "SharedConfig.xml", harness::BrokerEndpoints::in(dir),
                                {"--offline-after", std::to_string(kOfflineAfterMs)});
  harness::FleetNode node(dir, "m1", broker.endpoints().control, {"--restart-backoff-cap", "0"});
  harness::ControlClient client(broker.endpoints().control);
  auto fail = [&](const std::string& why) {
    const std::string log = broker.log() + "\n--- node\n" + node.log();
    throw std::runtime_error(why + "\n--- broker log\n" +
                             log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  };
  if (!client.wait_linked("m1")) fail("the node never linked to the broker");

  const std::string control_endpoint = broker.endpoints().control;
  const harness::CommandRun idle = harness::run_commands(control_endpoint, "m1", p.commands, 0);
  if (idle.ok != p.commands) fail("idle: " + idle.first_error);

  auto launched = client.request("launch", control::AppArgs{"m1.storm"});
  if (!launched || !launched->ok) fail("launch failed: " + (launched ? launched->error : "?"));
  if (!client.wait_app("m1.storm",
                       [&](const auto& s) { return s.state.restarts >= p.storm_restarts_first; }))
    fail("no restart storm");
  const std::int64_t restarts_before = client.app("m1.storm")->state.restarts;
  const harness::CommandRun storm = harness::run_commands(control_endpoint, "m1", p.commands, 0);
  const std::int64_t storm_restarts = client.app("m1.storm")->state.restarts - restarts_before;
  if (storm.ok != p.commands) fail("storm: " + storm.first_error);
  (void)client.request("kill", control::AppArgs{"m1.storm"});

  std::vector<double> offline_ms;
  for (int k = 0; k < p.kills; ++k) {
    node.kill9();
    const auto killed_at = steady_clock::now();
    if (!harness::wait_until([&] { return machine_online(client, "m1") == false; }, 30s))
      fail("the broker never saw the killed node go offline");
    offline_ms.push_back(
        std::chrono::duration<double, std::milli>(steady_clock::now() - killed_at).count());
    node.start();
    if (!client.wait_linked("m1")) fail("the restarted node never linked to the broker");
  }

  const LatencyStats idle_rtt(idle.round_trip_ms), storm_rtt(storm.round_trip_ms),
      offline(offline_ms);
  Report report("fleet commands");
  report.add(Figure{"command round trip p50, idle node", idle_rtt.quantile(0.5), "ms", std::nullopt,
                    "", std::nullopt, std::nullopt, Better::lower});
  report.add(Figure{"command round trip p99, idle node", idle_rtt.quantile(0.99), "ms",
                    std::nullopt, "", std::nullopt, std::nullopt, Better::lower});
  report.add(Figure{"command round trip p99, restart storm", storm_rtt.quantile(0.99), "ms",
                    idle_rtt.quantile(0.99), "≤ 10 ms", 10.0, std::nullopt, Better::lower});
  report.add(Figure{"offline seen after kill -9 (max)", offline.max(), "ms",
                    static_cast<double>(kOfflineAfterMs), "≤ 3000 ms", 3000.0, std::nullopt,
                    Better::lower});
  report.add_series("round trip",
                    {{"idle", idle_rtt.distribution()}, {"storm", storm_rtt.distribution()}});
  report.note("commands_per_phase", p.commands);
  report.note("storm_restarts_during_commands", storm_restarts);
  report.note("storm_round_trip_max_ms", storm_rtt.max());
  report.note("offline_seen_p50_ms", offline.quantile(0.5));
  report.note("kills", p.kills);
  report.print();
  return 0;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) {
  return baton::bench::guarded_main(argv[0], [&] {
    const auto options = baton::bench::parse_options(argc, argv);
    return baton::bench::run(options.quick ? baton::bench::Params{300, 20, 1}
                                           : baton::bench::Params{5000, 50, 5});
  });
}
