// baton top [MACHINE] [--sort cpu|mem] [--interval S] [--count N]: the running apps, the busiest
// first, from the broker's last usage reports. On a terminal the table is redrawn in place and
// `q` or Ctrl-C ends it; otherwise one snapshot is printed per interval (blank line between).
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/human_output.hpp"
#include "common/os/signals.hpp"

namespace baton::cli {

namespace {

namespace control = proto::control;

struct TopOptions {
  std::string machine;  // "": every machine
  std::string sort = "cpu";
  double interval = 2;
  std::optional<long long> count;
};

// Keys without Enter and without echo while top runs; the terminal as it was afterwards.
class KeysWithoutEnter {
 public:
  KeysWithoutEnter() {
    if (::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~KeysWithoutEnter() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  KeysWithoutEnter(const KeysWithoutEnter&) = delete;
  KeysWithoutEnter& operator=(const KeysWithoutEnter&) = delete;
  bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_ = false;
};

// The rows that fit the terminal below the summary and the header, 0 when it does not say.
std::size_t terminal_rows() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_row < 4) return 0;
  return size.ws_row - 3;
}

void run_top(const CliContext& context, const TopOptions& options) {
  set_signals_blocked(true);
  SignalFd signals({SIGINT, SIGTERM});
  BrokerClient client(context);
  if (!options.machine.empty()) {
    const auto known =
        client.call<control::MachinesResult>(control::ControlOp::machines, control::Empty{});
    const bool found =
        std::any_of(known.machines.begin(), known.machines.end(),
                    [&](const auto& m) { return m.node.machine == options.machine; });
    if (!found) throw CliError(ExitCode::kRequestFailed, "unknown machine " + options.machine);
  }
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  KeysWithoutEnter keys;
  const auto interval = std::chrono::milliseconds(static_cast<long long>(options.interval * 1000));
  for (long long shown = 0;;) {
    const auto apps = client.call<control::AllAppsResult>(control::ControlOp::get_all_apps_state,
                                                          control::Empty{});
    const std::string table = render_top(apps.apps, options.machine, options.sort == "mem",
                                         terminal ? terminal_rows() : 0, now_seconds());
    if (terminal) {
      // Home, each line over the last snapshot's (erasing the rest of the line), then the rest of
      // the screen erased: no blank frame between two snapshots, so nothing flickers.
      std::string frame = "\x1b[H";
      for (std::size_t start = 0; start < table.size();) {
        const std::size_t end = table.find('\n', start);
        frame += table.substr(start, end - start) + "\x1b[K\n";
        start = end == std::string::npos ? table.size() : end + 1;
      }
      std::cout << frame << "\x1b[J" << std::flush;
    } else {
      std::cout << (shown > 0 ? "\n" : "") << table << std::flush;
    }
    if (options.count && ++shown >= *options.count) return;

    // Until the next snapshot: a signal or `q` ends it, any other key is ignored.
    const auto next = std::chrono::steady_clock::now() + interval;
    for (;;) {
      const auto wait =
          std::chrono::ceil<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
      if (wait.count() <= 0) break;
      pollfd fds[] = {{signals.fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
      if (::poll(fds, keys.active() ? 2 : 1, static_cast<int>(wait.count())) <= 0) continue;
      if (fds[0].revents & POLLIN) return;
      if (keys.active() && (fds[1].revents & POLLIN)) {
        char key = 0;
        if (::read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q')) return;
      }
    }
  }
}

}  // namespace

void add_top_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<TopOptions>();
  CLI::App* top =
      app.add_subcommand("top", "the running apps, the busiest first, live; q or Ctrl-C ends it");
  top->add_option("machine", options->machine, "only this machine's apps");
  top->add_option("--sort", options->sort, "cpu or mem")
      ->check(CLI::IsMember({"cpu", "mem"}))
      ->capture_default_str();
  top->add_option("--interval", options->interval, "seconds between two snapshots")
      ->check(above_zero())
      ->capture_default_str();
  top->add_option("--count", options->count, "stop after this many snapshots")->check(above_zero());
  run_when_chosen(top, context, [&context, options] { run_top(context, *options); });
}

}  // namespace baton::cli
