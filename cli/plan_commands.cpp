// baton plan start|stop|kill|restart|status NAME, baton plans, baton reload: the broker's launch
// plans (docs/app-states.md, Plans) and the SharedConfig.xml they come from.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/human_output.hpp"

namespace baton::cli {

namespace control = proto::control;

namespace {

struct PlanVerb {
  const char* name;  // the subcommand of `baton plan`
  control::ControlOp op;
  const char* help;
  const char* done;
};

// The broker runs a plan in the background: these answer once it has taken the order, and
// `baton plan status` or `baton watch plan/` follow the plan from there.
constexpr PlanVerb kPlanVerbs[] = {
    {"start", control::ControlOp::plan_start, "launch the plan's apps in dependency order",
     "start accepted"},
    {"stop", control::ControlOp::plan_stop, "stop launching the plan's apps (running apps stay)",
     "stop accepted"},
    {"kill", control::ControlOp::plan_kill, "kill the plan's apps", "kill accepted"},
    {"restart", control::ControlOp::plan_restart,
     "kill the plan, wait for it to be down, start it again", "restart accepted"},
};

struct NamedPlanOptions {
  std::string name;
  bool json = false;
};

void add_plan_verbs(CLI::App& plan, CliContext& context) {
  for (const PlanVerb& verb : kPlanVerbs) {
    auto name = std::make_shared<std::string>();
    CLI::App* command = plan.add_subcommand(verb.name, verb.help);
    command->add_option("name", *name, "the plan's Name in SharedConfig.xml")->required();
    run_when_chosen(command, context, [&context, name, verb] {
      BrokerClient client(context);
      client.request(verb.op, control::PlanArgs{*name});
      std::cout << "plan " << *name << ": " << verb.done << '\n';
    });
  }

  auto options = std::make_shared<NamedPlanOptions>();
  CLI::App* status =
      plan.add_subcommand("status", "show the plan's status and how far it got with each app");
  status->add_option("name", options->name, "the plan's Name in SharedConfig.xml")->required();
  add_json_flag(status, options->json);
  run_when_chosen(status, context, [&context, options] {
    request_and_show<control::PlanState>(context, control::ControlOp::plan_status,
                                         control::PlanArgs{options->name}, options->json,
                                         render_plan_state);
  });
}

}  // namespace

void add_plan_commands(CLI::App& app, CliContext& context) {
  CLI::App* plan = app.add_subcommand("plan", "start, stop, kill, restart or show one plan");
  plan->require_subcommand(1);
  add_plan_verbs(*plan, context);

  auto plans_json = std::make_shared<bool>(false);
  CLI::App* plans = app.add_subcommand("plans", "list the plans with their status");
  add_json_flag(plans, *plans_json);
  run_when_chosen(plans, context, [&context, plans_json] {
    request_and_show<control::PlansResult>(
        context, control::ControlOp::plans, control::Empty{}, *plans_json,
        [](const control::PlansResult& result) { return render_plans(result.plans); });
  });

  auto reload_json = std::make_shared<bool>(false);
  CLI::App* reload = app.add_subcommand(
      "reload", "make the broker read its SharedConfig.xml again and deploy what changed");
  add_json_flag(reload, *reload_json);
  run_when_chosen(reload, context, [&context, reload_json] {
    request_and_show<control::ReloadResult>(context, control::ControlOp::reload, control::Empty{},
                                            *reload_json, render_reload);
  });
}

}  // namespace baton::cli
