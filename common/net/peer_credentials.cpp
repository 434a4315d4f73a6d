#include "common/net/peer_credentials.hpp"

#include <pwd.h>
#include <zmq.h>

#include <charconv>
#include <unordered_map>
#include <zmq.hpp>

namespace baton {

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
  // What is left is the Unix socket's own address, never an IPv6 address: "fe80::1:2:3" of a tcp
  // peer would otherwise read as uid 1, gid 2, pid 3.
  if (rest.find(':') != std::string_view::npos) return std::nullopt;
  return creds;
}

std::optional<PeerCredentials> peer_credentials_of(const zmq::message_t& message) {
  const char* peer = zmq_msg_gets(message.handle(), "Peer-Address");
  if (peer == nullptr) return std::nullopt;
  return parse_peer_address(peer);
}

std::string describe_user(uid_t uid) {
  // The broker names the user of every command it logs: a lookup in the user database reads
  // /etc/passwd (or asks NSS) each time, so the few users that ask are remembered. Called from a
  // daemon's one event loop only.
  static std::unordered_map<uid_t, std::string> known;
  if (auto it = known.find(uid); it != known.end()) return it->second;
  std::string text = "uid " + std::to_string(uid);
  passwd entry{};
  passwd* found = nullptr;
  char buffer[1024];
  if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
    text += std::string(" ") + found->pw_name;
  }
  if (known.size() >= 1024) known.clear();
  known.emplace(uid, text);
  return text;
}

}  // namespace baton
