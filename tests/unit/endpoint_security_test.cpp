// Which endpoints need CURVE keys: the rule behind the broker's, `baton up`'s and the node's
// refusal to use others without --insecure.
#include <gtest/gtest.h>

#include "common/net/endpoint_security.hpp"

namespace baton {
namespace {

TEST(EndpointSecurity, IpcAndInprocGoWithoutKeys) {
  for (const char* endpoint :
       {"ipc:///run/baton/control.sock", "ipc:///tmp/x/bus.sock", "inproc://broker"}) {
    EXPECT_FALSE(endpoint_needs_keys(endpoint)) << endpoint;
  }
}

TEST(EndpointSecurity, EveryTcpEndpointNeedsKeysLoopbackIncluded) {
  // Any local user reaches a loopback port, and nothing there says who they are.
  for (const char* endpoint :
       {"tcp://127.0.0.1:7100", "tcp://127.1.2.3:7100", "tcp://localhost:7100", "tcp://[::1]:7100",
        "tcp://lo:7100", "tcp://10.0.0.5;127.0.0.1:7100", "tcp://0.0.0.0:7100", "tcp://*:7100",
        "tcp://10.1.2.3:7100", "tcp://[::]:7100", "tcp://eth0:7100", "tcp://master:7100",
        "pgm://eth0;239.192.1.1:5555", "tcp://7100", "ipc:/x", "IPC:///tmp/x", ""}) {
    EXPECT_TRUE(endpoint_needs_keys(endpoint)) << endpoint;
  }
}

}  // namespace
}  // namespace baton
