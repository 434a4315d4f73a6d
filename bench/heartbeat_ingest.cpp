// Heartbeat ingest: how many refreshes per second one baton-node answers with 1 to 10,000
// registered apps, refreshed pipelined from several client processes; beside the same clients
// against a bare ROUTER that only decodes and answers (support/bare_router.hpp). Each size runs
// with one registration per frame ("refresh"), and from 100 apps up also with kBatch per frame
// ("refresh_many", the SDKs' refresh_all): the same frames go to the baseline.
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "bench/support/bare_router.hpp"
#include "bench/support/bench_report.hpp"
#include "bench/support/heartbeat_client.hpp"
#include "bench/support/process_stats.hpp"
#include "bench/support/self_exec.hpp"
#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace {

using namespace baton;
using namespace std::chrono_literals;

constexpr int kClients = 2;  // two app processes on a two-core machine beside the node
// Requests in flight per client: enough that ZeroMQ moves them in large batches, well under the
// high-water marks (100,000) of both servers.
constexpr int kWindow = 10000;
// Registrations per refresh_many frame: a process refreshing its workers' registrations together.
constexpr int kBatch = 32;

struct Throughput {
  double per_second = 0;
  double server_cores = 0;  // CPU seconds of the server per second of the run
};

// Runs the clients against `endpoint` (served by `server`) and counts the answers.
Throughput measure(const std::string& endpoint, pid_t server, int apps, int batch,
                   std::chrono::milliseconds duration, const harness::TempDir& dir,
                   const std::string& tag) {
  const int clients = apps < kClients ? 1 : kClients;
  const std::string go = dir / (tag + ".go");
  std::vector<std::unique_ptr<harness::ChildProcess>> processes;
  std::vector<std::string> outputs, ready;
  for (int c = 0; c < clients; ++c) {
    outputs.push_back(dir / fmt::format("{}.client{}.out", tag, c));
    ready.push_back(dir / fmt::format("{}.client{}.ready", tag, c));
    const int share = apps / clients + (c < apps % clients ? 1 : 0);
    processes.push_back(std::make_unique<harness::ChildProcess>(
        std::vector<std::string>{bench::self_path(), "--heartbeat-client", endpoint,
                                 std::to_string(share), std::to_string(kWindow),
                                 std::to_string(batch), std::to_string(duration.count()),
                                 ready.back(), go},
        harness::ChildProcess::Options{{}, {}, outputs.back()}));
  }
  const bool all_ready = harness::wait_until(
      [&] {
        for (const auto& file : ready)
          if (!harness::file_exists(file)) return false;
        return true;
      },
      120s);
  if (!all_ready) throw std::runtime_error(tag + ": the clients did not register within 120 s");

  const double cpu_before = bench::cpu_seconds(server).value_or(0);
  std::ofstream(go).put('\n');
  long long refreshes = 0, errors = 0;
  for (std::size_t c = 0; c < processes.size(); ++c) {
    auto status = processes[c]->wait_exit(duration + 60s);
    if (!status || status->code != 0) throw std::runtime_error(tag + ": a client failed");
    std::ifstream in(outputs[c]);
    std::string word;
    long long count = 0, failed = 0;
    if (!(in >> word >> count >> word >> failed)) throw std::runtime_error(tag + ": no result");
    refreshes += count;
    errors += failed;
  }
  const double cpu_after = bench::cpu_seconds(server).value_or(0);
  if (errors != 0) throw std::runtime_error(fmt::format("{}: {} refreshes refused", tag, errors));
  const double seconds = std::chrono::duration<double>(duration).count();
  return {static_cast<double>(refreshes) / seconds, (cpu_after - cpu_before) / seconds};
}

// The node and the bare router, one after the other, with the same clients.
std::pair<Throughput, Throughput> measure_both(int apps, int batch,
                                               std::chrono::milliseconds duration) {
  Throughput baton, baseline;
  {
    harness::TempDir dir;
    harness::NodeProcess node(dir, {"--log-level", "warn"});
    baton = measure(node.endpoint(), node.process().pid(), apps, batch, duration, dir, "node");
  }
  {
    harness::TempDir dir;
    const std::string endpoint = "ipc://" + (dir / "bare.sock");
    harness::ChildProcess server({bench::self_path(), "--serve-bare-router", endpoint}, {});
    if (!harness::wait_until([&] { return harness::file_exists(dir / "bare.sock"); })) {
      throw std::runtime_error("the bare router did not start");
    }
    baseline = measure(endpoint, server.pid(), apps, batch, duration, dir, "bare");
  }
  std::cerr << fmt::format(
      "{} apps, {} per frame: node {:.0f}/s ({:.2f} cores), bare {:.0f}/s ({:.2f} cores)\n", apps,
      batch, baton.per_second, baton.server_cores, baseline.per_second, baseline.server_cores);
  return {baton, baseline};
}

int run_benchmark(const bench::BenchOptions& options) {
  const std::vector<int> app_counts =
      options.quick ? std::vector<int>{1, 100} : std::vector<int>{1, 100, 1000, 10000};
  const auto duration = options.quick ? 500ms : 3000ms;
  bench::Report report("heartbeat ingest");
  nlohmann::json series = nlohmann::json::array(), batched = nlohmann::json::array();
  for (int batch : {1, kBatch}) {
    for (int apps : app_counts) {
      if (batch > apps) continue;  // a frame would name a registration twice
      const auto [baton, baseline] = measure_both(apps, batch, duration);
      const bool absolute = apps >= 100 && apps <= 1000;
      std::string name = apps == 1 ? std::string("1 app") : fmt::format("{} apps", apps);
      if (batch > 1) name += fmt::format(", {} per frame", batch);
      report.add({.name = name,
                  .value = baton.per_second,
                  .unit = "heartbeats/s",
                  .baseline = baseline.per_second,
                  .target = absolute ? "≥ 1.5 M/s, ≥ 0.6× baseline" : "≥ 0.6× baseline",
                  .limit = absolute ? std::optional<double>(1.5e6) : std::nullopt,
                  .ratio_limit = 0.6,
                  .better = bench::Better::higher});
      report.note(fmt::format("node cores at {}", name), baton.server_cores);
      report.note(fmt::format("bare router cores at {}", name), baseline.server_cores);
      (batch == 1 ? series : batched)
          .push_back(
              {{"apps", apps}, {"baton", baton.per_second}, {"baseline", baseline.per_second}});
    }
  }
  report.add_series("throughput", series);
  report.add_series("throughput_batched", batched);
  report.note("clients", kClients);
  report.note("window", kWindow);
  report.note("batch", kBatch);
  report.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return bench::guarded_main(argv[0], [&] {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 2 && args[0] == "--serve-bare-router") {
      return bench::serve_bare_router(args[1]);
    }
    if (args.size() == 8 && args[0] == "--heartbeat-client") {
      return bench::run_heartbeat_client(
          {args[1], std::stoi(args[2]), std::stoi(args[3]), std::stoi(args[4]),
           std::chrono::milliseconds(std::stol(args[5])), args[6], args[7]});
    }
    return run_benchmark(bench::parse_options(argc, argv));
  });
}
