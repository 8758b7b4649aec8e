// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The shard hash: pinned values (changing it would move every symbol to another socket) and
// an even spread.
#include "ws_source/shard.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

using namespace ws_source;

TEST(Shard, PinnedValues) {
  EXPECT_EQ(shard_for("AAPL", 7), 3U);
  EXPECT_EQ(shard_for("O:SPY251219C00650000", 4), 3U);
  EXPECT_EQ(shard_for("*", 2), 1U);
  EXPECT_EQ(shard_for("AAPL", 1), 0U);
  EXPECT_EQ(shard_for("AAPL", 0), 0U);  // 0 shards is taken as 1
  // FNV-1a 64 of the empty string is its offset basis; then fmix64.
  EXPECT_EQ(shard_hash(""), 0xefd01f60ba992926ULL);
}

TEST(Shard, SpreadsEvenly) {
  std::array<int, 4> counts{};
  for (int i = 0; i < 4000; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "O:SPY2512%02dC%08d", i % 100, i);
    ++counts[shard_for(buf, 4)];
  }
  for (int c : counts) {
    EXPECT_GT(c, 800);
  }
}

TEST(Shard, ShardAwareDefaultsToOne) {
  struct Plain : ShardAware {};
  struct Four : ShardAware {
    [[nodiscard]] std::size_t shard_count() const override { return 4; }
  };
  const std::unique_ptr<ShardAware> a = std::make_unique<Plain>();
  const std::unique_ptr<ShardAware> b = std::make_unique<Four>();
  EXPECT_EQ(a->shard_count(), 1U);
  EXPECT_EQ(b->shard_count(), 4U);
}
