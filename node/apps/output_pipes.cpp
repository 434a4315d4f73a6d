#include "node/apps/output_pipes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/log.hpp"

namespace baton::node {

namespace {
// Read at most this much of one pipe per wakeup (one default pipe buffer), so that a chatty app
// cannot starve the loop: the other pipes and sockets get their turn in the same poll round.
constexpr std::size_t kOutputPerWakeup = 64 * 1024;
// When a process exits, what it wrote is all in its pipe already (at most the pipe's capacity,
// 1 MiB at the most by default): read it before the exit is handled.
constexpr std::size_t kOutputDrainBudget = 1024 * 1024;
// An incomplete line is held so that it is not split across files; once no output has come for
// this long, it is written as it is (a prompt, a progress bar).
constexpr auto kPartialLineWait = std::chrono::seconds(1);
}  // namespace

OutputPipes::OutputPipes(EventLoop& loop, OutputConfig config)
    : loop_(loop), config_(std::move(config)), buffer_(kOutputPerWakeup) {
  if (!config_.log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config_.log_dir, ec);
    if (ec) spdlog::error("cannot create log folder {}: {}", config_.log_dir, ec.message());
  }
  if (!config_.state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(fifo_path(""), ec);
    if (ec) spdlog::error("cannot create output folder {}: {}", fifo_path(""), ec.message());
  }
}

OutputPipes::~OutputPipes() {
  finish();
}

std::string OutputPipes::fifo_path(const std::string& launch_id) const {
  return config_.state_dir + "/" + config_.machine + ".out/" + launch_id;
}

// Both ends are close-on-exec: the child gets the write end as its stdout and stderr only (dup2
// clears the flag there), and no other child of the node inherits either end, which would keep
// the pipe from ever reaching EOF. Only our end is non-blocking: the app's stdout must block while
// the pipe is full, so a burst is held back, not lost.
//
// A FIFO's write end is opened read-write: the app then holds a reader itself, so when the node
// dies its writes never fail with EPIPE (or kill it with SIGPIPE); at worst they wait until the
// next node opens the FIFO and reads on. The node's end still sees EOF once the app and what it
// started are gone: only writers count.
std::optional<OutputPipes::Opened> OutputPipes::open(const std::string& app,
                                                     const std::string& launch_id) {
  if (config_.log_dir.empty()) return std::nullopt;
  Opened opened;
  if (config_.state_dir.empty()) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      spdlog::warn("app {}: cannot create its output pipe: {}; its output goes nowhere", app,
                   strerror(errno));
      return std::nullopt;
    }
    opened.read_end.reset(fds[0]);
    opened.write_end.reset(fds[1]);
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    return opened;
  }
  opened.fifo = fifo_path(launch_id);
  ::unlink(opened.fifo.c_str());  // a leftover of an earlier node with the same pid
  if (::mkfifo(opened.fifo.c_str(), 0600) == 0) {
    opened.read_end.reset(::open(opened.fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    opened.write_end.reset(::open(opened.fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (opened.read_end.valid() && opened.write_end.valid()) return opened;
  }
  spdlog::warn("app {}: cannot create its output pipe {}: {}; its output goes nowhere", app,
               opened.fifo, strerror(errno));
  ::unlink(opened.fifo.c_str());
  return std::nullopt;
}

void OutputPipes::watch(const std::string& app, pid_t pid, Opened opened) {
  opened.write_end.reset();  // from now on only the app (and what it starts) holds it
  add(app, pid, std::move(opened.read_end), std::move(opened.fifo));
}

void OutputPipes::discard(Opened opened) {
  if (!opened.fifo.empty()) ::unlink(opened.fifo.c_str());
}

void OutputPipes::drain(pid_t pid) {
  for (auto it = pipes_.begin(); it != pipes_.end();) {
    Pipe& pipe = *it->second;
    if (pipe.pid != pid) {
      ++it;
    } else if (!read(pipe, kOutputDrainBudget)) {
      it = close(it);
    } else {
      // Still open: something the app started holds the write end; it is read until EOF. The
      // app's own last line is complete now, even without its line end.
      pipe.log->flush(pipe.stream);
      ++it;
    }
  }
}

bool OutputPipes::reopen(const std::string& app, pid_t pid, const std::string& launch_id) {
  if (launch_id.empty() || config_.state_dir.empty() || config_.log_dir.empty()) return false;
  const std::string fifo = fifo_path(launch_id);
  UniqueFd read_end(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!read_end.valid()) return false;
  reopened_.insert(launch_id);
  add(app, pid, std::move(read_end), fifo);
  return true;
}

void OutputPipes::remove_unclaimed_fifos() {
  if (config_.state_dir.empty()) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(fifo_path(""), ec)) {
    if (!reopened_.contains(entry.path().filename().string())) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

void OutputPipes::finish() {
  for (auto it = pipes_.begin(); it != pipes_.end();) {
    read(*it->second, kOutputDrainBudget);
    it = close(it);
  }
}

const LogTimes* OutputPipes::times_of(const std::string& app) const {
  const auto it = times_.find(app);
  return it == times_.end() ? nullptr : &it->second;
}

std::shared_ptr<AppOutputLog> OutputPipes::log_of(const std::string& app) {
  std::erase_if(logs_, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<AppOutputLog>& known = logs_[app];
  std::shared_ptr<AppOutputLog> log = known.lock();
  if (!log) {
    AppOutputLog::Tap tap;
    if (config_.tap) tap = [this, app](std::string_view text) { config_.tap(app, text); };
    log = std::make_shared<AppOutputLog>(
        config_.log_dir + "/" + app + ".log", config_.app_log,
        [app](const std::string& message) { spdlog::warn("app {}: {}", app, message); },
        &times_[app], std::move(tap));
    known = log;
  }
  return log;
}

void OutputPipes::add(const std::string& app, pid_t pid, UniqueFd read_end, std::string fifo) {
  const std::uint64_t id = next_id_++;
  auto pipe = std::make_unique<Pipe>();
  pipe->app = app;
  pipe->pid = pid;
  pipe->fd = std::move(read_end);
  pipe->fifo = std::move(fifo);
  pipe->log = log_of(app);
  pipe->watch = loop_.watch_fd(pipe->fd.get(), [this, id] { on_readable(id); });
  pipes_.emplace(id, std::move(pipe));
}

void OutputPipes::on_readable(std::uint64_t id) {
  auto it = pipes_.find(id);
  if (it == pipes_.end()) return;
  if (!read(*it->second, kOutputPerWakeup)) {
    close(it);
    return;
  }
  schedule_partial_flush(id, *it->second);
}

bool OutputPipes::read(Pipe& pipe, std::size_t budget) {
  std::size_t total = 0;
  while (total < budget) {
    const std::size_t want = std::min(buffer_.size(), budget - total);
    const ssize_t n = ::read(pipe.fd.get(), buffer_.data(), want);
    if (n > 0) {
      pipe.log->write(pipe.stream, std::string_view(buffer_.data(), static_cast<size_t>(n)));
      pipe.last_data = SteadyClock::now();
      total += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    spdlog::warn("app {}: cannot read its output: {}", pipe.app, strerror(errno));
    return false;
  }
  return true;
}

OutputPipes::Pipes::iterator OutputPipes::close(Pipes::iterator it) {
  Pipe& pipe = *it->second;
  pipe.log->flush(pipe.stream);
  if (!pipe.fifo.empty()) ::unlink(pipe.fifo.c_str());  // every writer is gone
  // Ends its watch and timer, closes the read end; the log closes with its last pipe.
  return pipes_.erase(it);
}

void OutputPipes::schedule_partial_flush(std::uint64_t id, Pipe& pipe) {
  if (pipe.stream.partial.empty() || pipe.flush_timer.pending()) return;
  pipe.flush_timer =
      loop_.at(pipe.last_data + kPartialLineWait, [this, id] { on_partial_line_due(id); });
}

void OutputPipes::on_partial_line_due(std::uint64_t id) {
  auto it = pipes_.find(id);
  if (it == pipes_.end()) return;
  Pipe& pipe = *it->second;
  // Output kept coming since the timer was set: the line may still end, wait from the latest data.
  if (SteadyClock::now() < pipe.last_data + kPartialLineWait) {
    schedule_partial_flush(id, pipe);
    return;
  }
  pipe.log->flush(pipe.stream);
}

}  // namespace baton::node
