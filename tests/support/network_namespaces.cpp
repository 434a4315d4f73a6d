#include "tests/support/network_namespaces.hpp"

#include <unistd.h>

#include <stdexcept>

#include "harness/child_process.hpp"
#include "harness/files.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

namespace {

// Runs `ip` with `args`; its output on failure.
std::optional<std::string> ip(std::vector<std::string> args) {
  TempDir dir;
  args.insert(args.begin(), "/usr/sbin/ip");
  ChildProcess process(args, ChildProcess::Options{{}, {}, dir / "out"});
  auto status = process.wait_exit();
  if (status && status->exited_normally() && status->code == 0) return std::nullopt;
  std::string command;
  for (const auto& a : args)
    command += a + " ";
  return command + "failed: " + read_file(dir / "out");
}

void must(std::vector<std::string> args) {
  if (auto failed = ip(std::move(args))) throw std::runtime_error(*failed);
}

}  // namespace

std::optional<std::string> NetworkPair::unavailable() {
  if (::geteuid() != 0) return "network namespaces need root";
  if (::access("/usr/sbin/ip", X_OK) != 0) return "no /usr/sbin/ip (iproute2)";
  const std::string probe = "baton-probe-" + std::to_string(::getpid());
  if (auto failed = ip({"netns", "add", probe})) return "cannot create a namespace: " + *failed;
  (void)ip({"netns", "del", probe});
  return std::nullopt;
}

NetworkPair::NetworkPair() {
  const std::string id = std::to_string(::getpid());
  server_ = "baton-" + id + "-server";
  client_ = "baton-" + id + "-client";
  server_link_ = "bt" + id + "s";  // interface names: at most 15 characters
  client_link_ = "bt" + id + "c";
  must({"netns", "add", server_});
  must({"netns", "add", client_});
  must({"link", "add", server_link_, "netns", server_, "type", "veth", "peer", "name", client_link_,
        "netns", client_});
  for (const auto& [ns, link, address] :
       {std::tuple{server_, server_link_, std::string(kServerAddress)},
        std::tuple{client_, client_link_, std::string(kClientAddress)}}) {
    must({"-n", ns, "link", "set", "lo", "up"});
    must({"-n", ns, "addr", "add", address + "/24", "dev", link});
    must({"-n", ns, "link", "set", link, "up"});
  }
}

NetworkPair::~NetworkPair() {
  // Deleting a namespace deletes its end of the veth pair, and so the pair.
  (void)ip({"netns", "del", client_});
  (void)ip({"netns", "del", server_});
}

std::vector<std::string> NetworkPair::in_server() const {
  return {"/usr/sbin/ip", "netns", "exec", server_};
}

std::vector<std::string> NetworkPair::in_client() const {
  return {"/usr/sbin/ip", "netns", "exec", client_};
}

void NetworkPair::cut() {
  must({"-n", client_, "link", "set", client_link_, "down"});
}

void NetworkPair::heal() {
  must({"-n", client_, "link", "set", client_link_, "up"});
}

}  // namespace baton::test
