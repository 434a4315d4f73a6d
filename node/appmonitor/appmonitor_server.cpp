#include "node/appmonitor/appmonitor_server.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/log.hpp"
#include "common/net/ipc_socket_file.hpp"
#include "node/process/process_start_time.hpp"

namespace baton::node {

namespace am = proto::appmonitor;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kIpcScheme = "ipc://";
// Messages handled per wake-up before other fds and timers get their turn.
constexpr int kBatch = 1024;
// What the deadline check reads first (on_deadline_timer): refreshes queued behind a busy round,
// but not so many that reading them makes every action late.
constexpr int kBatchBeforeDeadlines = 128;
// How often a batch looks at the clock: a batch of a thousand requests takes milliseconds on a
// busy machine, and a deadline that falls due meanwhile must not wait for its end.
constexpr int kClockEvery = 16;

std::string working_directory_of(pid_t pid) {
  std::error_code ec;
  auto cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  return ec ? std::string("/") : cwd.string();
}

std::string describe(const Registration& r) {
  std::string text = "pid " + std::to_string(r.pid);
  if (!r.app.empty()) text += " (app " + r.app + ")";
  return text + fmt::format(" id {:016x}", r.token);
}

}  // namespace

AppMonitorServer::AppMonitorServer(zmq::context_t& context, EventLoop& loop,
                                   WatchdogActions& actions, AppMonitorConfig config)
    : context_(context), loop_(loop), actions_(actions), config_(std::move(config)) {}

AppMonitorServer::~AppMonitorServer() {
  stop();
}

Status AppMonitorServer::start() {
  if (!config_.endpoint.starts_with(kIpcScheme)) {
    return Error{"the appmonitor endpoint must be ipc:// (got '" + config_.endpoint +
                 "'): the node identifies each app by the credentials of its Unix socket"};
  }
  ipc_ = true;
  socket_path_ = *ipc_path_of(config_.endpoint);
  auto group = socket_group(config_.group, "--appmonitor-group");
  if (!group) return group.error();

  socket_.emplace(context_, zmq::socket_type::router);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::maxmsgsize, am::kMaxFrameBytes);
  socket_->set(zmq::sockopt::rcvhwm, 100'000);
  socket_->set(zmq::sockopt::sndhwm, 100'000);
  // Only the node's user and one group may connect. A registration grants nothing beyond acting
  // on oneself anyway (pid, uid and gid come from SO_PEERCRED); the group keeps other users from
  // filling the node's registration table.
  if (auto bound = bind_group_socket(*socket_, config_.endpoint, *group, "node"); !bound) {
    socket_.reset();
    return bound;
  }
  socket_watch_ = loop_.watch_socket(*socket_, [this] { on_readable(); });
  spdlog::info("application monitor listening on {}", config_.endpoint);
  return ok_status();
}

void AppMonitorServer::stop() {
  if (!socket_) return;
  socket_watch_.reset();
  socket_->close();
  socket_.reset();
  if (ipc_) {
    std::error_code ec;
    fs::remove(socket_path_, ec);
  }
  processes_.clear();
  deadline_timer_.reset();
  armed_for_.reset();
}

void AppMonitorServer::on_readable() {
  read_requests(kBatch, true);
}

void AppMonitorServer::read_requests(int limit, bool yield_to_deadlines) {
  for (int i = 0; i < limit && socket_; ++i) {
    if (yield_to_deadlines && !reading_backlog_ && i % kClockEvery == kClockEvery - 1 &&
        armed_for_ && SteadyClock::now() >= *armed_for_) {
      return;  // the loop runs the deadline check next, then comes back (level-triggered)
    }
    zmq::message_t identity;
    if (!socket_->recv(identity, zmq::recv_flags::dontwait)) {
      drained_at_ = SteadyClock::now();  // everything that came before now has been read
      reading_backlog_ = false;
      return;
    }
    if (!identity.more()) continue;  // a ROUTER always delivers identity + body; be defensive
    zmq::message_t frame;
    if (!socket_->recv(frame, zmq::recv_flags::dontwait)) return;
    if (frame.more()) {
      zmq::message_t rest;
      do {
        if (!socket_->recv(rest, zmq::recv_flags::dontwait)) break;
      } while (rest.more());
      send_error(identity, Error{"a request is exactly one frame (no empty delimiter frame)",
                                 std::string(am::code::kMalformed)});
      continue;
    }
    handle_frame(identity, frame);
  }
}

void AppMonitorServer::handle_frame(const zmq::message_t& identity, zmq::message_t& frame) {
  auto request = am::decode_request(frame.data(), frame.size());
  if (!request) {
    spdlog::debug("rejected request: {}", request.error().message);
    send_error(identity, request.error());
    return;
  }
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, am::RefreshRequest>) {
          handle_refresh(identity, r);
        } else if constexpr (std::is_same_v<T, am::RefreshManyRequest>) {
          handle_refresh_many(identity, r);
        } else if constexpr (std::is_same_v<T, am::RegisterRequest>) {
          handle_register(identity, frame, r);
        } else {
          handle_unregister(identity, r);
        }
      },
      *request);
}

Expected<PeerCredentials> AppMonitorServer::identify(zmq::message_t& frame,
                                                     const am::RegisterRequest& request) {
  const char* peer = nullptr;
  try {
    peer = frame.gets("Peer-Address");
  } catch (const zmq::error_t&) {
  }
  auto creds = peer != nullptr ? parse_peer_address(peer) : std::nullopt;
  if (!creds) {
    return Error{"cannot read the credentials of this connection", std::string(am::code::kRefused)};
  }
  if (creds->pid != request.pid) {
    return Error{"registration names pid " + std::to_string(request.pid) + " but comes from pid " +
                     std::to_string(creds->pid) + ": an app can register only itself",
                 std::string(am::code::kRefused)};
  }
  return *creds;
}

void AppMonitorServer::handle_register(const zmq::message_t& identity, zmq::message_t& frame,
                                       const am::RegisterRequest& request) {
  auto refuse = [&](std::string message, std::string_view code) {
    spdlog::warn("refused registration from pid {}: {}", request.pid, message);
    send_error(identity, Error{std::move(message), std::string(code)});
  };
  auto creds = identify(frame, request);
  if (!creds) return refuse(creds.error().message, creds.error().code);
  const pid_t pid = creds->pid;
  const Action action = *am::parse_action(request.action);  // validated by decode_request

  if (table_.size() >= config_.max_registrations) {
    return refuse("this node already holds the maximum of " +
                      std::to_string(config_.max_registrations) + " registrations",
                  am::code::kLimit);
  }
  if (table_.count_for_pid(pid) >= config_.max_registrations_per_process) {
    return refuse("pid " + std::to_string(pid) + " already holds the maximum of " +
                      std::to_string(config_.max_registrations_per_process) + " registrations",
                  am::code::kLimit);
  }
  if (action == Action::reboot && !actions_.config().allow_reboot) {
    return refuse(
        "action reboot is not allowed on this node (start baton-node with --allow-reboot)",
        am::code::kRefused);
  }
  if (::geteuid() != 0 && creds->uid != ::geteuid()) {
    return refuse("this node runs as uid " + std::to_string(::geteuid()) +
                      " and cannot act on a process of uid " + std::to_string(creds->uid),
                  am::code::kRefused);
  }
  if (auto watched = watch_process(pid); !watched) {
    return refuse(watched.error().message, am::code::kRefused);
  }

  Registration r;
  r.pid = pid;
  r.uid = creds->uid;
  r.gid = creds->gid;
  r.timeout = std::chrono::milliseconds(request.timeout_ms);
  r.action = action;
  r.restart_command = request.restart_command.value_or("");
  r.app = request.app.value_or("");
  r.cwd = working_directory_of(pid);
  r.start_time = process_start_time(pid).value_or(0);
  const Token token = table_.add(std::move(r), SteadyClock::now());
  arm_deadline_timer();
  const Registration& stored = *table_.find(token);
  spdlog::info(
      "registered {}: timeout {} ms, action {}{}", describe(stored), request.timeout_ms,
      request.action,
      stored.restart_command.empty() ? "" : ", restart command '" + stored.restart_command + "'");
  if (listener_) listener_->registered(stored);
  acknowledge(identity, am::RegisterReply{true, token});
}

void AppMonitorServer::handle_refresh(const zmq::message_t& identity, const am::RefreshRequest& r) {
  if (!table_.refresh(r.id, SteadyClock::now())) {
    send_error(identity, Error{fmt::format("unknown registration id {:016x}: never registered, "
                                           "unregistered, or its action already ran",
                                           r.id),
                               std::string(am::code::kUnknownId)});
    return;
  }
  send_reply(identity, am::RefreshReply{true, r.seq});
}

void AppMonitorServer::handle_refresh_many(const zmq::message_t& identity,
                                           const am::RefreshManyRequest& r) {
  const auto now = SteadyClock::now();
  std::vector<Token> unknown;
  for (Token id : r.ids) {
    if (!table_.refresh(id, now)) unknown.push_back(id);
  }
  if (unknown.empty()) {
    send_reply(identity, am::RefreshReply{true, r.seq});
    return;
  }
  // The text names a few; the list names them all. Both fit the SDK's largest frame (16 KiB)
  // even for 1,024 unknown ids.
  constexpr std::size_t kNamed = 8;
  const std::size_t named = std::min(unknown.size(), kNamed);
  std::string error = fmt::format(
      "unknown registration id{} {:016x}", unknown.size() > 1 ? "s" : "",
      fmt::join(unknown.begin(), unknown.begin() + static_cast<std::ptrdiff_t>(named), ", "));
  if (unknown.size() > named) error += fmt::format(" and {} more", unknown.size() - named);
  error +=
      ": never registered, unregistered, or their action already ran (the other ids were "
      "refreshed)";
  send_reply(identity,
             am::RefreshManyError{false, std::move(error), std::string(am::code::kUnknownId), r.seq,
                                  std::move(unknown)});
}

void AppMonitorServer::handle_unregister(const zmq::message_t& identity,
                                         const am::UnregisterRequest& request) {
  auto removed = table_.remove(request.id);
  if (!removed) {
    send_error(identity, Error{fmt::format("unknown registration id {:016x}", request.id),
                               std::string(am::code::kUnknownId)});
    return;
  }
  spdlog::info("unregistered {}", describe(*removed));
  if (listener_) listener_->unregistered(*removed);
  release_process_if_unused(removed->pid);
  acknowledge(identity, am::OkReply{});
}

Status AppMonitorServer::watch_process(pid_t pid) {
  if (processes_.contains(pid)) return ok_status();
  auto pidfd = Pidfd::open(pid);
  if (!pidfd) return pidfd.error();
  WatchedProcess watched{std::move(pidfd).value(), {}};
  watched.watch = loop_.watch_fd(watched.pidfd.fd(), [this, pid] { on_process_exit(pid); });
  processes_.emplace(pid, std::move(watched));
  return ok_status();
}

std::optional<Pidfd> AppMonitorServer::take_process(pid_t pid) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return std::nullopt;
  Pidfd pidfd = std::move(it->second.pidfd);
  processes_.erase(it);  // ends the watch, also from inside its own handler
  return pidfd;
}

void AppMonitorServer::release_process_if_unused(pid_t pid) {
  if (table_.count_for_pid(pid) == 0) take_process(pid);
}

void AppMonitorServer::on_process_exit(pid_t pid) {
  take_process(pid);
  for (const Registration& r : table_.remove_pid(pid)) {
    spdlog::warn("{} exited without unregistering: action {}", describe(r),
                 am::to_string(r.action));
    if (listener_) {
      listener_->fired(
          r, "exited",
          fmt::format("exited without unregistering: action {}", am::to_string(r.action)));
    }
    actions_.on_exit_without_unregister(r);
  }
}

void AppMonitorServer::arm_deadline_timer() {
  auto next = table_.next_check();
  if (!next) return;
  if (armed_for_ && *armed_for_ <= *next) return;  // the armed timer comes first and re-arms
  armed_for_ = next;
  deadline_timer_ = loop_.at(*next, [this] { on_deadline_timer(); });
}

void AppMonitorServer::on_deadline_timer() {
  armed_for_.reset();
  // Refreshes already waiting on the socket were sent before this check runs: read them first
  // (one small batch), so that an app is not killed for a refresh the node itself was late to
  // read after a busy round.
  read_requests(kBatchBeforeDeadlines, false);
  const TimePoint now = SteadyClock::now();
  // Only the deadlines that passed before the node last found its queue empty: a refresh sent in
  // time may still wait behind others (a burst of registrations, each costing as much as twenty
  // refreshes, backs the queue up by tens of milliseconds), and an app must not be killed for the
  // node's own slowness. The others wait until the queue is read to its end (at most one more
  // timeout, see take_expired); meanwhile the requests are read without yielding to deadlines.
  for (Expired& expired : table_.take_expired(now, drained_at_)) {
    Registration& r = expired.registration;
    auto process = take_process(r.pid);
    if (!process) {
      // An earlier registration of the same process fired in this round and took the process.
      spdlog::info("dropped {}: its process is already being acted on", describe(r));
      continue;
    }
    // To a tenth of a millisecond: how late the watchdog acted is the difference to the timeout.
    const double silent =
        std::chrono::duration<double, std::milli>(now - expired.last_refresh).count();
    spdlog::warn("watchdog timeout: {} sent no refresh for {:.1f} ms (timeout {} ms): action {}",
                 describe(r), silent, r.timeout.count(), am::to_string(r.action));
    if (listener_) {
      listener_->fired(r, "watchdog_timeout",
                       fmt::format("no refresh for {:.1f} ms (timeout {} ms): action {}", silent,
                                   r.timeout.count(), am::to_string(r.action)));
    }
    actions_.on_timeout(r, std::move(*process));
    // The process as a whole is acted on, so its other registrations end here too: after the
    // action, which need not wait for a process's thousands of them to be dropped.
    // One line for them all: a process may hold thousands, and the loop has deadlines to keep.
    // When the node last heard from them tells a hung thread (the others were refreshed just now)
    // from a process that went quiet as a whole (stopped, starved of CPU, its link stalled).
    const auto heard = table_.latest_refresh(r.pid);
    if (const auto siblings = table_.erase_pid(r.pid); siblings > 0) {
      spdlog::info(
          "dropped the {} other registrations of pid {}: its process is being acted on (the "
          "latest of them was refreshed {:.1f} ms ago)",
          siblings, r.pid,
          std::chrono::duration<double, std::milli>(now - heard.value_or(now)).count());
    }
  }
  const auto next = table_.next_check();
  reading_backlog_ = next && *next <= now;
  arm_deadline_timer();
}

template <class Reply>
void AppMonitorServer::send_reply(const zmq::message_t& identity, const Reply& reply) {
  if (!held_.empty()) {
    // Replies go out in the order of their requests: a client may send the next request before
    // the answer to a held one.
    held_.emplace_back(identity.to_string(), proto::pack_to_string(reply));
    return;
  }
  reply_buffer_.clear();
  msgpack::packer<msgpack::sbuffer> packer(reply_buffer_);
  proto::pack_message(packer, reply);
  zmq::message_t to(identity.data(), identity.size());
  if (!socket_->send(to, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
  (void)socket_->send(zmq::message_t(reply_buffer_.data(), reply_buffer_.size()),
                      zmq::send_flags::dontwait);
}

template <class Reply>
void AppMonitorServer::acknowledge(const zmq::message_t& identity, const Reply& reply) {
  if (!make_durable_) return send_reply(identity, reply);
  if (held_.empty()) loop_.at_round_end([this] { send_held_acknowledgements(); });
  held_.emplace_back(identity.to_string(), proto::pack_to_string(reply));
}

void AppMonitorServer::send_held_acknowledgements() {
  make_durable_();
  std::vector<std::pair<std::string, std::string>> held;
  held.swap(held_);
  for (const auto& [identity, reply] : held) {
    if (!socket_) return;
    zmq::message_t to(identity.data(), identity.size());
    if (!socket_->send(to, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) continue;
    (void)socket_->send(zmq::message_t(reply.data(), reply.size()), zmq::send_flags::dontwait);
  }
}

void AppMonitorServer::send_error(const zmq::message_t& identity, const Error& error) {
  send_reply(identity, am::ErrorReply{false, error.message, error.code});
}

void AppMonitorServer::restore(const std::vector<RegistrationRecord>& saved) {
  if (saved.empty()) return;
  std::size_t restored = 0;
  const TimePoint now = SteadyClock::now();
  for (const auto& record : saved) {
    if (record.start_time == 0 || process_start_time(record.pid) != record.start_time) continue;
    if (!watch_process(record.pid)) continue;
    Registration r;
    static_cast<RegistrationRecord&>(r) = record;
    if (table_.restore(std::move(r), now)) ++restored;
  }
  arm_deadline_timer();
  spdlog::info("restored {} of {} watchdog registrations", restored, saved.size());
}

}  // namespace baton::node
