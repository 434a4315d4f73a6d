// The broker's authorized-keys file: which public keys may connect, and in which role.
//
//   # role    public key (40 Z85 characters, from NAME.pub)   name
//   node      <key>                                           m1       (the machine: required)
//   operator  <key>                                           alice
//   monitor   <key>                                           grafana
//
// A line starting with '#' is a comment; a name is one word (default: the key's first 8
// characters). Each key appears once. Errors name file:line.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "broker/access/access_policy.hpp"
#include "common/expected.hpp"

namespace baton::broker {

class AuthorizedKeys {
 public:
  static Expected<AuthorizedKeys> load(const std::string& path);

  // The peer a public key (Z85) stands for; nullopt for a key the file does not list.
  std::optional<Peer> find(std::string_view public_key) const;
  std::size_t size() const { return peers_.size(); }
  std::size_t count(Role role) const;

 private:
  std::map<std::string, Peer, std::less<>> peers_;  // by Z85 public key
};

}  // namespace baton::broker
