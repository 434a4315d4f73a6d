#include "harness/control_client.hpp"

#include <algorithm>

namespace baton::harness {

namespace bus = proto::bus;
namespace control = proto::control;

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
  return status && harness::has_flag(status->state, flag);
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

}  // namespace baton::harness
