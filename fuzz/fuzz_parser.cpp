// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// fuzz_parser: the frame parser (ws_source::Parser, parse_payload) on arbitrary bytes.
//
// Each input is one frame, parsed by parsers reused across inputs (as a connection does), into a
// reused ParsedFrame, and checked against the contract of include/ws_source/parse.hpp:
//  - the copying path (a buffer of exactly the frame), the zero-copy path (a buffer with
//    kParsePadding bytes after the frame, filled with JSON-looking junk: "content irrelevant")
//    and the simdjson-only path (canonical_fast_path = false) give the same result: the same
//    batches, statuses and skipped events, or the same ParseError field by field;
//  - `parse_payload` agrees with `Parser::parse` received now (rows; the error's kind, index,
//    field; a timestamp at the skew bound may differ by the clock's advance, so InvalidTimestamp
//    is compared by kind only);
//  - a frame that parses with the default skew parses identically without a skew bound;
//  - frame_size > buffer.size() is an InvalidJson error, never a read past the buffer;
//  - success: rows + statuses + skipped events = the array's elements; one batch per feed
//    present, in kAllResourceTypes order, no empty batch, each row of the batch's feed; meta as a
//    fresh frame's (shard, received time, watermark = the largest SIP time of the rows, no drops,
//    no gap); every row valid: symbols make() cleanly (an option's parses to its contract, an
//    equity's is not `O:`), timestamps whole ms in [2000, 2100) and within the skew, trade
//    prices finite > 0, quote prices finite >= 0, `ds` finite >= 0; rows format without error;
//  - error: no batches, no statuses; the excerpt at most kExcerptLen bytes + "…", valid UTF-8,
//    no control bytes; `ev`/`sym` at most 32 bytes + "…", valid UTF-8; message() valid UTF-8
//    and containing the detail; the kind has a name.
// ASan/UBSan catch memory errors and undefined behaviour on the way.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "ws_source/parse.hpp"
#include "ws_source/timestamp.hpp"

namespace {

using namespace ws_source;

// The golden files' receive time (2024-11-25T15:00:01.123Z): their SIP times are just before it.
constexpr std::int64_t kReceivedAtNs = 1'732'546'801'123'000'000;
constexpr std::size_t kShard = 3;
constexpr std::size_t kEllipsis = 3;  // "…" in UTF-8

// The number of elements of the top-level JSON array `t` (called only for frames that parsed,
// so `t` is an array whose strings and brackets balance).
std::size_t count_elements(std::string_view t) {
  std::size_t i = 0;
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < t.size() && ws(t[i])) {
    ++i;
  }
  if (i >= t.size() || t[i] != '[') {
    return SIZE_MAX;
  }
  ++i;
  std::size_t depth = 1;
  std::size_t commas = 0;
  bool any = false;
  bool in_string = false;
  for (; i < t.size() && depth > 0; ++i) {
    const char c = t[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (ws(c)) {
      continue;
    }
    if (depth == 1 && c != ']') {
      any = true;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 1) {
      ++commas;
    }
  }
  return any ? commas + 1 : 0;
}

std::string describe(const ParseError& e) {
  std::string s = std::string(to_string(e.kind)) + " | " + e.message();
  return s;
}

std::string describe(const Result<void, ParseError>& r) { return r ? std::string("ok") : describe(r.error()); }

bool same_error(const ParseError& a, const ParseError& b) {
  return a.kind == b.kind && a.event_index == b.event_index && a.field == b.field && a.ev == b.ev && a.sym == b.sym &&
         a.detail == b.detail && a.excerpt == b.excerpt;
}

bool same_frame(const ParsedFrame& a, const ParsedFrame& b) {
  return a.batches == b.batches && a.statuses == b.statuses && a.skipped_events == b.skipped_events &&
         a.first_skipped_ev == b.first_skipped_ev;
}

// Same results: both ok with equal frames, or both errors equal field by field.
void check_same(const Result<void, ParseError>& ra, const ParsedFrame& fa, const Result<void, ParseError>& rb,
                const ParsedFrame& fb, const char* what) {
  // (Built only on a violation: FUZZ_CHECK evaluates its context lazily.)
  auto ctx = [&] { return std::string(what) + ": " + describe(ra) + " <> " + describe(rb); };
  FUZZ_CHECK(ra.has_value() == rb.has_value(), ctx());
  if (ra) {
    FUZZ_CHECK(same_frame(fa, fb), ctx());
  } else {
    FUZZ_CHECK(same_error(ra.error(), rb.error()), ctx());
  }
}

bool valid_ts(std::int64_t ns, const FrameContext& ctx) {
  if (ns % kNanosPerMilli != 0 || ns < kMinPlausibleMs * kNanosPerMilli || ns >= kMaxPlausibleMs * kNanosPerMilli) {
    return false;
  }
  return !ctx.max_future_skew_ns || ns <= ctx.received_at_ns + *ctx.max_future_skew_ns;
}

bool valid_symbol(const Symbol& s) {
  auto again = Symbol::make(s.view());
  return again && *again == s;
}

bool valid_contract(const Symbol& s, const OptionContract& c) {
  auto parsed = OptionContract::parse(s.view());
  return parsed && *parsed == c && c.to_symbol() == s;
}

void check_row(const TradeOrNbbo& row, ResourceType rt, const FrameContext& ctx, std::string_view frame) {
  FUZZ_CHECK(resource_type_of(row) == rt, frame);
  FUZZ_CHECK(valid_symbol(symbol_of(row)), frame);
  FUZZ_CHECK(valid_ts(sip_ts_ns_of(row), ctx), frame);
  const bool option_symbol = symbol_of(row).view().starts_with("O:");
  if (const auto* t = std::get_if<OptionTrade>(&row)) {
    FUZZ_CHECK(option_symbol && valid_contract(t->symbol, t->contract), frame);
    FUZZ_CHECK(std::isfinite(t->price) && t->price > 0.0, frame);
  } else if (const auto* e = std::get_if<EquityTrade>(&row)) {
    FUZZ_CHECK(!option_symbol, frame);
    FUZZ_CHECK(std::isfinite(e->price) && e->price > 0.0, frame);
    auto id = TradeId::make(e->trade_id.view());
    FUZZ_CHECK(id && *id == e->trade_id, frame);
    FUZZ_CHECK(!e->fractional_size || (std::isfinite(*e->fractional_size) && *e->fractional_size >= 0.0), frame);
    FUZZ_CHECK(!e->trf_ts_ns || valid_ts(*e->trf_ts_ns, ctx), frame);
  } else {
    const auto& q = std::get<Nbbo>(row);
    FUZZ_CHECK(option_symbol == q.is_option(), frame);
    FUZZ_CHECK(!q.contract || valid_contract(q.symbol, *q.contract), frame);
    FUZZ_CHECK(std::isfinite(q.bid_price) && q.bid_price >= 0.0, frame);
    FUZZ_CHECK(std::isfinite(q.ask_price) && q.ask_price >= 0.0, frame);
  }
}

void check_success(const ParsedFrame& f, const FrameContext& ctx, std::string_view frame) {
  const std::size_t elements = count_elements(frame);
  FUZZ_CHECK(f.row_count() + f.statuses.size() + f.skipped_events == elements, frame);
  FUZZ_CHECK(f.skipped_events > 0 || f.first_skipped_ev.empty(), frame);
  std::optional<std::size_t> previous;
  std::ostringstream sink;
  for (const auto& batch : f.batches) {
    const BatchMeta& m = batch.meta;
    FUZZ_CHECK(!batch.rows.empty(), frame);
    FUZZ_CHECK(!previous || index(m.resource_type) > *previous, frame);
    previous = index(m.resource_type);
    FUZZ_CHECK(m.shard_id == ctx.shard_id && m.received_at_ns == ctx.received_at_ns, frame);
    FUZZ_CHECK(m.source == Source::Ws && m.quality == Quality::Prelim && m.connection == ConnectionState::Connected,
               frame);
    FUZZ_CHECK(m.dropped_since_last == 0 && m.conflated_since_last == 0 && m.late_rows == 0 && !m.gap, frame);
    std::int64_t max_ts = 0;
    for (const auto& row : batch.rows) {
      check_row(row, m.resource_type, ctx, frame);
      max_ts = std::max(max_ts, sip_ts_ns_of(row));
      sink << row << '\n';
    }
    FUZZ_CHECK(m.watermark_ts_ns == max_ts, frame);
    sink << m << '\n';
  }
  for (const auto& s : f.statuses) {
    sink << s << '\n';
  }
}

bool bounded_utf8(std::string_view s, std::size_t max_bytes) {
  return s.size() <= max_bytes + kEllipsis && ws_fuzz::is_utf8(s);
}

void check_error(const ParseError& e, const ParsedFrame& f, std::string_view frame) {
  auto ctx = [&] { return describe(e); };
  FUZZ_CHECK(f.batches.empty() && f.statuses.empty(), ctx());
  FUZZ_CHECK(to_string(e.kind) != "unknown", ctx());
  FUZZ_CHECK(bounded_utf8(e.excerpt, kExcerptLen), ctx());
  FUZZ_CHECK(
      std::none_of(e.excerpt.begin(), e.excerpt.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }),
      ctx());
  FUZZ_CHECK(bounded_utf8(e.ev, 32), ctx());
  FUZZ_CHECK(bounded_utf8(e.sym, 32), ctx());
  FUZZ_CHECK(!e.detail.empty() && ws_fuzz::is_utf8(e.detail), ctx());
  const std::string message = e.message();
  FUZZ_CHECK(ws_fuzz::is_utf8(message) && message.find(e.detail) != std::string::npos, ctx());
  FUZZ_CHECK(!e.event_index || *e.event_index < frame.size(), ctx());
}

struct State {
  Parser parser;                                                // the default parser, reused
  Parser general{ParserOptions{.canonical_fast_path = false}};  // simdjson On Demand only
  ParsedFrame copied, padded, slow, unbounded, now;
  std::vector<char> buffer;
  std::uint64_t inputs{0};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static State s;
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  const std::span<const char> exact(frame.data(), frame.size());
  FrameContext ctx = FrameContext::at(kReceivedAtNs);
  ctx.shard_id = kShard;

  // Every so often the caller moves the rows out (they are then not reused): both ways must work.
  if (++s.inputs % 7 == 0) {
    for (auto& b : s.copied.batches) {
      std::vector<TradeOrNbbo> taken = std::move(b.rows);
      (void)taken;
    }
  }

  // The copying path: a buffer of exactly the frame (ASan sees any read past it).
  const auto copied = s.parser.parse(exact, ctx, s.copied);

  // The zero-copy path: the frame followed by kParsePadding junk bytes.
  s.buffer.assign(frame.begin(), frame.end());
  static constexpr std::string_view kJunk = R"("]}\,[{"0e)";
  for (std::size_t i = 0; i < kParsePadding; ++i) {
    s.buffer.push_back(kJunk[(i + size) % kJunk.size()]);
  }
  const auto padded = s.parser.parse(std::span<const char>(s.buffer), size, ctx, s.padded);
  check_same(copied, s.copied, padded, s.padded, "copy vs zero-copy");

  // The general (simdjson On Demand) path only.
  const auto slow = s.general.parse(exact, ctx, s.slow);
  check_same(copied, s.copied, slow, s.slow, "fast vs general path");

  if (copied) {
    check_success(s.copied, ctx, frame);
    FrameContext no_bound = ctx;
    no_bound.max_future_skew_ns = std::nullopt;
    const auto unbounded = s.parser.parse(exact, no_bound, s.unbounded);
    check_same(copied, s.copied, unbounded, s.unbounded, "default skew vs no bound");
  } else {
    check_error(copied.error(), s.copied, frame);
  }

  // A frame size beyond the buffer.
  if (size > 0) {
    const auto short_buffer = s.parser.parse(exact.first(size / 2), size, ctx, s.padded);
    FUZZ_CHECK(!short_buffer && short_buffer.error().kind == ParseErrorKind::InvalidJson, describe(short_buffer));
    FUZZ_CHECK(s.padded.batches.empty() && s.padded.statuses.empty(), frame);
  }

  // parse_payload against Parser::parse, both received now.
  const auto now = s.parser.parse(exact, FrameContext::now(), s.now);
  const auto payload = parse_payload(exact);
  const bool timing = (!now && now.error().kind == ParseErrorKind::InvalidTimestamp) ||
                      (!payload && payload.error().kind == ParseErrorKind::InvalidTimestamp);
  auto ctx_payload = [&] { return describe(now) + " <> " + (payload ? std::string("ok") : describe(payload.error())); };
  if (!timing) {
    FUZZ_CHECK(now.has_value() == payload.has_value(), ctx_payload());
  }
  if (now && payload) {
    FUZZ_CHECK(payload->size() == s.now.batches.size(), ctx_payload());
    for (std::size_t i = 0; i < payload->size(); ++i) {
      const auto& a = (*payload)[i];
      const auto& b = s.now.batches[i];
      FUZZ_CHECK(a.rows == b.rows && a.meta.resource_type == b.meta.resource_type &&
                     a.meta.watermark_ts_ns == b.meta.watermark_ts_ns && a.meta.shard_id == 0,
                 ctx_payload());
    }
  } else if (!now && !payload) {
    const ParseError& a = now.error();
    const ParseError& b = payload.error();
    FUZZ_CHECK(a.kind == b.kind, ctx_payload());
    if (!timing) {
      FUZZ_CHECK(same_error(a, b), ctx_payload());
    }
  }
  return 0;
}
