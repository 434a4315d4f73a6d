#include "broker/routing/command_router.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace baton::broker {

namespace bus = proto::bus;

void CommandRouter::send_packed(const std::string& machine, bus::CommandOp op, const Pack& pack,
                                Callback done) {
  const std::string id = "b" + std::to_string(next_id_++);
  const bus::CommandHeader header{bus::kVersion, id, std::string(proto::to_name(op)),
                                  kBrokerReplyTo};
  Pending p{machine, op, std::move(done), {}};
  p.timer = loop_.after(timeout_, [this, id] { on_timer(id); });
  pending_.emplace(id, std::move(p));
  publish_(bus::command_topic(machine), pack(header));
}

void CommandRouter::on_timer(const std::string& id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  // The machine answered another command meanwhile: it is working through its queue.
  if (auto answered = last_answer_.find(p.machine); answered != last_answer_.end()) {
    const TimePoint deadline = answered->second + timeout_;
    if (deadline > SteadyClock::now()) {
      p.timer = loop_.at(deadline, [this, id] { on_timer(id); });
      return;
    }
  }
  finish(id,
         Outcome{false,
                 "machine " + p.machine + " did not answer " + std::string(proto::to_name(p.op)) +
                     " (nor any other command) within " + std::to_string(timeout_.count()) + " ms",
                 {}});
}

void CommandRouter::on_reply(const bus::ReplyHeader& reply, std::string payload) {
  auto it = pending_.find(reply.id);
  if (it == pending_.end()) return;
  last_answer_[it->second.machine] = SteadyClock::now();
  Outcome outcome{reply.ok, reply.ok ? std::string{} : reply.error.value_or("failed"),
                  std::move(payload)};
  finish(reply.id, outcome);
}

void CommandRouter::fail_machine(const std::string& machine, const std::string& reason) {
  last_answer_.erase(machine);
  std::vector<std::string> ids;
  for (const auto& [id, p] : pending_) {
    if (p.machine == machine) ids.push_back(id);
  }
  for (const auto& id : ids)
    finish(id, Outcome{false, reason, {}});
}

void CommandRouter::finish(const std::string& id, const Outcome& outcome) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);  // its timer ends with it
  pending_.erase(it);
  if (!outcome.ok) spdlog::warn("{} on {}: {}", proto::to_name(p.op), p.machine, outcome.error);
  if (p.done) p.done(outcome);
}

}  // namespace baton::broker
