// The real `baton` command line as a child process, with its stdout and stderr kept apart.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/child_process.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

struct CliRun {
  int code = -1;  // exit code; -1 when it was killed or did not end in time
  std::string out;
  std::string err;
};

// Exit code and both outputs, for assertion messages.
std::string describe(const CliRun& run);

// A `baton` started and left running, with the files its output goes to.
struct RunningBaton {
  ChildProcess process;
  std::string out_path;
  std::string err_path;
};

// Runs `baton` (through /bin/sh only to give it separate stdout and stderr files) and waits for
// it. BATON_BROKER, BATON_KEY and BATON_BROKER_KEY are taken away unless `env` sets them, so the
// caller's environment cannot leak in.
class BatonRunner {
 public:
  // `wrapper`: an argv prefix that `baton` runs under, e.g. "ip netns exec NAME".
  explicit BatonRunner(const TempDir& dir, std::vector<std::string> wrapper = {})
      : dir_(dir), wrapper_(std::move(wrapper)) {}

  // `env` may name where stdout goes (BATON_TEST_OUT: a FIFO, say); else a file of its own.
  RunningBaton start(const std::vector<std::string>& args,
                     std::map<std::string, std::string> env = {});
  // Waits for `baton` to end and collects its output.
  static CliRun finish(RunningBaton& baton, std::chrono::milliseconds deadline = kDeadline);
  CliRun run(const std::vector<std::string>& args, std::map<std::string, std::string> env = {});

 private:
  const TempDir& dir_;
  std::vector<std::string> wrapper_;
  unsigned runs_ = 0;
};

}  // namespace baton::test
