// Encode and decode of the application monitor messages on the heartbeat path.
#include <benchmark/benchmark.h>

#include "common/proto/appmonitor.hpp"

namespace {

namespace am = baton::proto::appmonitor;

void BM_DecodeRefresh(benchmark::State& state) {
  std::string frame =
      baton::proto::pack_to_string(am::RefreshRequest{"refresh", ~0ULL >> 1, 12345});
  for (auto _ : state) {
    auto request = am::decode_request(frame.data(), frame.size());
    benchmark::DoNotOptimize(request);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeRefresh);

// A refresh_many of 32 registrations; items are registrations, so the figure compares with
// BM_DecodeRefresh per heartbeat.
void BM_DecodeRefreshMany(benchmark::State& state) {
  am::RefreshManyRequest many{"refresh_many", {}, 12345};
  for (std::uint64_t i = 1; i <= 32; ++i)
    many.ids.push_back((~0ULL >> 1) - i * 7919);
  const std::string frame = baton::proto::pack_to_string(many);
  for (auto _ : state) {
    auto request = am::decode_request(frame.data(), frame.size());
    benchmark::DoNotOptimize(request);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(many.ids.size()));
}
BENCHMARK(BM_DecodeRefreshMany);

void BM_EncodeRefreshReply(benchmark::State& state) {
  msgpack::sbuffer buffer;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    buffer.clear();
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    baton::proto::pack_message(pk, am::RefreshReply{true, ++seq});
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRefreshReply);

void BM_DecodeRegister(benchmark::State& state) {
  am::RegisterRequest r;
  r.pid = 4242;
  r.timeout_ms = 5000;
  r.action = "restart";
  r.restart_command = "systemctl restart myapp";
  std::string frame = baton::proto::pack_to_string(r);
  for (auto _ : state) {
    auto request = am::decode_request(frame.data(), frame.size());
    benchmark::DoNotOptimize(request);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeRegister);

}  // namespace

BENCHMARK_MAIN();
