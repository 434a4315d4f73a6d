// The registration table's hot paths at 1 to 100,000 registrations: refresh must stay flat.
#include <benchmark/benchmark.h>

#include <random>

#include "node/appmonitor/watchdog_table.hpp"

namespace {

using namespace std::chrono_literals;
using baton::TimePoint;
using baton::node::Registration;
using baton::node::Token;
using baton::node::WatchdogTable;

std::vector<Token> fill(WatchdogTable& table, std::int64_t n) {
  std::vector<Token> tokens;
  std::mt19937 rng(1);
  for (std::int64_t i = 0; i < n; ++i) {
    Registration r;
    r.pid = static_cast<pid_t>(1000 + i % 64);
    r.timeout = std::chrono::milliseconds(50 + rng() % 450);
    tokens.push_back(table.add(std::move(r), TimePoint{}));
  }
  return tokens;
}

void BM_Refresh(benchmark::State& state) {
  WatchdogTable table;
  auto tokens = fill(table, state.range(0));
  std::size_t i = 0;
  TimePoint now{};
  for (auto _ : state) {
    now += 1us;
    benchmark::DoNotOptimize(table.refresh(tokens[i], now));
    if (++i == tokens.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Refresh)->RangeMultiplier(10)->Range(1, 100'000);

// Everything refreshes every 10 ms while the deadline check runs: the amortised heap work.
void BM_RefreshAndCheck(benchmark::State& state) {
  WatchdogTable table;
  auto tokens = fill(table, state.range(0));
  std::size_t i = 0;
  TimePoint now{};
  const auto step = std::chrono::nanoseconds(10ms) / static_cast<long>(tokens.size());
  for (auto _ : state) {
    now += step;
    table.refresh(tokens[i], now);
    if (++i == tokens.size()) {
      i = 0;
      benchmark::DoNotOptimize(table.take_expired(now));
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RefreshAndCheck)->RangeMultiplier(10)->Range(10, 100'000);

// A process holding `range` registrations fires: the node drops them all at once, between two
// deadlines of other registrations (the latest refresh of any of them goes into its log).
void BM_DropProcess(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    WatchdogTable table;
    fill(table, 10'000);
    for (std::int64_t i = 0; i < state.range(0); ++i) {
      Registration r;
      r.pid = 99;
      r.timeout = 100ms;
      table.add(std::move(r), TimePoint{});
    }
    state.ResumeTiming();
    benchmark::DoNotOptimize(table.latest_refresh(99));
    benchmark::DoNotOptimize(table.erase_pid(99));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DropProcess)->Arg(3'000);

}  // namespace

BENCHMARK_MAIN();
