#include "node/launch_request.hpp"

#include <unistd.h>

#include <filesystem>

#include "common/os/command_line.hpp"

namespace baton::node {

namespace fs = std::filesystem;

std::string expand_vars(std::string_view text, const VariableLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const std::size_t close = text.find('%', i + 1);
    if (close == std::string_view::npos) {
      out.append(text.substr(i));  // a lone '%' stays
      break;
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    if (name.empty()) {
      out += '%';  // "%%"
    } else if (name.find_first_of(" \t/\\") != std::string_view::npos) {
      out += '%';  // "50% off, 20% more": not a variable; the second '%' may open one
      continue;
    } else {
      out += lookup(name).value_or("");
    }
    i = close;
  }
  return out;
}

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

Expected<SpawnRequest> build_launch_request(const proto::bus::AppSpec& spec,
                                            const Environment& node_env,
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
    if (auto it = spec.env_local.find(key); it != spec.env_local.end()) return it->second;
    if (auto it = env.find(key); it != env.end()) return it->second;
    return std::nullopt;
  };
  for (const auto& [name, value] : spec.env_set)
    env[name] = expand_vars(value, lookup);
  std::string path = env.contains("PATH") ? env["PATH"] : "/usr/local/bin:/usr/bin:/bin";
  for (auto it = spec.path_prepend.rbegin(); it != spec.path_prepend.rend(); ++it) {
    path = expand_vars(*it, lookup) + (path.empty() ? "" : ":" + path);
  }
  for (const auto& append : spec.path_append) {
    path = (path.empty() ? "" : path + ":") + expand_vars(append, lookup);
  }
  env["PATH"] = path;
  for (const auto& [k, v] : dirigent)
    env[k] = v;

  SpawnRequest request;
  std::string exe = expand_vars(spec.exe, lookup);
  if (exe.empty()) return Error{"app " + spec.app + " has no ExeFullPath"};
  if (exe.find('/') != std::string::npos) {
    exe = resolve_against(spec.config_dir, exe);
  } else if (!spec.config_dir.empty() &&
             ::access((fs::path(spec.config_dir) / exe).c_str(), X_OK) == 0) {
    exe = (fs::path(spec.config_dir) / exe).string();
  }
  auto args = split_command_line(expand_vars(spec.args, lookup));
  if (!args) return Error{"app " + spec.app + ": CmdLineArgs: " + args.error().message};
  request.argv.push_back(exe);
  request.argv.insert(request.argv.end(), args->begin(), args->end());
  const std::string dir = expand_vars(spec.startup_dir, lookup);
  request.cwd = dir.empty() ? spec.config_dir : resolve_against(spec.config_dir, dir);

  std::vector<std::string> env_entries;
  env_entries.reserve(env.size());
  for (const auto& [k, v] : env)
    env_entries.push_back(k + "=" + v);
  request.env = std::move(env_entries);
  return request;
}

}  // namespace baton::node
