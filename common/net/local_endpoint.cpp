#include "common/net/local_endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

namespace baton {

namespace {
// A numeric loopback address. Not a name that merely looks like one: "127.example.com" resolves
// wherever its owner wants.
bool is_loopback_address(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}
}  // namespace

bool is_local_endpoint(std::string_view endpoint) {
  if (endpoint.starts_with("ipc://") || endpoint.starts_with("inproc://")) return true;
  if (!endpoint.starts_with("tcp://")) return false;  // pgm://, udp://, ...: multicast, not local
  std::string_view address = endpoint.substr(6);
  // tcp://source;destination: what matters is where we bind (the destination part).
  if (const auto semicolon = address.find(';'); semicolon != std::string_view::npos) {
    address = address.substr(semicolon + 1);
  }
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = address.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "lo" || is_loopback_address(std::string(host));
}

}  // namespace baton
