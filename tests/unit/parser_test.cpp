// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The Parser's contracts beyond the golden files: buffers and padding, reuse, meta stamping.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ws_source/ws_source.hpp"

using namespace ws_source;

namespace {

constexpr std::int64_t kReceivedAtNs = 1'732'546'801'123'000'000;
const std::string kTrade =
    R"([{"ev":"T","sym":"AAPL","x":4,"i":"52983525034825","z":3,"p":229.87,"s":100,"c":[12,37],"t":1732546800123,"q":1423581}])";
const std::string kMixed =
    R"([{"ev":"Q","sym":"O:SPY251219C00650000","bx":302,"ax":303,"bp":12.4,"ap":12.6,"bs":10,"as":12,"t":1732546800125,"q":2},)"
    R"({"ev":"status","status":"success","message":"subscribed to: T.*"},)"
    R"({"ev":"Q","sym":"O:SPY251219C00650000","bx":302,"ax":303,"bp":12.5,"ap":12.6,"bs":10,"as":12,"t":1732546800124,"q":3},)"
    R"({"ev":"T","sym":"AAPL","x":4,"i":"1","p":229.87,"s":100,"t":1732546800123,"q":7}])";

}  // namespace

TEST(Parser, ParsesInPlaceWhenTheBufferHasPadding) {
  std::vector<char> buffer(kTrade.size() + kParsePadding, '\xAA');  // padding content is irrelevant
  std::memcpy(buffer.data(), kTrade.data(), kTrade.size());
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(buffer, kTrade.size(), FrameContext::at(kReceivedAtNs), out);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(out.row_count(), 1U);
}

TEST(Parser, AFrameEndingExactlyAtTheBufferEndIsCopiedAndParsed) {
  // No byte after the frame: the parser must not read past it (ASan checks), so it copies.
  auto heap = std::make_unique<char[]>(kTrade.size());
  std::memcpy(heap.get(), kTrade.data(), kTrade.size());
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(std::span<const char>(heap.get(), kTrade.size()), FrameContext::at(kReceivedAtNs), out);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(out.row_count(), 1U);
  // Padding one byte short of the contract also takes the copy path.
  std::vector<char> short_pad(kTrade.size() + kParsePadding - 1);
  std::memcpy(short_pad.data(), kTrade.data(), kTrade.size());
  ASSERT_TRUE(parser.parse(short_pad, kTrade.size(), FrameContext::at(kReceivedAtNs), out));
  EXPECT_EQ(out.row_count(), 1U);
}

TEST(Parser, AFrameSizeBeyondTheBufferIsAnError) {
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(std::span<const char>(kTrade.data(), 10), 11, FrameContext::at(kReceivedAtNs), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseErrorKind::InvalidJson);
}

TEST(Parser, SplitsFeedsKeepsWireOrderAndStampsMeta) {
  Parser parser;
  ParsedFrame out;
  FrameContext ctx = FrameContext::at(kReceivedAtNs);
  ctx.shard_id = 3;
  ASSERT_TRUE(parser.parse(kMixed, ctx, out));
  ASSERT_EQ(out.batches.size(), 2U);
  const auto& quotes = out.batches[0];
  const auto& trades = out.batches[1];
  EXPECT_EQ(quotes.meta.resource_type, ResourceType::OptionsQuotes);
  EXPECT_EQ(trades.meta.resource_type, ResourceType::EquityTrades);
  ASSERT_EQ(quotes.rows.size(), 2U);
  EXPECT_EQ(sequence_of(quotes.rows[0]), 2U);  // wire order, not time order
  EXPECT_EQ(sequence_of(quotes.rows[1]), 3U);
  // The watermark is the largest SIP time among the batch's rows.
  EXPECT_EQ(quotes.meta.watermark_ts_ns, 1'732'546'800'125'000'000);
  EXPECT_EQ(trades.meta.watermark_ts_ns, 1'732'546'800'123'000'000);
  for (const auto& b : out.batches) {
    EXPECT_EQ(b.meta.shard_id, 3U);
    EXPECT_EQ(b.meta.received_at_ns, kReceivedAtNs);
    EXPECT_EQ(b.meta.batch_seq, 0U);
  }
  ASSERT_EQ(out.statuses.size(), 1U);
  EXPECT_EQ(out.statuses[0].kind, StatusKind::Subscribed);
  EXPECT_EQ(out.statuses[0].channel, "T.*");
}

TEST(Parser, ReuseClearsThePreviousFrame) {
  Parser parser;
  ParsedFrame out;
  ASSERT_TRUE(parser.parse(kMixed, FrameContext::at(kReceivedAtNs), out));
  ASSERT_TRUE(parser.parse(kTrade, FrameContext::at(kReceivedAtNs), out));
  ASSERT_EQ(out.batches.size(), 1U);
  EXPECT_EQ(out.row_count(), 1U);
  EXPECT_TRUE(out.statuses.empty());
  // A failure leaves nothing behind either.
  ASSERT_FALSE(parser.parse(std::string_view("[1]"), FrameContext::at(kReceivedAtNs), out));
  EXPECT_TRUE(out.batches.empty());
  EXPECT_TRUE(out.statuses.empty());
  // Moving rows out is allowed; the next parse simply grows fresh storage.
  ASSERT_TRUE(parser.parse(kMixed, FrameContext::at(kReceivedAtNs), out));
  auto taken = std::move(out.batches[0].rows);
  ASSERT_TRUE(parser.parse(kMixed, FrameContext::at(kReceivedAtNs), out));
  EXPECT_EQ(taken.size(), 2U);
  EXPECT_EQ(out.row_count(), 3U);
}

TEST(Parser, FutureSkewIsConfigurable) {
  Parser parser;
  ParsedFrame out;
  FrameContext early = FrameContext::at(1'732'546'000'000'000'000);  // 800 s before the trade
  auto r = parser.parse(kTrade, early, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseErrorKind::InvalidTimestamp);
  EXPECT_EQ(r.error().field, "t");
  early.max_future_skew_ns = std::nullopt;
  EXPECT_TRUE(parser.parse(kTrade, early, out));
  early.max_future_skew_ns = 900'000'000'000;
  EXPECT_TRUE(parser.parse(kTrade, early, out));
}

TEST(Parser, UnknownEventTypesAreSkippedAndCounted) {
  const std::string frame =
      R"([{"ev":"A","sym":"AAPL"},{"ev":"LULD","sym":"AAPL"},{"ev":"T","sym":"AAPL","x":4,"i":"1","p":1.5,"s":1,"t":1732546800123,"q":1}])";
  Parser parser;
  ParsedFrame out;
  ASSERT_TRUE(parser.parse(frame, FrameContext::at(kReceivedAtNs), out));
  EXPECT_EQ(out.skipped_events, 2U);
  EXPECT_EQ(out.first_skipped_ev, "A");
  EXPECT_EQ(out.row_count(), 1U);
}

TEST(Parser, FieldsOfOtherEventTypesAreNotRead) {
  // `bp` means nothing on a trade: a value of the wrong type there is ignored, like any unknown.
  const std::string frame =
      R"([{"ev":"T","sym":"AAPL","x":4,"i":"1","p":1.5,"s":1,"t":1732546800123,"q":1,"bp":"n/a","status":7}])";
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, FrameContext::at(kReceivedAtNs), out);
  ASSERT_TRUE(r) << r.error();
}

TEST(Parser, ErrorsNameEventFieldAndExcerpt) {
  const std::string frame = R"([{"ev":"T","sym":"AAPL","x":4,"i":"1","p":229.87,"s":100,"t":1732546800123,"q":1},)"
                            R"({"ev":"T","sym":"AAPL","x":4,"i":"1","p":-1.5,"s":100,"t":1732546800123,"q":2}])";
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, FrameContext::at(kReceivedAtNs), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "event 1 (ev=T, sym=AAPL), field `p`: invalid price -1.5; excerpt: "
            R"({"ev":"T","sym":"AAPL","x":4,"i":"1","p":-1.5,"s":100,"t":1732546800123,"q":2})");
}

TEST(Parser, LongExcerptsAreCutAtACharacterBoundary) {
  std::string frame = R"([{"ev":"T","sym":"AAPL","note":")";
  for (int i = 0; i < 100; ++i) {
    frame += "\xC3\xA9";  // é, two bytes
  }
  frame += R"(","p":-1,"x":4,"i":"1","s":1,"t":1732546800123,"q":1}])";
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, FrameContext::at(kReceivedAtNs), out);
  ASSERT_FALSE(r);
  const std::string& ex = r.error().excerpt;
  EXPECT_LE(ex.size(), kExcerptLen + 3);
  EXPECT_TRUE(ex.ends_with("\xE2\x80\xA6"));
  // No split é before the ellipsis.
  const std::string body = ex.substr(0, ex.size() - 3);
  EXPECT_NE(static_cast<unsigned char>(body.back()), 0xC3);
}

TEST(Parser, KernelIsNamedAndSupported) {
  const std::string_view k = parser_kernel();
  EXPECT_TRUE(k == "fallback" || k == "westmere" || k == "haswell" || k == "icelake") << k;
  EXPECT_TRUE(parser_kernel_supported());
}

TEST(Parser, EscapedKeysAreNeverUnescapedTwice) {
  // A long escaped key first, then `ev`: the rescan walks the object twice. Unescaping that key
  // on both walks overran simdjson's string buffer (found in review; ASan checks this test).
  const std::string key(3000, 'a');
  const std::string frame = R"([{")" + key + R"(\n\u0041":0,"ev":"T","sym":"AAPL","x":4,"i":"1","p":1.5,"s":1,)" +
                            R"("t":1732546800123,"q":1}])";
  auto once = parse_payload(frame);  // a fresh parser: the smallest string buffer
  ASSERT_TRUE(once) << once.error();
  EXPECT_EQ(once->size(), 1U);
  Parser parser;
  ParsedFrame out;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(parser.parse(frame, FrameContext::at(kReceivedAtNs), out));
    EXPECT_EQ(out.row_count(), 1U);
  }
}

TEST(Parser, KnownKeysAreMatchedOnTheirRawBytes) {
  // "e\u0076" means "ev" in JSON, but no known key needs escapes: it is an unknown key here.
  const std::string frame = R"([{"e\u0076":"T","sym":"AAPL","x":4,"i":"1","p":1.5,"s":1,"t":1732546800123,"q":1}])";
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, FrameContext::at(kReceivedAtNs), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseErrorKind::MissingField);
  EXPECT_EQ(r.error().field, "ev");
}

TEST(Parser, ErrorTextStaysOnOneLine) {
  // A skipped event whose `ev` holds control characters and whose object is broken (no comma).
  const std::string frame = R"([{"ev":"X\n\u0000)" + std::string(100, 'y') + R"(","a":1 "b":2}])";
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, FrameContext::at(kReceivedAtNs), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseErrorKind::InvalidJson);
  ASSERT_FALSE(r.error().ev.empty());
  EXPECT_TRUE(r.error().ev.starts_with("X\\u000a")) << r.error().ev;
  EXPECT_LE(r.error().ev.size(), 32U + 3U);
  const std::string m = r.error().message();
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_EQ(m.find('\0'), std::string::npos);
}
