#include "broker/broker.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <filesystem>

#include "common/config/deploy.hpp"
#include "common/net/curve_keys.hpp"
#include "common/net/endpoint_security.hpp"
#include "common/net/ipc_socket_file.hpp"
#include "common/net/peer_credentials.hpp"
#include "common/proto/codec.hpp"

namespace baton::broker {

namespace bus = proto::bus;
namespace control = proto::control;
using namespace std::chrono_literals;

namespace {

// The presence check runs when the first online machine's silence reaches --offline-after (2.5 s
// by default, under the 3 s users are promised), and at least this often: a machine that comes
// online meanwhile has its deadline later than that. (A check every 100 ms woke an idle broker
// ten times a second.)
constexpr auto kPresenceCheckAtLeast = 1s;
// Only what nodes legitimately publish is relayed; anything else on ingest is dropped (a node
// must not be able to forge commands to another machine).
constexpr std::string_view kRelayedPrefixes[] = {"status/", "event/", "node/", "reply/"};

// "tcp://0.0.0.0:7101" bound to every interface is no address a client can connect to: name
// `host` (the --advertise-host, else this machine's name) instead.
std::string advertised(const std::string& bound, const std::string& advertise_host) {
  std::string host = control::endpoint_host(bound);
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

// The machine named by a topic "kind/<machine>/..." or "kind/<machine>".
std::string machine_of_topic(std::string_view topic) {
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos) return {};
  topic.remove_prefix(slash + 1);
  return std::string(topic.substr(0, topic.find('/')));
}

}  // namespace

Broker::Broker(BrokerOptions options, zmq::context_t& context, EventLoop& loop)
    : options_(std::move(options)),
      context_(context),
      loop_(loop),
      control_(context, zmq::socket_type::router),
      ingest_(context, zmq::socket_type::xsub),
      bus_(context, zmq::socket_type::xpub),
      fleet_(options_.offline_after),
      router_(
          loop,
          [this](const std::string& topic, const std::string& payload) { publish(topic, payload); },
          options_.command_timeout),
      held_(loop, options_.command_timeout),
      plans_(loop, fleet_, *this) {}

Broker::~Broker() {
  // libzmq leaves an ipc:// socket file behind; without it a client says "is the broker
  // running?" instead of waiting for an answer that cannot come.
  for (const auto& path : socket_files_) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
}

// Loading a large config frees much (the XML document, the file's text, intermediate copies of
// the definitions) in pieces that malloc keeps for reuse: some 35 MB at 100,000 apps. It goes
// back to the system, so that the broker's resident size is what it holds.
void Broker::release_freed_memory() {
  ::malloc_trim(0);
}

Status Broker::load_config() {
  auto loaded = config::load_shared_config(options_.config_file);
  if (!loaded) return loaded.error();
  for (const auto& warning : loaded->warnings)
    spdlog::warn("{}", warning.text());
  apply_config(std::move(*loaded));
  release_freed_memory();
  return ok_status();
}

control::ReloadResult Broker::apply_config(config::SharedConfig config) {
  control::ReloadResult changes = deployment_.load(config);
  std::map<config::AppId, std::vector<std::string>> plans_of_app;
  for (const auto& id : config.app_ids())
    plans_of_app[id];
  for (const auto& plan : config.plans) {
    for (const auto& app : plan.apps)
      plans_of_app[app.id()].push_back(plan.name);
  }
  fleet_.set_config_apps(std::move(plans_of_app));
  plans_.set_plans(config.plans);
  // The config itself is not kept: Deployment, FleetState and PlanRunner hold what is used of it
  // (another copy of every app definition would be some 45 MB at 100,000 apps).
  return changes;
}

Status Broker::check_endpoints() const {
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

Status Broker::start_authentication() {
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

Status Broker::bind(zmq::socket_t& socket, const std::string& endpoint, gid_t group) {
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

std::optional<Peer> Broker::peer_of(const zmq::message_t& message) {
  // On an ipc:// socket the kernel says who connected; the socket file's group let them in.
  if (auto local = peer_credentials_of(message)) return Peer{Role::anyone, {}, local->uid};
  if (!zap_) return Peer{};
  return zap_->peer_of(message);
}

Status Broker::start() {
  if (auto checked = check_endpoints(); !checked) return checked;
  if (auto loaded = load_config(); !loaded) return loaded;
  for (zmq::socket_t* s : {&control_, &ingest_, &bus_}) {
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::maxmsgsize, bus::kMaxFrameBytes);
  }
  // Every subscription reaches us, also a repeated one: a node that resubscribes is resynced.
  bus_.set(zmq::sockopt::xpub_verbose, 1);
  // A monitor that cannot keep up loses messages instead of growing the broker without bound.
  bus_.set(zmq::sockopt::sndhwm, 100'000);
  // Each subscription is granted here (subscription()), not by the socket: a node key gets its
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
  master_ip_ = control::endpoint_host(control_endpoint_);

  const char subscribe_all = 1;  // XSUB: everything the nodes publish
  ingest_.send(zmq::buffer(&subscribe_all, 1));
  watches_.push_back(loop_.watch_socket(control_, [this] { on_control_readable(); }));
  watches_.push_back(loop_.watch_socket(ingest_, [this] { on_ingest_readable(); }));
  watches_.push_back(loop_.watch_socket(bus_, [this] { on_bus_readable(); }));
  presence_timer_ = loop_.after(kPresenceCheckAtLeast, [this] { check_presence(); });
  spdlog::info("broker: control {}, ingest {}, bus {}; {} apps on {} machines, {} plans from {}",
               control_endpoint_, ingest_endpoint_, bus_endpoint_, fleet_.all_apps().size(),
               deployment_.machines().size(), plans_.all().size(), options_.config_file);
  const bool any_ipc = std::ranges::any_of(
      binds, [](const auto& bind) { return ipc_path_of(*bind.second).has_value(); });
  if (any_ipc) {
    spdlog::info("ipc:// socket files are mode 0660, group {}: its members are operators",
                 describe_group(*group));
  }
  return ok_status();
}

void Broker::publish(const std::string& topic, const std::string& payload) {
  bus_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  bus_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
}

// ---- ingest: what the nodes publish ----

void Broker::on_ingest_readable() {
  for (int budget = 0; budget < 1000; ++budget) {
    zmq::message_t topic;
    if (!ingest_.recv(topic, zmq::recv_flags::dontwait)) return;
    std::vector<zmq::message_t> rest;
    bool more = topic.more();
    while (more) {
      zmq::message_t part;
      (void)ingest_.recv(part, zmq::recv_flags::dontwait);
      more = part.more();
      rest.push_back(std::move(part));
    }
    if (rest.size() != 1) {
      if (dropped_frames_++ % 1000 == 0) {
        spdlog::warn("ingest: dropped a message of {} frames (expected topic and payload)",
                     rest.size() + 1);
      }
      continue;
    }
    relay(topic, rest.front(), peer_of(topic));
  }
}

void Broker::relay(const zmq::message_t& topic_msg, const zmq::message_t& payload,
                   const std::optional<Peer>& peer) {
  const std::string topic = topic_msg.to_string();
  bool allowed = false;
  for (auto prefix : kRelayedPrefixes)
    allowed = allowed || topic.starts_with(prefix);
  if (!allowed) {
    if (dropped_frames_++ % 1000 == 0) {
      spdlog::warn("ingest: dropped a message on topic '{}'", topic.substr(0, 64));
    }
    return;
  }
  // A node key publishes for its own machine only; a reply names its machine inside.
  const std::string machine = machine_of_topic(topic);
  std::string publisher_machine = machine;
  if (topic.starts_with("reply/") && peer && peer->role != Role::anyone) {
    auto reply = proto::decode_frame<bus::ReplyHeader>(payload.data(), payload.size());
    publisher_machine = reply && reply->machine ? *reply->machine : std::string();
  }
  if (!peer || !may_publish_for(*peer, publisher_machine)) {
    if (dropped_frames_++ % 1000 == 0) {
      spdlog::warn("ingest: dropped a message on '{}' from {}: not allowed", topic.substr(0, 64),
                   peer ? describe(*peer) : "a peer without a known key");
    }
    return;
  }
  if (topic.starts_with("status/")) {
    auto state = proto::decode_frame<bus::AppState>(payload.data(), payload.size());
    if (!state || bus::status_topic(state->machine, state->app) != topic) {
      if (dropped_frames_++ % 1000 == 0)
        spdlog::warn("ingest: dropped a bad AppState on {}", topic);
      return;
    }
    if (fleet_.heard_from(machine, SteadyClock::now())) machine_back(machine);
    app_state_arrived(*state);
  } else if (topic.starts_with("node/")) {
    auto state = proto::decode_frame<bus::NodeState>(payload.data(), payload.size());
    if (!state || bus::node_topic(state->machine) != topic) {
      if (dropped_frames_++ % 1000 == 0)
        spdlog::warn("ingest: dropped a bad NodeState on {}", topic);
      return;
    }
    if (fleet_.update_node(*state, SteadyClock::now())) machine_back(state->machine);
  } else if (topic == bus::reply_topic(kBrokerReplyTo)) {
    auto reply = proto::decode_frame<bus::ReplyHeader>(payload.data(), payload.size());
    if (!reply) return;

    if (reply->machine && fleet_.heard_from(*reply->machine, SteadyClock::now())) {
      machine_back(*reply->machine);
    }
    router_.on_reply(*reply, payload.to_string());
    return;  // ours alone
  }
  bus_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  bus_.send(zmq::buffer(payload.data(), payload.size()), zmq::send_flags::dontwait);
}

void Broker::app_state_arrived(const bus::AppState& state) {
  if (fleet_.update_app(state)) plans_.app_changed(config::AppId{state.machine, state.app});
}

// ---- bus: subscriptions ----

void Broker::on_bus_readable() {
  for (int budget = 0; budget < 1000; ++budget) {
    zmq::message_t message;
    if (!bus_.recv(message, zmq::recv_flags::dontwait)) return;
    const std::string_view text(static_cast<const char*>(message.data()), message.size());
    // A subscription is 0x01 followed by the topic, an unsubscription 0x00; anything else a peer
    // sends is ignored.
    if (text.empty() || text[0] > 1) continue;
    subscription(text[0] == 1, text.substr(1), peer_of(message));
  }
}

// XPUB_MANUAL: what a peer asked for is applied here, right after receiving it (the socket
// applies it to the connection the last message came from).
void Broker::subscription(bool subscribe, std::string_view topic, const std::optional<Peer>& peer) {
  const std::vector<std::string> granted =
      peer ? granted_subscriptions(*peer, topic) : std::vector<std::string>{};
  for (const auto& t : granted) {
    if (subscribe) {
      bus_.set(zmq::sockopt::subscribe, t);
    } else {
      bus_.set(zmq::sockopt::unsubscribe, t);
    }
  }
  if (granted.empty()) {
    if (subscribe && dropped_frames_++ % 1000 == 0) {
      spdlog::warn("bus: refused {}'s subscription to '{}': not allowed",
                   peer ? describe(*peer) : "a peer without a known key", topic.substr(0, 64));
    }
    return;
  }
  // Only a whole command topic, cmd/<machine>/, links a machine.
  if (!topic.starts_with(bus::kCommandPrefix) || !topic.ends_with('/')) return;
  const std::string machine(
      topic.substr(bus::kCommandPrefix.size(), topic.size() - bus::kCommandPrefix.size() - 1));
  if (machine.empty() || machine.find('/') != std::string::npos) return;
  if (subscribe) {
    ++command_subscribers_[machine];
    resync_node(machine);
  } else if (auto it = command_subscribers_.find(machine); it != command_subscribers_.end()) {
    if (--it->second <= 0) command_subscribers_.erase(it);
  }
}

void Broker::machine_back(const std::string& machine) {
  spdlog::info("machine {} is online", machine);
  // Heard again after a silence on the same connections (a network cut that TCP outlived): no new
  // subscription will come, so it is resynchronised now.
  if (command_subscribers_.contains(machine) && !synced_.contains(machine)) {
    return resync_node(machine);
  }
  plans_.machine_changed();
}

void Broker::resync_node(const std::string& machine) {
  spdlog::info("machine {} subscribed to its commands: deploying {} apps and asking its state",
               machine, deployment_.apps_of(machine).size());
  fleet_.heard_from(machine, SteadyClock::now());
  deploy_to(machine);
  bus::Variables vars{{vars_for_all_.begin(), vars_for_all_.end()}};
  if (auto it = vars_for_machine_.find(machine); it != vars_for_machine_.end()) {
    vars.assignments.insert(vars.assignments.end(), it->second.begin(), it->second.end());
  }
  if (!vars.assignments.empty()) {
    router_.send(machine, bus::CommandOp::set_vars, bus::SetVarsArgs{std::move(vars)}, nullptr);
  }
  router_.send(machine, bus::CommandOp::get_state, control::Empty{},
               [this](const CommandRouter::Outcome& outcome) {
                 if (outcome.ok) take_state_reply(outcome.payload);
               });
  // Commands sent from now on arrive after the deploy: the bus keeps their order.
  synced_.insert(machine);
  held_.release(machine);
  plans_.machine_changed();
}

bool Broker::machine_ready(const std::string& machine) const {
  return synced_.contains(machine) && fleet_.online(machine);
}

void Broker::deploy_to(const std::string& machine) {
  router_.send(machine, bus::CommandOp::deploy, config::DeployArgs{deployment_.apps_of(machine)},
               nullptr);
}

void Broker::take_state_reply(const std::string& payload) {
  msgpack::zone zone;
  auto object =
      proto::unpack_frame(zone, payload.data(), payload.size(), proto::bulk_frame_limits());
  if (!object) return;
  const msgpack::object* result = proto::find_key(*object, "result");
  if (result == nullptr) return;
  auto states = proto::decode<bus::StateResult>(*result);
  if (!states) {
    spdlog::warn("dropped a malformed answer to get_state: {}", states.error().message);
    return;
  }
  for (const auto& state : states->apps)
    app_state_arrived(state);
}

void Broker::check_presence() {
  const TimePoint now = SteadyClock::now();
  for (const auto& machine : fleet_.expire(now)) {
    spdlog::warn("machine {} is offline: silent for {} ms", machine,
                 options_.offline_after.count());
    synced_.erase(machine);
    held_.fail_machine(machine, "machine " + machine + " went offline");
    router_.fail_machine(machine, "machine " + machine + " went offline");
    bus::NodeState state = fleet_.node_state(machine);
    state.online = false;
    publish(bus::node_topic(machine), proto::pack_to_string(state));
    plans_.machine_changed();
  }
  SteadyClock::duration wait = kPresenceCheckAtLeast;
  if (const auto next = fleet_.next_expiry()) {
    // Just past it: expire() wants a silence longer than --offline-after.
    wait =
        std::clamp<SteadyClock::duration>(*next + 1ms - now, SteadyClock::duration::zero(), wait);
  }
  presence_timer_ = loop_.after(wait, [this] { check_presence(); });
}

// ---- PlanHost ----

void Broker::launch_for_plan(const config::AppDef& app, const std::string& plan,
                             std::function<void(const Status&)> done) {
  // The plan's own definition of the app applies from this launch on.
  if (deployment_.use(app)) deploy_to(app.machine);
  router_.send(app.machine, bus::CommandOp::launch,
               bus::AppCommandArgs{app.app, plan, std::nullopt},
               [done = std::move(done)](const CommandRouter::Outcome& outcome) {
                 done(outcome.ok ? ok_status() : Status(Error{outcome.error}));
               });
}

void Broker::kill_for_plan(const config::AppId& app) {
  router_.send(app.machine, bus::CommandOp::kill, bus::AppCommandArgs{app.app, std::nullopt, true},
               nullptr);
}

void Broker::publish_plan(const control::PlanState& state) {
  publish(bus::plan_topic(state.plan), proto::pack_to_string(state));
}

}  // namespace baton::broker
