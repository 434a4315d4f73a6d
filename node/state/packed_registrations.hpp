// Each application monitor registration packed once, as the state file holds it: nothing saved of
// a registration changes, so a save of 10,000 registrations is a copy, not 10,000 packs.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "node/appmonitor/watchdog_table.hpp"

namespace baton::node {

class PackedRegistrations {
 public:
  // Every registration of `all` packed (pack_saved_registration), into `out`, replacing what it
  // held. The views stay valid until the next call.
  void collect(const std::unordered_map<Token, Registration>& all,
               std::vector<std::string_view>& out);

 private:
  std::unordered_map<Token, std::string> packed_;
};

}  // namespace baton::node
