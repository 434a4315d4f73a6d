#include "harness/command_stream.hpp"

#include <zmq.hpp>

#include <algorithm>
#include <chrono>

#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"

namespace baton::harness {

namespace control = proto::control;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

std::string set_vars_frame(const std::string& id, const std::string& machine, std::size_t i) {
  return proto::bus::pack_with(control::RequestHeader{1, id, "set_vars"}, "args", [&](auto& pk) {
    pk.pack_map(2);
    pk.pack(std::string_view("machine"));
    pk.pack(machine);
    pk.pack(std::string_view("vars"));
    pk.pack_map(1);
    pk.pack(std::string_view("LOAD"));
    pk.pack(std::to_string(i));
  });
}

}  // namespace

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1));
  return values[index];
}

CommandRun run_commands(const std::string& control_endpoint, const std::string& machine,
                        std::size_t total, int per_second) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, 0);
  socket.set(zmq::sockopt::rcvhwm, 0);
  socket.connect(control_endpoint);
  CommandRun run;
  std::vector<steady_clock::time_point> sent_at(total);
  std::vector<bool> answered(total, false);
  const auto start = steady_clock::now();
  auto receive = [&](std::chrono::milliseconds wait) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, wait) <= 0) return;
    zmq::message_t frame;
    while (socket.recv(frame, zmq::recv_flags::dontwait)) {
      const auto now = steady_clock::now();
      auto reply = proto::decode_frame<control::ReplyHeader>(frame.data(), frame.size());
      if (!reply || reply->id.size() < 2) continue;
      const std::size_t i = std::stoul(reply->id.substr(1));
      if (i >= total || answered[i]) continue;
      answered[i] = true;
      run.round_trip_ms.push_back(
          std::chrono::duration<double, std::milli>(now - sent_at[i]).count());
      if (reply->ok) {
        ++run.ok;
      } else {
        ++run.failed;
        if (run.first_error.empty()) run.first_error = reply->error.value_or("?");
      }
    }
  };
  while (run.sent < total) {
    const auto now = steady_clock::now();
    const bool due =
        per_second == 0
            ? run.ok + run.failed == run.sent
            : now >= start + std::chrono::microseconds(run.sent * 1'000'000 /
                                                       static_cast<std::size_t>(per_second));
    if (due) {
      const std::size_t i = run.sent++;
      sent_at[i] = steady_clock::now();
      socket.send(zmq::buffer(set_vars_frame("c" + std::to_string(i), machine, i)));
      continue;
    }
    receive(1ms);
  }
  const auto end = steady_clock::now() + 10s;
  while (run.ok + run.failed < run.sent && steady_clock::now() < end)
    receive(10ms);
  return run;
}

}  // namespace baton::harness
