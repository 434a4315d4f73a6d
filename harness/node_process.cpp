#include "harness/node_process.hpp"

#include <stdexcept>

namespace baton::harness {

NodeProcess::NodeProcess(const TempDir& dir, std::vector<std::string> extra_args,
                         const std::string& machine)
    : endpoint_("ipc://" + dir.path() + "/" + machine + ".sock"),
      socket_path_(dir.path() + "/" + machine + ".sock"),
      log_path_(dir.path() + "/node-" + machine + ".log"),
      log_dir_(dir.path() + "/logs-" + machine),
      process_(
          [&] {
            std::vector<std::string> argv{binary_path("baton-node"),
                                          "--machine",
                                          machine,
                                          "--appmonitor",
                                          endpoint_,
                                          "--log-dir",
                                          log_dir_,
                                          "--state-dir",
                                          dir.path() + "/state-" + machine};
            argv.insert(argv.end(), extra_args.begin(), extra_args.end());
            return argv;
          }(),
          ChildProcess::Options{{}, {}, log_path_}) {
  if (!wait_until([&] { return file_exists(socket_path_) || !process_.running(); })) {
    throw std::runtime_error("baton-node did not start: " + log());
  }
  if (!process_.running()) throw std::runtime_error("baton-node exited: " + log());
}

bool NodeProcess::log_contains(const std::string& text) const {
  return log().find(text) != std::string::npos;
}

}  // namespace baton::harness
