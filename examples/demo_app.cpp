// baton-demo-app: one small program whose modes show what Baton does with an app.
//   heartbeat   registers with the node and refreshes forever (a healthy service)
//   hang        registers, refreshes a few times, then stops refreshing (the watchdog kills it)
//   crash       runs a while, then dies with SIGSEGV-like exit (for RestartOnCrash)
//   exitcode    exits at once with --exit-code (for the ExitCode init detector)
#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "baton/appmonitor.hpp"

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) {
  stop_requested = 1;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace std::chrono;
  namespace mon = baton::appmonitor;
  CLI::App app{"baton-demo-app: a demo application for Baton"};
  std::string mode = "heartbeat";
  int timeout_ms = 2000;
  int refreshes_before_hang = 3;
  int run_ms = 3000;
  int exit_code = 0;
  app.add_option("--mode", mode, "heartbeat, hang, crash or exitcode")
      ->check(CLI::IsMember({"heartbeat", "hang", "crash", "exitcode"}))
      ->capture_default_str();
  app.add_option("--timeout", timeout_ms, "watchdog timeout in ms")->capture_default_str();
  app.add_option("--refreshes", refreshes_before_hang, "hang: refreshes before it hangs")
      ->capture_default_str();
  app.add_option("--run-ms", run_ms, "crash: milliseconds before it crashes")
      ->capture_default_str();
  app.add_option("--exit-code", exit_code, "exitcode: the code to exit with")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  const char* name = std::getenv("DIRIGENT_APPID");
  std::string me = name ? name : mode;
  auto say = [&](const std::string& text) { std::cout << me << ": " << text << std::endl; };

  if (mode == "exitcode") {
    say("exiting with code " + std::to_string(exit_code));
    return exit_code;
  }
  if (mode == "crash") {
    say("running, will crash in " + std::to_string(run_ms) + " ms");
    std::this_thread::sleep_for(milliseconds(run_ms));
    say("crashing");
    std::abort();
  }
  try {
    auto handler = mon::register_app(timeout_ms, mon::AppMonitorAction::KILL);
    say("registered with the node (timeout " + std::to_string(timeout_ms) + " ms)");
    for (int i = 0; !stop_requested; ++i) {
      if (mode == "hang" && i == refreshes_before_hang) {
        say("now hanging: no more refreshes");
        while (!stop_requested)
          std::this_thread::sleep_for(milliseconds(100));
        say("stopped by a signal");
        return 1;
      }
      handler.refresh();
      std::this_thread::sleep_for(milliseconds(timeout_ms / 4));
    }
    handler.unregister();
    say("unregistered, bye");
  } catch (const mon::AppMonitorError& e) {
    std::cerr << me << ": " << e.what() << std::endl;
    return 3;
  }
  return 0;
}
