#include "bench/support/bare_router.hpp"

#include <signal.h>

#include <iostream>
#include <zmq.hpp>

#include "common/proto/appmonitor.hpp"

namespace baton::bench {

namespace am = proto::appmonitor;

namespace {

volatile sig_atomic_t stop_requested = 0;

void request_stop(int) {
  stop_requested = 1;
}

// The answer to one request frame, packed like the node's.
void answer(const zmq::message_t& frame, msgpack::sbuffer& out, std::uint64_t& next_id) {
  msgpack::zone zone;
  msgpack::packer<msgpack::sbuffer> packer(out);
  auto object = proto::unpack_frame(zone, frame.data(), frame.size());
  const msgpack::object* op = object ? proto::find_key(*object, "op") : nullptr;
  if (op == nullptr || op->type != msgpack::type::STR) {
    proto::pack_message(packer, am::ErrorReply{false, "malformed", "malformed"});
    return;
  }
  const std::string_view name(op->via.str.ptr, op->via.str.size);
  if (name == "refresh") {
    const msgpack::object* seq = proto::find_key(*object, "seq");
    const msgpack::object* id = proto::find_key(*object, "id");
    if (seq != nullptr && id != nullptr && seq->type == msgpack::type::POSITIVE_INTEGER) {
      proto::pack_message(packer, am::RefreshReply{true, seq->via.u64});
      return;
    }
  } else if (name == "refresh_many") {
    // Reads every id, as a server that acts on them must.
    const msgpack::object* seq = proto::find_key(*object, "seq");
    const msgpack::object* ids = proto::find_key(*object, "ids");
    bool valid = seq != nullptr && seq->type == msgpack::type::POSITIVE_INTEGER && ids != nullptr &&
                 ids->type == msgpack::type::ARRAY && ids->via.array.size > 0;
    for (std::uint32_t i = 0; valid && i < ids->via.array.size; ++i)
      valid = ids->via.array.ptr[i].type == msgpack::type::POSITIVE_INTEGER;
    if (valid) {
      proto::pack_message(packer, am::RefreshReply{true, seq->via.u64});
      return;
    }
  } else if (name == "register") {
    proto::pack_message(packer, am::RegisterReply{true, ++next_id});
    return;
  } else if (name == "unregister") {
    proto::pack_message(packer, am::OkReply{});
    return;
  }
  proto::pack_message(packer, am::ErrorReply{false, "bad request", "bad_request"});
}

}  // namespace

int serve_bare_router(const std::string& endpoint) {
  struct sigaction action {};
  action.sa_handler = request_stop;
  ::sigaction(SIGTERM, &action, nullptr);

  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::router);
  socket.set(zmq::sockopt::linger, 0);
  // The node's settings, so that both queue the same way.
  socket.set(zmq::sockopt::rcvhwm, 100'000);
  socket.set(zmq::sockopt::sndhwm, 100'000);
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    std::cerr << "bare router: cannot bind " << endpoint << ": " << e.what() << "\n";
    return 1;
  }
  std::uint64_t next_id = 0;
  msgpack::sbuffer reply;
  zmq::message_t identity, frame;
  while (stop_requested == 0) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      throw;
    }
    // Drains what is queued in batches, as the node does.
    for (int i = 0; i < 1024; ++i) {
      if (!socket.recv(identity, zmq::recv_flags::dontwait)) break;
      if (!socket.recv(frame, zmq::recv_flags::dontwait)) break;
      reply.clear();
      answer(frame, reply, next_id);
      if (!socket.send(identity, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) continue;
      (void)socket.send(zmq::message_t(reply.data(), reply.size()), zmq::send_flags::dontwait);
    }
  }
  return 0;
}

}  // namespace baton::bench
