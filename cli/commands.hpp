// The verbs of `baton` (README.md, Command line), one registration function per group of verbs,
// each in its own file; main() calls every one once. A verb's subcommand callback only records the
// verb in CliContext::run: it runs after parsing, when every global option holds its value.
//
// A new verb is one more file with its add_..._command() declared here and one line in main().
#pragma once

#include <CLI/CLI.hpp>
#include <msgpack.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <string>

#include "cli/broker_client.hpp"
#include "cli/cli_context.hpp"

namespace baton::cli {

void add_status_command(CLI::App& app, CliContext& context);    // status
void add_app_commands(CLI::App& app, CliContext& context);      // launch, kill, restart
void add_plan_commands(CLI::App& app, CliContext& context);     // plan ..., plans, reload
void add_machine_commands(CLI::App& app, CliContext& context);  // machines, set-vars, kill-all
void add_watch_command(CLI::App& app, CliContext& context);     // watch
void add_up_command(CLI::App& app, CliContext& context);        // up
void add_keygen_command(CLI::App& app, CliContext& context);    // keygen
void add_top_command(CLI::App& app, CliContext& context);       // top
void add_logs_command(CLI::App& app, CliContext& context);      // logs

// ---- For the verbs ----

// Makes `action` the verb to run when `subcommand` is the one given.
void run_when_chosen(CLI::App* subcommand, CliContext& context, std::function<void()> action);

// --json on `subcommand`.
void add_json_flag(CLI::App* subcommand, bool& json);

// Accepts "machine.app" (config::parse_app_id), else a usage error that says what is wrong.
CLI::Validator app_id_check();

std::chrono::milliseconds timeout_of(const CliContext& context);

// A number above zero, e.g. --count, --for, --interval. (CLI::PositiveNumber would name the
// largest double in its message.)
CLI::Validator above_zero();

// Blocks SIGINT and SIGTERM in this thread, before the ZeroMQ context starts its threads (which
// inherit the mask), so that they reach only a signalfd and Ctrl-C ends a live verb through its
// normal return; unblocks them again.
void set_signals_blocked(bool blocked);

// A broker's result for --json: indented JSON with the wire's field names, then '\n'.
void print_json(const msgpack::object& result);

// Asks the broker `op` and prints the answer: JSON under --json, else render(Result). The result
// is decoded in both forms, so that a malformed answer fails the same way whatever the form.
template <class Result, class Args, class Render>
void request_and_show(const CliContext& context, proto::control::ControlOp op, const Args& args,
                      bool json, Render render) {
  BrokerClient client(context);
  Reply reply = client.request(op, args);
  const Result result = reply.as<Result>();
  if (json) {
    print_json(reply.result());
  } else {
    std::cout << render(result);
  }
}

}  // namespace baton::cli
