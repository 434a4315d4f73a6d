#pragma once
// A baton-node for the SDK tests that run in this process: BATON_APPMONITOR names it and every SDK
// call waits at most 500 ms for it. forget() replaces it with a node that knows none of the
// registrations made so far (a node restarted without its state folder), whose answer to them is
// "unknown registration".
#include <filesystem>
#include <optional>

#include "harness/node_process.hpp"
#include "harness/temp_dir.hpp"
#include "tests/support/scoped_env.hpp"

namespace baton::test {

using namespace harness;

class ForgetfulNode {
 public:
  ForgetfulNode()
      : node_(std::in_place, dir_),
        endpoint_("BATON_APPMONITOR", node_->endpoint()),
        wait_("BATON_APPMONITOR_TIMEOUT_MS", "500") {}

  void forget() {
    node_->process().terminate();
    node_.reset();
    std::filesystem::remove_all(dir_ / "state-m1");
    node_.emplace(dir_);  // the same endpoint: the SDK's sockets reconnect to it
  }

 private:
  TempDir dir_;
  std::optional<NodeProcess> node_;
  ScopedEnv endpoint_;
  ScopedEnv wait_;
};

}  // namespace baton::test
