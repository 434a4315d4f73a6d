// baton logs TARGET... [-n N] [--since TIME]: the last lines of apps' output logs, read by their
// nodes (the rotated files included when N reaches back); with --since, of the lines written since
// TIME (all of them without -n, like `docker logs`). A target is an app (machine.app), a whole
// machine, or a glob over machine.app ids ("m1.web*", "*.db"); with more than one app each line is
// prefixed with its app, like `docker compose logs`.
#include <fnmatch.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/human_output.hpp"
#include "cli/since_time.hpp"

namespace baton::cli {

namespace {

namespace bus = proto::bus;
namespace control = proto::control;

struct LogsOptions {
  std::vector<std::string> targets;
  long long lines = 20;
  bool lines_given = false;
  std::string since;  // TIME as given; empty: no --since
};

CLI::Validator since_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto since = parse_since(text, now_seconds());
        return since ? std::string() : since.error().message;
      },
      "TIME");
}

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
  control::LogsArgs args{{}, static_cast<std::uint32_t>(options.lines), std::nullopt};
  if (!options.since.empty()) {
    auto since = parse_since(options.since, now_seconds());
    if (!since) throw CliError(ExitCode::kUsage, since.error().message);
    args.since = *since;
    // All lines since TIME unless -n says how many of them.
    if (!options.lines_given) args.lines = bus::kMaxTailLines;
  }
  for (const auto& app : apps) {
    args.app = app;
    const auto tail = client.call<bus::TailResult>(control::ControlOp::logs, args);
    if (args.since && !tail.since) {
      throw CliError(ExitCode::kRequestFailed,
                     app + ": its node or the broker is too old for --since");
    }
    if (tail.truncated) {
      std::cerr << "baton: " << app << ": only the last " << tail.lines.size()
                << " lines: the answer's size limit\n";
    } else if (args.since && !options.lines_given && tail.lines.size() >= bus::kMaxTailLines) {
      std::cerr << "baton: " << app << ": only the last " << tail.lines.size()
                << " lines: the most one answer holds\n";
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
  CLI::Option* lines =
      logs->add_option("-n,--lines", options->lines,
                       "how many lines of each app (with --since: of the lines since TIME, all of "
                       "them by default, up to " +
                           std::to_string(bus::kMaxTailLines) + ")")
          ->check(CLI::Range(0LL, static_cast<long long>(bus::kMaxTailLines)))
          ->capture_default_str();
  logs->add_option("--since", options->since,
                   "only the lines written since TIME: " + std::string(kSinceForms) +
                       ". Recent output is placed to a quarter second, older to a few percent "
                       "(a few lines too many rather than one too few); output from before the "
                       "node started goes by whole files, those modified since TIME")
      ->check(since_check());
  run_when_chosen(logs, context, [&context, options, lines] {
    options->lines_given = lines->count() > 0;
    run_logs(context, *options);
  });
}

}  // namespace baton::cli
