// Which endpoints only this machine reaches: the rule behind the broker's refusal to bind others.
#include <gtest/gtest.h>

#include "common/net/local_endpoint.hpp"

namespace baton {
namespace {

TEST(LocalEndpoint, LoopbackIpcAndInprocAreLocal) {
  for (const char* endpoint :
       {"ipc:///run/baton/appmonitor.sock", "inproc://broker", "tcp://127.0.0.1:7100",
        "tcp://127.1.2.3:7100", "tcp://localhost:7100", "tcp://[::1]:7100", "tcp://lo:7100",
        "tcp://10.0.0.5;127.0.0.1:7100"}) {
    EXPECT_TRUE(is_local_endpoint(endpoint)) << endpoint;
  }
}

TEST(LocalEndpoint, EverythingTheNetworkReachesIsNot) {
  for (const char* endpoint :
       {"tcp://0.0.0.0:7100", "tcp://*:7100", "tcp://10.1.2.3:7100", "tcp://[::]:7100",
        "tcp://eth0:7100", "tcp://master:7100", "tcp://127.example.com:7100",
        "tcp://127.0.0.1;10.0.0.5:7100", "pgm://eth0;239.192.1.1:5555", "tcp://7100", ""}) {
    EXPECT_FALSE(is_local_endpoint(endpoint)) << endpoint;
  }
}

}  // namespace
}  // namespace baton
