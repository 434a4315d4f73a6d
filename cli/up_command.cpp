// baton up [SharedConfig.xml] [--plan NAME] [--machine ID]: the broker and the node of this
// machine in one process and one event loop (the node's), the single-machine default. It starts
// the plan, shows a live status table — redrawn in place on a terminal, one line per change
// otherwise — and on Ctrl-C (or SIGTERM) kills the apps and exits. Other `baton` commands work
// against it on its control endpoint.
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "broker/broker.hpp"
#include "cli/commands.hpp"
#include "cli/human_output.hpp"
#include "common/config/shared_config.hpp"
#include "common/log.hpp"
#include "common/net/runtime_folder.hpp"
#include "common/os/signals.hpp"
#include "node/node.hpp"

namespace baton::cli {

namespace {

using namespace std::chrono_literals;

struct UpOptions {
  std::string config = "SharedConfig.xml";
  std::string plan;
  std::string machine;
  // ipc:// in the runtime folder, as baton-broker's defaults: `baton` finds them without --broker.
  std::string control = default_control_endpoint();
  std::string ingest = default_ingest_endpoint();
  std::string bus = default_bus_endpoint();
  std::string group;
  bool insecure = false;
  std::string appmonitor;
  std::string log_dir;
  std::string log_level = "warn";
  double exit_after_s = 0;  // 0: until Ctrl-C
};

std::string short_host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  std::string host = name;
  return host.substr(0, host.find('.'));
}

// Where an unprivileged user's run files go: root uses the system folders of a daemon.
std::string private_folder() {
  const std::string dir = runtime_folder();
  if (auto made = make_runtime_folder(dir); !made) {
    throw CliError(ExitCode::kUsage, made.error().message);
  }
  return dir;
}

// The machine this process is: --machine, else the one machine the config names, else the
// short host name.
std::string choose_machine(const UpOptions& options, const config::SharedConfig& config) {
  if (!options.machine.empty()) return options.machine;
  std::set<std::string> machines;
  for (const auto& id : config.app_ids())
    machines.insert(id.machine);
  if (machines.size() == 1) return *machines.begin();
  return short_host_name();
}

// The live view: the whole table on a terminal, else a line per change of an app or the plan.
class StatusView {
 public:
  StatusView(const broker::Broker& broker, std::string plan, std::string machine)
      : broker_(broker),
        plan_(std::move(plan)),
        machine_(std::move(machine)),
        terminal_(::isatty(STDOUT_FILENO) == 1) {}

  void show() {
    const auto apps = broker_.fleet().all_apps();
    std::string plan_line;
    if (!plan_.empty()) {
      if (auto plan = broker_.plans().status(plan_)) {
        plan_line = "plan " + plan->plan + ": " + plan->status +
                    (plan->reason ? " (" + *plan->reason + ")" : "");
      }
    }
    if (terminal_) {
      std::cout << "\x1b[H\x1b[2J"  // home, clear screen
                << "baton up — machine " << machine_ << ", control " << broker_.control_endpoint()
                << " — Ctrl-C stops everything\n"
                << plan_line << "\n\n"
                << render_app_statuses(apps, now_seconds()) << std::flush;
      return;
    }
    if (plan_line != last_plan_line_ && !plan_line.empty()) std::cout << plan_line << '\n';
    last_plan_line_ = plan_line;
    for (const auto& app : apps) {
      const std::string id = app.state.machine + "." + app.state.app;
      const std::string line = format_flags(app) + " pid " + std::to_string(app.state.pid);
      auto& last = last_lines_[id];
      if (line != last) std::cout << id << ": " << line << '\n';
      last = line;
    }
    std::cout << std::flush;
  }

 private:
  const broker::Broker& broker_;
  std::string plan_;
  std::string machine_;
  bool terminal_;
  std::string last_plan_line_;
  std::map<std::string, std::string> last_lines_;
};

void run_up(const UpOptions& options) {
  auto loaded = config::load_shared_config(options.config);
  if (!loaded) throw CliError(ExitCode::kUsage, loaded.error().message);
  for (const auto& warning : loaded->warnings)
    std::cerr << "warning: " << warning.text() << '\n';
  if (!options.plan.empty() && loaded->find_plan(options.plan) == nullptr) {
    throw CliError(ExitCode::kUsage, "no plan named '" + options.plan + "' in " + options.config);
  }

  // Before the ZeroMQ context starts its threads: they must inherit the blocked mask, so that
  // SIGINT, SIGTERM and SIGCHLD reach the node's signalfd only.
  block_signals({SIGTERM, SIGINT, SIGCHLD});
  ::signal(SIGPIPE, SIG_IGN);
  init_logging("up", spdlog::level::from_str(options.log_level));

  const bool root = ::geteuid() == 0;
  node::NodeOptions node_options;
  node_options.machine = choose_machine(options, *loaded);
  node_options.broker = options.control;
  node_options.log_level = options.log_level;
  node_options.appmonitor.endpoint = !options.appmonitor.empty() ? options.appmonitor
                                     : root                      ? node_options.appmonitor.endpoint
                                            : "ipc://" + private_folder() + "/appmonitor.sock";
  node_options.supervisor.log_dir = !options.log_dir.empty() ? options.log_dir
                                    : root                   ? "/var/log/baton"
                                                             : private_folder() + "/logs";
  node_options.supervisor.machine = node_options.machine;
  node_options.supervisor.appmonitor_endpoint = node_options.appmonitor.endpoint;

  broker::BrokerOptions broker_options;
  broker_options.config_file = options.config;
  broker_options.control = options.control;
  broker_options.ingest = options.ingest;
  broker_options.bus = options.bus;
  broker_options.group = options.group;
  broker_options.insecure = options.insecure;

  node::Node node(node_options);
  broker::Broker broker(broker_options, node.context(), node.loop());
  if (auto started = broker.start(); !started) {
    throw CliError(ExitCode::kUsage, started.error().message);
  }
  std::cout << "baton up: machine " << node_options.machine << ", control "
            << broker.control_endpoint() << ", app logs in " << node_options.supervisor.log_dir
            << ", appmonitor " << node_options.appmonitor.endpoint << std::endl;
  if (!options.plan.empty()) {
    if (auto started = broker.start_plan(options.plan); !started) {
      throw CliError(ExitCode::kRequestFailed, started.error().message);
    }
  }

  StatusView view(broker, options.plan, node_options.machine);
  Timer refresh_timer;
  std::function<void()> refresh = [&] {
    view.show();
    refresh_timer = node.loop().after(500ms, refresh);
  };
  refresh_timer = node.loop().after(200ms, refresh);
  Timer exit_timer;
  if (options.exit_after_s > 0) {
    // The same path as Ctrl-C: the node's signalfd sees it, kills the apps and stops the loop.
    exit_timer = node.loop().after(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::duration<double>(options.exit_after_s)),
                                   [] { ::kill(::getpid(), SIGTERM); });
  }
  const int code = node.run();  // until Ctrl-C / SIGTERM and the apps are gone
  view.show();
  if (code != 0) throw CliError(ExitCode::kUsage, "the node could not start (see above)");
  std::cout << "baton up: stopped" << std::endl;
}

}  // namespace

void add_up_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<UpOptions>();
  CLI::App* up = app.add_subcommand(
      "up",
      "run the broker and this machine's node in one process, start a plan and show the live\n"
      "status; Ctrl-C kills the apps and exits");
  up->add_option("config", options->config, "the SharedConfig.xml to load")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  up->add_option("--plan", options->plan, "the plan to start");
  up->add_option("--machine", options->machine,
                 "this machine's id (default: the one machine the config names, else the short "
                 "host name)");
  up->add_option("--control", options->control,
                 "the broker's control endpoint (what `baton` finds by default)")
      ->capture_default_str();
  up->add_option("--ingest", options->ingest, "the broker's ingest endpoint")
      ->capture_default_str();
  up->add_option("--bus", options->bus, "the broker's bus endpoint")->capture_default_str();
  up->add_option("--group", options->group,
                 "group of the ipc:// socket files (mode 0660): its members may use `baton` "
                 "against this fleet (default: 'baton' when that group exists and this user may "
                 "give files to it, else this user's group)");
  up->add_flag("--insecure", options->insecure,
               "bind tcp:// endpoints (loopback too) although nothing authenticates who connects: "
               "any local user could then launch programs as this user");
  up->add_option("--appmonitor", options->appmonitor,
                 "the node's application monitor endpoint (default: "
                 "ipc:///run/baton/appmonitor.sock as root, else in $XDG_RUNTIME_DIR/baton)");
  up->add_option("--log-dir", options->log_dir,
                 "folder of the apps' output logs (default: /var/log/baton as root, else "
                 "$XDG_RUNTIME_DIR/baton/logs)");
  up->add_option("--log-level", options->log_level, "daemon log level on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  up->add_option("--exit-after", options->exit_after_s,
                 "stop by itself after this many seconds, as Ctrl-C would (0: never)")
      ->check(CLI::NonNegativeNumber);
  run_when_chosen(up, context, [options] { run_up(*options); });
}

}  // namespace baton::cli
