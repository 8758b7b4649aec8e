// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Properties of the parser: valid rows round-trip exactly; no input crashes it; a frame either
// fails as a whole or gives rows that satisfy every validation rule.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "generators.hpp"
#include "mutate.hpp"
#include "wire_encoder.hpp"
#include "ws_source/ws_source.hpp"

using namespace ws_source;
using ws_source::test_support::kGeneratedReceivedAtNs;

namespace {

FrameContext ctx() { return FrameContext::at(kGeneratedReceivedAtNs); }

// Every rule a delivered row satisfies, whatever the input was.
void check_invariants(const ParsedFrame& out) {
  for (const auto& batch : out.batches) {
    RC_ASSERT(!batch.rows.empty());
    std::int64_t max_ts = 0;
    for (const auto& row : batch.rows) {
      RC_ASSERT(resource_type_of(row) == batch.meta.resource_type);
      RC_ASSERT(!symbol_of(row).empty());
      const std::int64_t ts = sip_ts_ns_of(row);
      RC_ASSERT(ts >= kMinPlausibleMs * kNanosPerMilli);
      RC_ASSERT(ts < kMaxPlausibleMs * kNanosPerMilli);
      RC_ASSERT(ts <= kGeneratedReceivedAtNs + kDefaultMaxFutureSkewNs);
      max_ts = std::max(max_ts, ts);
      if (const auto* q = std::get_if<Nbbo>(&row)) {
        RC_ASSERT(std::isfinite(q->bid_price) && q->bid_price >= 0);
        RC_ASSERT(std::isfinite(q->ask_price) && q->ask_price >= 0);
        RC_ASSERT(q->is_option() == symbol_of(row).view().starts_with("O:"));
      } else if (const auto* t = std::get_if<OptionTrade>(&row)) {
        RC_ASSERT(std::isfinite(t->price) && t->price > 0);
        RC_ASSERT(t->contract.to_symbol() == t->symbol);
      } else {
        const auto& e = std::get<EquityTrade>(row);
        RC_ASSERT(std::isfinite(e.price) && e.price > 0);
        RC_ASSERT(!e.trade_id.empty());
      }
    }
    RC_ASSERT(batch.meta.watermark_ts_ns == max_ts);
  }
}

std::vector<std::string> corpus() {
  std::vector<std::string> out;
  for (const char* dir : {"valid", "invalid"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(WS_SOURCE_GOLDEN_DIR) / dir)) {
      if (e.path().extension() == ".json") {
        std::ifstream in(e.path(), std::ios::binary);
        out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
    }
  }
  return out;
}

// Splits `text` at its top-level commas (outside strings and brackets).
std::vector<std::string> split_top_level(std::string_view text) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      cur += ch;
      if (ch == '\\' && i + 1 < text.size()) {
        cur += text[++i];
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      ++depth;
    } else if (ch == ']' || ch == '}') {
      --depth;
    } else if (ch == ',' && depth == 0) {
      parts.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur += ch;
  }
  parts.push_back(std::move(cur));
  return parts;
}

// The frame with each event's fields after `ev` in another order, and some unknown keys and
// whitespace added: what Massive could send and the fast path must still read (its predicted
// order, then key by key), as the general path reads it.
std::string reshuffle(const std::string& frame, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::string_view inner = std::string_view(frame).substr(1, frame.size() - 2);  // [ … ]
  if (inner.empty()) {
    return frame;
  }
  std::string out = "[";
  bool first_event = true;
  for (const std::string& event : split_top_level(inner)) {
    std::vector<std::string> fields = split_top_level(std::string_view(event).substr(1, event.size() - 2));
    if (fields.size() > 2) {
      std::shuffle(fields.begin() + 1 + static_cast<std::ptrdiff_t>(rng() % 2), fields.end(), rng);
    }
    if (rng() % 3 == 0) {
      const std::size_t at = 1 + rng() % fields.size();
      fields.insert(fields.begin() + static_cast<std::ptrdiff_t>(at), rng() % 2 ? R"("zz":[1,2])" : R"("extra":"x")");
    }
    out += first_event ? "{" : ",{";
    first_event = false;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      out += i == 0 ? "" : (rng() % 8 == 0 ? " ," : ",");
      out += fields[i];
    }
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace

// `out` (the fast path's parse of `frame`) equals the general path's, and gives `rows` back per
// feed, each feed in wire order.
void same_as_general_and_in_wire_order(const std::string& frame, const std::vector<TradeOrNbbo>& rows,
                                       const ParsedFrame& out) {
  Parser general(ParserOptions{.canonical_fast_path = false});
  ParsedFrame out2;
  RC_ASSERT(general.parse(frame, ctx(), out2).has_value());
  RC_ASSERT(out2.batches == out.batches);
  std::array<std::size_t, 4> next{};
  for (const auto& row : rows) {
    const std::size_t feed = index(resource_type_of(row));
    const auto it = std::find_if(out.batches.begin(), out.batches.end(),
                                 [&](const auto& b) { return index(b.meta.resource_type) == feed; });
    RC_ASSERT(it != out.batches.end());
    RC_ASSERT(it->rows.at(next[feed]++) == row);
  }
}

RC_GTEST_PROP(ParseProperties, ReorderedFieldsTakeTheFastPathAndGiveTheSameRows, ()) {
  const auto rows = *rc::gen::container<std::vector<TradeOrNbbo>>(ws_source::test_support::gen_row());
  const std::string frame =
      reshuffle(ws_source::test_support::encode_frame(rows), *rc::gen::arbitrary<std::uint64_t>());
  RC_TAG(rows.empty() ? "empty" : "events");
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, ctx(), out);
  RC_ASSERT(r.has_value());
  RC_ASSERT(out.row_count() == rows.size());
  const bool huge = std::any_of(rows.begin(), rows.end(), [](const TradeOrNbbo& row) {
    return sequence_of(row) >= 10'000'000'000'000'000'000ULL;
  });
  // `zz` holds an array, which the fast path does not skip: those frames take the general path.
  const bool array_skip = frame.find(R"("zz":[)") != std::string::npos;
  RC_ASSERT(parser.stats().fast_path_frames == (huge || array_skip ? 0U : 1U));
  same_as_general_and_in_wire_order(frame, rows, out);
}

RC_GTEST_PROP(ParseProperties, GeneratedRowsRoundTripExactly, ()) {
  const auto rows = *rc::gen::container<std::vector<TradeOrNbbo>>(ws_source::test_support::gen_row());
  const std::string frame = ws_source::test_support::encode_frame(rows);
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, ctx(), out);
  RC_ASSERT(r.has_value());
  RC_ASSERT(out.row_count() == rows.size());
  // The encoder writes Massive's canonical shape, which the fast path reads, except integers of
  // 20 digits (a sequence number >= 10^19), which it leaves to the general path.
  const bool huge = std::any_of(rows.begin(), rows.end(), [](const TradeOrNbbo& row) {
    return sequence_of(row) >= 10'000'000'000'000'000'000ULL;
  });
  RC_ASSERT(parser.stats().fast_path_frames == (huge ? 0U : 1U));
  same_as_general_and_in_wire_order(frame, rows, out);
  check_invariants(out);
}

RC_GTEST_PROP(ParseProperties, ArbitraryBytesNeverCrash, (const std::string& bytes)) {
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(bytes, ctx(), out);
  if (r) {
    check_invariants(out);
  } else {
    RC_ASSERT(out.batches.empty());
    RC_ASSERT(r.error().excerpt.size() <= kExcerptLen + 3);
    RC_ASSERT(!r.error().message().empty());
  }
}

RC_GTEST_PROP(ParseProperties, MutatedFramesFailWholeOrSatisfyEveryRule, ()) {
  static const std::vector<std::string> base = corpus();
  const bool from_corpus = *rc::gen::arbitrary<bool>();
  std::string frame = from_corpus ? *rc::gen::elementOf(base) : *ws_source::test_support::gen_valid_frame();
  const int rounds = *rc::gen::inRange(1, 4);
  for (int i = 0; i < rounds; ++i) {
    frame = ws_source::test_support::mutate(frame, *rc::gen::inRange(0U, 7U), *rc::gen::arbitrary<std::size_t>(),
                                            *rc::gen::arbitrary<std::size_t>(), *rc::gen::arbitrary<char>());
  }
  Parser parser;
  ParsedFrame out;
  auto r = parser.parse(frame, FrameContext::at(1'732'546'801'123'000'000), out);
  if (!r) {
    RC_ASSERT(out.batches.empty());
    RC_ASSERT(out.statuses.empty());
    return;
  }
  for (const auto& batch : out.batches) {
    for (const auto& row : batch.rows) {
      RC_ASSERT(sip_ts_ns_of(row) <= 1'732'546'801'123'000'000 + kDefaultMaxFutureSkewNs);
      RC_ASSERT(sip_ts_ns_of(row) >= kMinPlausibleMs * kNanosPerMilli);
    }
  }
}

RC_GTEST_PROP(ParseProperties, ReusedParserGivesTheSameAsAFreshOne, ()) {
  const auto a = *ws_source::test_support::gen_valid_frame();
  const auto b = *ws_source::test_support::gen_valid_frame();
  Parser reused;
  ParsedFrame out1;
  RC_ASSERT(reused.parse(a, ctx(), out1).has_value());
  RC_ASSERT(reused.parse(b, ctx(), out1).has_value());
  Parser fresh;
  ParsedFrame out2;
  RC_ASSERT(fresh.parse(b, ctx(), out2).has_value());
  RC_ASSERT(out1.batches == out2.batches);
  RC_ASSERT(out1.statuses == out2.statuses);
}

RC_GTEST_PROP(ParseProperties, FastPathAndGeneralPathGiveTheSameResult, ()) {
  static const std::vector<std::string> base = corpus();
  std::string frame =
      *rc::gen::arbitrary<bool>() ? *rc::gen::elementOf(base) : *ws_source::test_support::gen_valid_frame();
  if (*rc::gen::arbitrary<bool>()) {
    frame = ws_source::test_support::mutate(frame, *rc::gen::inRange(0U, 7U), *rc::gen::arbitrary<std::size_t>(),
                                            *rc::gen::arbitrary<std::size_t>(), *rc::gen::arbitrary<char>());
  }
  const auto ctx = FrameContext::at(1'732'546'801'123'000'000);
  Parser fast;
  Parser general(ParserOptions{.canonical_fast_path = false});
  ParsedFrame a;
  ParsedFrame b;
  auto ra = fast.parse(frame, ctx, a);
  auto rb = general.parse(frame, ctx, b);
  RC_ASSERT(ra.has_value() == rb.has_value());
  if (ra) {
    RC_ASSERT(a.batches == b.batches);
    RC_ASSERT(a.statuses == b.statuses);
    RC_ASSERT(a.skipped_events == b.skipped_events);
  } else {
    RC_ASSERT(ra.error().message() == rb.error().message());
  }
}

TEST(ParseProperties, CanonicalFramesTakeTheFastPathAndMatch) {
  // Canonical frames do go through the scanner (ParserStats), and give what the general path gives.
  Parser fast;
  Parser general(ParserOptions{.canonical_fast_path = false});
  ParsedFrame a;
  ParsedFrame b;
  const std::string frame =
      R"([{"ev":"Q","sym":"O:SPY251219C00650000","bx":302,"ax":303,"bp":12.4,"ap":12.6,"bs":10,"as":12,"t":1732546800123,"q":1},)"
      R"({"ev":"T","sym":"AAPL","x":4,"i":"1","z":3,"p":229.87,"s":100,"c":[12,37],"t":1732546800124,"q":2},)"
      R"({"ev":"status","status":"success","message":"subscribed to: T.*"}])";
  const auto ctx = FrameContext::at(1'732'546'801'123'000'000);
  ASSERT_TRUE(fast.parse(frame, ctx, a));
  ASSERT_TRUE(general.parse(frame, ctx, b));
  EXPECT_EQ(a.batches, b.batches);
  EXPECT_EQ(a.statuses, b.statuses);
  EXPECT_EQ(a.row_count(), 2U);
  EXPECT_EQ(fast.stats().fast_path_frames, 1U);
  EXPECT_EQ(general.stats().general_path_frames, 1U);
  // Whitespace between tokens is JSON too: it is also read by the scanner.
  std::string spaced = frame;
  spaced.insert(1, " \n");
  ASSERT_TRUE(fast.parse(spaced, ctx, a));
  EXPECT_EQ(fast.stats().fast_path_frames, 2U);
  EXPECT_EQ(a.batches, b.batches);
  // An escape sends the frame to the general path, with the same result.
  std::string escaped = frame;
  escaped.replace(escaped.find("subscribed to: T.*"), 18, "subscribed to: T.\\u002a");
  ASSERT_TRUE(fast.parse(escaped, ctx, a));
  EXPECT_EQ(fast.stats().general_path_frames, 1U);
  ASSERT_EQ(a.statuses.size(), 1U);
  EXPECT_EQ(a.statuses[0].channel, "T.*");
}
