#include "tests/support/test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "node/process/spawn.hpp"

namespace baton::test {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= end) return condition();
    std::this_thread::sleep_for(5ms);
  }
}

bool pump_until(const std::function<void()>& pump, const std::function<bool()>& condition,
                std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    pump();
  }
  return true;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::size_t count_occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

bool file_exists(const std::string& path) {
  return std::filesystem::exists(path);
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "baton-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

namespace {

// Whether a process's environment (NUL-separated) marks it as launched by a node (BATON_LAUNCH_ID)
// of a test whose folder is `folder`: its appmonitor socket or config folder is in it.
bool launched_for(const std::string& environment, const std::string& folder) {
  bool launched = false, ours = false;
  std::size_t start = 0;
  while (start < environment.size()) {
    std::size_t end = environment.find('\0', start);
    if (end == std::string::npos) end = environment.size();
    const std::string_view entry(environment.data() + start, end - start);
    launched = launched || entry.starts_with("BATON_LAUNCH_ID=");
    const std::size_t at = entry.find(folder);
    ours = ours || (at != std::string_view::npos &&
                    (at + folder.size() == entry.size() || entry[at + folder.size()] == '/'));
    start = end + 1;
  }
  return launched && ours;
}

}  // namespace

TempDir::~TempDir() {
  // The apps a test's nodes launched outlive a node killed with SIGKILL (by design: a restarted
  // node adopts them), so they are ended here with the folder they belong to.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == ::getpid()) continue;
    // read_file(), not an istreambuf_iterator: the read of a process that exits meanwhile fails
    // (ESRCH), and an ifstream's underflow throws that, here out of a destructor.
    if (launched_for(read_file((entry.path() / "environ").string()), path_)) ::kill(pid, SIGKILL);
  }
  std::filesystem::remove_all(path_, ec);
}

ChildProcess::ChildProcess(std::vector<std::string> argv, Options options) {
  SpawnRequest request;
  request.argv = std::move(argv);
  std::vector<std::string> env;
  for (const auto& entry : current_environment()) {
    std::string key = entry.substr(0, entry.find('='));
    bool dropped = options.env.contains(key);
    for (const auto& unset : options.unset_env)
      dropped = dropped || unset == key;
    if (!dropped) env.push_back(entry);
  }
  for (const auto& [k, v] : options.env)
    env.push_back(k + "=" + v);
  request.env = std::move(env);
  int out = -1;
  if (!options.output_file.empty()) {
    out = ::open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  request.stdout_fd = out;
  request.stderr_fd = out;
  auto pid = spawn(request);
  if (out >= 0) ::close(out);
  if (!pid)
    throw std::runtime_error("cannot start " + request.argv[0] + ": " + pid.error().message);
  pid_ = *pid;
  auto pidfd = Pidfd::open(pid_);
  if (pidfd) pidfd_.emplace(std::move(pidfd).value());
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)), status_(other.status_) {
  other.pidfd_.reset();
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
}

bool ChildProcess::running() {
  if (status_) return false;
  int status;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decode_wait_status(status);
    return false;
  }
  return true;
}

std::optional<ExitStatus> ChildProcess::wait_exit(std::chrono::milliseconds deadline) {
  if (status_) return status_;
  if (pidfd_) {
    pollfd p{pidfd_->fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline.count())) <= 0) return std::nullopt;
  } else if (!wait_until([&] { return !running(); }, deadline)) {
    return std::nullopt;
  }
  running();
  return status_;
}

void ChildProcess::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<ExitStatus> ChildProcess::terminate(std::chrono::milliseconds deadline) {
  signal(SIGTERM);
  if (auto status = wait_exit(deadline)) return status;
  signal(SIGKILL);
  return wait_exit(deadline);
}

std::string binary_path(const std::string& name) {
  return std::string(BATON_BINARY_DIR) + "/" + name;
}

NodeProcess::NodeProcess(const TempDir& dir, std::vector<std::string> extra_args,
                         const std::string& machine)
    : endpoint_("ipc://" + dir.path() + "/" + machine + ".sock"),
      socket_path_(dir.path() + "/" + machine + ".sock"),
      log_path_(dir.path() + "/node-" + machine + ".log"),
      log_dir_(dir.path() + "/logs-" + machine),
      process_(
          [&] {
            std::vector<std::string> argv{binary_path("baton-node"),
                                          "--machine",
                                          machine,
                                          "--appmonitor",
                                          endpoint_,
                                          "--log-dir",
                                          log_dir_,
                                          "--state-dir",
                                          dir.path() + "/state-" + machine};
            argv.insert(argv.end(), extra_args.begin(), extra_args.end());
            return argv;
          }(),
          ChildProcess::Options{{}, {}, log_path_}) {
  if (!wait_until([&] { return file_exists(socket_path_) || !process_.running(); })) {
    throw std::runtime_error("baton-node did not start: " + log());
  }
  if (!process_.running()) throw std::runtime_error("baton-node exited: " + log());
}

bool NodeProcess::log_contains(const std::string& text) const {
  return log().find(text) != std::string::npos;
}

}  // namespace baton::test
