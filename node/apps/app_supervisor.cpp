#include "node/app_supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "common/log.hpp"
#include "common/os/process_start_time.hpp"
#include "common/os/process_tree.hpp"
#include "common/os/spawn.hpp"

namespace baton::node {

namespace bus = proto::bus;
using std::chrono::milliseconds;

namespace {
double wall_clock_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Read at most this much of one pipe per wakeup (one default pipe buffer), so that a chatty app
// cannot starve the loop: the other pipes and sockets get their turn in the same poll round.
constexpr std::size_t kOutputPerWakeup = 64 * 1024;
// When a process exits, what it wrote is all in its pipe already (at most the pipe's capacity,
// 1 MiB at the most by default): read it before the exit is handled, so that it is in the log
// before anything the next launch writes.
constexpr std::size_t kOutputDrainBudget = 1024 * 1024;
// An incomplete line is held so that it is not split across files; once no output has come for
// this long, it is written as it is (a prompt, a progress bar).
constexpr auto kPartialLineWait = std::chrono::seconds(1);
// After a KillTree SIGKILL, the tree is swept again by its launch marker at these delays: a member
// in the middle of an exec at the kill shows no environment for that moment and escapes it.
constexpr std::array kTreeSweepDelays{std::chrono::milliseconds(20),
                                      std::chrono::milliseconds(200)};
}  // namespace

AppSupervisor::AppSupervisor(EventLoop& loop, ChildReaper& reaper, SupervisorConfig config,
                             Publish publish)
    : loop_(loop),
      reaper_(reaper),
      config_(std::move(config)),
      publish_(std::move(publish)),
      env_(environment_of_this_process()),
      // Sequence numbers go on rising across node restarts: they start from the clock (in
      // microseconds), far above anything a node could have published before.
      seq_(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count())),
      read_buffer_(kOutputPerWakeup) {
  // Our own launch marker must not leak into the apps we start (they get their own).
  env_.erase("BATON_LAUNCH_ID");
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

AppSupervisor::~AppSupervisor() {
  finish_output();
  for (const auto& [pid, app] : app_by_pid_)
    reaper_.forget(pid);
  for (const auto& [pid, adopted] : adopted_)
    loop_.unwatch(adopted.watch);
}

AppSupervisor::Supervised* AppSupervisor::find(const std::string& app) {
  auto it = apps_.find(app);
  return it == apps_.end() || it->second.remove_when_stopped ? nullptr : &it->second;
}

namespace {
milliseconds from_seconds(double seconds) {
  return std::chrono::round<milliseconds>(std::chrono::duration<double>(seconds));
}
}  // namespace

LifecyclePolicy AppSupervisor::policy_of(const config::AppDef& spec) const {
  LifecyclePolicy p;
  p.restart_on_crash = spec.restart_on_crash;
  p.max_tries = spec.restart_max_tries;
  p.restart_delay = from_seconds(spec.restart_delay_s);
  const config::InitDetectors& init = spec.init_detectors;
  if (init.timeout_s) p.init_timeout = from_seconds(*init.timeout_s);
  for (const auto& range : init.exit_codes)
    p.init_exit_codes.emplace_back(range.first, range.last);
  p.init_heartbeat = init.heartbeat;
  if (spec.soft_kill_timeout_s) p.soft_kill_timeout = from_seconds(*spec.soft_kill_timeout_s);
  p.backoff_cap = config_.restart_backoff_cap;
  return p;
}

Status AppSupervisor::deploy(std::vector<config::AppDef> apps) {
  std::map<std::string, config::AppDef> incoming;
  for (auto& spec : apps) {
    if (spec.machine != config_.machine) {
      return Error{"app " + spec.machine + "." + spec.app + " belongs to machine " + spec.machine +
                   ", not to " + config_.machine};
    }
    const std::string id = spec.app;
    if (!incoming.emplace(id, std::move(spec)).second) {
      return Error{"app " + config_.machine + "." + id + " is deployed twice"};
    }
  }

  for (auto& [id, s] : apps_) {
    if (incoming.contains(id) || s.remove_when_stopped) continue;
    spdlog::info("app {} is no longer deployed here: stopping and forgetting it", id);
    s.remove_when_stopped = true;
    s.lifecycle->handle(LifecycleEvent::plan_kill);
  }
  for (auto& [id, spec] : incoming) {
    auto it = apps_.find(id);
    if (it != apps_.end() && !it->second.remove_when_stopped) {
      if (it->second.spec == spec) continue;
      spdlog::info("app {}: new definition, used from its next launch", id);
      it->second.lifecycle->set_policy(policy_of(spec));
      it->second.spec = std::move(spec);
      continue;
    }
    if (it != apps_.end()) {  // redeployed while being removed: keep it after all
      it->second.remove_when_stopped = false;
      it->second.lifecycle->set_policy(policy_of(spec));
      it->second.spec = std::move(spec);
      continue;
    }
    Supervised s;
    s.lifecycle = std::make_unique<AppLifecycle>(id, policy_of(spec), *this);
    s.spec = std::move(spec);
    auto [inserted, ok] = apps_.emplace(id, std::move(s));
    state_changed(*inserted->second.lifecycle);
  }
  remove_stopped_apps();
  changed();
  return ok_status();
}

void AppSupervisor::remove_stopped_apps() {
  std::erase_if(apps_, [](const auto& entry) {
    return entry.second.remove_when_stopped && !entry.second.lifecycle->running();
  });
}

Status AppSupervisor::launch(const std::string& app, const std::optional<std::string>& plan) {
  Supervised* s = find(app);
  if (s == nullptr) return Error{"unknown app " + config_.machine + "." + app};
  AppLifecycle& lifecycle = *s->lifecycle;
  if (plan) {
    lifecycle.set_plan(*plan);
    lifecycle.set_plan_applied(true);
  }
  lifecycle.handle(LifecycleEvent::launch);
  if (lifecycle.start_failed()) {
    return Error{"cannot launch " + config_.machine + "." + app + ": " + lifecycle.last_error()};
  }
  return ok_status();
}

Status AppSupervisor::kill(const std::string& app, bool by_plan) {
  Supervised* s = find(app);
  if (s == nullptr) return Error{"unknown app " + config_.machine + "." + app};
  if (by_plan) {
    s->lifecycle->handle(LifecycleEvent::plan_kill);
    s->lifecycle->set_plan_applied(false);
  } else {
    s->lifecycle->handle(LifecycleEvent::kill);
  }
  return ok_status();
}

Status AppSupervisor::restart(const std::string& app) {
  Supervised* s = find(app);
  if (s == nullptr) return Error{"unknown app " + config_.machine + "." + app};
  s->lifecycle->handle(LifecycleEvent::restart);
  if (s->lifecycle->start_failed()) {
    return Error{"cannot launch " + config_.machine + "." + app + ": " +
                 s->lifecycle->last_error()};
  }
  return ok_status();
}

void AppSupervisor::kill_all() {
  for (auto& [id, s] : apps_) {
    s.lifecycle->handle(LifecycleEvent::plan_kill);
    s.lifecycle->set_plan_applied(false);
  }
}

void AppSupervisor::set_vars(const std::vector<std::pair<std::string, std::string>>& vars) {
  for (const auto& [name, value] : vars) {
    set_vars_[name] = value;
    if (value.empty()) {
      env_.erase(name);
      spdlog::info("variable {} unset", name);
    } else {
      env_[name] = value;
      spdlog::info("variable {} set to '{}'", name, value);
    }
  }
  changed();
}

std::size_t AppSupervisor::running_count() const {
  std::size_t n = 0;
  for (const auto& [id, s] : apps_)
    n += s.lifecycle->running() ? 1 : 0;
  return n;
}

bus::AppState AppSupervisor::state_of(const Supervised& s) const {
  const AppLifecycle& l = *s.lifecycle;
  bus::AppState state;
  state.machine = config_.machine;
  state.app = l.id();
  state.flags = l.flags();
  state.pid = l.pid();
  if (auto code = l.exit_code()) state.exit_code = *code;
  state.restarts = l.restarts();
  state.plan = l.plan();
  state.started_at = l.started_at();
  if (l.start_failed()) state.error = l.last_error();
  return state;
}

std::vector<bus::AppState> AppSupervisor::states() const {
  std::vector<bus::AppState> out;
  for (const auto& [id, s] : apps_) {
    if (!s.remove_when_stopped) out.push_back(s.published.value_or(state_of(s)));
  }
  return out;
}

void AppSupervisor::publish_all() {
  for (auto& [id, s] : apps_) {
    if (s.remove_when_stopped) continue;
    bus::AppState state = state_of(s);
    state.seq = next_seq();
    s.published = state;
    publish_(bus::status_topic(config_.machine, id), proto::pack_to_string(state));
  }
}

void AppSupervisor::state_changed(AppLifecycle& app) {
  changed();
  auto it = apps_.find(app.id());
  if (it == apps_.end()) return;
  Supervised& s = it->second;
  bus::AppState state = state_of(s);
  if (s.published) {
    // Publish only what changed: the same state with a new seq is noise.
    bus::AppState last = *s.published;
    last.seq = 0;
    if (proto::pack_to_string(last) == proto::pack_to_string(state)) return;
  }
  state.seq = next_seq();
  s.published = state;
  publish_(bus::status_topic(config_.machine, app.id()), proto::pack_to_string(state));
}

void AppSupervisor::event(AppLifecycle& app, AppEventKind kind, const std::string& details) {
  const auto level = kind == AppEventKind::crashed || kind == AppEventKind::start_failed
                         ? spdlog::level::warn
                         : spdlog::level::info;
  spdlog::log(level, "app {}: {}: {}", app.id(), to_string(kind), details);
  publish_event(app.id(), std::string(to_string(kind)), details);
}

void AppSupervisor::publish_event(const std::string& app, const std::string& kind,
                                  const std::string& details) {
  bus::Event event;
  event.machine = config_.machine;
  event.app = app;
  event.kind = kind;
  event.time = wall_clock_now();
  event.details = details;
  event.seq = next_seq();
  publish_(bus::event_topic(config_.machine, app), proto::pack_to_string(event));
}

std::shared_ptr<AppOutputLog> AppSupervisor::log_of(const std::string& app) {
  std::erase_if(logs_, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<AppOutputLog>& known = logs_[app];
  std::shared_ptr<AppOutputLog> log = known.lock();
  if (!log) {
    log = std::make_shared<AppOutputLog>(
        config_.log_dir + "/" + app + ".log", config_.app_log,
        [app](const std::string& message) { spdlog::warn("app {}: {}", app, message); });
    known = log;
  }
  return log;
}

void AppSupervisor::watch_output(const std::string& app, pid_t pid, UniqueFd read_end,
                                 std::string fifo) {
  const std::uint64_t id = next_pipe_id_++;
  auto pipe = std::make_unique<OutputPipe>();
  pipe->app = app;
  pipe->pid = pid;
  pipe->fd = std::move(read_end);
  pipe->fifo = std::move(fifo);
  pipe->log = log_of(app);
  pipe->watch = loop_.watch_fd(pipe->fd.get(), [this, id] { on_output(id); });
  pipes_.emplace(id, std::move(pipe));
}

void AppSupervisor::on_output(std::uint64_t pipe_id) {
  auto it = pipes_.find(pipe_id);
  if (it == pipes_.end()) return;
  if (!read_output(*it->second, kOutputPerWakeup)) {
    close_output(it);
    return;
  }
  schedule_partial_flush(pipe_id, *it->second);
}

bool AppSupervisor::read_output(OutputPipe& pipe, std::size_t budget) {
  std::size_t total = 0;
  while (total < budget) {
    const std::size_t want = std::min(read_buffer_.size(), budget - total);
    const ssize_t n = ::read(pipe.fd.get(), read_buffer_.data(), want);
    if (n > 0) {
      pipe.log->write(pipe.stream, std::string_view(read_buffer_.data(), static_cast<size_t>(n)));
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

AppSupervisor::Pipes::iterator AppSupervisor::close_output(Pipes::iterator it) {
  OutputPipe& pipe = *it->second;
  pipe.log->flush(pipe.stream);
  loop_.unwatch(pipe.watch);
  if (pipe.flush_timer) loop_.cancel(*pipe.flush_timer);
  if (!pipe.fifo.empty()) ::unlink(pipe.fifo.c_str());  // every writer is gone
  return pipes_.erase(it);  // closes the read end; the log closes with its last pipe
}

void AppSupervisor::schedule_partial_flush(std::uint64_t pipe_id, OutputPipe& pipe) {
  if (pipe.stream.partial.empty() || pipe.flush_timer) return;
  pipe.flush_timer = loop_.at(pipe.last_data + kPartialLineWait,
                              [this, pipe_id] { on_partial_line_due(pipe_id); });
}

void AppSupervisor::on_partial_line_due(std::uint64_t pipe_id) {
  auto it = pipes_.find(pipe_id);
  if (it == pipes_.end()) return;
  OutputPipe& pipe = *it->second;
  pipe.flush_timer.reset();
  // Output kept coming since the timer was set: the line may still end, wait from the latest data.
  if (SteadyClock::now() < pipe.last_data + kPartialLineWait) {
    schedule_partial_flush(pipe_id, pipe);
    return;
  }
  pipe.log->flush(pipe.stream);
}

void AppSupervisor::finish_output() {
  for (auto it = pipes_.begin(); it != pipes_.end();) {
    read_output(*it->second, kOutputDrainBudget);
    it = close_output(it);
  }
}

Expected<pid_t> AppSupervisor::start_process(AppLifecycle& app) {
  Supervised* s = find(app.id());
  if (s == nullptr) return Error{"app " + app.id() + " is not deployed"};
  const std::string launch_id = config_.machine + "." + app.id() + "." +
                                std::to_string(::getpid()) + "." + std::to_string(++s->launches);
  LaunchContext context{config_.machine, app.plan(), master_ip_, config_.appmonitor_endpoint,
                        launch_id};
  auto request = build_launch_request(s->spec, env_, context);
  if (!request) return request.error();
  UniqueFd read_end;
  UniqueFd write_end;
  std::string fifo;
  if (!config_.log_dir.empty() && !open_output(app.id(), launch_id, read_end, write_end, fifo)) {
    spdlog::warn("app {}: cannot create its output pipe: {}; its output goes nowhere", app.id(),
                 strerror(errno));
  }
  request->stdout_fd = write_end.get();
  request->stderr_fd = write_end.get();
  request->nice = config_.app_nice;
  auto pid = spawn(*request);
  write_end.reset();  // from now on only the app (and what it starts) holds the write end
  if (!pid) {
    if (!fifo.empty()) ::unlink(fifo.c_str());
    return pid.error();
  }
  if (read_end.valid()) watch_output(app.id(), *pid, std::move(read_end), std::move(fifo));
  s->launch_id = launch_id;
  s->last_pid = *pid;
  s->start_time = process_start_time(*pid).value_or(0);
  app_by_pid_[*pid] = app.id();
  const std::string id = app.id();
  reaper_.watch(*pid, [this, id](pid_t child, ExitStatus status) { on_exit(id, child, status); });
  return *pid;
}

void AppSupervisor::on_exit(const std::string& app, pid_t pid, ExitStatus status) {
  app_by_pid_.erase(pid);
  if (auto adopted = adopted_.find(pid); adopted != adopted_.end()) {
    loop_.unwatch(adopted->second.watch);
    adopted_.erase(adopted);
  }
  // Everything the process wrote goes to the log before its exit is handled (which may relaunch
  // it at once), and before anyone told of the exit looks at the log.
  for (auto it = pipes_.begin(); it != pipes_.end();) {
    OutputPipe& pipe = *it->second;
    if (pipe.pid != pid) {
      ++it;
    } else if (!read_output(pipe, kOutputDrainBudget)) {
      it = close_output(it);
    } else {
      // Still open: something the app started holds the write end; it is read until EOF. The
      // app's own last line is complete now, even without its line end.
      pipe.log->flush(pipe.stream);
      ++it;
    }
  }
  auto it = apps_.find(app);
  if (it == apps_.end() || it->second.lifecycle->pid() != pid) return;
  it->second.lifecycle->handle(LifecycleEvent::exited, status);
  remove_stopped_apps();
}

void AppSupervisor::signal_process(AppLifecycle& app, int sig) {
  Supervised* s = find(app.id());
  const pid_t pid = app.pid();
  if (pid <= 0) return;
  if (s != nullptr && s->spec.kill_tree) {
    const std::string marker = "BATON_LAUNCH_ID=" + s->launch_id;
    const std::size_t others = signal_process_tree(pid, marker, sig);
    spdlog::info("app {}: sent {} to pid {} and {} other processes of its tree", app.id(),
                 signal_name(sig), pid, others);
    if (sig == SIGKILL) {
      // By the marker only: by then the app's pid may belong to a stranger.
      for (const auto delay : kTreeSweepDelays) {
        loop_.after(delay, [id = app.id(), marker] {
          if (const std::size_t late = signal_marked_processes(marker, SIGKILL); late > 0) {
            spdlog::info(
                "app {}: sent SIGKILL to {} more processes of its tree (starting up at "
                "the kill, they escaped it)",
                id, late);
          }
        });
      }
    }
  } else {
    // The app leads its own process group (spawn calls setsid): the group gets the signal.
    ::kill(-pid, sig);
    ::kill(pid, sig);
    spdlog::info("app {}: sent {} to process group {}", app.id(), signal_name(sig), pid);
  }
}

TimerQueue::Id AppSupervisor::start_timer(AppLifecycle& app, milliseconds delay, TimerKind kind) {
  const std::string id = app.id();
  return loop_.after(delay, [this, id, kind] {
    auto it = apps_.find(id);
    if (it == apps_.end()) return;
    it->second.lifecycle->handle(kind == TimerKind::kill      ? LifecycleEvent::kill_timeout
                                 : kind == TimerKind::restart ? LifecycleEvent::restart_due
                                                              : LifecycleEvent::init_timeout);
  });
}

std::optional<std::string> AppSupervisor::app_of_pid(pid_t pid) const {
  auto it = app_by_pid_.find(pid);
  if (it != app_by_pid_.end()) return it->second;
  for (const auto& [id, s] : apps_) {
    if (s.last_pid == pid) return id;  // exited already, but it was this app's process
  }
  return std::nullopt;
}

void AppSupervisor::on_registered(pid_t pid) {
  auto app = app_of_pid(pid);
  if (!app) return;
  if (Supervised* s = find(*app); s != nullptr && s->lifecycle->pid() == pid) {
    s->lifecycle->handle(LifecycleEvent::registered);
  }
}

bool AppSupervisor::relaunch_for_watchdog(pid_t pid) {
  auto app = app_of_pid(pid);
  if (!app) return false;
  Supervised* s = find(*app);
  if (s == nullptr) return false;
  AppLifecycle& l = *s->lifecycle;
  if (l.pid() == pid) {
    l.handle(LifecycleEvent::watchdog_restart);
  } else if (l.state() == LifecycleState::idle) {
    l.handle(LifecycleEvent::launch);  // it exited already and no crash restart is pending
  }
  return true;
}

// The app writes into a pipe, not into the file: only the node writes the file, so it can rotate it
// at any time. Both ends are close-on-exec: the child gets the write end as its stdout and stderr
// only (dup2 clears the flag there), and no other child of the node inherits either end, which
// would keep the pipe from ever reaching EOF. Only our end is non-blocking: the app's stdout must
// block while the pipe is full, so a burst is held back, not lost.
//
// With a state folder the pipe is a FIFO there, and the app's end is opened read-write: the app
// then holds a reader itself, so when the node dies its writes never fail with EPIPE (or kill it
// with SIGPIPE); at worst they wait until the next node opens the FIFO by its name and reads on.
// The node's end still sees EOF once the app and what it started are gone: only writers count.
bool AppSupervisor::open_output(const std::string& app, const std::string& launch_id,
                                UniqueFd& read_end, UniqueFd& write_end, std::string& fifo) {
  if (config_.state_dir.empty()) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);
    return true;
  }
  fifo = fifo_path(launch_id);
  ::unlink(fifo.c_str());  // a leftover of an earlier node with the same pid
  if (::mkfifo(fifo.c_str(), 0600) != 0) {
    fifo.clear();
    return false;
  }
  read_end.reset(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  write_end.reset(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
  if (!read_end.valid() || !write_end.valid()) {
    spdlog::warn("app {}: cannot open {}: {}", app, fifo, strerror(errno));
    ::unlink(fifo.c_str());
    fifo.clear();
    read_end.reset();
    write_end.reset();
    return false;
  }
  return true;
}

std::string AppSupervisor::fifo_path(const std::string& launch_id) const {
  return config_.state_dir + "/" + config_.machine + ".out/" + launch_id;
}

bool AppSupervisor::adopt_process(const std::string& app, pid_t pid) {
  auto pidfd = Pidfd::open(pid);
  if (!pidfd) {
    spdlog::warn("app {}: cannot watch pid {}: {}", app, pid, pidfd.error().message);
    return false;
  }
  const int fd = pidfd->fd();
  const auto watch =
      loop_.watch_fd(fd, [this, app, pid] { on_exit(app, pid, ExitStatus::unknown_status()); });
  adopted_.emplace(pid, Adopted{std::move(pidfd).value(), watch});
  app_by_pid_[pid] = app;
  return true;
}

void AppSupervisor::save_to(SavedNode& state) const {
  state.seq = seq_;
  state.vars.clear();
  for (const auto& [name, value] : set_vars_)
    state.vars.push_back(SavedVar{name, value});
  state.definitions.clear();
  state.apps.clear();
  for (const auto& [id, s] : apps_) {
    if (s.remove_when_stopped) continue;
    state.definitions.push_back(s.spec);
    const LifecycleSnapshot l = s.lifecycle->snapshot();
    SavedApp saved;
    saved.app = id;
    saved.state = std::string(to_string(l.state));
    saved.pid = l.pid;
    saved.start_time = l.pid == s.last_pid ? s.start_time : 0;
    saved.launch_id = s.launch_id;
    saved.launches = s.launches;
    saved.started = l.started;
    saved.start_failed = l.start_failed;
    saved.killed = l.killed;
    saved.initialized = l.initialized;
    saved.plan_applied = l.plan_applied;
    saved.plan = l.plan;
    saved.started_at = l.started_at;
    saved.restarts = l.restarts;
    saved.exit_code = l.exit_code;
    saved.last_error = l.last_error;
    state.apps.push_back(std::move(saved));
  }
}

void AppSupervisor::restore_from(const SavedNode& state) {
  seq_ = std::max(seq_, state.seq);
  for (const auto& var : state.vars) {
    set_vars_[var.name] = var.value;
    if (var.value.empty()) {
      env_.erase(var.name);
    } else {
      env_[var.name] = var.value;
    }
  }
  std::map<std::string, const SavedApp*> saved_apps;
  for (const auto& saved : state.apps)
    saved_apps[saved.app] = &saved;
  std::set<std::string> fifos_in_use;
  std::size_t adopted = 0;
  for (const auto& spec : state.definitions) {
    if (spec.machine != config_.machine || apps_.contains(spec.app)) continue;
    Supervised s;
    s.lifecycle = std::make_unique<AppLifecycle>(spec.app, policy_of(spec), *this);
    s.spec = spec;
    Supervised& app = apps_.emplace(spec.app, std::move(s)).first->second;
    auto found = saved_apps.find(spec.app);
    if (found == saved_apps.end()) continue;
    const SavedApp& saved = *found->second;
    app.launch_id = saved.launch_id;
    app.launches = saved.launches;
    app.last_pid = static_cast<pid_t>(saved.pid);
    app.start_time = saved.start_time;

    const pid_t pid = static_cast<pid_t>(saved.pid);
    // The same pid is not enough: it may have been reused since. Only the same start time proves
    // that it is still the process this node launched.
    bool alive = pid > 0 && saved.start_time != 0 && process_start_time(pid) == saved.start_time;
    if (alive) alive = adopt_process(spec.app, pid);
    if (!saved.launch_id.empty() && !config_.state_dir.empty() && !config_.log_dir.empty()) {
      // Read on where the last node stopped; a FIFO whose writers are gone is drained to EOF.
      const std::string fifo = fifo_path(saved.launch_id);
      UniqueFd read_end(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
      if (read_end.valid()) {
        fifos_in_use.insert(saved.launch_id);
        watch_output(spec.app, pid, std::move(read_end), fifo);
      }
    }
    LifecycleSnapshot snapshot;
    snapshot.state = parse_lifecycle_state(saved.state).value_or(LifecycleState::idle);
    snapshot.pid = pid;
    snapshot.started = saved.started;
    snapshot.start_failed = saved.start_failed;
    snapshot.killed = saved.killed;
    snapshot.initialized = saved.initialized;
    snapshot.plan_applied = saved.plan_applied;
    snapshot.plan = saved.plan;
    snapshot.started_at = saved.started_at;
    snapshot.restarts = static_cast<int>(saved.restarts);
    if (saved.exit_code) snapshot.exit_code = static_cast<int>(*saved.exit_code);
    snapshot.last_error = saved.last_error;
    if (alive) {
      ++adopted;
      spdlog::info("app {}: adopted pid {} (still running since before this node started)",
                   spec.app, pid);
    } else if (snapshot.state == LifecycleState::running ||
               snapshot.state == LifecycleState::dying) {
      spdlog::warn("app {}: pid {} is gone since the last node ran", spec.app, pid);
    }
    app.lifecycle->restore(snapshot, alive);
  }
  // FIFOs of launches nobody remembers: nothing will ever read them.
  std::error_code ec;
  if (!config_.state_dir.empty()) {
    for (const auto& entry : std::filesystem::directory_iterator(fifo_path(""), ec)) {
      if (!fifos_in_use.contains(entry.path().filename().string())) {
        std::filesystem::remove(entry.path(), ec);
      }
    }
  }
  spdlog::info("restored {} apps from the state file, {} of them still running", apps_.size(),
               adopted);
}

}  // namespace baton::node
