#include "tests/support/fleet_processes.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "common/os/unique_fd.hpp"

namespace baton::test {

namespace bus = proto::bus;
namespace control = proto::control;

int free_tcp_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

BrokerEndpoints BrokerEndpoints::in(const TempDir& dir) {
  return {"ipc://" + (dir / "control.sock"), "ipc://" + (dir / "ingest.sock"),
          "ipc://" + (dir / "bus.sock")};
}

BrokerEndpoints BrokerEndpoints::loopback_tcp() {
  // Each port is free when picked (the probe socket is closed again); re-pick until the three
  // differ. Another process may still take one before the broker binds: the broker then fails to
  // start and the test says so.
  auto ep = [](int port) { return "tcp://127.0.0.1:" + std::to_string(port); };
  int a = free_tcp_port(), b = free_tcp_port(), c = free_tcp_port();
  while (b == a)
    b = free_tcp_port();
  while (c == a || c == b)
    c = free_tcp_port();
  return {ep(a), ep(b), ep(c)};
}

BrokerProcess::BrokerProcess(const TempDir& dir, const std::string& config,
                             BrokerEndpoints endpoints, std::vector<std::string> extra_args,
                             const std::string& log_name,
                             const std::optional<CurveClientKeys>& hello_keys)
    : endpoints_(std::move(endpoints)),
      log_path_(dir / (log_name + ".log")),
      process_(
          [&] {
            std::vector<std::string> argv{binary_path("baton-broker"),
                                          "--config",
                                          config,
                                          "--control",
                                          endpoints_.control,
                                          "--ingest",
                                          endpoints_.ingest,
                                          "--bus",
                                          endpoints_.bus};
            argv.insert(argv.end(), extra_args.begin(), extra_args.end());
            return argv;
          }(),
          ChildProcess::Options{{}, {}, log_path_}) {
  ControlClient client(endpoints_.control, hello_keys);
  if (!wait_until([&] {
        if (!process_.running()) return true;
        return client
            .request("hello", control::HelloArgs{"client", std::nullopt, "test"},
                     std::chrono::milliseconds(200))
            .has_value();
      })) {
    throw std::runtime_error("baton-broker did not answer: " + log());
  }
  if (!process_.running()) throw std::runtime_error("baton-broker exited: " + log());
}

FleetNode::FleetNode(const TempDir& dir, const std::string& machine, const std::string& control,
                     std::vector<std::string> extra_args)
    : dir_(dir), machine_(machine) {
  argv_ = {binary_path("baton-node"),
           "--machine",
           machine,
           "--broker",
           control,
           "--appmonitor",
           "ipc://" + dir.path() + "/" + machine + ".sock",
           "--log-dir",
           dir.path() + "/logs-" + machine,
           "--state-dir",
           dir.path() + "/state-" + machine};
  argv_.insert(argv_.end(), extra_args.begin(), extra_args.end());
  start();
}

void FleetNode::start() {
  log_path_ = dir_ / ("node-" + machine_ + "-" + std::to_string(++starts_) + ".log");
  process_ = std::make_unique<ChildProcess>(argv_, ChildProcess::Options{{}, {}, log_path_});
  const std::string socket = dir_.path() + "/" + machine_ + ".sock";
  if (!wait_until([&] { return file_exists(socket) || !process_->running(); }) ||
      !process_->running()) {
    throw std::runtime_error("baton-node " + machine_ + " did not start: " + log());
  }
}

void FleetNode::kill9() {
  process_->signal(SIGKILL);
  process_->wait_exit();
}

void FleetNode::kill9_and_restart() {
  kill9();
  start();
}

ControlClient::ControlClient(const std::string& control, const std::optional<CurveClientKeys>& keys)
    : socket_(context_, zmq::socket_type::dealer) {
  socket_.set(zmq::sockopt::linger, 0);
  if (keys) apply_curve_client(socket_, *keys);
  socket_.connect(control);
}

const msgpack::object* ControlClient::Reply::result() const {
  return proto::find_key(handle.get(), "result");
}

std::optional<ControlClient::Reply> ControlClient::request_raw(const std::string&,
                                                               const std::string& frame,
                                                               std::chrono::milliseconds wait) {
  // The id is inside the frame; read it back to match the answer.
  msgpack::object_handle sent = msgpack::unpack(frame.data(), frame.size());
  const std::string id = proto::find_key(sent.get(), "id")->as<std::string>();
  socket_.send(zmq::buffer(frame), zmq::send_flags::dontwait);
  const auto end = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, left) <= 0) continue;
    zmq::message_t message;
    if (!socket_.recv(message, zmq::recv_flags::dontwait)) continue;
    Reply reply;
    reply.frame = message.to_string();
    try {
      reply.handle = msgpack::unpack(reply.frame.data(), reply.frame.size());
    } catch (const std::exception&) {
      continue;
    }
    auto header = proto::decode<control::ReplyHeader>(reply.handle.get());
    if (!header || header->id != id) continue;  // an answer to an earlier, timed-out request
    reply.ok = header->ok;
    reply.error = header->error.value_or("");
    return reply;
  }
}

void ControlClient::send_garbage(const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    socket_.send(zmq::buffer(frames[i]),
                 i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::dontwait);
  }
}

std::map<std::string, control::AppStatus> ControlClient::all_apps() {
  std::map<std::string, control::AppStatus> out;
  auto reply = request("get_all_apps_state");
  if (!reply || !reply->ok) return out;
  auto all = result_as<control::AllAppsResult>(*reply);
  if (!all) return out;
  for (auto& app : all->apps)
    out[app.state.machine + "." + app.state.app] = app;
  return out;
}

std::optional<control::AppStatus> ControlClient::app(const std::string& id) {
  auto reply = request("get_app_state", control::AppArgs{id});
  if (!reply || !reply->ok) return std::nullopt;
  auto result = result_as<control::AppStateResult>(*reply);
  if (!result) return std::nullopt;
  return result->app;
}

std::optional<control::PlanState> ControlClient::plan(const std::string& name) {
  auto reply = request("plan_status", control::PlanArgs{name});
  if (!reply || !reply->ok) return std::nullopt;
  return result_as<control::PlanState>(*reply);
}

bool has_flag(const bus::AppState& state, const std::string& flag) {
  return std::find(state.flags.begin(), state.flags.end(), flag) != state.flags.end();
}

bool ControlClient::has_flag(const std::string& id, const std::string& flag) {
  auto status = app(id);
  return status && test::has_flag(status->state, flag);
}

bool ControlClient::wait_app(const std::string& id,
                             const std::function<bool(const control::AppStatus&)>& condition,
                             std::chrono::milliseconds deadline) {
  return wait_until(
      [&] {
        auto status = app(id);
        return status && condition(*status);
      },
      deadline);
}

bool ControlClient::wait_plan(const std::string& name, const std::string& status,
                              std::chrono::milliseconds deadline) {
  return wait_until(
      [&] {
        auto state = plan(name);
        return state && state->status == status;
      },
      deadline);
}

bool ControlClient::wait_linked(const std::string& machine, std::chrono::milliseconds deadline) {
  const auto online = [&] {
    auto reply = request("machines");
    auto machines = reply ? result_as<control::MachinesResult>(*reply) : std::nullopt;
    if (!machines) return false;
    for (const auto& m : machines->machines) {
      if (m.node.machine == machine) return m.node.online;
    }
    return false;
  };
  if (!wait_until(online, deadline)) return false;
  const std::string frame = proto::bus::pack_with(control::RequestHeader{1, next_id(), "set_vars"},
                                                  "args", [&](auto& pk) {
                                                    pk.pack_map(2);
                                                    pk.pack(std::string_view("machine"));
                                                    pk.pack(std::string_view(machine));
                                                    pk.pack(std::string_view("vars"));
                                                    pk.pack_map(0);
                                                  });
  auto linked = request_raw("set_vars", frame, deadline);
  return linked && linked->ok;
}

BusWatcher::BusWatcher(const std::string& bus_endpoint, const std::vector<std::string>& prefixes,
                       const std::optional<CurveClientKeys>& keys)
    : socket_(context_, zmq::socket_type::sub) {
  socket_.set(zmq::sockopt::linger, 0);
  if (keys) apply_curve_client(socket_, *keys);
  for (const auto& prefix : prefixes)
    socket_.set(zmq::sockopt::subscribe, prefix);
  socket_.connect(bus_endpoint);
}

void BusWatcher::pump(std::chrono::milliseconds wait) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, wait) <= 0) return;
  for (;;) {
    zmq::message_t topic, payload;
    if (!socket_.recv(topic, zmq::recv_flags::dontwait)) return;
    if (!topic.more()) continue;
    (void)socket_.recv(payload, zmq::recv_flags::dontwait);
    messages_.emplace_back(topic.to_string(), payload.to_string());
  }
}

bool BusWatcher::pump_until(const std::function<bool()>& condition,
                            std::chrono::milliseconds deadline) {
  return test::pump_until([this] { pump(); }, condition, deadline);
}

std::vector<bus::Event> BusWatcher::events(const std::string& machine_app) const {
  std::vector<bus::Event> out;
  for (const auto& [topic, payload] : messages_) {
    if (!topic.starts_with("event/")) continue;
    auto event = proto::decode_frame<bus::Event>(payload.data(), payload.size());
    if (event && event->machine + "." + event->app == machine_app) out.push_back(*event);
  }
  return out;
}

}  // namespace baton::test
