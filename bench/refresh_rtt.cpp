// Refresh round trip: refresh() through the C++ SDK against a real baton-node, beside a bare
// DEALER sending the same frame to a bare ROUTER (support/bare_router.hpp) and waiting for the
// answer. Both run in blocks, one after the other, so that a noisy neighbour hits both alike.
#include <fmt/format.h>

#include <baton/appmonitor.hpp>
#include <iostream>
#include <zmq.hpp>

#include "bench/support/bare_router.hpp"
#include "bench/support/bench_report.hpp"
#include "bench/support/latency_stats.hpp"
#include "bench/support/self_exec.hpp"
#include "common/proto/appmonitor.hpp"
#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/node_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace {

using namespace baton;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace am = proto::appmonitor;

double micros_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// The baseline: what a round trip costs with nothing but ZeroMQ and msgpack.
class BareClient {
 public:
  explicit BareClient(const std::string& endpoint) : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }
  double round_trip(std::uint64_t seq) {
    const std::string frame = proto::pack_to_string(am::RefreshRequest{"refresh", 1, seq});
    const auto start = Clock::now();
    socket_.send(zmq::buffer(frame), zmq::send_flags::none);
    zmq::message_t reply;
    if (!socket_.recv(reply, zmq::recv_flags::none)) throw std::runtime_error("no answer");
    msgpack::zone zone;
    auto object = proto::unpack_frame(zone, reply.data(), reply.size());
    auto answer = object ? proto::decode<am::RefreshReply>(*object)
                         : Expected<am::RefreshReply>(object.error());
    const double micros = micros_since(start);
    if (!answer || answer->seq != seq) throw std::runtime_error("bare router: wrong answer");
    return micros;
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
};

int run_benchmark(const bench::BenchOptions& options) {
  const int blocks = options.quick ? 2 : 10;
  const int per_block = options.quick ? 2'000 : 20'000;
  const int warmup = 1'000;

  harness::TempDir dir;
  harness::NodeProcess node(dir, {"--log-level", "warn"});
  const std::string bare_endpoint = "ipc://" + (dir / "bare.sock");
  harness::ChildProcess server({bench::self_path(), "--serve-bare-router", bare_endpoint}, {});
  if (!harness::wait_until([&] { return harness::file_exists(dir / "bare.sock"); })) {
    throw std::runtime_error("the bare router did not start");
  }

  ::setenv("BATON_APPMONITOR", node.endpoint().c_str(), 1);
  auto handler = appmonitor::register_app(60'000, appmonitor::AppMonitorAction::KILL);
  BareClient bare(bare_endpoint);
  std::uint64_t seq = 0;
  for (int i = 0; i < warmup; ++i) {
    handler.refresh();
    bare.round_trip(++seq);
  }
  std::vector<double> sdk_samples, bare_samples;
  sdk_samples.reserve(blocks * per_block);
  bare_samples.reserve(blocks * per_block);
  for (int block = 0; block < blocks; ++block) {
    for (int i = 0; i < per_block; ++i) {
      const auto start = Clock::now();
      handler.refresh();
      sdk_samples.push_back(micros_since(start));
    }
    for (int i = 0; i < per_block; ++i)
      bare_samples.push_back(bare.round_trip(++seq));
  }
  handler.unregister();

  const bench::LatencyStats sdk(std::move(sdk_samples)), baseline(std::move(bare_samples));
  bench::Report report("refresh round trip");
  for (auto [label, q] : {std::pair{"p50", 0.5}, {"p99", 0.99}, {"p99.9", 0.999}}) {
    report.add({.name = label,
                .value = sdk.quantile(q),
                .unit = "µs",
                .baseline = baseline.quantile(q),
                .target = "≤ 1.2× baseline",
                .limit = std::nullopt,
                .ratio_limit = 1.2,
                .better = bench::Better::lower});
  }
  std::cerr << fmt::format("refresh p50 {:.1f} µs (bare {:.1f}), p99 {:.1f} (bare {:.1f})\n",
                           sdk.quantile(0.5), baseline.quantile(0.5), sdk.quantile(0.99),
                           baseline.quantile(0.99));
  report.add_series("sdk", sdk.distribution());
  report.add_series("baseline", baseline.distribution());
  report.note("round trips each", sdk.count());
  report.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return bench::guarded_main(argv[0], [&] {
    if (argc == 3 && std::string(argv[1]) == "--serve-bare-router") {
      return bench::serve_bare_router(argv[2]);
    }
    return run_benchmark(bench::parse_options(argc, argv));
  });
}
