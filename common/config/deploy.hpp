// args of the deploy command (cmd/<machine>/, schemas/bus/command.json): every app definition of
// the machine. The node compares definitions to tell a changed one; apps not listed are forgotten.
#pragma once

#include <tuple>
#include <vector>

#include "common/config/app_def.hpp"

namespace baton::config {

struct DeployArgs {
  std::vector<AppDef> apps;
  static constexpr auto kFields = std::make_tuple(proto::required("apps", &DeployArgs::apps));
};

}  // namespace baton::config
