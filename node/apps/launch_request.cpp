#include "node/apps/launch_request.hpp"

#include <unistd.h>

#include <filesystem>

#include "node/process/command_line.hpp"

namespace baton::node {

namespace fs = std::filesystem;

Environment environment_of_this_process() {
  Environment env;
  for (const std::string& entry : current_environment()) {
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

namespace {

std::string resolve_against(const std::string& config_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (fs::path(config_dir) / path).lexically_normal().string();
}

}  // namespace

Expected<SpawnRequest> build_launch_request(const config::AppDef& spec, const Environment& node_env,
                                            const LaunchContext& context) {
  Environment env = node_env;
  // DIRIGENT_* and BATON_* are the node's word on where and what the app is: they win over any
  // variable of the same name, in expansion and in the environment.
  const Environment dirigent = {
      {"DIRIGENT_MACHINEID", context.machine},   {"DIRIGENT_APPID", spec.app},
      {"DIRIGENT_PLAN", context.plan},           {"DIRIGENT_SHAREDCONFDIR", spec.config_dir},
      {"DIRIGENT_MASTER_IP", context.master_ip}, {"BATON_APPMONITOR", context.appmonitor_endpoint},
      {"BATON_LAUNCH_ID", context.launch_id},
  };
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    std::string key(name);
    if (auto it = dirigent.find(key); it != dirigent.end()) return it->second;
    for (const auto& local : spec.env_local) {
      if (local.name == key) return local.value;
    }
    if (auto it = env.find(key); it != env.end()) return it->second;
    return std::nullopt;
  };
  for (const auto& [name, value] : spec.env_set)
    env[name] = config::expand_vars(value, lookup);
  std::string path = env.contains("PATH") ? env["PATH"] : "/usr/local/bin:/usr/bin:/bin";
  for (auto it = spec.path_prepend.rbegin(); it != spec.path_prepend.rend(); ++it) {
    path = config::expand_vars(*it, lookup) + (path.empty() ? "" : ":" + path);
  }
  for (const auto& append : spec.path_append) {
    path = (path.empty() ? "" : path + ":") + config::expand_vars(append, lookup);
  }
  env["PATH"] = path;
  for (const auto& [k, v] : dirigent)
    env[k] = v;

  SpawnRequest request;
  std::string exe = config::expand_vars(spec.exe_full_path, lookup);
  if (exe.empty()) return Error{"app " + spec.app + " has no ExeFullPath"};
  if (exe.find('/') != std::string::npos) {
    exe = resolve_against(spec.config_dir, exe);
  } else if (!spec.config_dir.empty() &&
             ::access((fs::path(spec.config_dir) / exe).c_str(), X_OK) == 0) {
    exe = (fs::path(spec.config_dir) / exe).string();
  }
  auto args = split_command_line(config::expand_vars(spec.cmd_line_args, lookup));
  if (!args) return Error{"app " + spec.app + ": CmdLineArgs: " + args.error().message};
  request.argv.push_back(exe);
  request.argv.insert(request.argv.end(), args->begin(), args->end());
  const std::string dir = config::expand_vars(spec.startup_dir, lookup);
  request.cwd = dir.empty() ? spec.config_dir : resolve_against(spec.config_dir, dir);

  std::vector<std::string> env_entries;
  env_entries.reserve(env.size());
  for (const auto& [k, v] : env)
    env_entries.push_back(k + "=" + v);
  request.env = std::move(env_entries);
  return request;
}

namespace {
std::chrono::milliseconds from_seconds(double seconds) {
  return std::chrono::round<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));
}
}  // namespace

LifecyclePolicy lifecycle_policy(const config::AppDef& spec,
                                 std::chrono::milliseconds backoff_cap) {
  LifecyclePolicy p;
  p.restart_on_crash = spec.restart_on_crash;
  p.max_tries = spec.restart_max_tries;
  p.restart_delay = from_seconds(spec.restart_delay_s);
  const config::InitDetectors& init = spec.init_detectors;
  if (init.timeout_s) p.init_timeout = from_seconds(*init.timeout_s);
  for (const auto& range : init.exit_codes)
    p.init_exit_codes.emplace_back(range.first, range.last);
  p.init_heartbeat = init.heartbeat;
  if (spec.soft_kill_timeout_s) p.soft_kill_timeout = from_seconds(*spec.soft_kill_timeout_s);
  p.backoff_cap = backoff_cap;
  return p;
}

}  // namespace baton::node
