// Copyright (c) James Kassemi, SC, US. All rights reserved.
// massive_sim::wire: the exact bytes of each event type and of status messages, and a cross-check
// against ws-source's own parser: frames encoded from a real market read back field for field.
#include "massive_sim/wire.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "massive_sim/market.hpp"
#include "ws_source/parse.hpp"

using namespace massive_sim;
using namespace std::chrono_literals;

namespace {

Event sample(Feed feed) {
  Event e;
  e.feed = feed;
  e.ts_ms = 1'700'000'000'123;
  e.seq = 1234;
  e.price_cents = 15'025;
  e.ask_cents = 15'026;
  e.size = 100;
  e.ask_size = 2;
  e.exchange = 4;
  e.ask_exchange = 7;
  e.conditions = {12, 37};
  e.n_conditions = 2;
  e.tape = 3;
  e.trade_id = 52'983'525'034'825;
  e.trf_id = 202;
  e.trf_ts_ms = 1'700'000'000'120;
  e.indicator = 604;
  return e;
}

std::string enc(const Event& e, std::string_view sym) {
  std::string out;
  wire::write_event(out, e, sym);
  return out;
}

std::string cents(std::uint32_t c) {
  std::string out;
  wire::write_cents(out, c);
  return out;
}

ws_source::ResourceType resource_type(Feed f) {
  switch (f) {
    case Feed::OptionQuotes:
      return ws_source::ResourceType::OptionsQuotes;
    case Feed::OptionTrades:
      return ws_source::ResourceType::OptionsTrades;
    case Feed::StockQuotes:
      return ws_source::ResourceType::EquityQuotes;
    case Feed::StockTrades:
      break;
  }
  return ws_source::ResourceType::EquityTrades;
}

ws_source::Codes codes(const Event& e) {
  ws_source::Codes c;
  for (const std::uint16_t v : e.condition_codes()) {
    EXPECT_TRUE(c.push_back(v));
  }
  return c;
}

constexpr std::int64_t kNsPerMs = 1'000'000;

// Checks one parsed row against the event it was encoded from.
void expect_row_matches(const ws_source::TradeOrNbbo& row, const Event& ev, std::string_view sym) {
  SCOPED_TRACE(std::string(sym) + " seq " + std::to_string(ev.seq));
  const double price = static_cast<double>(ev.price_cents) / 100.0;
  const double ask = static_cast<double>(ev.ask_cents) / 100.0;
  switch (ev.feed) {
    case Feed::OptionTrades: {
      const auto* t = std::get_if<ws_source::OptionTrade>(&row);
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->symbol, sym);
      EXPECT_EQ(t->contract, ws_source::OptionContract::parse(sym).value());
      EXPECT_EQ(t->exchange, ev.exchange);
      EXPECT_EQ(t->price, price);
      EXPECT_EQ(t->size, ev.size);
      EXPECT_EQ(t->conditions, codes(ev));
      EXPECT_EQ(t->sip_ts_ns, ev.ts_ms * kNsPerMs);
      EXPECT_EQ(t->sequence, ev.seq);
      break;
    }
    case Feed::StockTrades: {
      const auto* t = std::get_if<ws_source::EquityTrade>(&row);
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->symbol, sym);
      EXPECT_EQ(t->exchange, ev.exchange);
      EXPECT_EQ(t->trade_id, std::to_string(ev.trade_id));
      EXPECT_EQ(t->tape, ev.tape);
      EXPECT_EQ(t->price, price);
      EXPECT_EQ(t->size, ev.size);
      EXPECT_FALSE(t->fractional_size.has_value());
      EXPECT_EQ(t->conditions, codes(ev));
      EXPECT_EQ(t->sip_ts_ns, ev.ts_ms * kNsPerMs);
      EXPECT_EQ(t->sequence, ev.seq);
      if (ev.trf_id != 0) {
        EXPECT_EQ(t->trf_id, ev.trf_id);
        EXPECT_EQ(t->trf_ts_ns, ev.trf_ts_ms * kNsPerMs);
      } else {
        EXPECT_FALSE(t->trf_id.has_value());
        EXPECT_FALSE(t->trf_ts_ns.has_value());
      }
      break;
    }
    case Feed::OptionQuotes:
    case Feed::StockQuotes: {
      const auto* q = std::get_if<ws_source::Nbbo>(&row);
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(q->symbol, sym);
      EXPECT_EQ(q->bid_exchange, ev.exchange);
      EXPECT_EQ(q->ask_exchange, ev.ask_exchange);
      EXPECT_EQ(q->bid_price, price);
      EXPECT_EQ(q->ask_price, ask);
      EXPECT_EQ(q->bid_size, ev.size);
      EXPECT_EQ(q->ask_size, ev.ask_size);
      EXPECT_EQ(q->sip_ts_ns, ev.ts_ms * kNsPerMs);
      EXPECT_EQ(q->sequence, ev.seq);
      if (ev.feed == Feed::OptionQuotes) {
        ASSERT_TRUE(q->contract.has_value());
        EXPECT_EQ(*q->contract, ws_source::OptionContract::parse(sym).value());
        EXPECT_FALSE(q->condition.has_value());
        EXPECT_TRUE(q->indicators.empty());
        EXPECT_FALSE(q->tape.has_value());
      } else {
        EXPECT_FALSE(q->contract.has_value());
        EXPECT_EQ(q->condition, std::uint16_t{0});
        EXPECT_EQ(q->indicators, ev.indicator != 0 ? ws_source::Codes{ev.indicator} : ws_source::Codes{});
        EXPECT_EQ(q->tape, ev.tape);
      }
      break;
    }
  }
}

struct Encoded {
  Event ev;
  std::string symbol;
};

// Encodes `events` as one JSON array frame, parses it with `parser` and checks every row.
void cross_check_frame(ws_source::Parser& parser, const std::vector<Encoded>& events, std::int64_t received_at_ns) {
  std::string frame = "[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) {
      frame.push_back(',');
    }
    wire::write_event(frame, events[i].ev, events[i].symbol);
  }
  frame.push_back(']');
  ws_source::ParsedFrame out;
  const auto ok = parser.parse(std::span<const char>(frame), ws_source::FrameContext::at(received_at_ns), out);
  ASSERT_TRUE(ok) << ok.error() << "\n" << frame.substr(0, 400);
  EXPECT_EQ(out.row_count(), events.size());
  EXPECT_EQ(out.skipped_events, 0U);
  EXPECT_TRUE(out.statuses.empty());
  // Batches come in feed order, rows in wire order: walk the frame's events of each feed.
  for (const auto& batch : out.batches) {
    std::size_t row = 0;
    std::int64_t max_ts = 0;
    for (const Encoded& e : events) {
      if (resource_type(e.ev.feed) != batch.meta.resource_type) {
        continue;
      }
      ASSERT_LT(row, batch.rows.size());
      expect_row_matches(batch.rows[row++], e.ev, e.symbol);
      max_ts = std::max(max_ts, e.ev.ts_ms * kNsPerMs);
    }
    EXPECT_EQ(row, batch.rows.size());
    EXPECT_EQ(batch.meta.watermark_ts_ns, max_ts);
    EXPECT_EQ(batch.meta.received_at_ns, received_at_ns);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Exact bytes (the prototype's wire.rs tests)
// ---------------------------------------------------------------------------------------------

TEST(Wire, StockTradeMatchesTheDocumentedExample) {
  EXPECT_EQ(enc(sample(Feed::StockTrades), "AAPL"),
            R"({"ev":"T","sym":"AAPL","x":4,"i":"52983525034825","z":3,"p":150.25,"s":100,"c":[12,37],)"
            R"("t":1700000000123,"q":1234,"trfi":202,"trft":1700000000120})");
  Event plain = sample(Feed::StockTrades);
  plain.trf_id = 0;
  plain.n_conditions = 0;
  EXPECT_EQ(enc(plain, "F"),
            R"({"ev":"T","sym":"F","x":4,"i":"52983525034825","z":3,"p":150.25,"s":100,"t":1700000000123,"q":1234})");
}

TEST(Wire, QuotesAndOptionTrades) {
  EXPECT_EQ(enc(sample(Feed::StockQuotes), "AAPL"),
            R"({"ev":"Q","sym":"AAPL","bx":4,"ax":7,"bp":150.25,"ap":150.26,"bs":100,"as":2,"c":0,"i":[604],)"
            R"("t":1700000000123,"q":1234,"z":3})");
  Event no_indicator = sample(Feed::StockQuotes);
  no_indicator.indicator = 0;
  EXPECT_EQ(enc(no_indicator, "AAPL"),
            R"({"ev":"Q","sym":"AAPL","bx":4,"ax":7,"bp":150.25,"ap":150.26,"bs":100,"as":2,"c":0,)"
            R"("t":1700000000123,"q":1234,"z":3})");
  Event o = sample(Feed::OptionTrades);
  o.price_cents = 1250;
  o.n_conditions = 1;
  o.conditions = {209, 0};
  EXPECT_EQ(enc(o, "O:SPY251219C00650000"),
            R"({"ev":"T","sym":"O:SPY251219C00650000","x":4,"p":12.5,"s":100,"c":[209],"t":1700000000123,"q":1234})");
  Event q = sample(Feed::OptionQuotes);
  q.price_cents = 1240;
  q.ask_cents = 1300;
  EXPECT_EQ(enc(q, "O:SPY251219C00650000"),
            R"({"ev":"Q","sym":"O:SPY251219C00650000","bx":4,"ax":7,"bp":12.4,"ap":13,"bs":100,"as":2,)"
            R"("t":1700000000123,"q":1234})");
}

TEST(Wire, CentsFormatting) {
  EXPECT_EQ(cents(1), "0.01");
  EXPECT_EQ(cents(10), "0.1");
  EXPECT_EQ(cents(100), "1");
  EXPECT_EQ(cents(15'025), "150.25");
  EXPECT_EQ(cents(0), "0");
  EXPECT_EQ(cents(109), "1.09");
  EXPECT_EQ(cents(990), "9.9");
  EXPECT_EQ(cents(std::numeric_limits<std::uint32_t>::max()), "42949672.95");
}

TEST(Wire, WriteEventAppends) {
  std::string out = "[";
  wire::write_event(out, sample(Feed::OptionQuotes), "O:A250620C00010000");
  out.push_back(',');
  wire::write_event(out, sample(Feed::OptionQuotes), "O:A250620C00010000");
  out.push_back(']');
  EXPECT_EQ(out.front(), '[');
  EXPECT_EQ(out.find("},{"), out.size() / 2 - 1);
}

TEST(Wire, TheLongestEventFitsTheDocumentedBound) {
  Event e;
  e.feed = Feed::StockTrades;
  e.instrument = InstrumentId{1};
  e.ts_ms = std::numeric_limits<std::int64_t>::min();
  e.seq = std::numeric_limits<std::uint64_t>::max();
  e.price_cents = e.ask_cents = e.size = e.ask_size = std::numeric_limits<std::uint32_t>::max();
  e.exchange = e.ask_exchange = e.trf_id = e.indicator = std::numeric_limits<std::uint16_t>::max();
  e.conditions = {65'535, 65'535};
  e.n_conditions = 2;
  e.tape = 255;
  e.trade_id = std::numeric_limits<std::uint64_t>::max();
  e.trf_ts_ms = std::numeric_limits<std::int64_t>::min();
  for (const Feed f : kAllFeeds) {
    e.feed = f;
    EXPECT_LE(enc(e, "").size(), wire::kMaxEventBytesWithoutSymbol) << to_string(f);
    std::vector<char> buf(wire::kMaxEventBytesWithoutSymbol + 5);
    char* end = wire::encode_event(buf.data(), e, "ABCDE");
    EXPECT_EQ(std::string(buf.data(), end), enc(e, "ABCDE"));
  }
  // A symbol longer than the inline buffer takes the other path, with the same bytes.
  const std::string long_symbol(300, 'X');
  const std::string s = enc(sample(Feed::StockTrades), long_symbol);
  EXPECT_EQ(s, enc(sample(Feed::StockTrades), "AAPL").replace(17, 4, long_symbol));
}

TEST(Wire, StatusFrames) {
  EXPECT_EQ(wire::status_frame("connected", "Connected Successfully"),
            R"([{"ev":"status","status":"connected","message":"Connected Successfully"}])");
  EXPECT_EQ(wire::status_frame("error", "bad \"x\" \\ \n\t\x01\x1f/é"),
            R"([{"ev":"status","status":"error","message":"bad \"x\" \\ \n\t\u0001\u001f/é"}])");
  const std::vector<std::pair<std::string_view, std::string_view>> two{{"success", "subscribed to: T.AAPL"},
                                                                       {"success", "subscribed to: Q.AAPL"}};
  EXPECT_EQ(wire::status_frame(two), R"([{"ev":"status","status":"success","message":"subscribed to: T.AAPL"},)"
                                     R"({"ev":"status","status":"success","message":"subscribed to: Q.AAPL"}])");
  EXPECT_EQ(wire::status_frame(std::span<const std::pair<std::string_view, std::string_view>>{}), "[]");
  // The library reads them back.
  ws_source::Parser parser;
  ws_source::ParsedFrame out;
  const std::string frame = wire::status_frame(two);
  ASSERT_TRUE(parser.parse(std::span<const char>(frame), ws_source::FrameContext::now(), out));
  ASSERT_EQ(out.statuses.size(), 2U);
  EXPECT_EQ(out.statuses[0].kind, ws_source::StatusKind::Subscribed);
  EXPECT_EQ(out.statuses[1].channel, "Q.AAPL");
  const std::string escaped = wire::status_frame("error", "bad \"x\"");
  ASSERT_TRUE(parser.parse(std::span<const char>(escaped), ws_source::FrameContext::now(), out));
  ASSERT_EQ(out.statuses.size(), 1U);
  EXPECT_EQ(out.statuses[0].message, "bad \"x\"");
}

// ---------------------------------------------------------------------------------------------
// Cross-check with ws-source's parser
// ---------------------------------------------------------------------------------------------

TEST(WireCrossCheck, TheLibraryParserReadsBackEveryFieldOfARealMarket) {
  MarketConfig cfg = MarketConfig::small();
  cfg.rates = Rates{20'000, 5'000, 10'000, 5'000};
  // A start on the wall clock's side of 2000: the parser rejects older and future timestamps.
  cfg.start_unix_ms = 1'767'625'200'000;  // 2026-01-05T15:00:00Z
  Market m(cfg, 31);
  std::vector<Encoded> all;
  m.advance_with(2s, Feeds::all(), [&all](const Event& ev, std::string_view sym) {
    all.push_back({ev, std::string(sym)});
  });
  ASSERT_EQ(all.size(), 80'000U);
  std::array<std::size_t, 4> per_feed{};
  std::size_t trf = 0;
  std::size_t indicators = 0;
  for (const Encoded& e : all) {
    ++per_feed[index(e.ev.feed)];
    trf += e.ev.trf_id != 0;
    indicators += e.ev.indicator != 0;
  }
  for (const std::size_t n : per_feed) {
    EXPECT_GT(n, 0U);
  }
  EXPECT_GT(trf, 0U);
  EXPECT_GT(indicators, 0U);
  // Received one second after the market clock: no timestamp lies in the future.
  const std::int64_t received_at_ns = (m.now_ms() + 1'000) * kNsPerMs;
  for (const bool fast_path : {true, false}) {
    SCOPED_TRACE(fast_path ? "canonical fast path" : "general path");
    ws_source::Parser parser(ws_source::ParserOptions{fast_path});
    std::size_t frames = 0;
    for (std::size_t begin = 0; begin < all.size(); begin += 100) {
      const std::vector<Encoded> chunk(all.begin() + static_cast<std::ptrdiff_t>(begin),
                                       all.begin() + static_cast<std::ptrdiff_t>(std::min(begin + 100, all.size())));
      cross_check_frame(parser, chunk, received_at_ns);
      ++frames;
      if (::testing::Test::HasFatalFailure()) {
        return;
      }
    }
    // The encoder writes Massive's canonical shape: the parser's fast path takes every frame.
    if (fast_path) {
      EXPECT_EQ(parser.stats().fast_path_frames, frames);
    }
  }
}

TEST(WireCrossCheck, SingleClusterFramesAsTheServerSendsThem) {
  // One frame per cluster, options and stocks apart, from the default universe at a high rate.
  MarketConfig cfg;
  cfg.rates = Rates::with_total(200'000);
  cfg.start_unix_ms = 1'767'625'200'000;
  Market m(cfg, 3);
  std::vector<Encoded> options;
  std::vector<Encoded> stocks;
  m.advance_with(100ms, Feeds::all(), [&](const Event& ev, std::string_view sym) {
    (is_option(ev.feed) ? options : stocks).push_back({ev, std::string(sym)});
  });
  EXPECT_EQ(options.size() + stocks.size(), 20'000U);
  ws_source::Parser parser;
  const std::int64_t received_at_ns = (m.now_ms() + 1) * kNsPerMs;
  cross_check_frame(parser, options, received_at_ns);
  cross_check_frame(parser, stocks, received_at_ns);
}
