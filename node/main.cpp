// baton-node: see node/node.hpp.
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "common/os/signals.hpp"
#include "node/node.hpp"
#include "node/node_options.hpp"

namespace {

// Every SDK registration is a connection, every app a pidfd and an output pipe: the default soft
// limit of 1024 files would cap the node far below its --max-registrations. The hard limit is
// what the administrator allows.
// --nice: for the node's thread, and so for the ZeroMQ I/O thread it starts later (a thread
// inherits the nice value of the thread that creates it). What the node starts gets the nice
// value the node was started with.
void apply_nice(baton::node::NodeOptions& options) {
  if (!options.nice) return;
  errno = 0;
  const int inherited = ::getpriority(PRIO_PROCESS, 0);
  if (errno != 0) return;
  if (::setpriority(PRIO_PROCESS, 0, *options.nice) != 0) {
    spdlog::warn("cannot set the node's nice value to {}: {}; it stays {}", *options.nice,
                 std::strerror(errno), inherited);
    return;
  }
  options.supervisor.app_nice = inherited;
  options.actions.command_nice = inherited;
}

void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the open files limit from {}: {}", before, std::strerror(errno));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace baton;
  auto parsed = node::parse_node_options(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  auto& options = std::get<node::NodeOptions>(parsed);

  // Before the ZeroMQ context starts its threads: they must inherit the blocked mask.
  block_signals({SIGTERM, SIGINT, SIGCHLD});
  ::signal(SIGPIPE, SIG_IGN);
  init_logging("node[" + options.machine + "]", spdlog::level::from_str(options.log_level));
  raise_file_limit();
  apply_nice(options);
  node::Node node(std::move(options));
  return node.run();
}
