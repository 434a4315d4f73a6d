#include "node/process/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "common/os/unique_fd.hpp"

extern char** environ;

namespace baton {

namespace {

// What the child reports through the exec pipe when it cannot exec.
struct ChildFailure {
  int stage;
  int error;
};
enum Stage { kChdir = 1, kSetgid, kSetuid, kStdio, kExec };

const char* stage_name(int stage) {
  switch (stage) {
    case kChdir:
      return "cannot enter directory";
    case kSetgid:
      return "cannot switch group";
    case kSetuid:
      return "cannot switch user";
    case kStdio:
      return "cannot set up stdout/stderr";
    default:
      return "cannot execute";
  }
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void child_fail(int pipe_fd, int stage) {
  ChildFailure failure{stage, errno};
  [[maybe_unused]] ssize_t n = ::write(pipe_fd, &failure, sizeof failure);
  ::_exit(127);
}

// What the child reads, all prepared by the parent.
struct ChildSetup {
  const SpawnRequest* request;
  char* const* argv;
  char* const* envp;
  const std::vector<std::string>* candidates;
  int write_fd;
};

// The child, between clone and exec. It shares the parent's memory (CLONE_VM) while the parent
// waits (CLONE_VFORK), like glibc's posix_spawn: only system calls here, nothing that allocates or
// takes a lock, and nothing written that the parent reads but the pipe.
int child_main(void* arg) {
  const ChildSetup& setup = *static_cast<const ChildSetup*>(arg);
  const SpawnRequest& request = *setup.request;
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Without CLONE_SIGHAND the child has its own copy of the dispositions.
  for (int sig = 1; sig < NSIG; ++sig)
    ::signal(sig, SIG_DFL);
  if (request.new_session) ::setsid();
  // Lowering the priority back always works; a failure leaves the caller's, which is no reason
  // not to start the app.
  if (request.nice) ::setpriority(PRIO_PROCESS, 0, *request.nice);
  int null_fd = ::open("/dev/null", O_RDWR);
  int out = request.stdout_fd >= 0 ? request.stdout_fd : null_fd;
  int err = request.stderr_fd >= 0 ? request.stderr_fd : null_fd;
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) {
    child_fail(setup.write_fd, kStdio);
  }
  if (!request.cwd.empty() && ::chdir(request.cwd.c_str()) != 0) {
    child_fail(setup.write_fd, kChdir);
  }
  if (request.gid) {
    if (::setgroups(0, nullptr) != 0 && errno != EPERM) child_fail(setup.write_fd, kSetgid);
    if (::setgid(*request.gid) != 0) child_fail(setup.write_fd, kSetgid);
  }
  if (request.uid && ::setuid(*request.uid) != 0) child_fail(setup.write_fd, kSetuid);
  // Descriptors the node holds (sockets, pidfds, logs) must not leak into apps.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  int exec_errno = ENOENT;
  for (const auto& candidate : *setup.candidates) {
    ::execve(candidate.c_str(), setup.argv, setup.envp);
    // Keep the most telling error: EACCES beats ENOENT from other PATH entries.
    if (errno != ENOENT || exec_errno == ENOENT) exec_errno = errno;
  }
  errno = exec_errno;
  child_fail(setup.write_fd, kExec);
}

}  // namespace

std::vector<std::string> shell_argv(const std::string& command) {
  return {"/bin/sh", "-c", command};
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    env.emplace_back(*e);
  return env;
}

Expected<pid_t> spawn(const SpawnRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) return Error{"empty command line"};

  // Everything the child needs is prepared before the clone: between clone and exec only
  // async-signal-safe calls are allowed (the parent has ZeroMQ threads).
  std::vector<char*> argv = c_strings(request.argv);
  std::vector<std::string> env_strings = request.env ? *request.env : current_environment();
  std::vector<char*> envp = c_strings(env_strings);
  const std::string& file = request.argv[0];
  std::string path_value = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& e : env_strings) {
    if (e.rfind("PATH=", 0) == 0) path_value = e.substr(5);
  }
  // Resolve a bare name against PATH here, so the child only needs execve().
  std::vector<std::string> candidates;
  if (file.find('/') != std::string::npos) {
    candidates.push_back(file);
  } else {
    std::size_t start = 0;
    while (start <= path_value.size()) {
      std::size_t end = path_value.find(':', start);
      if (end == std::string::npos) end = path_value.size();
      std::string dir = path_value.substr(start, end - start);
      candidates.push_back((dir.empty() ? std::string(".") : dir) + "/" + file);
      start = end + 1;
    }
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Error{std::string("cannot create pipe: ") + std::strerror(errno)};
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  // Not fork(): copying the page tables of a node with many apps and sockets costs milliseconds
  // and the copy-on-write faults after it more; a vfork-style clone costs neither.
  ChildSetup setup{&request, argv.data(), envp.data(), &candidates, write_end.get()};
  constexpr std::size_t kChildStack = 64 * 1024;
  std::vector<std::byte> stack(kChildStack);
  const pid_t pid =
      ::clone(child_main, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &setup);
  if (pid < 0) return Error{std::string("cannot start a process: ") + std::strerror(errno)};

  write_end.reset();
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(read_end.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    // The child is gone; reap it here so it is never seen as an app exit.
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string what = stage_name(failure.stage);
    std::string target = failure.stage == kChdir ? request.cwd : file;
    return Error{what + " '" + target + "': " + std::strerror(failure.error)};
  }
  return pid;
}

}  // namespace baton
