#include <gtest/gtest.h>

#include "common/net/peer_credentials.hpp"

namespace baton::node {
namespace {

TEST(PeerCredentials, ParsesLibzmqIpcPeerAddress) {
  auto creds = parse_peer_address("localhost:1000:100:4242");
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->uid, 1000u);
  EXPECT_EQ(creds->gid, 100u);
  EXPECT_EQ(creds->pid, 4242);
}

TEST(PeerCredentials, RejectsAddressesWithoutCredentials) {
  EXPECT_FALSE(parse_peer_address("").has_value());
  EXPECT_FALSE(parse_peer_address("127.0.0.1").has_value());
  EXPECT_FALSE(parse_peer_address("::1").has_value());
  EXPECT_FALSE(parse_peer_address("localhost:1:2:x").has_value());
  EXPECT_FALSE(parse_peer_address("localhost:1:2:0").has_value());
  EXPECT_FALSE(parse_peer_address("1:2").has_value());
}

}  // namespace
}  // namespace baton::node
