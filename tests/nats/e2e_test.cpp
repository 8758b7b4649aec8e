// Copyright (c) James Kassemi, SC, US. All rights reserved.
// End to end: massive-sim → ConnectionManager → NatsSink (written on the consumer thread) →
// JetStream → NatsReader. Every batch the manager produced (rows, heartbeats, meta) is in the
// stream exactly once, in order, and reads back equal; the simulator saw no slow consumer; and
// then nats-server killed and restarted while the feed keeps flowing: the ingest never stalled
// (no slow consumer, no queue_full drop on the io thread), and every batch not in the stream is
// counted as dropped by the sink.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <ws_source/connection_manager.hpp>

#include "../integration/live_support.hpp"
#include "nats_server.hpp"
#include "ws_source/nats_reader.hpp"
#include "ws_source/nats_sink.hpp"

using namespace ws_source;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct IngestRun {
  std::vector<DataBatch<TradeOrNbbo>> produced;
  std::uint64_t io_drops{0};
  std::uint64_t slow_consumer{0};
};

// Consumes the manager's stream on this thread for `duration`, handing every batch to the sink;
// `during` runs on another thread meanwhile.
IngestRun ingest(NatsSink& sink, massive_sim::Server& sim, std::chrono::milliseconds duration,
                 const std::function<void()>& during = {}) {
  auto cfg = test::config_for(sim);
  ConnectionManager manager(cfg);
  EXPECT_FALSE(manager.config_error());
  BatchStream stream = manager.run();
  std::thread side;
  if (during) side = std::thread(during);
  IngestRun run;
  const auto end = Clock::now() + duration;
  bool stopping = false;
  for (;;) {
    if (!stopping && Clock::now() >= end) {
      manager.stop();
      stopping = true;
    }
    auto lease = stream.next(20ms);
    if (!lease) {
      if (stream.ended()) break;
      continue;
    }
    run.produced.push_back(**lease);
    EXPECT_TRUE(sink.write(**lease));
  }
  if (side.joinable()) side.join();
  for (const auto& w : manager.stats().workers) {
    run.io_drops += w.rows_dropped_queue_full;
    run.slow_consumer += w.slow_consumer;
  }
  run.slow_consumer += sim.counters().slow_consumer_disconnects;
  return run;
}

std::vector<ReceivedBatch> read_stream(const std::string& url, std::size_t n) {
  NatsReaderConfig rc;
  rc.connection.url = url;
  auto reader = NatsReader::open(rc);
  EXPECT_TRUE(reader) << reader.error();
  std::vector<ReceivedBatch> out;
  if (!reader) return out;
  ReceivedBatch got;
  while (out.size() < n) {
    auto r = (*reader)->next(got, 5s);
    if (!r || !*r) break;
    out.push_back(got);
  }
  auto extra = (*reader)->next(got, 200ms);
  EXPECT_TRUE(extra && !*extra) << "more batches in the stream than expected";
  return out;
}

std::unique_ptr<test::NatsServer> start_nats() {
  std::string error;
  auto s = test::NatsServer::start(error);
  EXPECT_TRUE(s) << error;
  return s;
}

NatsSinkConfig sink_config(const test::NatsServer& server) {
  NatsSinkConfig c;
  c.connection.url = server.url();
  c.connection.connect_timeout = 1s;
  c.connection.reconnect_wait = 100ms;
  c.ack_timeout = 500ms;
  c.retry_for = 20s;
  return c;
}

}  // namespace

TEST(NatsEndToEnd, EveryBatchTheManagerProducedIsInTheStreamOnceAndReadsBackEqual) {
  auto nats = start_nats();
  ASSERT_TRUE(nats);
  auto sim = test::start_sim(test::busy_sim(20'000));
  ASSERT_TRUE(sim);
  auto sink = NatsSink::create(sink_config(*nats));
  ASSERT_TRUE(sink) << sink.error();
  // The last half second without events: the idle feeds send heartbeats, which go out too.
  const IngestRun run = ingest(**sink, *sim, 1'500ms, [&] {
    std::this_thread::sleep_for(1'000ms);
    sim->set_rates(massive_sim::Rates::zero());
  });
  ASSERT_TRUE((*sink)->flush(10s));
  const NatsSinkStats st = (*sink)->nats_stats();
  ASSERT_GT(run.produced.size(), 20U);
  EXPECT_EQ(st.written, run.produced.size());
  EXPECT_EQ(st.acked, run.produced.size());
  EXPECT_EQ(st.dropped_full + st.dropped_failed, 0U);
  EXPECT_EQ(run.slow_consumer, 0U);
  const auto got = read_stream(nats->url(), run.produced.size());
  ASSERT_EQ(got.size(), run.produced.size());
  std::size_t rows = 0;
  std::size_t heartbeats = 0;
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k].batch, run.produced[k]) << "batch " << k;
    rows += got[k].batch.rows.size();
    heartbeats += got[k].batch.is_heartbeat() ? 1 : 0;
  }
  EXPECT_GT(rows, 1'000U);
  EXPECT_GT(heartbeats, 0U);
  std::cout << run.produced.size() << " batches (" << rows << " rows, " << heartbeats
            << " heartbeats) produced, published, read back equal\n";
}

TEST(NatsEndToEnd, NatsKilledAndRestartedMidRunNeverStallsTheIngest) {
  auto nats = start_nats();
  ASSERT_TRUE(nats);
  auto sim = test::start_sim(test::busy_sim(20'000));
  ASSERT_TRUE(sim);
  auto cfg = sink_config(*nats);
  cfg.max_queued_batches = 100;  // the outage overflows it
  auto sink = NatsSink::create(cfg);
  ASSERT_TRUE(sink) << sink.error();
  bool restarted = false;
  std::string error;
  const IngestRun run = ingest(**sink, *sim, 2'500ms, [&] {
    std::this_thread::sleep_for(700ms);
    nats->kill_hard();
    std::this_thread::sleep_for(800ms);
    restarted = nats->restart(error);
  });
  ASSERT_TRUE(restarted) << error;
  EXPECT_TRUE((*sink)->flush(20s));
  const NatsSinkStats st = (*sink)->nats_stats();
  EXPECT_EQ(run.slow_consumer, 0U);
  EXPECT_EQ(run.io_drops, 0U) << "the consumer thread stalled: the rings filled";
  EXPECT_EQ(st.written, run.produced.size());
  EXPECT_EQ(st.written, st.accepted + st.dropped_full);
  EXPECT_EQ(st.accepted, st.acked + st.dropped_failed);
  EXPECT_GE(st.reconnects, 1U);
  // In the stream: at most once each (identified by feed, shard, batch_seq), equal to what was produced.
  NatsReaderConfig rc;
  rc.connection.url = nats->url();
  auto reader = NatsReader::open(rc);
  ASSERT_TRUE(reader) << reader.error();
  std::map<std::tuple<int, std::size_t, std::uint64_t>, const DataBatch<TradeOrNbbo>*> produced;
  for (const auto& b : run.produced) {
    produced[{static_cast<int>(b.meta.resource_type), b.meta.shard_id, b.meta.batch_seq}] = &b;
  }
  std::set<std::tuple<int, std::size_t, std::uint64_t>> seen;
  ReceivedBatch got;
  for (;;) {
    auto r = (*reader)->next(got, 500ms);
    ASSERT_TRUE(r) << r.error();
    if (!*r) break;
    const auto key = std::make_tuple(static_cast<int>(got.batch.meta.resource_type), got.batch.meta.shard_id,
                                     got.batch.meta.batch_seq);
    EXPECT_TRUE(seen.insert(key).second) << "a batch is in the stream twice";
    const auto it = produced.find(key);
    ASSERT_NE(it, produced.end());
    EXPECT_EQ(got.batch, *it->second);
  }
  EXPECT_LE(run.produced.size() - seen.size(), st.dropped_full + st.dropped_failed);
  EXPECT_LE(st.acked, seen.size());
  std::cout << run.produced.size() << " batches produced; in the stream " << seen.size() << ", dropped by the sink "
            << st.dropped_full << " (queue full) + " << st.dropped_failed << " (unacknowledged)\n";
}
