// baton machines, baton set-vars MACHINE|all K=V..., baton kill-all [MACHINE]: the nodes the
// broker knows and what applies to a whole machine.
#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/human_output.hpp"

namespace baton::cli {

namespace control = proto::control;

namespace {

constexpr const char* kEveryMachine = "all";

CLI::Validator assignment_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto equals = text.find('=');
        if (equals == std::string::npos || equals == 0) {
          return "'" + text + "' is not NAME=VALUE (NAME= unsets NAME)";
        }
        return {};
      },
      "NAME=VALUE");
}

std::string describe_target(const std::string& machine) {
  return machine == kEveryMachine ? "every machine" : machine;
}

void add_machines(CLI::App& app, CliContext& context) {
  auto json = std::make_shared<bool>(false);
  CLI::App* machines = app.add_subcommand(
      "machines", "list the machines of the config and the nodes that said hello");
  add_json_flag(machines, *json);
  run_when_chosen(machines, context, [&context, json] {
    request_and_show<control::MachinesResult>(
        context, control::ControlOp::machines, control::Empty{}, *json,
        [](const control::MachinesResult& result) {
          return render_machines(result.machines, now_seconds());
        });
  });
}

void add_set_vars(CLI::App& app, CliContext& context) {
  struct Options {
    std::string machine;
    std::vector<std::string> assignments;
  };
  auto options = std::make_shared<Options>();
  CLI::App* set_vars = app.add_subcommand(
      "set-vars", "set or unset variables of the nodes' environment, used by later launches");
  set_vars->add_option("machine", options->machine, "a machine id, or 'all' for every machine")
      ->required();
  set_vars->add_option("vars", options->assignments, "NAME=VALUE to set, NAME= to unset")
      ->required()
      ->check(assignment_check());
  run_when_chosen(set_vars, context, [&context, options] {
    // By name, so that a name given twice is sent once, with its last value.
    std::map<std::string, std::string> vars;
    for (const std::string& assignment : options->assignments) {
      const auto equals = assignment.find('=');
      vars[assignment.substr(0, equals)] = assignment.substr(equals + 1);
    }
    control::SetVarsRequest request;
    if (options->machine != kEveryMachine) request.machine = options->machine;
    request.vars = proto::bus::Variables{{vars.begin(), vars.end()}};
    BrokerClient client(context);
    client.request(control::ControlOp::set_vars, request);
    std::cout << "set " << vars.size() << (vars.size() == 1 ? " variable" : " variables") << " on "
              << describe_target(options->machine) << '\n';
  });
}

void add_kill_all(CLI::App& app, CliContext& context) {
  auto machine = std::make_shared<std::string>(kEveryMachine);
  CLI::App* kill_all =
      app.add_subcommand("kill-all", "kill every app of one machine, or of every machine");
  kill_all->add_option("machine", *machine, "a machine id (default: every machine)");
  run_when_chosen(kill_all, context, [&context, machine] {
    control::MachineArgs args;
    if (*machine != kEveryMachine) args.machine = *machine;
    BrokerClient client(context);
    client.request(control::ControlOp::kill_all, args);
    std::cout << "killed every app on " << describe_target(*machine) << '\n';
  });
}

}  // namespace

void add_machine_commands(CLI::App& app, CliContext& context) {
  add_machines(app, context);
  add_set_vars(app, context);
  add_kill_all(app, context);
}

}  // namespace baton::cli
