// The apps of this machine: their definitions (deployed by the broker), one AppLifecycle each, and
// the real world behind LifecycleHost: processes started with spawn(), exits from the ChildReaper,
// signals (AppSignals), timers on the event loop, AppState and Event published on every change,
// and each process's output into the app's log (OutputPipes). Processes an earlier node process
// left running are found and watched by ProcessAdoption.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config/app_def.hpp"
#include "common/loop/event_loop.hpp"
#include "common/proto/bus.hpp"
#include "node/apps/app_lifecycle.hpp"
#include "node/apps/app_signals.hpp"
#include "node/apps/launch_request.hpp"
#include "node/apps/log_stream.hpp"
#include "node/apps/log_tail.hpp"
#include "node/apps/output_pipes.hpp"
#include "node/apps/process_adoption.hpp"
#include "node/process/child_reaper.hpp"
#include "node/state/journal.hpp"
#include "node/state/node_state_file.hpp"
#include "node/usage/app_usage_sampler.hpp"

namespace baton::node {

struct SupervisorConfig {
  std::string machine;
  std::optional<int> app_nice;  // the apps' nice value (SpawnRequest::nice)
  std::string appmonitor_endpoint;
  std::string log_dir;  // each app's stdout and stderr go to <log_dir>/<app>.log; empty: nowhere
  OutputLogLimits app_log;  // when <app>.log is rotated, how many rotated files are kept
  std::chrono::milliseconds restart_backoff_cap{30'000};  // 0: no backoff for crash loops
  // Where the output FIFOs live (<state_dir>/<machine>.out/), so that a restarted node reads on
  // from them; empty: plain pipes, which an app loses with the node that read them.
  std::string state_dir;
};

class AppSupervisor final : public LifecycleHost {
 public:
  // Sends one bus message [topic, payload].
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;

  AppSupervisor(EventLoop& loop, ChildReaper& reaper, SupervisorConfig config, Publish publish);
  ~AppSupervisor() override;
  AppSupervisor(const AppSupervisor&) = delete;
  AppSupervisor& operator=(const AppSupervisor&) = delete;

  // Replaces the definitions: new apps appear (not launched), a changed definition applies from
  // the app's next launch, an app no longer listed is killed and forgotten. Refused (nothing
  // changes) when a definition is for another machine or an app id comes twice.
  Status deploy(std::vector<config::AppDef> apps);

  // LaunchApp (ignores dependencies; `plan` sets the plan context and PlanApplied).
  Status launch(const std::string& app, const std::optional<std::string>& plan);
  // KillApp, or with by_plan the kill of a KillPlan (no Killed flag, PlanApplied cleared).
  Status kill(const std::string& app, bool by_plan);
  Status restart(const std::string& app);
  void kill_all();
  // SetVars: the node's variables for later launches; an empty value unsets.
  void set_vars(const std::vector<std::pair<std::string, std::string>>& vars);
  void set_master_ip(std::string ip) { master_ip_ = std::move(ip); }
  // This node's instance id (node_instance_id), set before restore_from: its launch markers carry
  // it, so a restarted node finds the processes of its own earlier launches. Empty without a state
  // folder: nothing survives the node then.
  void set_instance(std::string instance) { adoption_.set_instance(std::move(instance)); }
  // Reads what the output pipes hold now, writes it and every held incomplete line to the logs,
  // and closes the pipes: at shutdown, once the apps are gone. Also done by the destructor.
  void finish_output() { output_.finish(); }

  std::vector<proto::bus::AppState> states() const;
  // The apps' output on the bus, for whoever follows it.
  LogStream& log_stream() { return log_stream_; }
  // The last `lines` lines of the app's output log, its rotations included (at most
  // proto::bus::kMaxTailLines lines and about kMaxTailBytes bytes); with `since` (seconds since
  // the epoch), of those written since then.
  Expected<LogTail> log_tail(const std::string& app, std::uint32_t lines,
                             std::optional<double> since = std::nullopt);
  // The apps whose process runs (or is dying), for the usage sampler.
  std::vector<RunningApp> running_apps() const;
  // The node's sequence number: every message the node publishes takes the next one.
  std::uint64_t next_seq() { return ++seq_; }
  std::size_t app_count() const { return apps_.size(); }
  std::size_t running_count() const;
  // Publishes the state of every app again (after the broker reconnects).
  void publish_all();

  // Told of every change the state file holds, as it happens, as a journal entry: an app's record
  // (after each step of its lifecycle), the definitions (a deploy), the variables (SetVars).
  void set_on_change(std::function<void(const JournalEntry&)> on_change) {
    on_change_ = std::move(on_change);
  }
  // Writes the definitions, variables, sequence number and apps into `state`.
  void save_to(SavedNode& state) const;
  // After a node restart, before anything else: takes back what save_to() wrote. Apps whose
  // process still runs (same pid, same start time) are adopted, not relaunched; see
  // AppLifecycle::restore for the others.
  void restore_from(const SavedNode& state);

  // Links to the application monitor, by pid of a process this node launched. The id of the app,
  // or nullopt when the pid is not one of ours.
  std::optional<std::string> app_of_pid(pid_t pid) const;
  // The app registered: the Heartbeat init detector.
  void on_registered(pid_t pid);
  // The watchdog's RESTART for one of our apps: relaunch it from its definition (true), instead of
  // running the registration's restart command.
  bool relaunch_for_watchdog(pid_t pid);
  // An application monitor event about one of our apps (watchdog_timeout, registered, ...).
  void publish_event(const std::string& app, EventKind kind, const std::string& details);

  // LifecycleHost
  Expected<pid_t> start_process(AppLifecycle& app) override;
  void signal_process(AppLifecycle& app, int sig) override;
  Timer start_timer(AppLifecycle& app, std::chrono::milliseconds delay, TimerKind kind) override;
  TimePoint now() override { return SteadyClock::now(); }
  void state_changed(AppLifecycle& app) override;
  void event(AppLifecycle& app, EventKind kind, const std::string& details) override;

 private:
  struct Supervised {
    config::AppDef spec;
    std::unique_ptr<AppLifecycle> lifecycle;
    std::string launch_id;  // of the current run: BATON_LAUNCH_ID, KillTree's marker
    std::uint64_t launches = 0;
    pid_t last_pid = 0;
    std::uint64_t start_time = 0;  // of the current process, for adoption after a restart
    bool remove_when_stopped = false;
    // Not launched by this node process yet: a process of an earlier launch may still run.
    bool may_run_already = false;
    std::optional<proto::bus::AppState> published;
  };

  Supervised* find(const std::string& app);
  proto::bus::AppState state_of(const Supervised& s) const;
  void on_exit(const std::string& app, pid_t pid, ExitStatus status);
  void remove_stopped_apps();
  void changed(const JournalEntry& entry) {
    if (on_change_) on_change_(entry);
  }
  // The app as the state file holds it.
  SavedApp saved_form(const std::string& id, const Supervised& s) const;
  std::vector<SavedVar> saved_vars() const;
  // The launch marker of a new launch of `app`: <machine>.<app>.<instance>.<pid>.<launch>.
  std::string launch_marker(Supervised& s, const std::string& app) const;
  // `process`, adopted, is the app's current one from now on.
  void take(Supervised& s, const std::string& app, const ProcessAdoption::Process& process);

  EventLoop& loop_;
  ChildReaper& reaper_;
  SupervisorConfig config_;
  Publish publish_;
  Environment env_;
  std::map<std::string, std::string> set_vars_;  // what SetVars changed in env_ ("": unset)
  std::string master_ip_;
  std::map<std::string, Supervised> apps_;
  std::unordered_map<pid_t, std::string> app_by_pid_;
  std::uint64_t seq_ = 0;
  LogStream log_stream_;
  OutputPipes output_;  // after log_stream_, which sees the output
  std::function<void(const JournalEntry&)> on_change_;
  ProcessAdoption adoption_;  // after output_, which it reads on
  AppSignals signals_;
};

}  // namespace baton::node
