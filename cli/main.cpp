// baton: the operator's command line (README.md, Command line). It speaks the control protocol to
// the broker (common/proto/control.hpp) and reads its bus for `watch`.
#include <CLI/CLI.hpp>

#include "common/parse_command_line.hpp"

#include <exception>
#include <iostream>

#include "cli/cli_context.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace baton::cli;
  CLI::App app{
      "baton: the Baton command line. It asks the broker about apps, plans and machines, gives it\n"
      "orders, and watches its bus."};
  app.set_version_flag("--version", "baton " BATON_VERSION);
  // Set before the verbs are added, which inherit it: global options may follow the verb
  // (baton status --broker EP) as well as precede it.
  app.fallthrough();
  app.require_subcommand(1);

  CliContext context;
  app.add_option("--broker", context.broker,
                 "the broker's control endpoint (default: ipc://$XDG_RUNTIME_DIR/baton/"
                 "control.sock when this user runs a broker, else ipc:///run/baton/control.sock; "
                 "tcp:// needs --key and --broker-key unless the broker is --insecure)")
      ->envname("BATON_BROKER")
      ->capture_default_str();
  app.add_option("--timeout", context.timeout_ms,
                 "longest wait, in ms, for the broker's answer to each request")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  app.add_option("--key", context.key_file,
                 "this client's key pair (NAME.key of baton keygen), for a broker that "
                 "authenticates its peers")
      ->envname("BATON_KEY");
  app.add_option("--broker-key", context.broker_key,
                 "the broker's public key: the 40 characters, or its .pub file")
      ->envname("BATON_BROKER_KEY");

  add_status_command(app, context);
  add_app_commands(app, context);
  add_plan_commands(app, context);
  add_machine_commands(app, context);
  add_watch_command(app, context);
  add_up_command(app, context);
  add_keygen_command(app, context);
  add_top_command(app, context);
  add_logs_command(app, context);

  app.footer(
      "Access: the broker's ipc:// socket admits its own user and the members of one group\n"
      "(baton-broker --group, 'baton' by default); others get 'permission denied' and exit 1.\n"
      "From another machine, or without the group: --broker tcp://... with CURVE keys.\n"
      "Exit codes: 0 done, 1 the request failed or was refused (its reason on stderr: the\n"
      "broker's, a refused key, no permission on the broker's socket), 2 usage error, 3 the\n"
      "broker is unreachable (no answer in time).");

  if (const auto exit_code = baton::parse_command_line(app, argc, argv)) {
    return *exit_code == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }

  if (!context.run) {  // a group such as `plan` requires its own verb; this is a safety net
    std::cerr << app.help();
    return static_cast<int>(ExitCode::kUsage);
  }
  try {
    context.run();
    return static_cast<int>(ExitCode::kDone);
  } catch (const CliError& e) {
    std::cout.flush();
    std::cerr << "baton: " << e.what() << '\n';
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {  // a socket call that failed: the request did not happen
    std::cout.flush();
    std::cerr << "baton: " << e.what() << '\n';
    return static_cast<int>(ExitCode::kRequestFailed);
  }
}
