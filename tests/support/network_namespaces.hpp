// Two network namespaces joined by a veth pair, for tests of what crosses a network: a "server"
// side at 10.77.0.1 and a "client" side at 10.77.0.2. The addresses exist only inside the two
// namespaces, so nothing the test sends can reach any other host. Creating namespaces needs root
// and iproute2; where the machine does not allow it, unavailable() says why and the test skips.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace baton::test {

class NetworkPair {
 public:
  static constexpr const char* kServerAddress = "10.77.0.1";
  static constexpr const char* kClientAddress = "10.77.0.2";

  // Why namespaces cannot be made here; nullopt when they can (probes by making one).
  static std::optional<std::string> unavailable();

  NetworkPair();  // throws std::runtime_error with ip's message when a step fails
  ~NetworkPair();
  NetworkPair(const NetworkPair&) = delete;
  NetworkPair& operator=(const NetworkPair&) = delete;

  // The argv prefix that runs a program inside one side ("ip netns exec NAME").
  std::vector<std::string> in_server() const;
  std::vector<std::string> in_client() const;

  // Takes the client's end of the link down (packets are dropped, no connection is reset), and
  // up again.
  void cut();
  void heal();

 private:
  std::string server_, client_, server_link_, client_link_;
};

}  // namespace baton::test
