// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// Backpressure against massive-sim at 100 k events/s: a consumer that keeps up loses nothing;
// a deliberately slow one makes the options connection conflate quotes, then shed scheduled
// contracts, while staleness stays bounded, and every event the simulator sent is either
// delivered or counted (dropped or conflated), exactly.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <massive_sim/server.hpp>
#include <thread>
#include <ws_source/connection_manager.hpp>
#include <ws_source/metrics.hpp>

#include "live_support.hpp"

namespace ws_source {
namespace {

using namespace std::chrono_literals;
using namespace test;

/// 100 k events/s on the options cluster: quotes (only those of subscribed contracts are sent)
/// and the trades the scheduler ranks them by (trades are never shed: the slow consumer below
/// can keep up with them alone). The small market has about 3,700 contracts.
SimConfig hundred_k() {
  auto cfg = SimConfig::for_tests();
  cfg.record_sent = false;
  cfg.market.rates = massive_sim::Rates{95'000, 5'000, 0, 0};
  return cfg;
}

/// Consumes the stream on its own thread, spending `per_row` (sleeping) on every row.
struct Consumer {
  Consumer(BatchStream s, std::chrono::microseconds per_row) : cost(per_row.count()), stream(std::move(s)) {
    thread = std::thread([this] { loop(); });
  }
  ~Consumer() {
    if (thread.joinable()) thread.join();
  }
  void loop() {
    while (auto lease = stream.next()) {
      const auto& b = **lease;
      rows += b.rows.size();
      dropped_meta += b.meta.dropped_since_last;
      conflated_meta += b.meta.conflated_since_last;
      if (b.is_heartbeat() && b.meta.conflated_since_last + b.meta.dropped_since_last != 0) ++emptied_heartbeats;
      const auto us = cost.load() * static_cast<std::int64_t>(b.rows.size());
      if (us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
    }
  }
  std::atomic<std::int64_t> cost;
  BatchStream stream;
  std::atomic<std::uint64_t> rows{0}, dropped_meta{0}, conflated_meta{0}, emptied_heartbeats{0};
  std::thread thread;
};

struct Totals {
  std::uint64_t parsed{0}, delivered{0}, consumed{0}, dropped{0}, conflated{0}, sheds{0}, parse_errors{0};
  HistogramSnapshot staleness_batch, staleness_event;
};

Totals totals(const ConnectionManager& m) {
  Totals t;
  for (const WorkerStats& w : m.stats().workers) {
    t.parsed += w.rows;
    t.delivered += w.rows_delivered;
    t.consumed += w.rows_consumed;
    t.dropped += w.rows_dropped_queue_full;
    t.conflated += w.rows_conflated;
    t.sheds += w.sheds;
    t.parse_errors += w.parse_errors;
    t.staleness_batch += w.staleness_batch;
    t.staleness_event += w.staleness_event;
  }
  return t;
}

double ms(std::optional<std::int64_t> ns) { return ns ? static_cast<double>(*ns) / 1e6 : -1.0; }

/// Runs 100 k events/s for `run_for` into a consumer spending `per_row` per row, then stops the
/// simulator, waits until every event it sent was read, stops the manager and drains.
Totals run(std::chrono::microseconds per_row, const std::function<void(WsConfig&)>& tweak,
           std::chrono::milliseconds run_for, std::uint64_t& sent, Consumer*& out_consumer,
           std::unique_ptr<Consumer>& holder) {
  auto sim = start_sim(hundred_k());
  if (!sim) return {};
  WsConfig cfg = scheduled_options_config(*sim);
  tweak(cfg);
  ConnectionManager manager(cfg);
  holder = std::make_unique<Consumer>(manager.run(), per_row);
  out_consumer = holder.get();
  std::this_thread::sleep_for(run_for);
  sim->set_rates(massive_sim::Rates::zero());
  // Whatever the simulator wrote, the client reads (it never stops reading): wait until the
  // simulator has been quiet for a while (a generator step may still be under way after
  // set_rates) and the client has read everything.
  std::uint64_t last_sent = 0;
  auto quiet_since = std::chrono::steady_clock::now();
  const bool all_read = eventually(
      [&] {
        const auto s = sim->counters().events_sent;
        const auto now = std::chrono::steady_clock::now();
        if (s != last_sent) {
          last_sent = s;
          quiet_since = now;
        }
        return s > 0 && now - quiet_since >= 300ms && totals(manager).parsed == s;
      },
      10s);
  EXPECT_TRUE(all_read) << "sent " << sim->counters().events_sent << ", parsed " << totals(manager).parsed;
  holder->cost.store(0);  // drain the backlog quickly now
  manager.stop();
  holder->thread.join();
  sent = sim->counters().events_sent;
  return totals(manager);
}

TEST(Backpressure, AConsumerThatKeepsUpLosesNothing) {
  std::unique_ptr<Consumer> holder;
  Consumer* c = nullptr;
  std::uint64_t sent = 0;
  // A consumer that keeps up: the staleness limit is widened so that a loaded test machine that
  // deschedules the consumer for a moment does not count as a slow consumer.
  const Totals t = run(
      0us, [](WsConfig& cfg) { cfg.backpressure.max_staleness_ms = 1'000; }, 4s, sent, c, holder);
  ASSERT_NE(c, nullptr);
  std::printf(
      "keeps up: sent %llu, consumed %llu, dropped %llu, conflated %llu, staleness p99 batch %.1f ms event %.1f ms\n",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(c->rows.load()),
      static_cast<unsigned long long>(t.dropped), static_cast<unsigned long long>(t.conflated),
      ms(t.staleness_batch.quantile(0.99)), ms(t.staleness_event.quantile(0.99)));
  EXPECT_GT(sent, 100'000U);
  EXPECT_EQ(t.parse_errors, 0U);
  EXPECT_EQ(t.dropped, 0U);
  EXPECT_EQ(t.conflated, 0U);
  EXPECT_EQ(t.sheds, 0U);
  EXPECT_EQ(c->rows.load(), sent) << "every event delivered";
  EXPECT_EQ(t.consumed, sent);
}

TEST(Backpressure, ASlowConsumerGetsConflationAndSheddingWithExactAccounting) {
  std::unique_ptr<Consumer> holder;
  Consumer* c = nullptr;
  std::uint64_t sent = 0;
  // About 16 k rows/s, a sixth of what the simulator offers: conflation alone cannot keep up
  // (one quote for each of 1,000 contracts takes it ~60 ms, past the 25 ms a held quote may
  // wait), so shedding starts too.
  const Totals t = run(
      60us, [](WsConfig&) {}, 8s, sent, c, holder);
  ASSERT_NE(c, nullptr);
  std::printf(
      "slow consumer: sent %llu = consumed %llu + dropped %llu + conflated %llu; sheds %llu; staleness p50/p99/max "
      "batch %.1f/%.1f/%.1f ms, event p99 %.1f ms\n",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(c->rows.load()),
      static_cast<unsigned long long>(t.dropped), static_cast<unsigned long long>(t.conflated),
      static_cast<unsigned long long>(t.sheds), ms(t.staleness_batch.quantile(0.5)),
      ms(t.staleness_batch.quantile(0.99)), ms(t.staleness_batch.max_ns), ms(t.staleness_event.quantile(0.99)));
  EXPECT_EQ(t.parse_errors, 0U);
  EXPECT_GT(t.conflated, 0U) << "conflation started";
  EXPECT_GT(t.sheds, 0U) << "shedding started";
  // Exact accounting: every event the simulator sent is delivered or counted, and the batches'
  // meta told the consumer about each one it did not get.
  EXPECT_EQ(sent, c->rows.load() + t.dropped + t.conflated);
  EXPECT_EQ(t.consumed, c->rows.load());
  EXPECT_EQ(c->dropped_meta.load(), t.dropped);
  EXPECT_EQ(c->conflated_meta.load(), t.conflated);
  const auto p99 = t.staleness_batch.quantile(0.99);
  ASSERT_TRUE(p99);
  EXPECT_LE(*p99, 200'000'000) << "staleness p99 under 200 ms";
}

}  // namespace
}  // namespace ws_source
