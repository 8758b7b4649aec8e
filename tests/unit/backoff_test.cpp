// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Backoff: 1, 2, 4, … s capped at 60 s; bounded jitter; deterministic per seed; seeds differ per
// cluster and shard; the attempt counter resets only after a healthy connection.
#include "net/backoff.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <vector>

using namespace ws_source;
using namespace std::chrono_literals;
using detail::Backoff;
using detail::backoff_seed;

namespace {

BackoffConfig no_jitter() {
  BackoffConfig c;
  c.jitter = 0;
  return c;
}

std::vector<std::chrono::nanoseconds> delays(Backoff& b, int n) {
  std::vector<std::chrono::nanoseconds> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(b.next_delay());
  }
  return out;
}

}  // namespace

TEST(Backoff, DoublesFromOneSecondAndCapsAtSixty) {
  Backoff b(no_jitter(), 1);
  EXPECT_EQ(b.attempt(), 0U);
  const std::vector<std::chrono::nanoseconds> expected = {1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
  EXPECT_EQ(delays(b, 9), expected);
  EXPECT_EQ(b.attempt(), 9U);
  // Far past the cap (multiplier^n overflows to inf): still the cap.
  for (int i = 0; i < 2000; ++i) {
    (void)b.next_delay();
  }
  EXPECT_EQ(b.next_delay(), 60s);
}

TEST(Backoff, FollowsTheConfiguredCurve) {
  BackoffConfig c = no_jitter();
  c.initial_ms = 250;
  c.multiplier = 1.5;
  c.max_ms = 1000;
  Backoff b(c, 1);
  const std::vector<std::chrono::nanoseconds> expected = {250ms, 375ms, 562500us, 843750us, 1000ms};
  EXPECT_EQ(delays(b, 5), expected);
}

TEST(Backoff, JitterStaysWithinItsBoundAndSpreads) {
  Backoff b(BackoffConfig{}, 42);  // ±10 %
  std::set<std::int64_t> seen;
  for (int i = 0; i < 500; ++i) {
    b.connection_ended(30s);  // back to the first delay
    const auto d = b.next_delay();
    EXPECT_GE(d, 900ms);
    EXPECT_LT(d, 1100ms);
    seen.insert(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  }
  EXPECT_GT(seen.size(), 400U);  // microsecond resolution: nearly all distinct
  // At the cap the jitter applies to the cap.
  Backoff capped(BackoffConfig{}, 7);
  for (int i = 0; i < 10; ++i) {
    (void)capped.next_delay();
  }
  for (int i = 0; i < 100; ++i) {
    const auto d = capped.next_delay();
    EXPECT_GE(d, 54s);
    EXPECT_LT(d, 66s);
  }
}

TEST(Backoff, OutOfRangeSettingsAreSafe) {
  BackoffConfig c;
  c.jitter = 7;  // clamped to 0.5
  c.max_ms = UINT64_MAX;
  c.multiplier = 1e300;
  Backoff b(c, 3);
  const auto first = b.next_delay();
  EXPECT_GE(first, 500ms);
  EXPECT_LT(first, 1500ms);
  const auto second = b.next_delay();  // 1e303 ms: clamped, no overflow
  EXPECT_GT(second, 24h * 365);
}

TEST(Backoff, IsDeterministicPerSeed) {
  Backoff a(BackoffConfig{}, 1234);
  Backoff b(BackoffConfig{}, 1234);
  Backoff c(BackoffConfig{}, 1235);
  const auto da = delays(a, 20);
  EXPECT_EQ(da, delays(b, 20));
  EXPECT_NE(da, delays(c, 20));
}

TEST(Backoff, SeedsDifferPerClusterAndShard) {
  // PROTOTYPE.md section 11, item 15: the two sockets of a shard must not reconnect in lockstep.
  std::set<std::uint64_t> seeds;
  for (std::size_t shard = 0; shard < 64; ++shard) {
    seeds.insert(backoff_seed(Cluster::Stocks, shard));
    seeds.insert(backoff_seed(Cluster::Options, shard));
  }
  EXPECT_EQ(seeds.size(), 128U);
  EXPECT_EQ(backoff_seed(Cluster::Options, 3), backoff_seed(Cluster::Options, 3));

  Backoff stocks(BackoffConfig{}, backoff_seed(Cluster::Stocks, 0));
  Backoff options(BackoffConfig{}, backoff_seed(Cluster::Options, 0));
  EXPECT_NE(delays(stocks, 8), delays(options, 8));
}

TEST(Backoff, ResetsOnlyAfterAHealthyConnection) {
  Backoff b(no_jitter(), 1);
  EXPECT_EQ(b.next_delay(), 1s);
  EXPECT_EQ(b.next_delay(), 2s);
  b.connection_ended(5s);  // up 5 s < 30 s: keeps backing off
  EXPECT_EQ(b.attempt(), 2U);
  EXPECT_EQ(b.next_delay(), 4s);
  b.connection_ended(0s);  // an attempt that never connected
  EXPECT_EQ(b.next_delay(), 8s);
  b.connection_ended(30s - 1ns);
  EXPECT_EQ(b.next_delay(), 16s);
  b.connection_ended(30s);  // healthy long enough: start over
  EXPECT_EQ(b.attempt(), 0U);
  EXPECT_EQ(b.next_delay(), 1s);
}
