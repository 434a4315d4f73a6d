// Commands from the broker to one node on cmd/<machine>/, and their replies on reply/broker: each
// command gets an id, and its callback runs exactly once, with the node's reply, with a timeout
// error, or with an offline error when the machine goes silent first.
//
// The timeout is how long a node may leave its waiting commands unanswered, not how long each
// one may take: a node answers its commands one after the other, so the thousandth launch of a
// plan is answered long after it was sent while the node works through the others. A command
// fails when neither it nor any other command of its machine was answered within the timeout
// (counting from its sending or the machine's last answer, whichever is later).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>

#include "common/loop/event_loop.hpp"
#include "common/proto/bus.hpp"

namespace baton::broker {

inline constexpr const char* kBrokerReplyTo = "broker";

class CommandRouter {
 public:
  struct Outcome {
    bool ok = false;
    std::string error;    // when !ok
    std::string payload;  // the node's whole reply frame (for its result), when one came
  };
  using Callback = std::function<void(const Outcome&)>;
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;
  // Packs the command frame for the header the router chose.
  using Pack = std::function<std::string(const proto::bus::CommandHeader&)>;

  CommandRouter(EventLoop& loop, Publish publish, std::chrono::milliseconds timeout)
      : loop_(loop), publish_(std::move(publish)), timeout_(timeout) {}
  CommandRouter(const CommandRouter&) = delete;
  CommandRouter& operator=(const CommandRouter&) = delete;

  // Sends op to `machine`. `done` may be empty (fire and forget, a failure is only logged).
  void send_packed(const std::string& machine, proto::bus::CommandOp op, const Pack& pack,
                   Callback done);
  // The same with an args message packed the usual way.
  template <class Args>
  void send(const std::string& machine, proto::bus::CommandOp op, const Args& args, Callback done) {
    send_packed(
        machine, op,
        [&args](const proto::bus::CommandHeader& header) {
          return proto::bus::pack_command(header, args);
        },
        std::move(done));
  }

  // A reply arrived on reply/broker; unknown ids (late, after a timeout) are ignored.
  void on_reply(const proto::bus::ReplyHeader& reply, std::string payload);
  // Fails every command waiting on `machine` with `reason`.
  void fail_machine(const std::string& machine, const std::string& reason);
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::string machine;
    proto::bus::CommandOp op;
    Callback done;
    Timer timer;
  };
  void finish(const std::string& id, const Outcome& outcome);
  void on_timer(const std::string& id);

  EventLoop& loop_;
  Publish publish_;
  std::chrono::milliseconds timeout_;
  std::unordered_map<std::string, Pending> pending_;
  std::unordered_map<std::string, TimePoint> last_answer_;  // by machine
  std::uint64_t next_id_ = 1;
};

}  // namespace baton::broker
