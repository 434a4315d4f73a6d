#include "node/state/packed_registrations.hpp"

#include "node/state/node_state_file.hpp"

namespace baton::node {

void PackedRegistrations::collect(const std::unordered_map<Token, Registration>& all,
                                  std::vector<std::string_view>& out) {
  out.clear();
  out.reserve(all.size());
  for (const auto& [token, registration] : all) {
    auto [it, added] = packed_.try_emplace(token);
    if (added) it->second = pack_saved_registration(registration);
    out.push_back(it->second);
  }
  // Every registration of the table is packed now: anything more left the table.
  if (packed_.size() > all.size()) {
    std::erase_if(packed_, [&](const auto& entry) { return !all.contains(entry.first); });
  }
}

}  // namespace baton::node
