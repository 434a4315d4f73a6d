#include "node/apps/app_supervisor.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "common/log.hpp"
#include "node/process/process_start_time.hpp"
#include "node/process/spawn.hpp"

namespace baton::node {

namespace bus = proto::bus;
using std::chrono::milliseconds;

namespace {
double wall_clock_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Seconds since the epoch as the clock's time point. Clamped to about ±285 years, which the
// clock's nanoseconds hold: a time further off is as good as never or forever for a log.
LogTimes::Clock::time_point wall_time_of(double seconds) {
  constexpr double kFarthest = 9e9;
  return LogTimes::Clock::time_point(std::chrono::duration_cast<LogTimes::Clock::duration>(
      std::chrono::duration<double>(std::clamp(seconds, -kFarthest, kFarthest))));
}
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
      log_stream_(config_.machine, publish_,
                  [this] {
                    std::vector<std::string> ids;
                    for (const auto& [id, s] : apps_)
                      ids.push_back(id);
                    return ids;
                  }),
      output_(loop,
              OutputConfig{config_.machine, config_.log_dir, config_.app_log, config_.state_dir,
                           [this](const std::string& app, std::string_view text) {
                             log_stream_.output(app, text);
                           }}),
      adoption_(loop, output_, config_.machine,
                [this](const std::string& app, pid_t pid) {
                  on_exit(app, pid, ExitStatus::unknown_status());
                }),
      signals_(loop) {
  // Our own launch marker must not leak into the apps we start (they get their own).
  env_.erase("BATON_LAUNCH_ID");
}

AppSupervisor::~AppSupervisor() {
  output_.finish();
  for (const auto& [pid, app] : app_by_pid_)
    reaper_.forget(pid);
}

AppSupervisor::Supervised* AppSupervisor::find(const std::string& app) {
  auto it = apps_.find(app);
  return it == apps_.end() || it->second.remove_when_stopped ? nullptr : &it->second;
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
      it->second.lifecycle->set_policy(lifecycle_policy(spec, config_.restart_backoff_cap));
      it->second.spec = std::move(spec);
      continue;
    }
    if (it != apps_.end()) {  // redeployed while being removed: keep it after all
      it->second.remove_when_stopped = false;
      it->second.lifecycle->set_policy(lifecycle_policy(spec, config_.restart_backoff_cap));
      it->second.spec = std::move(spec);
      continue;
    }
    Supervised s;
    s.lifecycle = std::make_unique<AppLifecycle>(
        id, lifecycle_policy(spec, config_.restart_backoff_cap), *this);
    s.spec = std::move(spec);
    s.may_run_already = !adoption_.instance().empty();
    auto [inserted, ok] = apps_.emplace(id, std::move(s));
    state_changed(*inserted->second.lifecycle);
  }
  remove_stopped_apps();
  JournalEntry entry;
  entry.definitions.emplace();
  for (const auto& [id, s] : apps_) {
    if (!s.remove_when_stopped) entry.definitions->push_back(s.spec);
  }
  changed(entry);
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
  JournalEntry entry;
  entry.vars = saved_vars();
  changed(entry);
}

std::vector<SavedVar> AppSupervisor::saved_vars() const {
  std::vector<SavedVar> vars;
  for (const auto& [name, value] : set_vars_)
    vars.push_back(SavedVar{name, value});
  return vars;
}

Expected<LogTail> AppSupervisor::log_tail(const std::string& app, std::uint32_t lines,
                                          std::optional<double> since) {
  if (find(app) == nullptr) return Error{"unknown app " + config_.machine + "." + app};
  if (config_.log_dir.empty()) return Error{"this node keeps no app logs (no --log-dir)"};
  // An output log's file is named after the app, and an app id holds no '/' (config/app_def).
  const std::string path = config_.log_dir + "/" + app + ".log";
  std::optional<TailSince> from;
  if (since) {
    if (!std::isfinite(*since)) return Error{"since is not a time"};
    const auto time = wall_time_of(*since);
    struct stat st {};
    const std::uint64_t size =
        ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    const LogTimes* times = output_.times_of(app);
    from = times != nullptr ? times->since(time, size) : TailSince{0, time};
  }
  return read_log_tail(path, std::min(lines, proto::bus::kMaxTailLines), proto::bus::kMaxTailBytes,
                       from);
}

std::vector<RunningApp> AppSupervisor::running_apps() const {
  std::vector<RunningApp> running;
  for (const auto& [id, s] : apps_) {
    if (s.lifecycle->running() && s.lifecycle->pid() > 0) {
      running.push_back({id, s.lifecycle->pid(), s.launch_id});
    }
  }
  return running;
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
  JournalEntry entry;
  entry.app = saved_form(it->first, s);
  changed(entry);
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

void AppSupervisor::event(AppLifecycle& app, EventKind kind, const std::string& details) {
  const auto level = kind == EventKind::crashed || kind == EventKind::start_failed
                         ? spdlog::level::warn
                         : spdlog::level::info;
  spdlog::log(level, "app {}: {}: {}", app.id(), proto::to_name(kind), details);
  publish_event(app.id(), kind, details);
}

void AppSupervisor::publish_event(const std::string& app, EventKind kind,
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

Expected<pid_t> AppSupervisor::start_process(AppLifecycle& app) {
  Supervised* s = find(app.id());
  if (s == nullptr) return Error{"app " + app.id() + " is not deployed"};
  if (s->may_run_already) {
    // Never a second instance: a launch by an earlier node process (killed before it could say
    // so) may still run; it is the app's process then.
    s->may_run_already = false;
    if (auto earlier = adoption_.take_over(app.id())) {
      take(*s, app.id(), *earlier);
      spdlog::warn(
          "app {}: pid {} of an earlier launch ({}) still runs: taken over instead of "
          "starting a second instance",
          app.id(), earlier->pid, earlier->launch_id);
      return earlier->pid;
    }
  }
  const std::string launch_id = launch_marker(*s, app.id());
  LaunchContext context{config_.machine, app.plan(), master_ip_, config_.appmonitor_endpoint,
                        launch_id};
  auto request = build_launch_request(s->spec, env_, context);
  if (!request) return request.error();
  std::optional<OutputPipes::Opened> output = output_.open(app.id(), launch_id);
  request->stdout_fd = output ? output->write_end.get() : -1;
  request->stderr_fd = request->stdout_fd;
  request->nice = config_.app_nice;
  auto pid = spawn(*request);
  if (!pid) {
    if (output) output_.discard(std::move(*output));
    return pid.error();
  }
  if (output) output_.watch(app.id(), *pid, std::move(*output));
  s->launch_id = launch_id;
  s->last_pid = *pid;
  s->start_time = process_start_time(*pid).value_or(0);
  app_by_pid_[*pid] = app.id();
  const std::string id = app.id();
  reaper_.watch(*pid, [this, id](pid_t child, ExitStatus status) { on_exit(id, child, status); });
  return *pid;
}

std::string AppSupervisor::launch_marker(Supervised& s, const std::string& app) const {
  return adoption_.marker_prefix(app) + std::to_string(::getpid()) + "." +
         std::to_string(++s.launches);
}

void AppSupervisor::take(Supervised& s, const std::string& app,
                         const ProcessAdoption::Process& process) {
  s.launch_id = process.launch_id;
  s.last_pid = process.pid;
  s.start_time = process.start_time;
  app_by_pid_[process.pid] = app;
}

void AppSupervisor::on_exit(const std::string& app, pid_t pid, ExitStatus status) {
  app_by_pid_.erase(pid);
  adoption_.forget(pid);  // from inside its own watch's handler, when adopted
  // Everything the process wrote goes to the log before its exit is handled (which may relaunch
  // it at once), and before anyone told of the exit looks at the log.
  output_.drain(pid);
  auto it = apps_.find(app);
  if (it == apps_.end() || it->second.lifecycle->pid() != pid) return;
  it->second.lifecycle->handle(LifecycleEvent::exited, status);
  remove_stopped_apps();
}

void AppSupervisor::signal_process(AppLifecycle& app, int sig) {
  const Supervised* s = find(app.id());
  const pid_t pid = app.pid();
  if (pid <= 0) return;
  if (s != nullptr && s->spec.kill_tree) {
    signals_.to_tree(app.id(), pid, s->launch_id, sig);
  } else {
    AppSignals::to_group(app.id(), pid, sig);
  }
}

Timer AppSupervisor::start_timer(AppLifecycle& app, milliseconds delay, TimerKind kind) {
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

SavedApp AppSupervisor::saved_form(const std::string& id, const Supervised& s) const {
  SavedApp saved;
  static_cast<AppRecord&>(saved) = s.lifecycle->record();
  saved.app = id;
  saved.launch_id = s.launch_id;
  saved.launches = s.launches;
  saved.start_time = saved.pid == s.last_pid ? s.start_time : 0;
  return saved;
}

void AppSupervisor::save_to(SavedNode& state) const {
  state.seq = seq_;
  state.vars = saved_vars();
  state.definitions.clear();
  state.apps.clear();
  for (const auto& [id, s] : apps_) {
    if (s.remove_when_stopped) continue;
    state.definitions.push_back(s.spec);
    state.apps.push_back(saved_form(id, s));
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
  std::size_t adopted = 0;
  for (const auto& spec : state.definitions) {
    if (spec.machine != config_.machine || apps_.contains(spec.app)) continue;
    Supervised s;
    s.lifecycle = std::make_unique<AppLifecycle>(
        spec.app, lifecycle_policy(spec, config_.restart_backoff_cap), *this);
    s.spec = spec;
    Supervised& app = apps_.emplace(spec.app, std::move(s)).first->second;
    auto found = saved_apps.find(spec.app);
    SavedApp saved = found != saved_apps.end() ? *found->second : SavedApp{};
    app.launch_id = saved.launch_id;
    app.launches = saved.launches;
    app.last_pid = saved.pid;
    app.start_time = saved.start_time;

    const auto recovered = adoption_.recover(spec.app, saved);
    if (recovered) {
      take(app, spec.app, *recovered);
      ++adopted;
    }
    app.may_run_already = false;  // what still runs was found just now
    if (found != saved_apps.end() || recovered)
      app.lifecycle->restore(saved, recovered.has_value());
  }
  output_.remove_unclaimed_fifos();
  spdlog::info("restored {} apps from the state file, {} of them still running", apps_.size(),
               adopted);
}

}  // namespace baton::node
