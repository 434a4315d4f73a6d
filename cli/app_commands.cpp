// baton launch|kill|restart machine.app: one app, through the broker to the node that owns it.
// The broker answers once that node has, so success means the node did it.
#include <iostream>
#include <memory>

#include "cli/broker_client.hpp"
#include "cli/commands.hpp"

namespace baton::cli {

namespace control = proto::control;

namespace {

struct AppVerb {
  control::ControlOp op;  // its name is the subcommand's
  const char* help;
  const char* done;  // what the success line says happened
};

constexpr AppVerb kAppVerbs[] = {
    {control::ControlOp::launch, "start an app (its RestartOnCrash and init detection apply)",
     "launched"},
    {control::ControlOp::kill, "kill an app (it stays down until launched again)", "killed"},
    {control::ControlOp::restart, "kill an app, then launch it again", "restarted"},
};

}  // namespace

void add_app_commands(CLI::App& app, CliContext& context) {
  for (const AppVerb& verb : kAppVerbs) {
    auto app_id = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand(std::string(proto::to_name(verb.op)), verb.help);
    command->add_option("app", *app_id, "the app as machine.app")
        ->required()
        ->check(app_id_check());
    run_when_chosen(command, context, [&context, app_id, verb] {
      BrokerClient client(context);
      client.request(verb.op, control::AppArgs{*app_id});
      std::cout << *app_id << ": " << verb.done << '\n';
    });
  }
}

}  // namespace baton::cli
