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
  node::Node node(std::move(options));
  return node.run();
}
