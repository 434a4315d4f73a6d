#include "node/appmonitor/refresh_deadlines.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace baton::node {
namespace {

using namespace std::chrono_literals;

TEST(RefreshDeadlines, RefreshMovesTheDeadlineByTheTokensTimeout) {
  RefreshDeadlines table;
  const TimePoint t0{};
  ASSERT_TRUE(table.insert(42, t0 + 100ms, 100ms));
  EXPECT_FALSE(table.insert(42, t0, 1ms));  // held
  EXPECT_FALSE(table.insert(0, t0, 1ms));   // 0 means an empty slot
  EXPECT_EQ(table.deadline(42), t0 + 100ms);
  ASSERT_TRUE(table.refresh(42, t0 + 70ms));
  EXPECT_EQ(table.deadline(42), t0 + 170ms);
  EXPECT_FALSE(table.refresh(43, t0));
  EXPECT_FALSE(table.refresh(0, t0));
  table.erase(42);
  EXPECT_FALSE(table.refresh(42, t0));
  EXPECT_EQ(table.deadline(42), std::nullopt);
  EXPECT_EQ(table.size(), 0u);
}

// Against std::map, with growth, and with keys made to collide in their home slot (equal high bits
// after the multiplication are unlikely at random: tokens that differ only in ways the hash maps
// to one slot are made by inverting it), so that the backward shift of erase is exercised on long
// probe sequences that wrap around the end of the table.
TEST(RefreshDeadlines, AgreesWithAMapThroughInsertsErasesAndGrowth) {
  RefreshDeadlines table;
  std::map<RefreshDeadlines::Token, TimePoint> model;
  std::mt19937_64 random(11);
  constexpr std::uint64_t kInverse = 0xF1DE83E19937733DULL;  // of 0x9E3779B97F4A7C15 mod 2^64
  static_assert(kInverse * 0x9E3779B97F4A7C15ULL == 1);
  auto token_at = [&](std::uint64_t high_bits, std::uint64_t low) {
    // A token whose hash has these top bits: the home slot of every table size up to 2^20 is
    // decided by them.
    return ((high_bits << 44) | (low & ((1ULL << 44) - 1))) * kInverse;
  };
  for (int round = 0; round < 20'000; ++round) {
    const int op = static_cast<int>(random() % 10);
    const auto at = TimePoint{} + std::chrono::milliseconds(random() % 100'000);
    RefreshDeadlines::Token token =
        op < 3 ? token_at(random() % 4 == 0 ? 0xFFFFF : random() % 8, random()) : random();
    if (op >= 6) {
      if (model.empty()) continue;
      token = std::next(model.begin(), static_cast<long>(random() % model.size()))->first;
    }
    if (token == 0) continue;
    if (op < 6) {
      EXPECT_EQ(table.insert(token, at, 1ms), !model.contains(token));
      model.try_emplace(token, at);
    } else if (op < 8) {
      table.erase(token);
      model.erase(token);
    } else {
      ASSERT_TRUE(table.refresh(token, at));
      model[token] = at + 1ms;
    }
    ASSERT_EQ(table.size(), model.size());
  }
  for (const auto& [token, deadline] : model)
    EXPECT_EQ(table.deadline(token), deadline);
}

}  // namespace
}  // namespace baton::node
