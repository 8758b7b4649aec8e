// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// Golden files: canned frames in testdata/golden/{valid,invalid}/*.json and, beside each, the
// expected parse as readable text (*.expected). A changed expectation shows up as a diff in
// review. To regenerate after a deliberate change:
//
//   WS_SOURCE_REGENERATE_GOLDEN=1 ctest --test-dir build -R golden
//   git diff testdata/golden      # read every change before committing it

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "frame_text.hpp"
#include "wire_encoder.hpp"
#include "ws_source/ws_source.hpp"

namespace fs = std::filesystem;
using namespace ws_source;

namespace {

/// The frames' SIP times are 2024-11-25T15:00:00.123Z and a few ms later; received 1 s after.
constexpr std::int64_t kReceivedAtNs = 1'732'546'801'123'000'000;

FrameContext golden_context() { return FrameContext::at(kReceivedAtNs); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool regenerate() {
  const char* v = std::getenv("WS_SOURCE_REGENERATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

std::vector<fs::path> frames_in(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(WS_SOURCE_GOLDEN_DIR) / dir)) {
    if (e.path().extension() == ".json") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Compares `actual` with the .expected file beside `input` (or writes it when regenerating).
void check_expected(const fs::path& input, const std::string& actual) {
  fs::path expected_path = input;
  expected_path.replace_extension(".expected");
  if (regenerate()) {
    std::ofstream(expected_path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path << " is missing: regenerate (see the top of this file)";
  EXPECT_EQ(read_file(expected_path), actual) << "golden mismatch for " << input.filename();
}

}  // namespace

TEST(Golden, SpecVectorOneAaplTradeGivesOneBatchWithOneEquityTrade) {
  const std::string frame = read_file(fs::path(WS_SOURCE_GOLDEN_DIR) / "valid/equity_trade_aapl.json");
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, golden_context(), out);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(out.statuses.empty());
  ASSERT_EQ(out.batches.size(), 1U);
  const auto& batch = out.batches[0];
  EXPECT_EQ(batch.meta.source, Source::Ws);
  EXPECT_EQ(batch.meta.quality, Quality::Prelim);
  EXPECT_EQ(batch.meta.resource_type, ResourceType::EquityTrades);
  EXPECT_EQ(batch.meta.connection, ConnectionState::Connected);
  // The watermark is the trade's SIP time, converted exactly from ms to ns.
  EXPECT_EQ(batch.meta.watermark_ts_ns, 1'732'546'800'123'000'000);
  EXPECT_EQ(batch.meta.received_at_ns, kReceivedAtNs);
  EXPECT_EQ(batch.meta.dropped_since_last, 0U);
  ASSERT_EQ(batch.rows.size(), 1U);
  const auto* t = std::get_if<EquityTrade>(&batch.rows[0]);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->symbol, "AAPL");
  EXPECT_EQ(t->exchange, 4);
  EXPECT_EQ(t->trade_id, "52983525034825");
  EXPECT_EQ(t->tape, std::optional<std::uint8_t>(3));
  EXPECT_EQ(t->price, 229.87);
  EXPECT_EQ(t->size, 100U);
  EXPECT_EQ(t->conditions, (Codes{12, 37}));
  EXPECT_EQ(t->sip_ts_ns, 1'732'546'800'123'000'000);
  EXPECT_EQ(t->sequence, 1'423'581U);
  EXPECT_EQ(t->trf_id, std::nullopt);
}

TEST(Golden, SpecFunctionParsePayloadGivesTheSameBatch) {
  // parse_payload stamps the wall clock as the receive time; the frame is from 2024, in the past.
  const std::string frame = read_file(fs::path(WS_SOURCE_GOLDEN_DIR) / "valid/equity_trade_aapl.json");
  auto r = parse_payload(frame);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].meta.watermark_ts_ns, 1'732'546'800'123'000'000);
  EXPECT_EQ((*r)[0].rows.size(), 1U);
}

TEST(Golden, ValidFramesMatchTheirExpectedText) {
  Parser parser;
  ParsedFrame out;
  const auto frames = frames_in("valid");
  ASSERT_GE(frames.size(), 27U);
  for (const auto& f : frames) {
    SCOPED_TRACE(f.filename().string());
    auto r = parser.parse(read_file(f), golden_context(), out);
    ASSERT_TRUE(r) << f << " should parse: " << r.error();
    check_expected(f, test_support::frame_text(out));
  }
}

TEST(Golden, InvalidFramesMatchTheirExpectedErrors) {
  Parser parser;
  ParsedFrame out;
  const auto frames = frames_in("invalid");
  ASSERT_GE(frames.size(), 38U);
  for (const auto& f : frames) {
    SCOPED_TRACE(f.filename().string());
    auto r = parser.parse(read_file(f), golden_context(), out);
    ASSERT_FALSE(r) << f << " should be rejected";
    EXPECT_TRUE(out.batches.empty()) << "a rejected frame must not leave batches behind";
    EXPECT_LE(r.error().excerpt.size(), kExcerptLen + 3);
    check_expected(f, test_support::error_text(r.error()));
  }
}

TEST(Golden, BadEventInTheMiddleRejectsTheWholeFrameAndNamesIt) {
  const std::string frame = read_file(fs::path(WS_SOURCE_GOLDEN_DIR) / "invalid/bad_event_in_middle.json");
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, golden_context(), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().event_index, std::optional<std::size_t>(1));
  EXPECT_EQ(r.error().field, "x");
  EXPECT_EQ(r.error().ev, "T");
  EXPECT_EQ(r.error().sym, "AAPL");
  EXPECT_EQ(out.row_count(), 0U);
}

// A 10,000-event frame of all four feeds, generated deterministically; its summary is golden.
TEST(Golden, TenThousandEventFrame) {
  std::vector<TradeOrNbbo> rows;
  rows.reserve(10'000);
  for (int i = 0; i < 10'000; ++i) {
    const std::int64_t ts = 1'732'546'800'000'000'000 + std::int64_t{i} * 1'000'000 / 10;  // 10 per ms
    const std::int64_t ts_ms = ts / 1'000'000 * 1'000'000;
    switch (i % 4) {
      case 0: {
        Nbbo q;
        q.symbol = *Symbol::make("O:SPY251219C00650000");
        q.contract = *OptionContract::parse(q.symbol.view());
        q.bid_exchange = 302;
        q.ask_exchange = 303;
        q.bid_price = 12.4 + (i % 7) * 0.01;
        q.ask_price = 12.6;
        q.bid_size = static_cast<std::uint64_t>(i % 50);
        q.ask_size = 12;
        q.sip_ts_ns = ts_ms;
        q.sequence = static_cast<std::uint64_t>(i);
        rows.emplace_back(q);
        break;
      }
      case 1: {
        OptionTrade t;
        t.symbol = *Symbol::make("O:TSLA250117P00380000");
        t.contract = *OptionContract::parse(t.symbol.view());
        t.exchange = 65;
        t.price = 3.1;
        t.size = static_cast<std::uint64_t>(1 + i % 9);
        t.conditions = Codes{209};
        t.sip_ts_ns = ts_ms;
        t.sequence = static_cast<std::uint64_t>(i);
        rows.emplace_back(t);
        break;
      }
      case 2: {
        Nbbo q;
        q.symbol = *Symbol::make("MSFT");
        q.bid_exchange = 4;
        q.ask_exchange = 7;
        q.bid_price = 415.12;
        q.ask_price = 415.15;
        q.bid_size = 3;
        q.ask_size = 2;
        q.condition = 1;
        q.indicators = Codes{604};
        q.sip_ts_ns = ts_ms;
        q.sequence = static_cast<std::uint64_t>(i);
        q.tape = 3;
        rows.emplace_back(q);
        break;
      }
      default: {
        EquityTrade t;
        t.symbol = *Symbol::make("AAPL");
        t.exchange = 4;
        t.trade_id = *TradeId::make(std::to_string(1'000'000 + i));
        t.tape = 3;
        t.price = 229.87;
        t.size = 100;
        t.conditions = Codes{12, 37};
        t.sip_ts_ns = ts_ms;
        t.sequence = static_cast<std::uint64_t>(i);
        rows.emplace_back(t);
        break;
      }
    }
  }
  const std::string frame = test_support::encode_frame(rows);
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, golden_context(), out);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(out.row_count(), 10'000U);
  // Rows come back exactly, grouped by feed in wire order.
  std::size_t k[4] = {0, 0, 0, 0};
  for (const auto& row : rows) {
    const auto feed = index(resource_type_of(row));
    const auto& batch = *std::find_if(out.batches.begin(), out.batches.end(),
                                      [&](const auto& b) { return index(b.meta.resource_type) == feed; });
    ASSERT_EQ(batch.rows[k[feed]++], row);
  }
  std::ostringstream summary;
  summary << "frame bytes: " << frame.size() << '\n';
  for (const auto& b : out.batches) {
    summary << "batch " << b.meta << " rows=" << b.rows.size() << "\n  first " << b.rows.front() << "\n  last "
            << b.rows.back() << '\n';
  }
  check_expected(fs::path(WS_SOURCE_GOLDEN_DIR) / "generated/ten_thousand_events.json", summary.str());
}
