// What the node's journal (node/state/journal.hpp) costs: per launch (one app record, one write)
// and per registration, written one by one or batched as the node batches them (the entries of
// one loop round in one write). Beside it the floor: one write() of the same bytes.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "node/state/journal.hpp"

namespace baton::node {
namespace {

// A fresh state folder under /tmp, removed at the end.
struct Folder {
  Folder() {
    char name[] = "/tmp/baton-journal-bench-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~Folder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

SavedApp typical_app() {
  SavedApp app;
  app.app = "web-frontend";
  app.state = LifecycleState::running;
  app.pid = 123456;
  app.started = true;
  app.initialized = true;
  app.plan = "production";
  app.started_at = 1.7e9;
  app.launch_id = "m1.web-frontend.0123456789abcdef.4242.17";
  app.launches = 17;
  app.start_time = 987654321;
  return app;
}

RegistrationRecord typical_registration(Token token) {
  RegistrationRecord r;
  r.token = token;
  r.pid = 123456;
  r.start_time = 987654321;
  r.uid = 1000;
  r.gid = 1000;
  r.timeout = std::chrono::milliseconds(1000);
  r.action = proto::appmonitor::Action::restart;
  r.restart_command = "/usr/bin/systemctl restart web-frontend";
  r.app = "m1.web-frontend";
  r.cwd = "/srv/web";
  return r;
}

// Keeps the segment small: a new one every so many entries, outside the timing.
void rotate_now_and_then(benchmark::State& state, Journal& journal, std::int64_t& written) {
  if (++written % 100'000 != 0) return;
  state.PauseTiming();
  journal.remove_through(journal.snapshot_taken());
  state.ResumeTiming();
}

void BM_JournalLaunch(benchmark::State& state) {
  Folder folder;
  Journal journal(folder.path, "m1");
  if (!journal.open()) state.SkipWithError("cannot open the journal");
  JournalEntry entry;
  entry.app = typical_app();
  std::int64_t written = 0;
  for (auto _ : state) {
    journal.add(entry);
    journal.write_pending();
    rotate_now_and_then(state, journal, written);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JournalLaunch);

// Registrations per loop round: the node writes the entries of a round in one write().
void BM_JournalRegistrations(benchmark::State& state) {
  Folder folder;
  Journal journal(folder.path, "m1");
  if (!journal.open()) state.SkipWithError("cannot open the journal");
  const auto per_round = state.range(0);
  Token token = 1;
  std::int64_t written = 0;
  for (auto _ : state) {
    for (std::int64_t i = 0; i < per_round; ++i) {
      JournalEntry entry;
      entry.registered = typical_registration(token++);
      journal.add(entry);
    }
    journal.write_pending();
    rotate_now_and_then(state, journal, written);
  }
  state.SetItemsProcessed(state.iterations() * per_round);
}
BENCHMARK(BM_JournalRegistrations)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

// The floor: one write() of a launch entry's bytes to a file.
void BM_WriteFloor(benchmark::State& state) {
  Folder folder;
  const std::string path = folder.path + "/floor";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  JournalEntry entry;
  entry.app = typical_app();
  const std::string bytes = proto::pack_to_string(entry);
  std::int64_t written = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(::write(fd, bytes.data(), bytes.size()));
    if (++written % 100'000 == 0) {
      state.PauseTiming();
      if (::ftruncate(fd, 0) != 0) state.SkipWithError("cannot truncate");
      state.ResumeTiming();
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(bytes.size()) + " bytes");
}
BENCHMARK(BM_WriteFloor);

}  // namespace
}  // namespace baton::node

BENCHMARK_MAIN();
