#include "broker/access/authorized_keys.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/config/app_def.hpp"
#include "common/net/curve_keys.hpp"

namespace baton::broker {

Expected<AuthorizedKeys> AuthorizedKeys::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read the authorized keys " + path + ": " + std::strerror(errno)};
  AuthorizedKeys keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string role_word, key, name, extra;
    if (!(words >> role_word) || role_word.starts_with('#')) continue;
    words >> key >> name >> extra;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    const auto role = parse_role(role_word);
    if (!role) {
      return Error{where + "unknown role '" + role_word.substr(0, 32) +
                   "' (expected node, operator or monitor)"};
    }
    if (!is_z85_key(key)) {
      return Error{where + "expected a public key of " + std::to_string(kZ85KeyLength) +
                   " Z85 characters after '" + role_word + "' (the public-key of NAME.pub)"};
    }
    if (!extra.empty() && !extra.starts_with('#')) {
      return Error{where + "unexpected '" + extra.substr(0, 32) + "' after the name"};
    }
    if (*role == Role::node) {
      // The machine id the node runs as: checked as the machine part of an app id.
      if (name.empty() || name.starts_with('#') || name.find('.') != std::string::npos ||
          !config::parse_app_id(name + ".app")) {
        return Error{where +
                     "a node key needs the id of its machine after the key (no '.', "
                     "'/', ';', '@' or '%')"};
      }
    } else if (name.empty() || name.starts_with('#')) {
      name = key.substr(0, 8);
    }
    if (keys.peers_.contains(key)) {
      return Error{where + "this key is listed already, as " + describe(keys.peers_.at(key))};
    }
    keys.peers_.emplace(key, Peer{*role, name});
  }
  if (in.bad())
    return Error{"cannot read the authorized keys " + path + ": " + std::strerror(errno)};
  return keys;
}

std::optional<Peer> AuthorizedKeys::find(std::string_view public_key) const {
  const auto it = peers_.find(public_key);
  if (it == peers_.end()) return std::nullopt;
  return it->second;
}

std::size_t AuthorizedKeys::count(Role role) const {
  std::size_t n = 0;
  for (const auto& [key, peer] : peers_)
    n += peer.role == role ? 1 : 0;
  return n;
}

}  // namespace baton::broker
