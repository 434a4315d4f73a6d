// baton-broker: see broker/broker.hpp.
#include <signal.h>

#include <iostream>

#include "broker/broker.hpp"
#include "broker/broker_options.hpp"
#include "common/log.hpp"
#include "common/os/signals.hpp"

int main(int argc, char** argv) {
  using namespace baton;
  auto parsed = broker::parse_broker_options(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  auto& options = std::get<broker::BrokerOptions>(parsed);

  // Before the ZeroMQ context starts its threads: they must inherit the blocked mask.
  block_signals({SIGTERM, SIGINT});
  ::signal(SIGPIPE, SIG_IGN);
  init_logging("broker", spdlog::level::from_str(options.log_level));

  zmq::context_t context(1);
  EventLoop loop;
  SignalFd signals({SIGTERM, SIGINT});
  broker::Broker broker(std::move(options), context, loop);
  if (auto started = broker.start(); !started) {
    std::cerr << "baton-broker: " << started.error().message << "\n";
    return 2;
  }
  const Watch signal_watch = loop.watch_fd(signals.fd(), [&] {
    while (auto info = signals.read()) {
      spdlog::info("signal {}: stopping", info->ssi_signo);
      loop.stop();
    }
  });
  loop.run();
  spdlog::info("broker stopped");
  return 0;
}
