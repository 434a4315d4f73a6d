#include "bench/support/heartbeat_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <numeric>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/proto/appmonitor.hpp"

namespace baton::bench {

namespace am = proto::appmonitor;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kSetupDeadline = std::chrono::seconds(120);

// Waits for one answer; false after `wait`.
bool receive(zmq::socket_t& socket, zmq::message_t& reply, std::chrono::milliseconds wait) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, wait) == 0) return false;
  return socket.recv(reply, zmq::recv_flags::dontwait).has_value();
}

// True for {"ok":true,...}: the load generator checks every answer but must not spend more CPU
// than the server it measures, so it reads the first key instead of decoding the map. Both
// servers pack "ok" first (pack_message writes fields in declaration order).
bool answer_is_ok(const zmq::message_t& reply) {
  const auto* bytes = static_cast<const unsigned char*>(reply.data());
  return reply.size() >= 5 && (bytes[0] & 0xf0) == 0x80 && bytes[1] == 0xa2 && bytes[2] == 'o' &&
         bytes[3] == 'k' && bytes[4] == 0xc3;
}

}  // namespace

int run_heartbeat_client(const HeartbeatClientOptions& options) {
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, 100'000);
  socket.set(zmq::sockopt::rcvhwm, 100'000);
  socket.connect(options.endpoint);

  std::vector<std::uint64_t> ids;
  ids.reserve(options.apps);
  am::RegisterRequest registration;
  registration.pid = ::getpid();
  registration.timeout_ms = 60'000;  // no registration may expire while the run lasts
  registration.action = "kill";
  const std::string register_frame = proto::pack_to_string(registration);
  zmq::message_t reply;
  for (int i = 0; i < options.apps; ++i) {
    socket.send(zmq::buffer(register_frame), zmq::send_flags::none);
    if (!receive(socket, reply, std::chrono::milliseconds(10'000))) {
      std::cerr << "heartbeat client: no answer to register " << i << "\n";
      return 1;
    }
    msgpack::zone zone;
    auto object = proto::unpack_frame(zone, reply.data(), reply.size());
    auto answer = object ? proto::decode<am::RegisterReply>(*object)
                         : Expected<am::RegisterReply>(object.error());
    if (!answer || !answer->ok) {
      std::cerr << "heartbeat client: registration refused: " << reply.to_string() << "\n";
      return 1;
    }
    ids.push_back(answer->id);
  }
  ::close(::open(options.ready_file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));

  const auto setup_end = Clock::now() + kSetupDeadline;
  while (::access(options.go_file.c_str(), F_OK) != 0) {
    if (Clock::now() > setup_end) {
      std::cerr << "heartbeat client: no go within " << kSetupDeadline.count() << " s\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }

  // Pre-packed frames with a fixed seq, not re-encoded: the frame size stays constant and the
  // client cheap. One per registration, or frames of `batch` registrations taken round-robin (so
  // every registration is refreshed as often, and every frame carries the same count).
  const std::size_t batch = static_cast<std::size_t>(std::max(1, options.batch));
  std::vector<std::string> frames;
  if (batch == 1) {
    frames.reserve(ids.size());
    for (std::uint64_t id : ids) {
      frames.push_back(proto::pack_to_string(am::RefreshRequest{"refresh", id, 1ULL << 40}));
    }
  } else {
    // As many frames as it takes to come back to the first registration at a frame's start.
    const std::size_t count = ids.size() / std::gcd(ids.size(), batch);
    for (std::size_t f = 0; f < count; ++f) {
      am::RefreshManyRequest request{"refresh_many", {}, 1ULL << 40};
      for (std::size_t j = 0; j < batch; ++j)
        request.ids.push_back(ids[(f * batch + j) % ids.size()]);
      frames.push_back(proto::pack_to_string(request));
    }
  }
  const int window = std::max(1, options.window / static_cast<int>(batch));  // in frames
  long long refreshes = 0, errors = 0;
  int in_flight = 0;
  std::size_t next = 0;
  const auto end = Clock::now() + options.duration;
  while (Clock::now() < end) {
    while (in_flight < window) {
      const std::string& frame = frames[next];
      if (!socket.send(zmq::buffer(frame), zmq::send_flags::dontwait)) break;
      next = next + 1 == frames.size() ? 0 : next + 1;
      ++in_flight;
    }
    if (!receive(socket, reply, std::chrono::milliseconds(100))) continue;
    do {
      --in_flight;
      answer_is_ok(reply) ? refreshes += static_cast<long long>(batch) : ++errors;
    } while (socket.recv(reply, zmq::recv_flags::dontwait));
  }
  std::cout << "refreshes " << refreshes << " errors " << errors << std::endl;
  return 0;
}

}  // namespace baton::bench
