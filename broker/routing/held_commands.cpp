#include "broker/routing/held_commands.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace baton::broker {

void HeldCommands::hold(const std::string& machine, Send send, Fail fail) {
  const std::uint64_t id = next_id_++;
  Timer timer = loop_.after(timeout_, [this, machine, id] { expire(machine, id); });
  held_[machine].push_back(Held{id, std::move(send), std::move(fail), std::move(timer)});
}

void HeldCommands::release(const std::string& machine) {
  auto it = held_.find(machine);
  if (it == held_.end()) return;
  // Taken out first: a command sent now may, through its callbacks, hold another. Their timers end
  // with them.
  std::vector<Held> commands = std::move(it->second);
  held_.erase(it);
  spdlog::info("machine {} is linked: sending the {} commands held for it", machine,
               commands.size());
  for (auto& c : commands)
    c.send();
}

void HeldCommands::fail_machine(const std::string& machine, const std::string& reason) {
  auto it = held_.find(machine);
  if (it == held_.end()) return;
  std::vector<Held> commands = std::move(it->second);
  held_.erase(it);
  for (auto& c : commands)
    c.fail(reason);
}

void HeldCommands::expire(const std::string& machine, std::uint64_t id) {
  auto it = held_.find(machine);
  if (it == held_.end()) return;
  auto& commands = it->second;
  auto c =
      std::find_if(commands.begin(), commands.end(), [id](const Held& h) { return h.id == id; });
  if (c == commands.end()) return;
  Fail fail = std::move(c->fail);
  commands.erase(c);
  if (commands.empty()) held_.erase(it);
  fail("machine " + machine + " is connecting but did not subscribe to its commands within " +
       std::to_string(timeout_.count()) + " ms: see its node's log");
}

std::size_t HeldCommands::held(const std::string& machine) const {
  auto it = held_.find(machine);
  return it == held_.end() ? 0 : it->second.size();
}

}  // namespace baton::broker
