// baton logs TARGET... [-n N]: the last lines of apps' output logs, read by their nodes (the
// rotated files included when N reaches back). A target is an app (machine.app), a whole machine,
// or a glob over machine.app ids ("m1.web*", "*.db"); with more than one app each line is
// prefixed with its app, like `docker compose logs`.
#include <fnmatch.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace baton::cli {

namespace {

namespace bus = proto::bus;
namespace control = proto::control;

struct LogsOptions {
  std::vector<std::string> targets;
  long long lines = 20;
};

bool is_glob(const std::string& target) {
  return target.find_first_of("*?[") != std::string::npos;
}

// The apps the targets name, in the order given, each once.
std::vector<std::string> resolve(BrokerClient& client, const std::vector<std::string>& targets) {
  std::vector<std::string> all;
  const bool need_list = std::any_of(targets.begin(), targets.end(), [](const std::string& t) {
    return is_glob(t) || t.find('.') == std::string::npos;
  });
  if (need_list) {
    for (const auto& app :
         client
             .call<control::AllAppsResult>(control::ControlOp::get_all_apps_state, control::Empty{})
             .apps) {
      all.push_back(app.state.machine + "." + app.state.app);
    }
  }
  std::vector<std::string> apps;
  // Adds the ids `matches` accepts (each once); false when it accepts none.
  auto add_matching = [&](const std::function<bool(const std::string&)>& matches) {
    bool any = false;
    for (const auto& id : all) {
      if (!matches(id)) continue;
      any = true;
      if (std::find(apps.begin(), apps.end(), id) == apps.end()) apps.push_back(id);
    }
    return any;
  };
  for (const auto& target : targets) {
    if (is_glob(target)) {
      if (!add_matching([&](const std::string& id) {
            return ::fnmatch(target.c_str(), id.c_str(), 0) == 0;
          })) {
        throw CliError(ExitCode::kRequestFailed, "no app matches '" + target + "'");
      }
    } else if (target.find('.') == std::string::npos) {
      if (!add_matching([&](const std::string& id) { return id.starts_with(target + "."); })) {
        throw CliError(ExitCode::kRequestFailed, "unknown machine " + target);
      }
    } else if (std::find(apps.begin(), apps.end(), target) == apps.end()) {
      apps.push_back(target);  // the broker says when it is unknown
    }
  }
  return apps;
}

void run_logs(const CliContext& context, const LogsOptions& options) {
  BrokerClient client(context);
  const auto apps = resolve(client, options.targets);
  const bool prefixed = apps.size() > 1;
  std::size_t width = 0;
  for (const auto& app : apps)
    width = std::max(width, app.size());
  for (const auto& app : apps) {
    const auto tail = client.call<bus::TailResult>(
        control::ControlOp::logs,
        control::LogsArgs{app, static_cast<std::uint32_t>(options.lines)});
    if (tail.truncated) {
      std::cerr << "baton: " << app << ": only the last " << tail.lines.size()
                << " lines: the answer's size limit\n";
    }
    for (const auto& line : tail.lines) {
      if (prefixed) std::cout << app << std::string(width - app.size(), ' ') << " | ";
      std::cout << line << '\n';
    }
  }
  std::cout << std::flush;
}

}  // namespace

void add_logs_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<LogsOptions>();
  CLI::App* logs = app.add_subcommand(
      "logs", "the last lines of apps' output, from their nodes' log files (rotated ones too)");
  logs->add_option("target", options->targets,
                   "machine.app, a machine (all its apps), or a glob such as 'm1.web*'")
      ->required();
  logs->add_option("-n,--lines", options->lines, "how many lines of each app")
      ->check(CLI::Range(0LL, static_cast<long long>(bus::kMaxTailLines)))
      ->capture_default_str();
  run_when_chosen(logs, context, [&context, options] { run_logs(context, *options); });
}

}  // namespace baton::cli
