// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The live side of the scheduler without a socket: option trades in, `Q.` channel changes out
// (unsubscribe before subscribe, within the limit), refusals from the server back in.

#include "net/rebalancer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ws_source/shard.hpp"

namespace ws_source::detail {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

OptionTrade trade(const std::string& sym, std::int64_t ts) {
  OptionTrade t;
  t.symbol = Symbol::unchecked(sym);
  t.price = 1.0;
  t.size = 1;
  t.sip_ts_ns = ts;
  return t;
}

std::string contract(int i) {
  // O:SPY250620C00 + a 6-digit strike.
  std::string s = "O:SPY250620C00" + std::to_string(100000 + i);
  return s;
}

/// `n` contracts, contract i trading (n - i) times at `ts`.
std::vector<TradeOrNbbo> trades(int n, std::int64_t ts) {
  std::vector<TradeOrNbbo> rows;
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < n - i; ++k) rows.emplace_back(trade(contract(i), ts));
  }
  return rows;
}

SchedulerConfig small_config() {
  SchedulerConfig c;
  c.top_n = 5;
  c.exploration_fraction = 0.0;
  return c;
}

TEST(Rebalancer, TurnsTheAllocationIntoQuoteChannelsWithinTheLimit) {
  Rebalancer r(small_config(), 0, 1, 10);
  r.on_rows(trades(30, kSecond));
  const auto c = r.rebalance(kSecond, 0);
  EXPECT_EQ(c.capacity, 10U);
  EXPECT_EQ(c.active, 10U);
  ASSERT_EQ(c.subscribe.size(), 10U);
  EXPECT_TRUE(c.unsubscribe.empty());
  for (const auto& ch : c.subscribe) {
    EXPECT_TRUE(ch.starts_with("Q.O:SPY")) << ch;
    EXPECT_TRUE(r.holds(ch));
  }
  // The busiest contract is among them.
  EXPECT_NE(std::find(c.subscribe.begin(), c.subscribe.end(), "Q." + contract(0)), c.subscribe.end());
}

TEST(Rebalancer, PinnedChannelsTakeSlots) {
  Rebalancer r(small_config(), 0, 1, 10);
  r.on_rows(trades(30, kSecond));
  const auto c = r.rebalance(kSecond, 4);
  EXPECT_EQ(c.capacity, 6U);
  EXPECT_EQ(c.subscribe.size(), 6U);
  EXPECT_EQ(r.rebalance(kSecond, 12).capacity, 0U);
}

TEST(Rebalancer, KeepsOnlyItsShardsContracts) {
  Rebalancer r(small_config(), 1, 2, 100);
  r.on_rows(trades(40, kSecond));
  const auto c = r.rebalance(kSecond, 0);
  ASSERT_FALSE(c.subscribe.empty());
  for (const auto& ch : c.subscribe) EXPECT_EQ(shard_for(std::string_view(ch).substr(2), 2), 1U) << ch;
  // Tracked: this shard's calls and the puts of this shard that were credited by pooling.
  for (int i = 0; i < 40; ++i) {
    const std::string call = contract(i);
    EXPECT_EQ(r.tracker().find(Symbol::unchecked(call)).has_value(), shard_for(call, 2) == 1) << call;
  }
}

TEST(Rebalancer, ALimitRefusalLowersTheCapacityAndOtherRefusalsExclude) {
  Rebalancer r(small_config(), 0, 1, 10);
  r.on_rows(trades(30, kSecond));
  const auto first = r.rebalance(kSecond, 0);
  ASSERT_EQ(first.subscribe.size(), 10U);
  // Two refused for the limit: the server holds 8.
  for (int i = 0; i < 2; ++i) {
    const std::string& ch = first.subscribe[static_cast<std::size_t>(9 - i)];
    EXPECT_EQ(r.on_refusal("subscription limit exceeded: " + ch, kSecond), ch);
  }
  // One refused for another reason: kept out.
  const std::string refused = first.subscribe[0];
  EXPECT_EQ(r.on_refusal("not entitled: " + refused, kSecond), refused);
  EXPECT_FALSE(r.holds(refused));
  // Messages that name no scheduled channel change nothing.
  EXPECT_EQ(r.on_refusal("not authorized", kSecond), "");
  EXPECT_EQ(r.on_refusal("subscription limit exceeded: Q.O:XYZ250620C00100000", kSecond), "");

  r.on_rows(trades(30, 2 * kSecond));
  const auto second = r.rebalance(2 * kSecond, 0);
  EXPECT_LE(second.capacity, 8U);
  EXPECT_LE(second.active, 8U);
  EXPECT_EQ(std::find(second.subscribe.begin(), second.subscribe.end(), refused), second.subscribe.end());
  // A reconnection forgets the learned limit.
  r.on_reconnect();
  EXPECT_EQ(r.rebalance(3 * kSecond, 0).capacity, 10U);
}

}  // namespace
}  // namespace ws_source::detail
