// baton-node: see node/node.hpp.
#include <signal.h>

#include "common/log.hpp"
#include "common/os/signals.hpp"
#include "node/node.hpp"
#include "node/node_options.hpp"

int main(int argc, char** argv) {
  using namespace baton;
  auto parsed = node::parse_node_options(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  auto& options = std::get<node::NodeOptions>(parsed);

  // Before the ZeroMQ context starts its threads: they must inherit the blocked mask.
  block_signals({SIGTERM, SIGINT, SIGCHLD});
  ::signal(SIGPIPE, SIG_IGN);
  init_logging("node[" + options.machine + "]", spdlog::level::from_str(options.log_level));
  node::Node node(std::move(options));
  return node.run();
}
