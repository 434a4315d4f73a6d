#include "harness/fleet_processes.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "common/os/unique_fd.hpp"
#include "common/proto/control.hpp"
#include "harness/control_client.hpp"

namespace baton::harness {

namespace control = proto::control;

int free_tcp_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

BrokerEndpoints BrokerEndpoints::in(const TempDir& dir) {
  return {"ipc://" + (dir / "control.sock"), "ipc://" + (dir / "ingest.sock"),
          "ipc://" + (dir / "bus.sock")};
}

BrokerEndpoints BrokerEndpoints::loopback_tcp() {
  // Each port is free when picked (the probe socket is closed again); re-pick until the three
  // differ. Another process may still take one before the broker binds: the broker then fails to
  // start and the test says so.
  auto ep = [](int port) { return "tcp://127.0.0.1:" + std::to_string(port); };
  int a = free_tcp_port(), b = free_tcp_port(), c = free_tcp_port();
  while (b == a)
    b = free_tcp_port();
  while (c == a || c == b)
    c = free_tcp_port();
  return {ep(a), ep(b), ep(c)};
}

BrokerProcess::BrokerProcess(const TempDir& dir, const std::string& config,
                             BrokerEndpoints endpoints, std::vector<std::string> extra_args,
                             const std::string& log_name,
                             const std::optional<CurveClientKeys>& hello_keys)
    : endpoints_(std::move(endpoints)),
      log_path_(dir / (log_name + ".log")),
      process_(
          [&] {
            std::vector<std::string> argv{binary_path("baton-broker"),
                                          "--config",
                                          config,
                                          "--control",
                                          endpoints_.control,
                                          "--ingest",
                                          endpoints_.ingest,
                                          "--bus",
                                          endpoints_.bus};
            argv.insert(argv.end(), extra_args.begin(), extra_args.end());
            return argv;
          }(),
          ChildProcess::Options{{}, {}, log_path_}) {
  ControlClient client(endpoints_.control, hello_keys);
  if (!wait_until([&] {
        if (!process_.running()) return true;
        return client
            .request("hello", control::HelloArgs{"client", std::nullopt, "test"},
                     std::chrono::milliseconds(200))
            .has_value();
      })) {
    throw std::runtime_error("baton-broker did not answer: " + log());
  }
  if (!process_.running()) throw std::runtime_error("baton-broker exited: " + log());
}

FleetNode::FleetNode(const TempDir& dir, const std::string& machine, const std::string& control,
                     std::vector<std::string> extra_args)
    : dir_(dir), machine_(machine) {
  argv_ = {binary_path("baton-node"),
           "--machine",
           machine,
           "--broker",
           control,
           "--appmonitor",
           "ipc://" + dir.path() + "/" + machine + ".sock",
           "--log-dir",
           dir.path() + "/logs-" + machine,
           "--state-dir",
           dir.path() + "/state-" + machine};
  argv_.insert(argv_.end(), extra_args.begin(), extra_args.end());
  start();
}

void FleetNode::start() {
  log_path_ = dir_ / ("node-" + machine_ + "-" + std::to_string(++starts_) + ".log");
  process_ = std::make_unique<ChildProcess>(argv_, ChildProcess::Options{{}, {}, log_path_});
  const std::string socket = dir_.path() + "/" + machine_ + ".sock";
  if (!wait_until([&] { return file_exists(socket) || !process_->running(); }) ||
      !process_->running()) {
    throw std::runtime_error("baton-node " + machine_ + " did not start: " + log());
  }
}

void FleetNode::kill9() {
  process_->signal(SIGKILL);
  process_->wait_exit();
}

void FleetNode::kill9_and_restart() {
  kill9();
  start();
}

}  // namespace baton::harness
