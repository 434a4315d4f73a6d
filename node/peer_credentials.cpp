#include "node/peer_credentials.hpp"

#include <charconv>

namespace baton::node {

namespace {
// Takes the last ":<number>" off `text`.
template <class Int>
bool take_last_number(std::string_view& text, Int& out) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view digits = text.substr(colon + 1);
  if (digits.empty()) return false;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  text = text.substr(0, colon);
  return true;
}
}  // namespace

std::optional<PeerCredentials> parse_peer_address(std::string_view peer_address) {
  PeerCredentials creds{};
  std::string_view rest = peer_address;
  if (!take_last_number(rest, creds.pid) || !take_last_number(rest, creds.gid) ||
      !take_last_number(rest, creds.uid) || creds.pid <= 0) {
    return std::nullopt;
  }
  return creds;
}

}  // namespace baton::node
