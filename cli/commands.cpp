#include "cli/commands.hpp"

#include <signal.h>

#include <exception>

#include <iostream>

#include "cli/json_output.hpp"
#include "common/config/app_def.hpp"

namespace baton::cli {

void run_when_chosen(CLI::App* subcommand, CliContext& context, std::function<void()> action) {
  subcommand->callback([&context, action = std::move(action)] { context.run = action; });
}

void add_json_flag(CLI::App* subcommand, bool& json) {
  subcommand->add_flag("--json", json, "print the broker's answer as JSON, with the wire's names");
}

CLI::Validator app_id_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto id = config::parse_app_id(text);
        return id ? std::string() : id.error().message;
      },
      "machine.app");
}

CLI::Validator above_zero() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        try {
          std::size_t used = 0;
          if (std::stod(text, &used) > 0 && used == text.size()) return {};
        } catch (const std::exception&) {
        }
        return "'" + text + "' is not a number above 0";
      },
      "> 0");
}

void set_signals_blocked(bool blocked) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

std::chrono::milliseconds timeout_of(const CliContext& context) {
  return std::chrono::milliseconds(context.timeout_ms);
}

void print_json(const msgpack::object& result) {
  std::cout << dump_json(to_json(result), 2) << '\n';
}

}  // namespace baton::cli
