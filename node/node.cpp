#include "node/node.hpp"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <iostream>

#include "common/log.hpp"

namespace baton::node {

namespace bus = proto::bus;
using namespace std::chrono_literals;

namespace {
// How long the node waits on shutdown for its apps to go before it SIGKILLs what is left.
constexpr auto kShutdownGrace = 10s;
constexpr auto kPresenceInterval = 1s;
}  // namespace

Node::Node(NodeOptions options)
    : options_(std::move(options)),
      signals_({SIGTERM, SIGINT, SIGCHLD}),
      actions_(loop_, reaper_, options_.actions),
      appmonitor_(context_, loop_, actions_, options_.appmonitor),
      supervisor_(loop_, reaper_, options_.supervisor,
                  [this](const std::string& topic, const std::string& payload) {
                    publish(topic, payload);
                  }),
      commands_(options_.machine, supervisor_,
                [this](const std::string& topic, const std::string& payload) {
                  publish(topic, payload);
                }),
      started_(SteadyClock::now()) {}

int Node::run() {
  // Orphans of our apps (a daemonizing child whose parent exited) come to us, so that KillTree can
  // reach them and no zombie is left for init to collect.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  reaper_.on_unknown_child([](pid_t pid, ExitStatus status) {
    spdlog::debug("reaped pid {} ({})", pid, describe(status));
  });
  signal_watch_ = loop_.watch_fd(signals_.fd(), [this] { on_signal(); });

  appmonitor_.set_listener(this);
  actions_.set_relauncher(
      [this](const Registration& r) { return supervisor_.relaunch_for_watchdog(r.pid); });
  if (auto started = appmonitor_.start(); !started) {
    std::cerr << "baton-node: " << started.error().message << "\n";
    return 2;
  }
  if (auto restored = restore_state(); !restored) {
    std::cerr << "baton-node: " << restored.error().message << "\n";
    return 2;
  }
  if (!options_.broker.empty()) {
    broker_.emplace(
        context_, loop_, options_.machine, options_.broker, options_.broker_keys,
        [this](const zmq::message_t& payload) { commands_.handle(payload.data(), payload.size()); },
        [this] {
          supervisor_.set_master_ip(broker_->master_ip());
          supervisor_.publish_all();
          publish_node_state();
        },
        [this](bool subscribe, std::string_view topic) {
          supervisor_.log_stream().subscription(subscribe, topic);
        });
    supervisor_.set_master_ip(broker_->master_ip());
    broker_->start();
    if (options_.usage_interval.count() > 0) {
      usage_.emplace(
          loop_, options_.machine, options_.usage_interval,
          [this] { return supervisor_.running_apps(); },
          [this](const std::string& topic, const std::string& payload) { publish(topic, payload); },
          [this] { return supervisor_.next_seq(); });
      usage_->start();
    }
  }
  schedule_presence();

  spdlog::info("node {} running (pid {})", options_.machine, ::getpid());
  loop_.run();

  // The apps are gone (or past the grace period): what they wrote last goes to their logs now.
  supervisor_.finish_output();
  if (state_saver_) state_saver_->save_now();
  appmonitor_.stop();
  actions_.abandon_pending();
  if (broker_) {
    publish_node_state();  // online: false
    flush_publications();  // the loop has no round left to do it
    broker_->stop();
  }
  spdlog::info("node {} stopped", options_.machine);
  return 0;
}

void Node::on_signal() {
  while (auto info = signals_.read()) {
    if (info->ssi_signo == SIGCHLD) {
      reaper_.reap();
      if (shutting_down_ && supervisor_.running_count() == 0) loop_.stop();
    } else if (!shutting_down_) {
      spdlog::info("received {}, stopping the apps and shutting down",
                   signal_name(static_cast<int>(info->ssi_signo)));
      begin_shutdown();
    }
  }
}

void Node::begin_shutdown() {
  shutting_down_ = true;
  supervisor_.kill_all();
  if (supervisor_.running_count() == 0) {
    loop_.stop();
    return;
  }
  shutdown_timer_ = loop_.after(kShutdownGrace, [this] {
    spdlog::warn("{} apps still running after {} s: stopping anyway", supervisor_.running_count(),
                 std::chrono::duration_cast<std::chrono::seconds>(kShutdownGrace).count());
    loop_.stop();
  });
}

void Node::schedule_presence() {
  presence_timer_ = loop_.after(kPresenceInterval, [this] {
    publish_node_state();
    if (!shutting_down_) schedule_presence();
  });
}

void Node::publish(const std::string& topic, const std::string& payload) {
  if (!broker_) return;
  if (pending_publications_.empty()) loop_.at_round_end([this] { flush_publications(); });
  pending_publications_.emplace_back(topic, payload);
}

void Node::flush_publications() {
  write_journal();  // what a publication tells is durable first
  std::vector<std::pair<std::string, std::string>> pending;
  pending.swap(pending_publications_);
  for (const auto& [topic, payload] : pending)
    broker_->publish(topic, payload);
}

Status Node::restore_state() {
  const std::string& dir = options_.supervisor.state_dir;
  if (dir.empty()) return ok_status();
  auto lock = lock_state(dir, options_.machine);
  if (!lock) return lock.error();
  state_lock_ = std::move(lock).value();
  const std::string path = state_file_path(dir, options_.machine);
  auto saved = load_node_state(path, options_.machine);
  SavedNode state;
  state.machine = options_.machine;
  if (!saved) {
    // Start afresh, but keep the file for a look: nothing in it is trusted.
    const std::string aside = path + ".bad";
    std::rename(path.c_str(), aside.c_str());
    spdlog::error("{}; starting with no apps (the file is kept as {})", saved.error().message,
                  aside);
    Journal::set_aside(dir, options_.machine);
  } else if (*saved) {
    state = std::move(**saved);
  }
  // What happened after that snapshot: a node killed in between said so only once it was here.
  if (const std::size_t replayed = Journal::replay(dir, options_.machine, state); replayed > 0) {
    spdlog::info("replayed {} changes from the journal over the state file", replayed);
  }
  auto instance = node_instance_id(dir, options_.machine);
  if (!instance) return instance.error();
  supervisor_.set_instance(*instance);
  supervisor_.restore_from(state);
  appmonitor_.restore(state.registrations);

  journal_.emplace(dir, options_.machine);
  if (auto opened = journal_->open(); !opened) return opened;
  supervisor_.set_on_change([this](const JournalEntry& entry) { record(entry); });
  appmonitor_.hold_acknowledgements([this] { write_journal(); });
  state_saver_.emplace(
      loop_, path, [this](std::string& out) { pack_state(out); },
      [this] { journal_->remove_through(segment_in_snapshot_); });
  state_saver_->save_now();
  return ok_status();
}

void Node::record(const JournalEntry& entry) {
  if (!journal_) return;
  if (!journal_->pending()) loop_.at_round_end([this] { write_journal(); });
  journal_->add(entry);
  schedule_save();
}

void Node::write_journal() {
  if (journal_) journal_->write_pending();
}

void Node::schedule_save() {
  if (state_saver_) state_saver_->changed();
}

void Node::pack_state(std::string& out) {
  // The snapshot holds everything so far: later changes go to a new journal segment.
  if (journal_) segment_in_snapshot_ = journal_->snapshot_taken();
  SavedNode state;
  state.machine = options_.machine;
  supervisor_.save_to(state);
  registrations_.collect(appmonitor_.table().all(), packed_registrations_);
  pack_node_state(state, packed_registrations_, out);
}

void Node::publish_node_state() {
  if (!broker_) return;
  bus::NodeState state;
  state.machine = options_.machine;
  state.online = !shutting_down_;
  state.apps = static_cast<std::int64_t>(supervisor_.app_count());
  state.registrations = static_cast<std::int64_t>(appmonitor_.table().size());
  state.uptime = std::chrono::duration<double>(SteadyClock::now() - started_).count();
  state.seq = supervisor_.next_seq();
  broker_->publish(bus::node_topic(options_.machine), proto::pack_to_string(state));
}

void Node::registered(const Registration& r) {
  JournalEntry entry;
  entry.registered = r;
  record(entry);
  auto app = supervisor_.app_of_pid(r.pid);
  if (!app) return;
  supervisor_.publish_event(*app, bus::EventKind::registered,
                            fmt::format("pid {}, timeout {} ms", r.pid, r.timeout.count()));
  supervisor_.on_registered(r.pid);
}

void Node::unregistered(const Registration& r) {
  JournalEntry entry;
  entry.unregistered = r.token;
  record(entry);
  if (auto app = supervisor_.app_of_pid(r.pid)) {
    supervisor_.publish_event(*app, bus::EventKind::unregistered, fmt::format("pid {}", r.pid));
  }
}

void Node::fired(const Registration& r, std::string_view what, const std::string& details) {
  JournalEntry entry;
  entry.unregistered = r.token;
  record(entry);
  auto app = supervisor_.app_of_pid(r.pid);
  if (!app) return;
  if (what == proto::to_name(bus::EventKind::watchdog_timeout)) {
    supervisor_.publish_event(*app, bus::EventKind::watchdog_timeout, details);
  }
  supervisor_.publish_event(*app, bus::EventKind::watchdog_action, details);
}

}  // namespace baton::node
