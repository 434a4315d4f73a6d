#include "node/app_supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/log.hpp"
#include "common/os/process_tree.hpp"
#include "common/os/spawn.hpp"

namespace baton::node {

namespace bus = proto::bus;
using std::chrono::milliseconds;

namespace {
double wall_clock_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

AppSupervisor::AppSupervisor(EventLoop& loop, ChildReaper& reaper, SupervisorConfig config,
                             Publish publish)
    : loop_(loop),
      reaper_(reaper),
      config_(std::move(config)),
      publish_(std::move(publish)),
      env_(environment_of_this_process()) {
  // Our own launch marker must not leak into the apps we start (they get their own).
  env_.erase("BATON_LAUNCH_ID");
  if (!config_.log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config_.log_dir, ec);
    if (ec) spdlog::error("cannot create log folder {}: {}", config_.log_dir, ec.message());
  }
}

AppSupervisor::~AppSupervisor() {
  for (const auto& [pid, app] : app_by_pid_)
    reaper_.forget(pid);
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
    if (value.empty()) {
      env_.erase(name);
      spdlog::info("variable {} unset", name);
    } else {
      env_[name] = value;
      spdlog::info("variable {} set to '{}'", name, value);
    }
  }
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

UniqueFd AppSupervisor::open_log(const std::string& app) {
  if (config_.log_dir.empty()) return UniqueFd();
  const std::string path = config_.log_dir + "/" + app + ".log";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) spdlog::warn("cannot open {}: {}; output goes nowhere", path, strerror(errno));
  return fd;
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
  UniqueFd log = open_log(app.id());
  request->stdout_fd = log.get();
  request->stderr_fd = log.get();
  auto pid = spawn(*request);
  if (!pid) return pid.error();
  s->launch_id = launch_id;
  s->last_pid = *pid;
  app_by_pid_[*pid] = app.id();
  const std::string id = app.id();
  reaper_.watch(*pid, [this, id](pid_t child, ExitStatus status) { on_exit(id, child, status); });
  return *pid;
}

void AppSupervisor::on_exit(const std::string& app, pid_t pid, ExitStatus status) {
  app_by_pid_.erase(pid);
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
    const std::size_t others = signal_process_tree(pid, "BATON_LAUNCH_ID=" + s->launch_id, sig);
    spdlog::info("app {}: sent {} to pid {} and {} other processes of its tree", app.id(),
                 signal_name(sig), pid, others);
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

}  // namespace baton::node
