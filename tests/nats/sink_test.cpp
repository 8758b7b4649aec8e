// Copyright (c) James Kassemi, SC, US. All rights reserved.
// NatsSink and NatsReader against a real nats-server (a child process on 127.0.0.1 with
// JetStream and a temporary store, one per test): every batch published is in the stream exactly
// once and reads back equal; the server killed and restarted mid-run loses nothing uncounted and
// stores nothing twice, and write() never stalls (an accounting bound, not a speed claim); a slow
// (frozen) server fills the bounded queue and the drops are counted; bad URLs, a missing server,
// a server without JetStream and incompatible streams are clear errors at start, quickly.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "nats_server.hpp"
#include "sample_batches.hpp"
#include "ws_source/logging.hpp"
#include "ws_source/nats_reader.hpp"
#include "ws_source/nats_sink.hpp"

using namespace ws_source;
using namespace std::chrono_literals;
using ws_source::test::NatsServer;
using ws_source::test::sample_batch;
using Clock = std::chrono::steady_clock;

namespace {

// The test's own view of the server, through cnats directly (not the code under test).
struct Direct {
  natsConnection* nc{nullptr};
  jsCtx* js{nullptr};
  explicit Direct(const std::string& url) {
    EXPECT_EQ(natsConnection_ConnectTo(&nc, url.c_str()), NATS_OK);
    if (nc != nullptr) {
      EXPECT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
    }
  }
  ~Direct() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  Direct(const Direct&) = delete;
  Direct& operator=(const Direct&) = delete;

  // Messages in the stream, or -1 when it does not exist.
  std::int64_t messages(const char* stream = "MASSIVE") const {
    jsStreamInfo* si = nullptr;
    if (js_GetStreamInfo(&si, js, stream, nullptr, nullptr) != NATS_OK) return -1;
    const auto n = static_cast<std::int64_t>(si->State.Msgs);
    jsStreamInfo_Destroy(si);
    return n;
  }
  bool add_stream(const char* name, const char* subject, std::chrono::nanoseconds dup) const {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    const char* subjects[] = {subject};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Duplicates = dup.count();
    jsStreamInfo* si = nullptr;
    const bool ok = js_AddStream(&si, js, &cfg, nullptr, nullptr) == NATS_OK;
    jsStreamInfo_Destroy(si);
    return ok;
  }
};

class NatsSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = start_server({}); }

  std::unique_ptr<NatsServer> start_server(NatsServer::Options options) {
    if (test::nats_server_binary().empty()) {
      ADD_FAILURE() << "nats-server not found: apt-get install nats-server (scripts/install-deps.sh does)";
      return nullptr;
    }
    std::string error;
    auto s = NatsServer::start(options, error);
    EXPECT_TRUE(s) << error;
    return s;
  }

  [[nodiscard]] NatsConnectSettings connection() const {
    NatsConnectSettings c;
    c.url = server_->url();
    c.connect_timeout = 1'000ms;
    // JetStream API calls (stream creation) answer in milliseconds, but took over 2 s once in CI
    // with the ASan suite loading both cores: a test's bound, not the sink's behaviour.
    c.api_timeout = 10'000ms;
    c.reconnect_wait = 100ms;
    c.name = "ws-source-test";
    return c;
  }

  [[nodiscard]] NatsSinkConfig sink_config() const {
    NatsSinkConfig c;
    c.connection = connection();
    c.ack_timeout = 1'000ms;
    c.retry_for = 20s;
    c.close_timeout = 2s;
    return c;
  }

  std::unique_ptr<NatsSink> make_sink(NatsSinkConfig c) {
    auto s = NatsSink::create(std::move(c));
    EXPECT_TRUE(s) << s.error();
    return s ? std::move(*s) : nullptr;
  }

  // Every message of the stream, in stream order (the stream must hold `expected`; then one
  // more short wait proves there is nothing else).
  std::vector<ReceivedBatch> read_all(std::size_t expected, StreamStart start = StreamStart::all()) {
    NatsReaderConfig rc;
    rc.connection = connection();
    rc.start = start;
    auto reader = NatsReader::open(rc);
    EXPECT_TRUE(reader) << reader.error();
    std::vector<ReceivedBatch> out;
    if (!reader) return out;
    ReceivedBatch got;
    while (out.size() < expected) {
      auto r = (*reader)->next(got, 5s);
      EXPECT_TRUE(r) << r.error();
      if (!r || !*r) break;
      out.push_back(got);
    }
    auto extra = (*reader)->next(got, 200ms);
    EXPECT_TRUE(extra && !*extra) << "more messages in the stream than expected";
    return out;
  }

  std::unique_ptr<NatsServer> server_;
};

TEST_F(NatsSinkTest, EveryBatchIsInTheStreamOnceAndReadsBackEqual) {
  ASSERT_TRUE(server_);
  auto sink = make_sink(sink_config());
  ASSERT_TRUE(sink);
  constexpr std::uint64_t kBatches = 400;
  std::vector<DataBatch<TradeOrNbbo>> sent;
  for (std::uint64_t i = 0; i < kBatches; ++i) {
    sent.push_back(sample_batch(i, i % 10 == 0 ? 0 : 1 + i % 50));  // heartbeats and gaps included
    ASSERT_TRUE(sink->write(sent.back()));
  }
  ASSERT_TRUE(sink->flush(10s));
  const NatsSinkStats st = sink->nats_stats();
  EXPECT_EQ(st.written, kBatches);
  EXPECT_EQ(st.accepted, kBatches);
  EXPECT_EQ(st.acked, kBatches);
  EXPECT_EQ(st.dropped_full + st.dropped_failed, 0U);
  EXPECT_EQ(st.in_flight + st.queued, 0U);
  const SinkStats generic = sink->stats();
  EXPECT_EQ(generic.batches_out, kBatches);
  EXPECT_EQ(generic.pending, 0U);

  EXPECT_EQ(Direct(server_->url()).messages(), static_cast<std::int64_t>(kBatches));
  const auto got = read_all(kBatches);
  ASSERT_EQ(got.size(), kBatches);
  std::set<std::string> ids;
  for (std::size_t k = 0; k < got.size(); ++k) {
    const ReceivedBatch& r = got[k];
    EXPECT_EQ(r.stream_sequence, k + 1);
    const std::uint64_t i = r.batch.meta.batch_seq;
    ASSERT_LT(i, kBatches);
    EXPECT_EQ(r.batch, sent[i]) << "batch " << i;
    EXPECT_EQ(r.subject, nats_subject("massive", sent[i].meta.resource_type));
    EXPECT_EQ(r.msg_id, sink->sink_id() + "-" + std::to_string(k + 1));  // in write order here
    EXPECT_GT(r.stored_at_ns, 0);
    ids.insert(r.msg_id);
  }
  EXPECT_EQ(ids.size(), kBatches);
  EXPECT_TRUE(sink->close(2s));
  EXPECT_FALSE(sink->write(sent.front()));  // closed
}

TEST_F(NatsSinkTest, ReaderStartsAtASequenceOrATimeOrNowAndFiltersFeeds) {
  ASSERT_TRUE(server_);
  auto sink = make_sink(sink_config());
  ASSERT_TRUE(sink);
  std::vector<DataBatch<TradeOrNbbo>> sent;
  for (std::uint64_t i = 0; i < 40; ++i) {
    sent.push_back(sample_batch(i, 3));
    ASSERT_TRUE(sink->write(sent.back()));
  }
  ASSERT_TRUE(sink->flush(10s));

  const auto from21 = read_all(20, StreamStart::at_sequence(21));
  ASSERT_EQ(from21.size(), 20U);
  EXPECT_EQ(from21.front().stream_sequence, 21U);
  EXPECT_EQ(from21.front().batch, sent[20]);

  const auto all = read_all(40);
  ASSERT_EQ(all.size(), 40U);
  const std::int64_t t = all[30].stored_at_ns;
  const auto from_t = read_all(static_cast<std::size_t>(std::count_if(
                                   all.begin(), all.end(), [&](const auto& r) { return r.stored_at_ns >= t; })),
                               StreamStart::at_time(t));
  ASSERT_FALSE(from_t.empty());
  EXPECT_LE(from_t.front().stream_sequence, 31U);
  EXPECT_GE(from_t.front().stored_at_ns, t);
  // A time 1 ms into a second (cnats 3.4.1 would send it as 0.1 s into it: see reader.cpp).
  const std::int64_t t_ms = all[30].stored_at_ns / 1'000'000'000 * 1'000'000'000 + 1'000'000;
  const auto n_after = static_cast<std::size_t>(
      std::count_if(all.begin(), all.end(), [&](const auto& x) { return x.stored_at_ns >= t_ms; }));
  const auto from_ms = read_all(n_after, StreamStart::at_time(t_ms));
  ASSERT_EQ(from_ms.size(), n_after);
  if (!from_ms.empty()) {
    EXPECT_GE(from_ms.front().stored_at_ns, t_ms);
  }

  NatsReaderConfig rc;
  rc.connection = connection();
  rc.feeds = {ResourceType::OptionsTrades, ResourceType::EquityQuotes};
  auto two = NatsReader::open(rc);
  ASSERT_TRUE(two) << two.error();
  ReceivedBatch got;
  for (int k = 0; k < 20; ++k) {
    auto r = (*two)->next(got, 5s);
    ASSERT_TRUE(r && *r);
    EXPECT_TRUE(got.batch.meta.resource_type == ResourceType::OptionsTrades ||
                got.batch.meta.resource_type == ResourceType::EquityQuotes);
  }
  auto none = (*two)->next(got, 200ms);
  EXPECT_TRUE(none && !*none);
  EXPECT_EQ((*two)->skipped(), 20U);

  rc.feeds = {ResourceType::EquityTrades};  // one feed: filtered by the server
  rc.start = StreamStart::new_only();
  auto fresh = NatsReader::open(rc);
  ASSERT_TRUE(fresh) << fresh.error();
  auto nothing = (*fresh)->next(got, 200ms);
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing);
  const auto late = sample_batch(43, 2);  // 43 % 4 = equity trades
  ASSERT_TRUE(sink->write(late));
  auto r = (*fresh)->next(got, 5s);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(got.batch, late);
  EXPECT_EQ(got.stream_sequence, 41U);
}

TEST_F(NatsSinkTest, ServerKilledAndRestartedLosesNothingUncountedAndStoresNothingTwice) {
  ASSERT_TRUE(server_);
  auto cfg = sink_config();
  cfg.max_queued_batches = 200;  // the outage overflows it: drops must be counted
  cfg.ack_timeout = 500ms;
  auto sink = make_sink(cfg);
  ASSERT_TRUE(sink);
  constexpr std::uint64_t kBatches = 1'500;
  std::atomic<bool> restarted{false};
  std::string restart_error;
  std::thread chaos([&] {
    std::this_thread::sleep_for(700ms);
    server_->kill_hard();
    std::this_thread::sleep_for(800ms);
    restarted.store(server_->restart(restart_error));
  });
  std::vector<DataBatch<TradeOrNbbo>> sent;
  sent.reserve(kBatches);
  auto max_write = Clock::duration::zero();
  for (std::uint64_t i = 0; i < kBatches; ++i) {
    sent.push_back(sample_batch(i, 1 + i % 20));
    const auto t0 = Clock::now();
    const auto ok = sink->write(sent.back());
    max_write = std::max(max_write, Clock::now() - t0);
    ASSERT_TRUE(ok) << ok.error();
    std::this_thread::sleep_for(2ms);
  }
  chaos.join();
  ASSERT_TRUE(restarted.load()) << restart_error;
  const auto flushed = sink->flush(20s);
  EXPECT_TRUE(flushed) << flushed.error();
  const NatsSinkStats st = sink->nats_stats();
  // Accounting: every batch written is accepted or dropped; every accepted one acked or dropped.
  EXPECT_EQ(st.written, kBatches);
  EXPECT_EQ(st.written, st.accepted + st.dropped_full);
  EXPECT_EQ(st.accepted, st.acked + st.dropped_failed);
  EXPECT_GE(st.disconnects, 1U);
  EXPECT_GE(st.reconnects, 1U);
  EXPECT_GT(st.dropped_full, 0U) << "the outage should have overflowed the 200-batch queue";
  // The publish never blocked: an accounting bound on each call, not a speed claim.
  EXPECT_LT(max_write, 50ms) << std::chrono::duration_cast<std::chrono::microseconds>(max_write).count() << " us";

  const std::int64_t in_stream = Direct(server_->url()).messages();
  ASSERT_GT(in_stream, 0);
  const auto got = read_all(static_cast<std::size_t>(in_stream));
  ASSERT_EQ(static_cast<std::int64_t>(got.size()), in_stream);
  std::map<std::uint64_t, int> copies;
  for (const ReceivedBatch& r : got) {
    const std::uint64_t i = r.batch.meta.batch_seq;
    ASSERT_LT(i, kBatches);
    EXPECT_EQ(r.batch, sent[i]) << "batch " << i;
    ++copies[i];
  }
  for (const auto& [i, n] : copies) EXPECT_EQ(n, 1) << "batch " << i << " is in the stream " << n << " times";
  // Every batch not in the stream was counted as dropped; everything acked is in the stream.
  const std::uint64_t missing = kBatches - copies.size();
  EXPECT_LE(missing, st.dropped_full + st.dropped_failed);
  EXPECT_LE(st.acked, copies.size());
  std::cout << "written " << st.written << ", acked " << st.acked << " (duplicates " << st.duplicates << ", resends "
            << st.resends << "), dropped full " << st.dropped_full << ", dropped unacknowledged " << st.dropped_failed
            << ", in the stream " << copies.size() << ", longest write "
            << std::chrono::duration_cast<std::chrono::microseconds>(max_write).count() << " us\n";
}

TEST_F(NatsSinkTest, ASlowServerFillsTheBoundedQueueAndTheDropsAreCounted) {
  ASSERT_TRUE(server_);
  auto cfg = sink_config();
  cfg.max_in_flight = 4;
  cfg.max_queued_batches = 10;
  auto sink = make_sink(cfg);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->write(sample_batch(0, 1)));
  ASSERT_TRUE(sink->flush(5s));
  server_->freeze();  // connected, silent
  auto max_write = Clock::duration::zero();
  for (std::uint64_t i = 1; i <= 50; ++i) {
    const auto t0 = Clock::now();
    ASSERT_TRUE(sink->write(sample_batch(i, 5)));
    max_write = std::max(max_write, Clock::now() - t0);
  }
  std::this_thread::sleep_for(100ms);
  NatsSinkStats st = sink->nats_stats();
  EXPECT_EQ(st.written, 51U);
  EXPECT_LE(st.accepted, 1U + 4U + 10U + 1U);  // in flight + queued (+ one taken meanwhile)
  EXPECT_EQ(st.written, st.accepted + st.dropped_full);
  EXPECT_EQ(st.rows_dropped_full, st.dropped_full * 5);
  EXPECT_FALSE(sink->flush(100ms));  // pending while the server is frozen
  EXPECT_LT(max_write, 50ms);
  server_->thaw();
  ASSERT_TRUE(sink->flush(10s));
  st = sink->nats_stats();
  EXPECT_EQ(st.acked, st.accepted);
  EXPECT_EQ(Direct(server_->url()).messages(), static_cast<std::int64_t>(st.accepted));
}

TEST_F(NatsSinkTest, AResendAfterALostAckIsStoredOnce) {
  ASSERT_TRUE(server_);
  auto cfg = sink_config();
  cfg.ack_timeout = 300ms;  // the frozen server answers nothing: every ack times out, batches are resent
  auto sink = make_sink(cfg);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->write(sample_batch(0, 2)));
  ASSERT_TRUE(sink->flush(5s));
  server_->freeze();
  for (std::uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(sink->write(sample_batch(i, 2)));
  std::this_thread::sleep_for(1'000ms);
  server_->thaw();  // it now reads every copy: the first of each is stored, the others are duplicates
  ASSERT_TRUE(sink->flush(10s));
  const NatsSinkStats st = sink->nats_stats();
  EXPECT_GE(st.resends, 5U);
  EXPECT_GE(st.duplicates, 1U);
  EXPECT_EQ(st.acked, 6U);
  EXPECT_EQ(st.dropped_failed + st.dropped_full, 0U);
  EXPECT_EQ(Direct(server_->url()).messages(), 6);
  const auto got = read_all(6);
  ASSERT_EQ(got.size(), 6U);
  for (std::size_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k].batch, sample_batch(k, 2));
}

TEST_F(NatsSinkTest, CloseCountsWhatIsStillPendingAsDropped) {
  ASSERT_TRUE(server_);
  auto sink = make_sink(sink_config());
  ASSERT_TRUE(sink);
  server_->freeze();
  for (std::uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(sink->write(sample_batch(i, 2)));
  const auto t0 = Clock::now();
  const auto closed = sink->close(200ms);
  EXPECT_LT(Clock::now() - t0, 5s);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().kind, SinkError::Kind::Timeout);
  const NatsSinkStats st = sink->nats_stats();
  EXPECT_EQ(st.accepted, 5U);
  EXPECT_EQ(st.acked + st.dropped_failed, 5U);
  EXPECT_EQ(st.in_flight + st.queued, 0U);
  server_->thaw();
  const auto again = sink->write(sample_batch(9, 1));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, SinkError::Kind::Closed);
}

TEST_F(NatsSinkTest, HeartbeatsCanBeLeftOut) {
  ASSERT_TRUE(server_);
  auto cfg = sink_config();
  cfg.publish_heartbeats = false;
  auto sink = make_sink(cfg);
  ASSERT_TRUE(sink);
  for (std::uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(sink->write(sample_batch(i, 0)));
  ASSERT_TRUE(sink->write(sample_batch(4, 3)));
  ASSERT_TRUE(sink->flush(5s));
  EXPECT_EQ(sink->nats_stats().skipped_heartbeats, 4U);
  EXPECT_EQ(sink->stats().batches_out, 5U);
  EXPECT_EQ(Direct(server_->url()).messages(), 1);
}

TEST_F(NatsSinkTest, BadUrlsAndAMissingServerAreClearErrorsQuickly) {
  ASSERT_TRUE(server_);
  const auto expect_error = [&](const std::string& url, NatsError::Kind kind, std::string_view needle) {
    auto cfg = sink_config();
    cfg.connection.url = url;
    const auto t0 = Clock::now();
    auto s = NatsSink::create(cfg);
    const auto took = Clock::now() - t0;
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.error().kind, kind) << url << ": " << s.error();
    EXPECT_NE(s.error().message.find(needle), std::string::npos) << s.error();
    EXPECT_LT(took, 4s) << url;  // connect_timeout is 1 s: an error, never a hang
  };
  expect_error("nats://127.0.0.1:" + std::to_string(test::free_port()), NatsError::Kind::Connect, "cannot connect");
  expect_error("http://127.0.0.1:4222", NatsError::Kind::Config, "scheme");
  expect_error("nats://", NatsError::Kind::Config, "no host");
  expect_error("nats://127.0.0.1:99999", NatsError::Kind::Config, "port");
  expect_error("nats://127.0.0.1:42x", NatsError::Kind::Config, "port");
  // Credentials in a URL never reach the error text.
  auto cfg = sink_config();
  cfg.connection.url = "nats://alice:hunter2@127.0.0.1:" + std::to_string(test::free_port());
  auto s = NatsSink::create(cfg);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message.find("hunter2"), std::string::npos) << s.error();
  EXPECT_NE(s.error().message.find("***@127.0.0.1"), std::string::npos) << s.error();
  // A server without JetStream.
  auto plain = start_server({.jetstream = false});
  ASSERT_TRUE(plain);
  cfg = sink_config();
  cfg.connection.url = plain->url();
  const auto t0 = Clock::now();
  s = NatsSink::create(cfg);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, NatsError::Kind::Stream) << s.error();
  EXPECT_NE(s.error().message.find("-js"), std::string::npos) << s.error();
  EXPECT_LT(Clock::now() - t0, 4s);
  // A server that accepts the TCP connection and then says nothing (frozen): bounded too.
  server_->freeze();
  cfg = sink_config();
  const auto t1 = Clock::now();
  s = NatsSink::create(cfg);
  server_->thaw();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, NatsError::Kind::Connect) << s.error();
  EXPECT_LT(Clock::now() - t1, 4s);
  // The reader too.
  NatsReaderConfig rc;
  rc.connection = connection();
  rc.connection.url = "nats://127.0.0.1:" + std::to_string(test::free_port());
  auto r = NatsReader::open(rc);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, NatsError::Kind::Connect) << r.error();
}

TEST_F(NatsSinkTest, TheStreamIsCreatedOrCheckedNeverBlindlyUsed) {
  ASSERT_TRUE(server_);
  Direct direct(server_->url());
  // Missing, and not to be created.
  auto cfg = sink_config();
  cfg.stream.create = false;
  auto s = NatsSink::create(cfg);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, NatsError::Kind::Stream);
  EXPECT_NE(s.error().message.find("does not exist"), std::string::npos) << s.error();
  NatsReaderConfig rc;
  rc.connection = connection();
  auto r = NatsReader::open(rc);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, NatsError::Kind::Stream) << r.error();
  // A stream of that name that captures other subjects.
  ASSERT_TRUE(direct.add_stream("MASSIVE", "other.>", 120s));
  s = NatsSink::create(sink_config());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, NatsError::Kind::Stream);
  EXPECT_NE(s.error().message.find("does not capture subject massive.options.quotes"), std::string::npos) << s.error();
  // A stream whose duplicate window is shorter than the sink's retry horizon.
  ASSERT_TRUE(direct.add_stream("SHORT", "short.>", 1s));
  cfg = sink_config();
  cfg.stream.name = "SHORT";
  cfg.stream.subject_prefix = "short";
  s = NatsSink::create(cfg);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, NatsError::Kind::Config);
  EXPECT_NE(s.error().message.find("retry_for"), std::string::npos) << s.error();
  cfg.retry_for = 0ms;  // a horizon of 0 + 0.5 s fits in the 1 s window
  cfg.ack_timeout = 500ms;
  auto ok = NatsSink::create(cfg);
  ASSERT_TRUE(ok) << ok.error();
  // A stream the sink created itself is found again (and its window checked) by the next one.
  cfg = sink_config();
  cfg.stream.name = "FRESH";
  cfg.stream.subject_prefix = "fresh";
  auto first = NatsSink::create(cfg);
  ASSERT_TRUE(first) << first.error();
  auto second = NatsSink::create(cfg);
  ASSERT_TRUE(second) << second.error();
  EXPECT_NE((*first)->sink_id(), (*second)->sink_id());
  EXPECT_EQ(direct.messages("FRESH"), 0);
}

}  // namespace
