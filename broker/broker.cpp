#include "broker/broker.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <vector>

#include "common/proto/codec.hpp"

namespace baton::broker {

namespace bus = proto::bus;
namespace control = proto::control;

Broker::Broker(BrokerOptions options, zmq::context_t& context, EventLoop& loop)
    : options_(std::move(options)),
      loop_(loop),
      sockets_(options_, context, loop),
      fleet_(options_.offline_after),
      router_(
          loop,
          [this](const std::string& topic, const std::string& payload) {
            sockets_.publish(topic, payload);
          },
          options_.command_timeout),
      held_(loop, options_.command_timeout),
      plans_(loop, fleet_, *this),
      nodes_(loop, deployment_, fleet_, router_, held_, plans_,
             [this](const std::string& topic, const std::string& payload) {
               sockets_.publish(topic, payload);
             }),
      relay_(sockets_, nodes_, router_),
      requests_(sockets_, deployment_, fleet_, plans_, nodes_, [this] { return reload(); }) {}

Broker::~Broker() = default;

Status Broker::start() {
  if (auto checked = sockets_.check_endpoints(); !checked) return checked;
  if (auto loaded = load_config(); !loaded) return loaded;
  if (auto bound = sockets_.bind_all(); !bound) return bound;
  watches_.push_back(
      loop_.watch_socket(sockets_.control(), [this] { requests_.on_control_readable(); }));
  watches_.push_back(
      loop_.watch_socket(sockets_.ingest(), [this] { relay_.on_ingest_readable(); }));
  watches_.push_back(loop_.watch_socket(sockets_.bus(), [this] { relay_.on_bus_readable(); }));
  nodes_.start();
  spdlog::info("broker: control {}, ingest {}, bus {}; {} apps on {} machines, {} plans from {}",
               control_endpoint(), ingest_endpoint(), bus_endpoint(), fleet_.all_apps().size(),
               deployment_.machines().size(), plans_.all().size(), options_.config_file);
  return ok_status();
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

Expected<control::ReloadResult> Broker::reload() {
  auto loaded = config::load_shared_config(options_.config_file);
  if (!loaded) {
    spdlog::warn("reload refused, the running config stays: {}", loaded.error().message);
    return Error{"reload refused, the running config stays: " + loaded.error().message};
  }
  // The authorized keys are read again too (a new node or operator needs no broker restart);
  // connections made already keep the role they were given.
  if (sockets_.has_keys()) {
    auto keys = AuthorizedKeys::load(options_.authorized_keys_file);
    if (!keys) {
      spdlog::warn("reload refused, the running config and keys stay: {}", keys.error().message);
      return Error{"reload refused, the running config and keys stay: " + keys.error().message};
    }
    spdlog::info("reloaded {}: {} keys", options_.authorized_keys_file, keys->size());
    sockets_.set_keys(std::move(*keys));
  }
  const auto before = deployment_.machines();
  control::ReloadResult result = apply_config(std::move(*loaded));
  release_freed_memory();
  spdlog::info("reloaded {}: {} added, {} changed, {} removed", options_.config_file,
               result.added.size(), result.changed.size(), result.removed.size());
  // Every online machine gets its definitions again; one that lost all its apps gets an empty
  // deploy, which stops them.
  std::set<std::string> machines(before.begin(), before.end());
  for (const auto& m : deployment_.machines())
    machines.insert(m);
  for (const auto& m : machines) {
    if (nodes_.ready(m)) nodes_.deploy_to(m);
  }
  return result;
}

// ---- PlanHost ----

void Broker::launch_for_plan(const config::AppDef& app, const std::string& plan,
                             std::function<void(const Status&)> done) {
  // The plan's own definition of the app applies from this launch on.
  if (deployment_.use(app)) nodes_.deploy_to(app.machine);
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
  sockets_.publish(bus::plan_topic(state.plan), proto::pack_to_string(state));
}

bool Broker::machine_ready(const std::string& machine) const {
  return nodes_.ready(machine);
}

}  // namespace baton::broker
