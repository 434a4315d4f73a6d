// appmon_client: a real SDK program for the integration tests. It holds --count registrations and
// behaves as --mode says; it reports progress in --status-file so tests can poll for it.
//   refresh     refresh every registration every tick, forever (also while registering the rest)
//   hang        refresh --refreshes times, then stop refreshing (stay alive)
//   exit        refresh --refreshes times, then exit(0) without unregistering
//   unregister  refresh --refreshes times, unregister, then live --linger-ms without refreshing
// With --stop-index I only registration I stops refreshing (after one refresh); the others go on.
// With --together each round refreshes its registrations with one refresh_all call.
// Exit codes: 0 done, 3 AppMonitorError, 4 std::invalid_argument.
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "baton/appmonitor.hpp"

namespace mon = baton::appmonitor;
using namespace std::chrono;

namespace {
std::string status_file;
void report(const std::string& line) {
  if (status_file.empty()) return;
  // Write-then-rename so a polling test never reads half a line.
  std::string tmp = status_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << line << "\n";
  }
  std::rename(tmp.c_str(), status_file.c_str());
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
    text.replace(at, from.size(), to);
  }
  return text;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"appmon_client: SDK test program"};
  std::string mode = "refresh", action_name = "kill", restart_command, label = "app";
  std::vector<int> timeouts{1000};
  int count = 1, refreshes = 3, linger_ms = 0, stop_index = -1, tick_ms = 0;
  bool ignore_sigterm = false, together = false;
  app.add_option("--mode", mode)->check(CLI::IsMember({"refresh", "hang", "exit", "unregister"}));
  app.add_option("--action", action_name)->check(CLI::IsMember({"kill", "restart", "reboot"}));
  app.add_option("--timeouts", timeouts, "timeout per registration, cycled")->delimiter(',');
  app.add_option("--count", count);
  app.add_option("--refreshes", refreshes);
  app.add_option("--linger-ms", linger_ms);
  app.add_option("--stop-index", stop_index);
  app.add_option("--tick-ms", tick_ms, "refresh period; default: shortest timeout / 4");
  app.add_option("--restart-command", restart_command, "'{label}' becomes LABEL-INDEX");
  app.add_option("--label", label);
  app.add_option("--status-file", status_file);
  app.add_flag("--ignore-sigterm", ignore_sigterm);
  app.add_flag("--together", together, "refresh with one refresh_all call a round");
  CLI11_PARSE(app, argc, argv);
  if (ignore_sigterm) std::signal(SIGTERM, SIG_IGN);
  // Each registration holds a socket: thousands of them need more than 1024 files.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }

  mon::AppMonitorAction action = action_name == "kill"      ? mon::AppMonitorAction::KILL
                                 : action_name == "restart" ? mon::AppMonitorAction::RESTART
                                                            : mon::AppMonitorAction::REBOOT;
  if (tick_ms <= 0) tick_ms = std::max(1, *std::min_element(timeouts.begin(), timeouts.end()) / 4);

  std::vector<mon::AppMonitorHandler> handlers;
  try {
    // Registrations made already are refreshed four times a timeout while the rest register, as
    // a fleet of apps that each register and then refresh would: registering thousands takes
    // longer than a timeout.
    const auto refresh_every =
        milliseconds(std::max(tick_ms, *std::min_element(timeouts.begin(), timeouts.end()) / 4));
    auto last_round = steady_clock::now();
    for (int i = 0; i < count; ++i) {
      std::string command =
          replace_all(restart_command, "{label}", label + "-" + std::to_string(i));
      handlers.push_back(mon::register_app(timeouts[i % timeouts.size()], action, command));
      if (mode == "refresh" && steady_clock::now() - last_round >= refresh_every) {
        for (auto& h : handlers)
          h.refresh();
        last_round = steady_clock::now();
      }
    }
  } catch (const mon::AppMonitorError& e) {
    std::cerr << "AppMonitorError: " << e.what() << std::endl;
    report(std::string("error ") + e.what());
    return 3;
  } catch (const std::invalid_argument& e) {
    std::cerr << "invalid_argument: " << e.what() << std::endl;
    report(std::string("invalid ") + e.what());
    return 4;
  }
  std::cout << "registered " << count << std::endl;

  try {
    for (long round = 0;; ++round) {
      bool all_stopped = mode != "refresh" && round >= refreshes;
      if (all_stopped && mode == "exit") {
        report("exiting");
        return 0;  // without unregistering
      }
      if (all_stopped && mode == "unregister") {
        for (auto& h : handlers)
          h.unregister();
        report("unregistered");
        std::this_thread::sleep_for(milliseconds(linger_ms));
        report("done");
        return 0;
      }
      if (!all_stopped) {
        std::vector<mon::AppMonitorHandler*> due;
        for (int i = 0; i < count; ++i) {
          if (i == stop_index && round >= 1) continue;
          if (together) {
            due.push_back(&handlers[i]);
          } else {
            handlers[i].refresh();
          }
        }
        if (!due.empty()) mon::refresh_all(due.data(), due.size());
        report("refreshed " + std::to_string(round + 1));
      } else if (round == refreshes) {
        report("hanging");
      }
      std::this_thread::sleep_for(milliseconds(tick_ms));
    }
  } catch (const mon::AppMonitorError& e) {
    std::cerr << "AppMonitorError: " << e.what() << std::endl;
    report(std::string("error ") + e.what());
    return 3;
  }
}
