#include "broker/broker_sockets.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/net/curve_keys.hpp"
#include "common/net/endpoint_security.hpp"
#include "common/net/ipc_socket_file.hpp"
#include "common/net/peer_credentials.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"

namespace baton::broker {

namespace {

// "tcp://0.0.0.0:7101" bound to every interface is no address a client can connect to: name
// `host` (the --advertise-host, else this machine's name) instead.
std::string advertised(const std::string& bound, const std::string& advertise_host) {
  std::string host = proto::control::endpoint_host(bound);
  if (host.empty()) return bound;  // ipc://, inproc://
  std::string wanted = advertise_host;
  if (wanted.empty() && (host == "0.0.0.0" || host == "::")) {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    wanted = name;
  }
  if (wanted.empty()) return bound;
  const std::size_t at = bound.find(host);
  std::string out = bound;
  out.replace(at, host.size(), wanted);
  if (out.find("[" + wanted + "]") != std::string::npos && wanted.find(':') == std::string::npos) {
    out.replace(out.find("[" + wanted + "]"), wanted.size() + 2, wanted);
  }
  return out;
}

}  // namespace

BrokerSockets::BrokerSockets(const BrokerOptions& options, zmq::context_t& context, EventLoop& loop)
    : options_(options),
      context_(context),
      loop_(loop),
      control_(context, zmq::socket_type::router),
      ingest_(context, zmq::socket_type::xsub),
      bus_(context, zmq::socket_type::xpub) {}

BrokerSockets::~BrokerSockets() {
  // libzmq leaves an ipc:// socket file behind; without it a client says "is the broker
  // running?" instead of waiting for an answer that cannot come.
  for (const auto& path : socket_files_) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
}

Status BrokerSockets::check_endpoints() const {
  if (options_.insecure || !options_.key_file.empty()) return ok_status();
  for (const std::string* endpoint : {&options_.control, &options_.ingest, &options_.bus}) {
    if (endpoint_needs_keys(*endpoint)) {
      return Error{"refusing to bind " + *endpoint +
                   " without keys: nothing would tell who connects, and whoever reaches it (on "
                   "loopback, any user of this machine) could launch programs on every machine of "
                   "the fleet. Use ipc:// endpoints (the default; the socket files are mode 0660 "
                   "for one --group), give the broker keys (--key and --authorized-keys, made "
                   "with baton keygen), or pass --insecure where every user and host that can "
                   "connect is trusted"};
    }
  }
  return ok_status();
}

Status BrokerSockets::start_authentication() {
  if (options_.key_file.empty() && options_.authorized_keys_file.empty()) return ok_status();
  if (options_.key_file.empty() || options_.authorized_keys_file.empty()) {
    return Error{"--key and --authorized-keys go together"};
  }
  auto own = read_secret_key_file(options_.key_file);
  if (!own) return own.error();
  auto keys = AuthorizedKeys::load(options_.authorized_keys_file);
  if (!keys) return keys.error();
  spdlog::info("CURVE authentication: {} keys ({} nodes, {} operators, {} monitors) from {}",
               keys->size(), keys->count(Role::node), keys->count(Role::operator_),
               keys->count(Role::monitor), options_.authorized_keys_file);
  zap_.emplace(context_, loop_, std::move(*keys));
  if (auto started = zap_->start(); !started) return started;
  secret_key_ = own->secret_key;
  return ok_status();
}

Status BrokerSockets::bind(zmq::socket_t& socket, const std::string& endpoint, gid_t group) {
  // ZeroMQ takes a socket's security options when it binds, per endpoint. An ipc:// endpoint is
  // bound with the defaults, no CURVE and no ZAP domain (so no ZAP request either): its socket
  // file says who may connect, and a local client has no key to give. Any other endpoint is a
  // CURVE server when the broker has keys. (A socket that bound both would bind ipc:// first:
  // libzmq refuses to set an empty ZAP domain again.)
  const bool ipc = ipc_path_of(endpoint).has_value();
  if (secret_key_ && !ipc) {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, *secret_key_);
    socket.set(zmq::sockopt::zap_domain, "baton");
  }
  if (ipc) {
    auto bound = bind_group_socket(socket, endpoint, group, "broker");
    if (bound) socket_files_.push_back(*ipc_path_of(endpoint));
    return bound;
  }
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    return Error{"cannot bind " + endpoint + ": " + e.what()};
  }
  return ok_status();
}

Status BrokerSockets::bind_all() {
  if (auto checked = check_endpoints(); !checked) return checked;
  for (zmq::socket_t* s : {&control_, &ingest_, &bus_}) {
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::maxmsgsize, proto::bus::kMaxFrameBytes);
  }
  // Every subscription reaches us, also a repeated one: a node that resubscribes is resynced.
  bus_.set(zmq::sockopt::xpub_verbose, 1);
  // A monitor that cannot keep up loses messages instead of growing the broker without bound.
  bus_.set(zmq::sockopt::sndhwm, 100'000);
  // Each subscription is granted by the broker (BusRelay), not by the socket: a node key gets its
  // own commands only, a monitor everything but commands.
  bus_.set(zmq::sockopt::xpub_manual, 1);
  control_.set(zmq::sockopt::router_mandatory, 0);
  if (auto authenticating = start_authentication(); !authenticating) return authenticating;
  auto group = socket_group(options_.group, "--group");
  if (!group) return group.error();
  const std::pair<zmq::socket_t*, const std::string*> binds[] = {
      {&control_, &options_.control}, {&ingest_, &options_.ingest}, {&bus_, &options_.bus}};
  for (auto [socket, endpoint] : binds) {
    if (auto bound = bind(*socket, *endpoint, *group); !bound) return bound;
  }
  // An ipc:// socket file was moved to its path after the bind (bind_group_socket), so libzmq
  // knows it by its staged name; a tcp:// port may have been chosen by the system ("*").
  auto reached_at = [this](zmq::socket_t& socket, const std::string& endpoint) {
    if (ipc_path_of(endpoint)) return endpoint;
    return advertised(socket.get(zmq::sockopt::last_endpoint), options_.advertise_host);
  };
  control_endpoint_ = reached_at(control_, options_.control);
  ingest_endpoint_ = reached_at(ingest_, options_.ingest);
  bus_endpoint_ = reached_at(bus_, options_.bus);
  master_ip_ = proto::control::endpoint_host(control_endpoint_);

  const char subscribe_all = 1;  // XSUB: everything the nodes publish
  ingest_.send(zmq::buffer(&subscribe_all, 1));
  const bool any_ipc = std::ranges::any_of(
      binds, [](const auto& bind) { return ipc_path_of(*bind.second).has_value(); });
  if (any_ipc) {
    spdlog::info("ipc:// socket files are mode 0660, group {}: its members are operators",
                 describe_group(*group));
  }
  return ok_status();
}

std::optional<Peer> BrokerSockets::peer_of(const zmq::message_t& message) {
  // On an ipc:// socket the kernel says who connected; the socket file's group let them in.
  if (auto local = peer_credentials_of(message)) return Peer{Role::anyone, {}, local->uid};
  if (!zap_) return Peer{};
  return zap_->peer_of(message);
}

void BrokerSockets::publish(const std::string& topic, const std::string& payload) {
  bus_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  bus_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
}

}  // namespace baton::broker
