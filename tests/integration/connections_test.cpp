// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The live path against massive-sim on loopback (no mocks): exactly-once delivery checked against
// the simulator's ground truth, the spec's reconnection vector (scaled backoff), auth failure,
// max_connections, slow consumer and force_disconnect, malformed frames on a connection that goes
// on, half-open detection, fragmented messages, and never more than one socket per cluster.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <massive_sim/server.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <ws_source/connection_manager.hpp>

#include "live_support.hpp"

namespace ws_source {
namespace {

using namespace std::chrono_literals;
using namespace test;

/// Pulls batches on its own thread until the stream ends; keeps copies of them. Stops the
/// manager when destroyed (a failed assertion leaves the test early), so the stream ends.
struct Consumer {
  Consumer(ConnectionManager& m, BatchStream s) : manager(m), stream(std::move(s)), thread([this] { loop(); }) {}
  ~Consumer() {
    manager.stop();
    if (thread.joinable()) thread.join();
  }
  void loop() {
    while (auto lease = stream.next()) {
      const std::lock_guard lock(mutex);
      batches.push_back(**lease);
    }
  }
  std::vector<DataBatch<TradeOrNbbo>> snapshot() {
    const std::lock_guard lock(mutex);
    return batches;
  }
  void join() { thread.join(); }
  ConnectionManager& manager;
  BatchStream stream;
  std::mutex mutex;
  std::vector<DataBatch<TradeOrNbbo>> batches;
  std::thread thread;
};

std::string row_symbol(const TradeOrNbbo& r) {
  return std::visit([](const auto& x) { return std::string(x.symbol.view()); }, r);
}

WorkerStats stats_of(const ConnectionManager& m, Cluster c) {
  for (const auto& w : m.stats().workers) {
    if (w.cluster == c) return w;
  }
  return {};
}

TEST(Connections, ACleanRunDeliversEverySentEventExactlyOnceInOrder) {
  auto sim = start_sim(busy_sim());
  ConnectionManager manager(config_for(*sim));
  ASSERT_FALSE(manager.config_error()) << manager.config_error()->to_string();
  Consumer consumer(manager, manager.run());
  ASSERT_TRUE(eventually([&] { return stats_of(manager, Cluster::Stocks).rows_delivered > 2'000; }));
  // Quiesce: no more events, then let what is on the wire arrive.
  sim->set_rates(massive_sim::Rates::zero());
  std::this_thread::sleep_for(300ms);
  manager.stop();
  consumer.join();

  std::map<std::string, std::vector<std::uint64_t>> got;  // symbol -> q, in delivery order per feed
  std::size_t rows = 0;
  for (const auto& b : consumer.snapshot()) {
    EXPECT_EQ(b.meta.source, Source::Ws);
    EXPECT_EQ(b.meta.quality, Quality::Prelim);
    EXPECT_EQ(b.meta.dropped_since_last, 0U);
    for (const auto& r : b.rows) {
      got[row_symbol(r) + (std::holds_alternative<Nbbo>(r) ? "/Q" : "/T")].push_back(sequence_of(r));
      ++rows;
    }
  }
  std::map<std::string, std::multiset<std::uint64_t>> sent;
  std::size_t sent_rows = 0;
  std::set<std::uint64_t> conns;
  for (const auto& c : sim->command_log()) conns.insert(c.conn_id);
  EXPECT_EQ(conns.size(), 2U) << "one connection per cluster, never reconnected";
  for (const std::uint64_t id : conns) {
    for (const auto& e : sim->sent(id)) {
      sent[e.symbol].insert(e.seq);
      ++sent_rows;
    }
  }
  EXPECT_EQ(rows, sent_rows);
  // Per symbol: the same sequence numbers, each once; per feed, in increasing order.
  std::map<std::string, std::multiset<std::uint64_t>> got_by_symbol;
  for (const auto& [key, qs] : got) {
    EXPECT_TRUE(std::is_sorted(qs.begin(), qs.end())) << key;
    EXPECT_EQ(std::adjacent_find(qs.begin(), qs.end()), qs.end()) << key << " has a duplicate";
    const std::string sym = key.substr(0, key.size() - 2);
    got_by_symbol[sym].insert(qs.begin(), qs.end());
  }
  EXPECT_EQ(got_by_symbol, sent);
}

TEST(Connections, ReconnectionVectorBackoffResumedSubscriptionsFrozenWatermarkAndGap) {
  auto sim = start_sim(busy_sim(5'000));
  auto cfg = config_for(*sim);
  cfg.feeds.equity_quotes = FeedConfig{true, {}, false};  // stocks: trades only
  Events events;
  ConnectionManager manager(cfg);
  manager.on_event(std::ref(events));
  Consumer consumer(manager, manager.run());
  ASSERT_TRUE(eventually([&] { return events.count(ConnectionEvent::Kind::Connected, Cluster::Stocks) == 1; }));
  const auto server_subs = [&] {
    std::map<Cluster, std::vector<std::string>> m;
    for (const auto& c : sim->connections()) m[c.cluster] = c.subscriptions;
    return m;
  };
  // Connected is reported once the subscribe message is written; the server applies it a moment
  // later.
  const std::vector<std::string> trades_only{"T.*"};
  ASSERT_TRUE(eventually([&] { return server_subs()[Cluster::Stocks] == trades_only; }))
      << "the server never saw the stocks subscription";
  std::this_thread::sleep_for(500ms);

  // The server goes down; three attempts are refused, then it is back.
  std::thread down([&] { sim->go_down(); });
  // Three refused: the lost connection's Disconnected and three failed attempts' (waiting for the
  // fourth Connecting instead raced its connect with go_up below).
  ASSERT_TRUE(
      eventually([&] { return events.count(ConnectionEvent::Kind::Disconnected, Cluster::Stocks) >= 4; }, 3000ms));
  down.join();
  ASSERT_TRUE(sim->go_up());
  ASSERT_TRUE(eventually([&] { return events.count(ConnectionEvent::Kind::Connected, Cluster::Stocks) == 2; }, 3000ms));
  std::this_thread::sleep_for(200ms);
  manager.stop();
  consumer.join();

  // Backoff 100, 200, 400 ms (the spec's 1 s, 2 s, 4 s, scaled by 1/10, no jitter).
  const auto disconnected = events.of(ConnectionEvent::Kind::Disconnected, Cluster::Stocks);
  const auto attempts = events.of(ConnectionEvent::Kind::Connecting, Cluster::Stocks);
  ASSERT_GE(attempts.size(), 5U);
  ASSERT_FALSE(disconnected.empty());
  const std::int64_t t0 = disconnected.front().at_ns;
  const std::vector<std::int64_t> expected_ms{100, 300, 700};
  for (std::size_t i = 0; i < expected_ms.size(); ++i) {
    const double at_ms = static_cast<double>(attempts[i + 1].at_ns - t0) / 1e6;
    EXPECT_NEAR(at_ms, static_cast<double>(expected_ms[i]), 60.0) << "attempt " << i + 1;
  }
  const auto backoffs = events.of(ConnectionEvent::Kind::BackingOff, Cluster::Stocks);
  ASSERT_GE(backoffs.size(), 3U);
  EXPECT_EQ(backoffs[0].delay, 100ms);
  EXPECT_EQ(backoffs[1].delay, 200ms);
  EXPECT_EQ(backoffs[2].delay, 400ms);

  // The subscriptions were resumed, as the server sees them.
  std::set<std::uint64_t> stock_conns;
  std::map<std::uint64_t, std::vector<std::string>> subscribed;
  for (const auto& c : sim->command_log()) {
    if (c.cluster == Cluster::Stocks && c.action == "subscribe") subscribed[c.conn_id].push_back(c.params);
  }
  ASSERT_EQ(subscribed.size(), 2U);
  for (const auto& [id, params] : subscribed) EXPECT_EQ(params, (std::vector<std::string>{"T.*"})) << id;

  // Heartbeats kept flowing while down, marked disconnected, the watermark frozen; then the gap.
  std::int64_t frozen = -1;
  std::size_t down_heartbeats = 0;
  bool gap_seen = false;
  bool was_connected = false;  // heartbeats before the first connection (a slow start) are not the downtime
  for (const auto& b : consumer.snapshot()) {
    if (b.meta.resource_type != ResourceType::EquityTrades) continue;
    if (!was_connected) {
      was_connected = b.meta.connection == ConnectionState::Connected;
      if (was_connected) {
        EXPECT_FALSE(b.meta.gap.has_value()) << "no gap before the first connection";
      }
      continue;
    }
    if (b.meta.connection == ConnectionState::Disconnected) {
      EXPECT_TRUE(b.rows.empty());
      if (frozen < 0) frozen = b.meta.watermark_ts_ns;
      EXPECT_EQ(b.meta.watermark_ts_ns, frozen) << "the watermark moved while down";
      ++down_heartbeats;
    } else if (down_heartbeats > 0 && !gap_seen) {
      ASSERT_TRUE(b.meta.gap.has_value()) << "the first batch after the reconnection carries the gap";
      EXPECT_EQ(b.meta.gap->start_ns, disconnected.front().at_ns);
      EXPECT_GT(b.meta.gap->end_ns, b.meta.gap->start_ns);
      EXPECT_EQ(b.meta.gap->reason, DisconnectReason::Closed);
      gap_seen = true;
    }
  }
  EXPECT_GE(down_heartbeats, 10U) << "about 700 ms down at a 50 ms heartbeat";
  EXPECT_TRUE(gap_seen);
  EXPECT_EQ(stats_of(manager, Cluster::Stocks).gaps, 1U);
}

TEST(Connections, AuthFailureIsFatalAndEndsTheStream) {
  auto sim = start_sim(busy_sim());
  Events events;
  ConnectionManager manager(config_for(*sim, "wrong-key"));
  manager.on_event(std::ref(events));
  Consumer consumer(manager, manager.run());
  consumer.join();  // the stream ends by itself: both workers stopped
  for (const Cluster c : {Cluster::Stocks, Cluster::Options}) {
    const auto stopped = events.of(ConnectionEvent::Kind::Stopped, c);
    ASSERT_EQ(stopped.size(), 1U);
    ASSERT_TRUE(stopped[0].error.has_value());
    EXPECT_EQ(stopped[0].error->reason, DisconnectReason::AuthFailed);
    EXPECT_TRUE(stopped[0].error->is_fatal());
    EXPECT_EQ(events.count(ConnectionEvent::Kind::Connecting, c), 1U) << "no retry storm";
    EXPECT_EQ(stopped[0].error->to_string().find("wrong-key"), std::string::npos);
  }
  EXPECT_EQ(sim->counters().auth_failed, 2U);
}

TEST(Connections, DisconnectStatusesReconnectAndAreCounted) {
  auto sim = start_sim(busy_sim());
  Events events;
  ConnectionManager manager(config_for(*sim));
  manager.on_event(std::ref(events));
  Consumer consumer(manager, manager.run());
  const auto connected = [&](std::size_t n) {
    return eventually([&] { return events.count(ConnectionEvent::Kind::Connected, Cluster::Stocks) >= n; });
  };
  ASSERT_TRUE(connected(1));
  sim->inject(massive_sim::Action::SlowConsumer, massive_sim::Target::of(Cluster::Stocks));
  ASSERT_TRUE(connected(2));
  sim->inject(massive_sim::Action::ForceDisconnect, massive_sim::Target::of(Cluster::Stocks));
  ASSERT_TRUE(connected(3));
  sim->inject(massive_sim::Action::Reset, massive_sim::Target::of(Cluster::Stocks));
  ASSERT_TRUE(connected(4));
  sim->inject(massive_sim::Action::Close, massive_sim::Target::of(Cluster::Stocks));
  ASSERT_TRUE(connected(5));
  const auto s = stats_of(manager, Cluster::Stocks);
  EXPECT_EQ(s.slow_consumer, 1U);
  EXPECT_EQ(s.force_disconnect, 1U);
  EXPECT_EQ(s.disconnects, 4U);
  EXPECT_EQ(s.gaps, 4U);
  const auto reasons = events.of(ConnectionEvent::Kind::Disconnected, Cluster::Stocks);
  ASSERT_EQ(reasons.size(), 4U);
  EXPECT_EQ(reasons[0].error->reason, DisconnectReason::SlowConsumer);
  EXPECT_EQ(reasons[1].error->reason, DisconnectReason::ForceDisconnect);
  EXPECT_EQ(reasons[2].error->reason, DisconnectReason::Closed);
  EXPECT_EQ(reasons[3].error->reason, DisconnectReason::Closed);
  // Never two sockets of one cluster at once.
  EXPECT_EQ(sim->counters().max_concurrent_per_key[static_cast<std::size_t>(Cluster::Stocks)], 1U);
  manager.stop();
}

TEST(Connections, MaxConnectionsIsCountedAndBackedOff) {
  auto sim = start_sim(busy_sim());
  Events first_events;
  auto cfg = config_for(*sim);
  cfg.backoff.initial_ms = 2'000;  // the evicted one waits while the other holds the slot
  cfg.backoff.max_ms = 2'000;
  ConnectionManager first(cfg);
  first.on_event(std::ref(first_events));
  Consumer c1(first, first.run());
  ASSERT_TRUE(eventually([&] { return first_events.count(ConnectionEvent::Kind::Connected, Cluster::Stocks) == 1; }));
  ConnectionManager second(cfg);
  Consumer c2(second, second.run());
  ASSERT_TRUE(eventually([&] { return stats_of(first, Cluster::Stocks).max_connections == 1; }));
  // The counter moves before the Disconnected and BackingOff events are handed out (in that
  // order): wait for the last of them.
  ASSERT_TRUE(eventually([&] { return first_events.count(ConnectionEvent::Kind::BackingOff, Cluster::Stocks) >= 1; }));
  const auto d = first_events.of(ConnectionEvent::Kind::Disconnected, Cluster::Stocks);
  ASSERT_EQ(d.size(), 1U);
  EXPECT_EQ(d[0].error->reason, DisconnectReason::MaxConnections);
  const auto b = first_events.of(ConnectionEvent::Kind::BackingOff, Cluster::Stocks);
  ASSERT_EQ(b.size(), 1U);
  EXPECT_EQ(b[0].delay, 2000ms);
  first.stop();
  second.stop();
}

TEST(Connections, MalformedFramesAreCountedAndTheConnectionGoesOn) {
  auto sim = start_sim(busy_sim());
  Events events;
  ConnectionManager manager(config_for(*sim));
  manager.on_event(std::ref(events));
  Consumer consumer(manager, manager.run());
  ASSERT_TRUE(eventually([&] { return stats_of(manager, Cluster::Stocks).rows_delivered > 0; }));
  sim->inject(massive_sim::Action::Malformed, massive_sim::Target::of(Cluster::Stocks));
  sim->inject(massive_sim::Action::BadEvent, massive_sim::Target::of(Cluster::Stocks));
  ASSERT_TRUE(eventually([&] { return stats_of(manager, Cluster::Stocks).parse_errors == 2; }));
  const auto before = stats_of(manager, Cluster::Stocks).rows_delivered;
  ASSERT_TRUE(eventually([&] { return stats_of(manager, Cluster::Stocks).rows_delivered > before + 100; }));
  const auto s = stats_of(manager, Cluster::Stocks);
  EXPECT_EQ(s.disconnects, 0U);
  EXPECT_TRUE(s.connected);
  const auto rejected = events.of(ConnectionEvent::Kind::FrameRejected, Cluster::Stocks);
  ASSERT_GE(rejected.size(), 1U);
  EXPECT_NE(rejected[0].detail.find("invalid JSON"), std::string::npos) << rejected[0].detail;
  manager.stop();
}

TEST(Connections, AHalfOpenConnectionIsDetectedAndReplaced) {
  auto sim = start_sim(busy_sim());
  auto cfg = config_for(*sim);
  cfg.connection.ping_interval_ms = 200;
  cfg.connection.pong_timeout_ms = 300;
  Events events;
  ConnectionManager manager(cfg);
  manager.on_event(std::ref(events));
  Consumer consumer(manager, manager.run());
  ASSERT_TRUE(eventually([&] { return events.count(ConnectionEvent::Kind::Connected, Cluster::Stocks) == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  sim->inject(massive_sim::Action::Stall, massive_sim::Target::of(Cluster::Stocks));
  ASSERT_TRUE(eventually([&] { return stats_of(manager, Cluster::Stocks).stalls == 1; }, 3000ms));
  const auto detected = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(detected, 1500ms) << "ping interval + pong timeout is 500 ms";
  // The watchdog counts the stall when it closes the socket; the Disconnected event follows once
  // the read loop has ended.
  ASSERT_TRUE(eventually([&] { return events.count(ConnectionEvent::Kind::Disconnected, Cluster::Stocks) >= 1; }));
  const auto d = events.of(ConnectionEvent::Kind::Disconnected, Cluster::Stocks);
  ASSERT_EQ(d.size(), 1U);
  EXPECT_EQ(d[0].error->reason, DisconnectReason::Stalled);
  ASSERT_TRUE(eventually([&] { return events.count(ConnectionEvent::Kind::Connected, Cluster::Stocks) == 2; }));
  manager.stop();
}

// stop() on a connection whose server reads nothing (a stall: our close frame is never
// answered) ends the stream within the close timeout (1 s). Beast's close waits for the answer
// through the read loop's pending read, which the TCP stream's timeout does not cover; without
// the worker's own deadline only Beast's handshake timeout (the connect timeout, 8 s here) or the
// half-open detection (35 s by default) would end it.
TEST(Connections, StopEndsTheStreamWhenTheServerNeverAnswersTheClose) {
  auto sim = start_sim(busy_sim());
  Events events;
  auto cfg = config_for(*sim);
  cfg.connection.connect_timeout_ms = 8'000;
  ConnectionManager manager(cfg);
  manager.on_event(std::ref(events));
  Consumer consumer(manager, manager.run());
  ASSERT_TRUE(eventually([&] { return events.count(ConnectionEvent::Kind::Connected, Cluster::Stocks) == 1; }));
  sim->inject(massive_sim::Action::Stall, massive_sim::Target::of(Cluster::Stocks));
  std::this_thread::sleep_for(100ms);  // the stall is in place (the simulator applies it on its strand)
  const auto t0 = std::chrono::steady_clock::now();
  manager.stop();
  consumer.join();  // the stream ended: every worker stopped
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 5s) << "stop() waited for the stalled server";
  EXPECT_GE(took, 900ms) << "the stalled server cannot have answered the close";
  EXPECT_EQ(events.count(ConnectionEvent::Kind::Stopped, Cluster::Stocks), 1U);
  EXPECT_EQ(stats_of(manager, Cluster::Stocks).stalls, 0U) << "ended by the close deadline, not the half-open check";
}

TEST(Connections, FragmentedMessagesAreReassembled) {
  auto cfg = busy_sim(400'000);
  cfg.auto_fragment = true;
  auto sim = start_sim(cfg);
  ConnectionManager manager(config_for(*sim));
  Consumer consumer(manager, manager.run());
  ASSERT_TRUE(eventually([&] { return stats_of(manager, Cluster::Stocks).rows_delivered > 20'000; }));
  const auto s = stats_of(manager, Cluster::Stocks);
  EXPECT_EQ(s.parse_errors, 0U);
  manager.stop();
}

TEST(Connections, SubscriptionChangesWhileRunningReachTheServer) {
  auto sim = start_sim(busy_sim());
  auto cfg = config_for(*sim);
  cfg.feeds.equity_quotes = FeedConfig{true, {}, false};
  ConnectionManager manager(cfg);
  Consumer consumer(manager, manager.run());
  ASSERT_TRUE(eventually([&] { return !sim->connections().empty() && sim->connections().size() == 2; }));
  ASSERT_TRUE(manager.subscribe(ResourceType::EquityQuotes, {"AAPL", "MSFT"}));
  const auto stock_subs = [&] {
    for (const auto& c : sim->connections()) {
      if (c.cluster == Cluster::Stocks) return c.subscriptions;
    }
    return std::vector<std::string>{};
  };
  ASSERT_TRUE(eventually([&] { return stock_subs() == std::vector<std::string>{"Q.AAPL", "Q.MSFT", "T.*"}; }));
  ASSERT_TRUE(manager.unsubscribe(ResourceType::EquityQuotes, {"AAPL"}));
  ASSERT_TRUE(eventually([&] { return stock_subs() == std::vector<std::string>{"Q.MSFT", "T.*"}; }));
  EXPECT_FALSE(manager.subscribe(ResourceType::OptionsQuotes, {"O:SPY251219C00650000"})) << "feed disabled";
  EXPECT_EQ(stats_of(manager, Cluster::Stocks).subs_active, 2U);
  manager.stop();
}

}  // namespace
}  // namespace ws_source
