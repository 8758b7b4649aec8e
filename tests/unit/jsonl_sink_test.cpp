// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The JSON-lines encoding and JsonlFileSink (jsonl_sink.hpp): the row lines ws-ingest --jsonl
// has always written, the optional batch lines (heartbeats, gaps), escaping, file errors as
// values, the counters.
#include "ws_source/jsonl_sink.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace ws_source;

namespace {

DataBatch<TradeOrNbbo> mixed_batch() {
  DataBatch<TradeOrNbbo> b;
  EquityTrade e;
  e.symbol = *Symbol::make("AAPL");
  e.exchange = 4;
  e.trade_id = *TradeId::make("52983525034825");
  e.tape = 3;
  e.price = 229.87;
  e.size = 100;
  (void)e.conditions.push_back(12);
  (void)e.conditions.push_back(37);
  e.sip_ts_ns = 1'732'546'800'123'000'000;
  e.sequence = 1'423'581;
  b.rows.emplace_back(e);
  Nbbo q;
  q.contract = *OptionContract::parse("O:SPY251219C00650000");
  q.symbol = *Symbol::make("O:SPY251219C00650000");
  q.bid_exchange = 7;
  q.ask_exchange = 7;
  q.bid_price = 1.2;
  q.ask_price = 1.3;
  q.bid_size = 10;
  q.ask_size = 12;
  q.sip_ts_ns = 1'732'546'800'124'000'000;
  q.sequence = 9;
  b.rows.emplace_back(q);
  b.meta.resource_type = ResourceType::EquityTrades;
  b.meta.watermark_ts_ns = 1'732'546'800'124'000'000;
  b.meta.received_at_ns = 1'732'546'800'125'000'000;
  b.meta.batch_seq = 41;
  return b;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Jsonl, OneLinePerRowInShortestRoundTripForm) {
  std::string out;
  append_jsonl(out, mixed_batch());
  EXPECT_EQ(out,
            R"({"type":"equity_trade","sym":"AAPL","x":4,"i":"52983525034825","p":229.87,"s":100,"z":3,"c":[12,37],)"
            R"("t_ns":1732546800123000000,"q":1423581})"
            "\n"
            R"({"type":"option_quote","sym":"O:SPY251219C00650000","bx":7,"ax":7,"bp":1.2,"ap":1.3,"bs":10,"as":12,)"
            R"("t_ns":1732546800124000000,"q":9})"
            "\n");
}

TEST(Jsonl, BatchLinesCarryHeartbeatsAndGaps) {
  DataBatch<TradeOrNbbo> hb;
  hb.meta.resource_type = ResourceType::OptionsQuotes;
  hb.meta.connection = ConnectionState::Disconnected;
  hb.meta.watermark_ts_ns = 5;
  hb.meta.gap = Gap{1, 2, DisconnectReason::SlowConsumer};
  std::string out;
  append_jsonl(out, hb);
  EXPECT_EQ(out, "");  // rows only by default: a heartbeat writes nothing
  append_jsonl(out, hb, JsonlOptions{.batches = true});
  EXPECT_EQ(out, R"({"type":"batch","feed":"options_quotes","shard":0,"seq":0,"rows":0,"watermark_ns":5,)"
                 R"("received_ns":0,"connection":"disconnected","dropped":0,"conflated":0,"late":0,)"
                 R"("gap":{"start_ns":1,"end_ns":2,"reason":"slow_consumer"}})"
                 "\n");
}

TEST(Jsonl, QuotesAndBackslashesInSymbolsAreEscaped) {
  DataBatch<TradeOrNbbo> b;
  Nbbo q;
  q.symbol = *Symbol::make(R"(A"B\C)");
  b.rows.emplace_back(q);
  std::string out;
  append_jsonl(out, b);
  EXPECT_NE(out.find(R"("sym":"A\"B\\C")"), std::string::npos) << out;
}

TEST(JsonlFileSink, WritesCountsAndCloses) {
  const auto path =
      std::filesystem::temp_directory_path() / ("ws-source-jsonl-" + std::to_string(::getpid()) + ".jsonl");
  {
    auto sink = JsonlFileSink::open(path, JsonlOptions{.batches = true});
    ASSERT_TRUE(sink) << sink.error();
    ASSERT_TRUE((*sink)->write(mixed_batch()));
    ASSERT_TRUE((*sink)->write(DataBatch<TradeOrNbbo>{}));
    ASSERT_TRUE((*sink)->flush(std::chrono::milliseconds(0)));
    const SinkStats st = (*sink)->stats();
    EXPECT_EQ(st.batches_in, 2U);
    EXPECT_EQ(st.batches_out, 2U);
    EXPECT_EQ(st.rows_out, 2U);
    EXPECT_EQ((*sink)->describe(), "jsonl:" + path.string());
    ASSERT_TRUE((*sink)->close());
    const auto after = (*sink)->write(mixed_batch());
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().kind, SinkError::Kind::Closed);
    EXPECT_EQ((*sink)->stats().batches_failed, 1U);
  }
  const std::string text = slurp(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);  // 2 batch lines + 2 rows
  std::filesystem::remove(path);
}

TEST(JsonlFileSink, AFileThatCannotBeOpenedIsAnErrorValue) {
  auto sink = JsonlFileSink::open("/nonexistent-dir/x.jsonl");
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().kind, SinkError::Kind::Io);
  EXPECT_NE(sink.error().message.find("/nonexistent-dir/x.jsonl"), std::string::npos) << sink.error();
}

TEST(JsonlFileSink, AFullDiskIsAnErrorValueAndTheSinkStops) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto sink = JsonlFileSink::open("/dev/full");
  ASSERT_TRUE(sink) << sink.error();
  Result<void, SinkError> r;
  for (int i = 0; i < 20'000 && r; ++i) r = (*sink)->write(mixed_batch());  // past the 1 MiB buffer
  if (r) r = (*sink)->flush(std::chrono::milliseconds(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, SinkError::Kind::Io) << r.error();
  EXPECT_FALSE((*sink)->write(mixed_batch()));
}
