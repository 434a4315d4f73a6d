// From an app's definition and the variables of the moment to what spawn() runs, and to the policy
// its lifecycle follows.
//
// %VAR% (common/config/expand_vars.hpp) expands from the DIRIGENT_*/BATON_* variables, then the
// app's <Env><Local> variables, then the environment being built. The environment is built in
// docs/shared-config.md's order: the node's environment (as SetVars left it), <Env><Set> (values
// expanded, in order of first definition), PATH prepend/append, then the DIRIGENT_* variables,
// BATON_APPMONITOR and BATON_LAUNCH_ID (the marker KillTree looks for).
//
// Paths: an absolute ExeFullPath is used as is; a relative one with a '/' resolves against the
// config folder; a bare name is taken from the config folder if a file of that name is there,
// else looked up in the app's PATH. StartupDir resolves against the config folder, which is also
// the default.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/config/app_def.hpp"
#include "common/config/expand_vars.hpp"
#include "common/expected.hpp"
#include "node/apps/app_lifecycle.hpp"
#include "node/process/spawn.hpp"

namespace baton::node {

struct LaunchContext {
  std::string machine;
  std::string plan;
  std::string master_ip;
  std::string appmonitor_endpoint;
  std::string launch_id;  // BATON_LAUNCH_ID: unique per launch, the marker KillTree looks for
};

using Environment = std::map<std::string, std::string>;

// The environment of this process as a map (the node's starting variables).
Environment environment_of_this_process();

Expected<SpawnRequest> build_launch_request(const config::AppDef& app, const Environment& node_env,
                                            const LaunchContext& context);

// How the app's lifecycle treats it: restarts, init detectors, soft kill; `backoff_cap` bounds the
// restart delay of a crash loop (0: no backoff).
LifecyclePolicy lifecycle_policy(const config::AppDef& app, std::chrono::milliseconds backoff_cap);

}  // namespace baton::node
