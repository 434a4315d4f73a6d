// baton logs TARGET... [-n N] [--since TIME] [-f]: the last lines of apps' output logs, read by
// their nodes (the rotated files included when N reaches back); with --since, of the lines written
// since TIME (all of them without -n, like `docker logs`); then with -f every new line, live from
// log/ topics (node/apps/log_stream.hpp), until Ctrl-C. A target is an app (machine.app), a whole
// machine, or a glob over machine.app ids ("m1.web*", "*.db"); with more than one app each line is
// prefixed with its app, like `docker compose logs`.
#include <fnmatch.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/human_output.hpp"
#include "cli/log_follower.hpp"
#include "cli/since_time.hpp"
#include "cli/stdout_writer.hpp"
#include "common/config/app_def.hpp"
#include "common/os/signals.hpp"

namespace baton::cli {

namespace {

namespace bus = proto::bus;
namespace control = proto::control;

using std::chrono::steady_clock;
using namespace std::chrono_literals;

struct LogsOptions {
  std::vector<std::string> targets;
  long long lines = 20;
  bool lines_given = false;
  std::string since;  // TIME as given; empty: no --since
  bool follow = false;
};

// How long -f waits for a node to say it publishes before it shows the tail anyway. Generous: a
// line written in between would be in neither. A machine that is offline is not waited for.
constexpr auto kSubscriptionWait = 10s;
// Text waiting for a slow stdout, past which lines are dropped (and counted).
constexpr std::size_t kMaxBuffered = 8 * 1024 * 1024;

CLI::Validator since_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto since = parse_since(text, now_seconds());
        return since ? std::string() : since.error().message;
      },
      "TIME");
}

// What to ask each app's node for (the app is filled in per app).
control::LogsArgs logs_args(const LogsOptions& options) {
  control::LogsArgs args{{}, static_cast<std::uint32_t>(options.lines), std::nullopt};
  if (!options.since.empty()) {
    auto since = parse_since(options.since, now_seconds());
    if (!since) throw CliError(ExitCode::kUsage, since.error().message);
    args.since = *since;
    // All lines since TIME unless -n says how many of them.
    if (!options.lines_given) args.lines = bus::kMaxTailLines;
  }
  return args;
}

// The tail of `app`: a clear error when a node or broker too old for --since answered without it.
bus::TailResult ask_tail(BrokerClient& client, control::LogsArgs args, const std::string& app) {
  args.app = app;
  auto tail = client.call<bus::TailResult>(control::ControlOp::logs, args);
  if (args.since && !tail.since) {
    throw CliError(ExitCode::kRequestFailed,
                   app + ": its node or the broker is too old for --since");
  }
  return tail;
}

bool is_glob(const std::string& target) {
  return target.find_first_of("*?[") != std::string::npos;
}

// The apps the targets name, in the order given, each once. With `known_only`, an app the broker
// does not know is an error here (-f asks its node for nothing before the tail would say so).
std::vector<std::string> resolve(BrokerClient& client, const std::vector<std::string>& targets,
                                 bool known_only, std::set<std::string>* offline = nullptr) {
  std::vector<std::string> all;
  const bool need_list =
      known_only || std::any_of(targets.begin(), targets.end(), [](const std::string& t) {
        return is_glob(t) || t.find('.') == std::string::npos;
      });
  if (need_list) {
    for (const auto& app :
         client
             .call<control::AllAppsResult>(control::ControlOp::get_all_apps_state, control::Empty{})
             .apps) {
      all.push_back(app.state.machine + "." + app.state.app);
      if (offline && !app.online) offline->insert(all.back());
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
      if (known_only && std::find(all.begin(), all.end(), target) == all.end()) {
        throw CliError(ExitCode::kRequestFailed, "unknown app " + target);
      }
      apps.push_back(target);  // else the broker says when it is unknown
    }
  }
  return apps;
}

// Receives what the SUB socket holds now into the follower.
void receive(zmq::socket_t& subscriber, LogFollower& follower) {
  for (int budget = 0; budget < 1000; ++budget) {
    zmq::message_t topic;
    if (!subscriber.recv(topic, zmq::recv_flags::dontwait)) return;
    if (!topic.more()) continue;
    zmq::message_t payload;
    if (!subscriber.recv(payload, zmq::recv_flags::dontwait)) return;
    if (payload.more()) {  // more than two frames: not a bus message, dropped whole
      zmq::message_t rest;
      do {
        if (!subscriber.recv(rest, zmq::recv_flags::dontwait)) return;
      } while (rest.more());
      continue;
    }
    auto lines = proto::decode_frame<bus::LogLines>(payload.data(), payload.size(),
                                                    proto::bulk_frame_limits());
    if (!lines) {
      std::cerr << "baton: ignored a malformed message on " << topic.to_string() << ": "
                << lines.error().message << std::endl;
      continue;
    }
    follower.take(*lines);
  }
}

// Subscribes first, waits until each node says it publishes, then shows the tails: no line falls
// between the tail and the live lines, and none comes twice (LogFollower).
void follow(const CliContext& context, const LogsOptions& options) {
  set_signals_blocked(true);
  SignalFd signals({SIGINT, SIGTERM});
  BrokerClient client(context);
  set_signals_blocked(false);
  std::set<std::string> offline;
  const auto apps = resolve(client, options.targets, true, &offline);
  const std::string bus_endpoint = client.bus_endpoint();
  set_signals_blocked(true);

  zmq::socket_t subscriber = client.bus_subscriber(bus_endpoint);
  for (const auto& app : apps) {
    auto id = config::parse_app_id(app);
    subscriber.set(zmq::sockopt::subscribe, bus::log_topic(id->machine, id->app));
  }

  const control::LogsArgs args = logs_args(options);
  LogFollower follower(apps, kMaxBuffered);
  StdoutWriter out;
  const auto deadline = steady_clock::now() + kSubscriptionWait;
  std::vector<std::string> waiting = apps;  // for their tail
  for (;;) {
    // A tail as soon as the app's node publishes; the rest at the deadline.
    const bool late = steady_clock::now() >= deadline;
    std::erase_if(waiting, [&](const std::string& app) {
      if (!late && !follower.heard_from(app) && !offline.contains(app)) return false;
      follower.tail(app, ask_tail(client, args, app));
      return true;
    });
    const bool has_output = !follower.pending().empty();
    zmq::pollitem_t items[] = {{subscriber.handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, signals.fd(), ZMQ_POLLIN, 0},
                               {nullptr, out.fd(), ZMQ_POLLOUT, 0}};
    auto wait = std::chrono::milliseconds(-1);
    if (!waiting.empty()) {
      wait = std::max(0ms,
                      std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now()));
    }
    zmq::poll(items, has_output ? 3 : 2, wait);
    if (items[1].revents & ZMQ_POLLIN) return;
    if (items[0].revents & ZMQ_POLLIN) receive(subscriber, follower);
    if (has_output && (items[2].revents & (ZMQ_POLLOUT | ZMQ_POLLERR))) {
      auto written = out.write_some(follower.pending());
      if (!written) throw CliError(ExitCode::kRequestFailed, written.error().message);
      follower.consumed(*written);
    }
  }
}

void run_logs(const CliContext& context, const LogsOptions& options) {
  if (options.follow) return follow(context, options);
  BrokerClient client(context);
  const auto apps = resolve(client, options.targets, false);
  const bool prefixed = apps.size() > 1;
  std::size_t width = 0;
  for (const auto& app : apps)
    width = std::max(width, app.size());
  const control::LogsArgs args = logs_args(options);
  for (const auto& app : apps) {
    const auto tail = ask_tail(client, args, app);
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
      "logs",
      "the last lines of apps' output, from their nodes' log files (rotated ones too); -f follows");
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
  logs->add_flag("-f,--follow", options->follow,
                 "then every new line as the apps write it, until Ctrl-C; lines that could not "
                 "be shown in time are counted (\"… 12 lines dropped …\")");
  run_when_chosen(logs, context, [&context, options, lines] {
    options->lines_given = lines->count() > 0;
    run_logs(context, *options);
  });
}

}  // namespace baton::cli
