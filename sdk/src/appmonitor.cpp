#include "baton/appmonitor.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <zmq.hpp>

#include "common/proto/appmonitor.hpp"

namespace baton::appmonitor {

namespace am = proto::appmonitor;

namespace {

constexpr int kMaxSocketsPerProcess = 65536;

zmq::context_t& shared_context() {
  // Deliberately never destroyed: a context destructor blocks while sockets live, and handlers may
  // outlive any static we could order it against.
  static zmq::context_t* context = [] {
    auto* made = new zmq::context_t(1);
    // Each registration holds its own socket: ZeroMQ's default of 1023 sockets per context would
    // cap a process far below the node's limit per process. The file descriptor limit still
    // applies, and running out of it is an AppMonitorError.
    made->set(zmq::ctxopt::max_sockets, kMaxSocketsPerProcess);
    return made;
  }();
  return *context;
}

std::string endpoint_from_env() {
  const char* value = std::getenv("BATON_APPMONITOR");
  return value != nullptr && *value != '\0' ? value : kDefaultEndpoint;
}

std::chrono::milliseconds wait_from_env() {
  const char* value = std::getenv("BATON_APPMONITOR_TIMEOUT_MS");
  if (value == nullptr || *value == '\0') return std::chrono::milliseconds(kDefaultWaitMs);
  long ms = 0;
  std::string_view text(value);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || end != text.data() + text.size() || ms <= 0) {
    throw AppMonitorError(
        "BATON_APPMONITOR_TIMEOUT_MS must be a positive number of milliseconds, "
        "not '" +
        std::string(text) + "'");
  }
  return std::chrono::milliseconds(ms);
}

am::Action to_wire(AppMonitorAction action) {
  switch (action) {
    case AppMonitorAction::KILL:
      return am::Action::kill;
    case AppMonitorAction::RESTART:
      return am::Action::restart;
    case AppMonitorAction::REBOOT:
      return am::Action::reboot;
  }
  throw std::invalid_argument("unknown AppMonitorAction");
}

// Whether a request may be sent again when its answer is late: a refresh may (sent twice, it
// only moves the deadline twice); a registration may not (it would register twice).
enum class Resend { never, when_late };

// One DEALER connection to the node. A request that gets no answer in time resets the connection,
// so a late answer can never be mistaken for the answer to a later request.
class Connection {
 public:
  Connection(std::string endpoint, std::chrono::milliseconds wait)
      : endpoint_(std::move(endpoint)), wait_(wait) {
    connect();
  }

  // Sends one request frame; returns the reply object (kept alive in `zone`). Throws
  // AppMonitorError on timeout or on an error reply. With Resend::when_late, a request unanswered
  // for a quarter of the wait goes again on a new connection: a node killed (and restarted) after
  // reading a request never answers it, and the app must not miss its deadline for that.
  msgpack::object request(const std::string& frame, msgpack::zone& zone, const char* what,
                          Resend resend = Resend::never) {
    const auto give_up = std::chrono::steady_clock::now() + wait_;
    const auto attempt =
        resend == Resend::when_late ? std::max(wait_ / 4, std::chrono::milliseconds(1)) : wait_;
    for (;;) {
      if (!socket_) connect();
      socket_->send(zmq::buffer(frame), zmq::send_flags::none);
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
      zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::clamp(left, std::chrono::milliseconds(0), attempt)) > 0) break;
      // A late answer must never pass for the answer to the next request: a new connection.
      socket_.reset();
      if (resend == Resend::never || std::chrono::steady_clock::now() >= give_up) {
        throw AppMonitorError(std::string("cannot ") + what +
                              ": no answer from the Baton node at " + endpoint_ + " within " +
                              std::to_string(wait_.count()) + " ms (is baton-node running?)");
      }
    }
    reply_.rebuild();
    (void)socket_->recv(reply_, zmq::recv_flags::none);
    auto object = proto::unpack_frame(zone, reply_.data(), reply_.size());
    if (!object) {
      throw AppMonitorError(std::string("cannot ") + what +
                            ": malformed answer from the node: " + object.error().message);
    }
    const msgpack::object* ok = proto::find_key(*object, "ok");
    if (ok == nullptr || ok->type != msgpack::type::BOOLEAN) {
      throw AppMonitorError(std::string("cannot ") + what + ": answer without 'ok' field");
    }
    if (!ok->via.boolean) {
      auto error = proto::decode<am::ErrorReply>(*object);
      throw AppMonitorError(std::string("cannot ") + what + ": " +
                            (error ? error->error : std::string("the node refused")));
    }
    return *object;
  }

  const std::string& endpoint() const { return endpoint_; }

 private:
  void connect() {
    try {
      socket_.emplace(shared_context(), zmq::socket_type::dealer);
      socket_->set(zmq::sockopt::linger, 0);
      socket_->set(zmq::sockopt::maxmsgsize, am::kMaxFrameBytes);
      socket_->connect(endpoint_);
    } catch (const zmq::error_t& e) {
      socket_.reset();
      // Every failure reaches the caller as AppMonitorError, a bad endpoint too.
      if (e.num() == EMFILE) {
        throw AppMonitorError(std::string("cannot open a socket to the Baton node: ") + e.what() +
                              " (each registration holds one: raise the process's file limit)");
      }
      throw AppMonitorError("cannot connect to the Baton node at '" + endpoint_ + "': " + e.what() +
                            " (check BATON_APPMONITOR)");
    }
  }

  std::string endpoint_;
  std::chrono::milliseconds wait_;
  std::optional<zmq::socket_t> socket_;
  zmq::message_t reply_;
};

template <class Reply>
Reply decode_reply(const msgpack::object& object, const char* what) {
  auto reply = proto::decode<Reply>(object);
  if (!reply) {
    throw AppMonitorError(std::string("cannot ") + what + ": unexpected answer from the node (" +
                          reply.error().message + ")");
  }
  return std::move(reply).value();
}

}  // namespace

struct AppMonitorHandler::Impl {
  Connection connection;
  int timeout_ms;
  AppMonitorAction action;
  std::string restart_command;
  std::uint64_t id = 0;
  std::uint64_t seq = 0;
  bool registered = false;
};

AppMonitorHandler::AppMonitorHandler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AppMonitorHandler::AppMonitorHandler(AppMonitorHandler&&) noexcept = default;
AppMonitorHandler& AppMonitorHandler::operator=(AppMonitorHandler&&) noexcept = default;
AppMonitorHandler::~AppMonitorHandler() = default;

int AppMonitorHandler::timeout() const {
  return impl_->timeout_ms;
}
AppMonitorAction AppMonitorHandler::action() const {
  return impl_->action;
}
const std::string& AppMonitorHandler::restart_command() const {
  return impl_->restart_command;
}
std::uint64_t AppMonitorHandler::id() const {
  return impl_->id;
}
bool AppMonitorHandler::registered() const {
  return impl_ && impl_->registered;
}

void AppMonitorHandler::refresh() {
  if (!registered()) throw AppMonitorError("cannot refresh: the application is not registered");
  am::RefreshRequest request;
  request.id = impl_->id;
  request.seq = ++impl_->seq;
  msgpack::zone zone;
  auto object =
      impl_->connection.request(proto::pack_to_string(request), zone, "refresh", Resend::when_late);
  auto reply = decode_reply<am::RefreshReply>(object, "refresh");
  if (reply.seq != request.seq) {
    throw AppMonitorError("cannot refresh: the node answered sequence " +
                          std::to_string(reply.seq) + " to " + std::to_string(request.seq));
  }
}

void refresh_all(AppMonitorHandler* const* handlers, std::size_t count) {
  if (count == 0 || handlers == nullptr) {
    throw std::invalid_argument("refresh_all: no handlers to refresh");
  }
  if (count > am::kMaxRefreshIds) {
    throw std::invalid_argument("refresh_all: at most " + std::to_string(am::kMaxRefreshIds) +
                                " handlers at once, not " + std::to_string(count));
  }
  am::RefreshManyRequest request;
  request.ids.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (handlers[i] == nullptr) {
      throw std::invalid_argument("refresh_all: handler " + std::to_string(i) + " is null");
    }
    if (!handlers[i]->registered()) {
      throw AppMonitorError("cannot refresh: handler " + std::to_string(i) +
                            " of the list is not registered");
    }
    request.ids.push_back(handlers[i]->impl_->id);
  }
  AppMonitorHandler::Impl& first = *handlers[0]->impl_;
  request.seq = ++first.seq;
  msgpack::zone zone;
  auto object =
      first.connection.request(proto::pack_to_string(request), zone, "refresh", Resend::when_late);
  auto reply = decode_reply<am::RefreshReply>(object, "refresh");
  if (reply.seq != request.seq) {
    throw AppMonitorError("cannot refresh: the node answered sequence " +
                          std::to_string(reply.seq) + " to " + std::to_string(request.seq));
  }
}

void refresh_all(std::vector<AppMonitorHandler>& handlers) {
  std::vector<AppMonitorHandler*> pointers;
  pointers.reserve(handlers.size());
  for (auto& handler : handlers)
    pointers.push_back(&handler);
  refresh_all(pointers.data(), pointers.size());
}

void AppMonitorHandler::unregister() {
  if (!registered()) throw AppMonitorError("cannot unregister: the application is not registered");
  am::UnregisterRequest request;
  request.id = impl_->id;
  msgpack::zone zone;
  auto object = impl_->connection.request(proto::pack_to_string(request), zone, "unregister");
  decode_reply<am::OkReply>(object, "unregister");
  impl_->registered = false;
}

AppMonitorHandler register_app(int timeout_ms, AppMonitorAction action,
                               const std::string& restart_command) {
  if (timeout_ms <= 0) throw std::invalid_argument("register_app: timeout must be greater than 0");
  if (action == AppMonitorAction::RESTART && restart_command.empty()) {
    throw std::invalid_argument("register_app: RESTART needs a restart command");
  }
  if (restart_command.size() > am::kMaxRestartCommand) {
    throw std::invalid_argument("register_app: restart command is longer than " +
                                std::to_string(am::kMaxRestartCommand) + " bytes");
  }
  const auto wire_action = to_wire(action);

  std::string endpoint = endpoint_from_env();
  const auto wait = wait_from_env();
  if (endpoint.starts_with("ipc://")) {
    struct stat st;
    std::string path = endpoint.substr(6);
    if (::stat(path.c_str(), &st) != 0) {
      throw AppMonitorError("cannot register: no Baton node is listening at " + endpoint +
                            " (the socket file does not exist)");
    }
  }

  am::RegisterRequest request;
  request.pid = ::getpid();
  request.timeout_ms = timeout_ms;
  request.action = std::string(am::to_string(wire_action));
  if (!restart_command.empty()) request.restart_command = restart_command;
  if (const char* app = std::getenv("DIRIGENT_APPID"); app != nullptr && *app != '\0') {
    request.app = std::string(app).substr(0, am::kMaxAppId);
  }

  auto impl = std::make_unique<AppMonitorHandler::Impl>(AppMonitorHandler::Impl{
      Connection(std::move(endpoint), wait), timeout_ms, action, restart_command});
  msgpack::zone zone;
  auto object = impl->connection.request(proto::pack_to_string(request), zone, "register");
  impl->id = decode_reply<am::RegisterReply>(object, "register").id;
  impl->registered = true;
  return AppMonitorHandler(std::move(impl));
}

}  // namespace baton::appmonitor
