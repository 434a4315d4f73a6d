#include "harness/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

#include "node/process/spawn.hpp"

namespace baton::harness {

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

}  // namespace baton::harness
