// Commands for a machine that is online but not yet linked: its node is heard on ingest, but its
// subscription to cmd/<machine>/ has not reached the broker (a node that just started, or any node
// right after a broker restart). A command published now would be lost, so it waits here until
// the machine links, goes offline, or waits longer than the command timeout. A client that saw the
// machine online can therefore always act on it.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/loop/event_loop.hpp"

namespace baton::broker {

class HeldCommands {
 public:
  using Send = std::function<void()>;
  using Fail = std::function<void(const std::string& reason)>;

  HeldCommands(EventLoop& loop, std::chrono::milliseconds timeout)
      : loop_(loop), timeout_(timeout) {}
  HeldCommands(const HeldCommands&) = delete;
  HeldCommands& operator=(const HeldCommands&) = delete;

  // Keeps `send` until release(machine); `fail` runs instead when the timeout passes first or
  // fail_machine(machine) is called. Exactly one of the two runs (unless this object goes first).
  void hold(const std::string& machine, Send send, Fail fail);
  // The machine is linked: its held commands are sent, in the order they came.
  void release(const std::string& machine);
  void fail_machine(const std::string& machine, const std::string& reason);
  std::size_t held(const std::string& machine) const;

 private:
  struct Held {
    std::uint64_t id;
    Send send;
    Fail fail;
    Timer timer;
  };
  void expire(const std::string& machine, std::uint64_t id);

  EventLoop& loop_;
  std::chrono::milliseconds timeout_;
  std::map<std::string, std::vector<Held>> held_;
  std::uint64_t next_id_ = 1;
};

}  // namespace baton::broker
