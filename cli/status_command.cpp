// baton status [machine.app] [--json]: the broker's last known state of one app or of every app
// its config names, launched or not (get_app_state, get_all_apps_state).
#include <memory>

#include "cli/commands.hpp"
#include "cli/human_output.hpp"

namespace baton::cli {

namespace control = proto::control;

namespace {

struct StatusOptions {
  std::string app;  // empty: every app
  bool json = false;
};

void run_status(const CliContext& context, const StatusOptions& options) {
  if (options.app.empty()) {
    request_and_show<control::AllAppsResult>(context, control::ControlOp::get_all_apps_state,
                                             control::Empty{}, options.json,
                                             [](const control::AllAppsResult& all) {
                                               return render_app_statuses(all.apps, now_seconds());
                                             });
  } else {
    request_and_show<control::AppStateResult>(
        context, control::ControlOp::get_app_state, control::AppArgs{options.app}, options.json,
        [](const control::AppStateResult& one) {
          return render_app_statuses({one.app}, now_seconds());
        });
  }
}

}  // namespace

void add_status_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* status = app.add_subcommand(
      "status", "show one app, or every app the broker's config names (launched or not)");
  status->add_option("app", options->app, "the app as machine.app (default: every app)")
      ->check(app_id_check());
  add_json_flag(status, options->json);
  run_when_chosen(status, context, [&context, options] { run_status(context, *options); });
}

}  // namespace baton::cli
