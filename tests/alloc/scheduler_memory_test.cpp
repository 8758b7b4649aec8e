// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Memory of the activity tracker and the scheduler, counted by a replaced global operator new
// (malloc_usable_size of every block, so malloc's rounding is included): 1.5 M tracked contracts
// in under 128 MiB, grown without a reserve (the worst case of vector doubling) and with one;
// memory_bytes() agrees with the count; a rebalance of 1,000 slots over them allocates little and
// keeps less; in steady state a rebalance allocates only the allocation it returns (its working
// memory is kept from one rebalance to the next). (Its own executable: the replacement is
// process-wide.)
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "ws_source/activity_tracker.hpp"
#include "ws_source/scheduler.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_peak{0};
std::atomic<std::size_t> g_news{0};  // blocks allocated

void count_new(void* p) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  const std::size_t now = g_live.fetch_add(malloc_usable_size(p), std::memory_order_relaxed) + malloc_usable_size(p);
  std::size_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = std::malloc(n == 0 ? 1 : n)) {
    count_new(p);
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept {
  if (p != nullptr) {
    g_live.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
    std::free(p);
  }
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

using namespace ws_source;

namespace {

constexpr std::size_t kContracts = 1'500'000;
constexpr std::size_t kLimit = std::size_t{128} << 20;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr std::int64_t kS = 1'000'000'000;

// OCC-shaped, 20 bytes, all distinct; calls and puts pair up.
Symbol contract(std::size_t i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "O:R%03zu251219%c%08zu", (i / 2) % 1000, i % 2 == 0 ? 'C' : 'P', i / 2);
  return *Symbol::make(buf);
}

// Fills `t` with every contract (one trade each, pair credit on), returns the bytes it holds
// by the count.
std::size_t fill(ActivityTracker& t, std::size_t before) {
  for (std::size_t i = 0; i < kContracts; ++i) {
    t.record_option_trade(contract(i), static_cast<std::int64_t>(i) * 1000, static_cast<double>(i % 7));
  }
  return g_live.load() - before;
}

}  // namespace

// Builds a tracker of 1.5 M contracts (with a reserve or grown by doubling) and checks the count,
// the accounting and the release.
void check_tracker_memory(bool reserve) {
  const std::size_t before = g_live.load();
  std::size_t counted = 0;
  std::size_t accounted = 0;
  {
    ActivityTracker t(SchedulerConfig{});
    if (reserve) {
      t.reserve(kContracts);
    }
    counted = fill(t, before);
    ASSERT_EQ(t.size(), kContracts);
    accounted = t.memory_bytes();
    std::printf("tracker, %s: %zu contracts: %.1f MiB counted, %.1f MiB by memory_bytes() (%.1f bytes a contract)\n",
                reserve ? "reserved" : "grown", t.size(), static_cast<double>(counted) / kMiB,
                static_cast<double>(accounted) / kMiB, static_cast<double>(counted) / kContracts);
    EXPECT_LT(counted, kLimit);
    EXPECT_LT(accounted, kLimit);
    // The accounting adds up capacities (plus the object itself, which is not on the heap here);
    // malloc's rounding is a few bytes a block.
    EXPECT_LE(accounted, counted + sizeof(ActivityTracker));
    EXPECT_GE(static_cast<double>(accounted), 0.97 * static_cast<double>(counted));
  }
  EXPECT_EQ(g_live.load(), before) << "everything freed";
}

TEST(SchedulerMemory, OneAndAHalfMillionTrackedContractsFitIn128MiBGrown) { check_tracker_memory(false); }
TEST(SchedulerMemory, OneAndAHalfMillionTrackedContractsFitIn128MiBReserved) { check_tracker_memory(true); }

TEST(SchedulerMemory, ARebalanceOverThemAllocatesLittle) {
  ActivityTracker t(SchedulerConfig{});
  t.reserve(kContracts);
  fill(t, g_live.load());
  SubscriptionScheduler sched(SchedulerConfig{});
  const std::int64_t now = static_cast<std::int64_t>(kContracts) * 1000 + 5 * kS;
  sched.rebalance(t, 1000, now);  // steady state
  const std::size_t before = g_live.load();
  g_peak.store(before);
  const Allocation a = sched.rebalance(t, 1000, now + 5 * kS);
  ASSERT_EQ(a.active.size(), 1000U);
  const std::size_t transient = g_peak.load() - before;
  const std::size_t kept = g_live.load() - before;
  std::printf("rebalance over %zu contracts: %.2f MiB transient, %.3f MiB kept (the allocation returned)\n", t.size(),
              static_cast<double>(transient) / kMiB, static_cast<double>(kept) / kMiB);
  EXPECT_LT(transient, std::size_t{4} << 20);
  EXPECT_LT(kept, std::size_t{1} << 20);
}

TEST(SchedulerMemory, SustainedTradingDoesNotGrowTheTracker) {
  // Scores only grow, so trading contracts keep climbing into new buckets; the buckets they leave
  // must give their room back. 200 k contracts, 400 batches of 5,000 trades (log-uniform ranks).
  constexpr std::size_t n = 200'000;
  ActivityTracker t(SchedulerConfig{});
  std::vector<Symbol> symbols;
  for (std::size_t i = 0; i < n; ++i) {
    symbols.push_back(contract(i));
    t.record_trade(symbols.back(), static_cast<std::int64_t>(i % 600) * kS, 1.0);
  }
  std::uint64_t x = 42;
  std::int64_t now = 600 * kS;
  std::size_t after_100 = 0;
  for (int batch = 0; batch < 400; ++batch) {
    for (int k = 0; k < 5000; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const double u = static_cast<double>(x >> 11U) / 9007199254740992.0;
      const auto r = std::min(n - 1, static_cast<std::size_t>(std::pow(static_cast<double>(n), u)) - 1);
      t.record_option_trade(symbols[r], now + k * 1000, 2.0);
    }
    now += 5 * kS;
    if (batch == 99) {
      after_100 = t.memory_bytes();
    }
  }
  std::printf("tracker of %zu after 100 batches: %.2f MiB, after 400: %.2f MiB\n", t.size(),
              static_cast<double>(after_100) / kMiB, static_cast<double>(t.memory_bytes()) / kMiB);
  EXPECT_LE(static_cast<double>(t.memory_bytes()), 1.03 * static_cast<double>(after_100));
}

TEST(SchedulerMemory, ASteadyRebalanceAllocatesOnlyItsResult) {
  // 10,000 contracts with Zipf-like rates and trades between rebalances, as in
  // bench/scheduler_bench.cpp. Once warmed up, a rebalance (or a preview) allocates at most the
  // three vectors of the Allocation it returns: its scratch, the subscribed set and the
  // exploration memory reuse their memory.
  constexpr std::size_t n = 10'000;
  ActivityTracker t(SchedulerConfig{});
  std::vector<Symbol> symbols;
  std::int64_t now = 600 * kS;
  for (std::size_t i = 0; i < n; ++i) {
    symbols.push_back(contract(i));
    t.record(symbols.back(), now - static_cast<std::int64_t>(i % 600) * kS,
             5300.0 / std::pow(static_cast<double>(i + 1), 1.1), 0);
  }
  SubscriptionScheduler sched(SchedulerConfig{});
  std::uint64_t x = 7;
  std::size_t rounds = 0;
  std::size_t blocks = 0;
  std::size_t worst = 0;
  for (int round = 0; round < 80; ++round) {
    for (int k = 0; k < 1000; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const double u = static_cast<double>(x >> 11U) / 9007199254740992.0;
      const auto r = std::min(n - 1, static_cast<std::size_t>(std::pow(static_cast<double>(n), u)) - 1);
      t.record_option_trade(symbols[r], now + std::int64_t{k} * 5'000'000, 1.0);
    }
    now += 5 * kS;
    const std::size_t before = g_news.load();
    const Allocation preview = sched.plan(t, 1000, now);
    const Allocation a = sched.rebalance(t, 1000, now);
    const std::size_t news = g_news.load() - before;
    ASSERT_EQ(a, preview);
    ASSERT_EQ(a.active.size(), 1000U);
    if (round >= 30) {  // warmed up
      ++rounds;
      blocks += news;
      worst = std::max(worst, news);
    }
  }
  std::printf("steady rebalance + preview over %zu contracts: %.2f blocks allocated on average, %zu at most\n", n,
              static_cast<double>(blocks) / static_cast<double>(rounds), worst);
  EXPECT_LE(blocks, 6 * rounds);  // two allocations of three vectors each
  EXPECT_LE(worst, 8U);           // (the exploration memory may still grow now and then)
}
