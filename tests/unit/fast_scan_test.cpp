// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The canonical fast path's byte readers (src/parse/fast_scan.hpp) against plain references, the
// OCC decoder's one-pass branch, the inline symbol copy, and frames that the fast path reads in
// part (keys out of Massive's order, unknown and duplicate keys, tokens cut at the end) against
// the general path.
#include "parse/fast_scan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ws_source/ws_source.hpp"

using namespace ws_source;
namespace fast = ws_source::detail::fast;

namespace {

// `text` followed by kParsePadding bytes of `fill`; `end` at the end of the text.
struct Padded {
  // Not inlined: GCC 12 sees the `size + padding` of every inlined copy overflow and warns.
  [[gnu::noinline]] explicit Padded(std::string_view text, char fill = '\0')
      : bytes(text.begin(), text.end()), size(text.size()) {
    bytes.resize(size + kParsePadding, fill);
  }
  const char* begin() const { return bytes.data(); }
  const char* end() const { return bytes.data() + size; }
  std::vector<char> bytes;
  std::size_t size;
};

struct IntRead {
  bool ok;
  std::uint64_t value;
  std::size_t used;
};

IntRead read_int(std::string_view text, char fill = '\0') {
  Padded b(text, fill);
  const char* p = b.begin();
  std::uint64_t v = 0;
  const bool ok = fast::unsigned_int(p, b.end(), v);
  return {ok, ok ? v : 0, static_cast<std::size_t>(p - b.begin())};
}

// What unsigned_int must do: 1-19 digits, no leading zero, a delimiter or the end after them (and
// refused when the digits go on into the padding: a number cut by the end of the frame).
IntRead reference_int(std::string_view text, char fill) {
  std::size_t n = 0;
  std::uint64_t v = 0;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9') {
    if (n < 19) {
      v = v * 10 + static_cast<unsigned>(text[n] - '0');
    }
    ++n;
  }
  const bool delim = n == text.size() || text[n] == ',' || text[n] == '}' || text[n] == ']' || text[n] == ' ' ||
                     text[n] == '\n' || text[n] == '\r' || text[n] == '\t';
  const bool cut = n == text.size() && fill >= '0' && fill <= '9';
  const bool ok = n > 0 && n <= 19 && !(n > 1 && text[0] == '0') && delim && !cut;
  return {ok, ok ? v : 0, ok ? n : 0};
}

struct DecRead {
  bool ok;
  double value;
  std::size_t used;
};

DecRead read_decimal(std::string_view text, bool bytes_only = false, char fill = '\0') {
  Padded b(text, fill);
  const char* p = b.begin();
  double v = 0;
  const bool ok = bytes_only ? fast::decimal_bytes(p, b.end(), v) : fast::decimal(p, b.end(), v);
  return {ok, ok ? v : 0.0, static_cast<std::size_t>(p - b.begin())};
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST(FastScan, UnsignedIntegersOfEveryWidth) {
  EXPECT_EQ(read_int("0,").value, 0U);
  EXPECT_TRUE(read_int("0}").ok);
  EXPECT_EQ(read_int("7,").value, 7U);
  EXPECT_EQ(read_int("65535,").value, 65535U);
  EXPECT_EQ(read_int("1234567,").value, 1234567U);
  EXPECT_EQ(read_int("12345678,").value, 12345678U);
  EXPECT_EQ(read_int("123456789,").value, 123456789U);
  EXPECT_EQ(read_int("1732546800123,").value, 1732546800123U);  // a timestamp: two loads
  EXPECT_EQ(read_int("1234567890123456,").value, 1234567890123456U);
  EXPECT_EQ(read_int("9999999999999999999]").value, 9999999999999999999ULL);  // 19 digits
  EXPECT_EQ(read_int("1234567890123456789 ").used, 19U);
  EXPECT_FALSE(read_int("10000000000000000000,").ok);  // 20 digits: the general path decides
  EXPECT_FALSE(read_int("18446744073709551616,").ok);  // beyond u64
  EXPECT_FALSE(read_int("123456789012345678901234,").ok);
  EXPECT_FALSE(read_int("01,").ok);  // leading zeros
  EXPECT_FALSE(read_int("00,").ok);
  EXPECT_FALSE(read_int("000000000001,").ok);
  EXPECT_FALSE(read_int("-1,").ok);  // no sign
  EXPECT_FALSE(read_int("1.5,").ok);
  EXPECT_FALSE(read_int("1e5,").ok);
  EXPECT_FALSE(read_int("12x").ok);
  EXPECT_FALSE(read_int(",").ok);
  EXPECT_FALSE(read_int("").ok);
  // At the end of the frame: a run ending exactly there is whole; one that goes on into the
  // padding is cut, and refused.
  EXPECT_EQ(read_int("123").value, 123U);
  EXPECT_EQ(read_int("1732546800123").value, 1732546800123U);
  EXPECT_FALSE(read_int("12", '5').ok);
  EXPECT_FALSE(read_int("12345678", '5').ok);
  EXPECT_FALSE(read_int("1234567812345", '5').ok);
  EXPECT_FALSE(read_int("", '5').ok);
}

TEST(FastScan, UnsignedIntegersMatchAReferenceOnRandomText) {
  std::mt19937_64 rng(42);
  const std::string alphabet = "0123456789000,}] x.-";
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    const std::size_t digits = rng() % 24;
    for (std::size_t k = 0; k < digits; ++k) {
      s += static_cast<char>('0' + rng() % 10);
    }
    const std::size_t tail = rng() % 3;
    for (std::size_t k = 0; k < tail; ++k) {
      s += alphabet[rng() % alphabet.size()];
    }
    const char fill = rng() % 2 ? '7' : '\0';
    const IntRead a = read_int(s, fill);
    const IntRead b = reference_int(s, fill);
    ASSERT_EQ(a.ok, b.ok) << s;
    ASSERT_EQ(a.value, b.value) << s;
    if (a.ok) {
      ASSERT_EQ(a.used, b.used) << s;
    }
  }
}

TEST(FastScan, DecimalsAreCorrectlyRoundedOrRefused) {
  const auto exact = [](std::string_view text, double want) {
    const DecRead r = read_decimal(text);
    EXPECT_TRUE(r.ok) << text;
    EXPECT_TRUE(same_bits(r.value, want)) << text << " read as " << r.value;
  };
  exact("1.00,", 1.0);
  exact("1.05,", 1.05);
  exact("0.0,", 0.0);
  exact("0,", 0.0);
  exact("-0.0,", -0.0);
  EXPECT_TRUE(std::signbit(read_decimal("-0.0,").value));
  exact("12.4}", 12.4);
  exact("229.87]", 229.87);
  exact("-1.5 ", -1.5);
  exact("0.1,", 0.1);
  exact("0.3,", 0.3);
  exact("9999999.9999999,", 9999999.9999999);           // 7 + 7 digits: the SWAR branch
  exact("12345678.1234567,", 12345678.1234567);         // 8 integer digits: the byte loop
  exact("1.12345678,", 1.12345678);                     // 8 fraction digits: the byte loop
  exact("123456789012345,", 123456789012345.0);         // 15 digits
  exact("0.00000000000001,", 0.00000000000001);         // 15 digits
  EXPECT_FALSE(read_decimal("1234567890123456,").ok);   // 16 digits: the general path decides
  EXPECT_FALSE(read_decimal("1234567890.123456,").ok);  // 16 digits
  EXPECT_FALSE(read_decimal("0.1234567890123456,").ok);
  EXPECT_FALSE(read_decimal("1e5,").ok);  // exponents
  EXPECT_FALSE(read_decimal("1.5e3,").ok);
  EXPECT_FALSE(read_decimal("1E5,").ok);
  EXPECT_FALSE(read_decimal("01.5,").ok);  // leading zeros
  EXPECT_FALSE(read_decimal("00,").ok);
  EXPECT_FALSE(read_decimal("-01,").ok);
  EXPECT_FALSE(read_decimal("1.,").ok);
  EXPECT_FALSE(read_decimal(".5,").ok);
  EXPECT_FALSE(read_decimal("-,").ok);
  EXPECT_FALSE(read_decimal("+1,").ok);
  EXPECT_FALSE(read_decimal("1.2.3,").ok);
  EXPECT_FALSE(read_decimal("1.5x").ok);
  EXPECT_FALSE(read_decimal("").ok);
  // At the end of the frame.
  exact("1.25", 1.25);
  exact("-3", -3.0);
  EXPECT_FALSE(read_decimal("1.", false, '5').ok);  // the fraction is in the padding
  EXPECT_TRUE(read_decimal("12", false, '5').ok);   // cut at `end` as the byte loop cuts it
  EXPECT_EQ(read_decimal("12", false, '5').used, 2U);
  EXPECT_FALSE(read_decimal("-", false, '5').ok);
}

TEST(FastScan, DecimalsMatchTheByteLoopAndStrtodOnRandomText) {
  std::mt19937_64 rng(7);
  const std::string tails[] = {",", "}", "]", " ", "", "e5", "x", ".", "5"};
  for (int i = 0; i < 300000; ++i) {
    std::string s;
    if (rng() % 4 == 0) {
      s += '-';
    }
    const std::size_t int_digits = rng() % 11;
    for (std::size_t k = 0; k < int_digits; ++k) {
      s += static_cast<char>('0' + rng() % (k == 0 && rng() % 3 == 0 ? 1 : 10));
    }
    if (rng() % 3 != 0) {
      s += '.';
      const std::size_t frac_digits = rng() % 11;
      for (std::size_t k = 0; k < frac_digits; ++k) {
        s += static_cast<char>('0' + rng() % 10);
      }
    }
    s += tails[rng() % std::size(tails)];
    const char fill = rng() % 2 ? '\0' : static_cast<char>('0' + rng() % 10);
    const DecRead a = read_decimal(s, false, fill);
    const DecRead b = read_decimal(s, true, fill);
    ASSERT_EQ(a.ok, b.ok) << s;
    if (a.ok) {
      ASSERT_TRUE(same_bits(a.value, b.value)) << s;
      ASSERT_EQ(a.used, b.used) << s;
      const std::string token = s.substr(0, a.used);
      ASSERT_TRUE(same_bits(a.value, std::strtod(token.c_str(), nullptr))) << s;
    }
  }
}

TEST(FastScan, StringsAreAsciiWithoutEscapesOrControlBytes) {
  const auto read = [](std::string_view text) -> std::optional<std::string> {
    Padded b(text);
    const char* p = b.begin();
    std::string_view out;
    if (!fast::string(p, b.end(), out)) {
      return std::nullopt;
    }
    return std::string(out);
  };
  EXPECT_EQ(read(R"("",)"), "");
  EXPECT_EQ(read(R"("O:SPY251219C00400000",)"), "O:SPY251219C00400000");
  for (std::size_t n = 0; n < 40; ++n) {  // the closing quote at every offset of the 8-byte words
    const std::string body(n, 'a');
    EXPECT_EQ(read("\"" + body + "\","), body);
    EXPECT_EQ(read("\"" + body + "\""), body);
    EXPECT_FALSE(read("\"" + body));                 // no closing quote before the end
    EXPECT_FALSE(read("\"" + body + "\xC3\xA9\""));  // UTF-8: valid JSON, left to the general path
    EXPECT_FALSE(read("\"" + body + "\\n\""));
    EXPECT_FALSE(read("\"" + body + "\x01\""));
    EXPECT_FALSE(read("\"" + body + "\x7F\x80\""));
  }
}

TEST(FastScan, OccSymbolsDecodeInOnePassWithTheSameErrors) {
  auto c = OptionContract::parse("O:SPY251219C00400000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->root, "SPY");
  EXPECT_EQ(c->expiry, (Date{2025, 12, 19}));
  EXPECT_EQ(c->right, OptionRight::Call);
  EXPECT_EQ(c->strike_milli, 400000U);
  auto p = OptionContract::parse("O:A240229P99999999");  // 1-char root, leap day
  ASSERT_TRUE(p);
  EXPECT_EQ(p->root, "A");
  EXPECT_EQ(p->expiry, (Date{2024, 2, 29}));
  EXPECT_EQ(p->right, OptionRight::Put);
  EXPECT_EQ(p->strike_milli, 99999999U);
  auto six = OptionContract::parse("O:BRKB12000101C00000000");  // 6-char root with a digit
  ASSERT_TRUE(six);
  EXPECT_EQ(six->root, "BRKB12");
  EXPECT_EQ(six->expiry, (Date{2000, 1, 1}));
  EXPECT_EQ(six->strike_milli, 0U);
  EXPECT_EQ(OptionContract::parse("O:SPY250229C00400000").error(), OccError::BadExpiry);  // 2025: no leap day
  EXPECT_EQ(OptionContract::parse("O:SPY251200C00400000").error(), OccError::BadExpiry);  // day 0
  EXPECT_EQ(OptionContract::parse("O:SPY251232C00400000").error(), OccError::BadExpiry);
  EXPECT_EQ(OptionContract::parse("O:SPY250431C00400000").error(), OccError::BadExpiry);
  EXPECT_EQ(OptionContract::parse("O:SPY250019C00400000").error(), OccError::BadExpiry);  // month 0
  EXPECT_EQ(OptionContract::parse("O:SPY25121:C00400000").error(), OccError::BadExpiry);  // ':' just past '9'
  EXPECT_EQ(OptionContract::parse("O:SPY251219C0040000/").error(), OccError::BadStrike);  // '/' just before '0'
  EXPECT_EQ(OptionContract::parse("O:SPY251219C004000:0").error(), OccError::BadStrike);
  EXPECT_EQ(OptionContract::parse("O:SPY251219C 0400000").error(), OccError::BadStrike);
  EXPECT_EQ(OptionContract::parse("O:SPY251219c00400000").error(), OccError::BadRight);
  EXPECT_EQ(OptionContract::parse("O:SP@251219C00400000").error(), OccError::BadRoot);
  EXPECT_EQ(OptionContract::parse("O:SPY251219C004000000").error(), OccError::BadStrike);  // 9 digits
  EXPECT_EQ(OptionContract::parse("o:SPY251219C00400000").error(), OccError::MissingPrefix);
  EXPECT_EQ(OptionContract::parse("O:SPYSPYS251219C00400000").error(), OccError::BadLength);
}

TEST(FastScan, InlineStringsCopyEveryLength) {
  const std::string text = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (std::size_t n = 1; n <= 23; ++n) {
    const auto s = Symbol::make(text.substr(0, n));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->view(), text.substr(0, n));
    EXPECT_EQ(Symbol::unchecked(text.substr(0, n)), *s);
    EXPECT_EQ(Symbol::unchecked(text.substr(0, n)).view(), text.substr(0, n));
  }
  for (std::size_t n = 1; n <= 31; ++n) {
    EXPECT_EQ(TradeId::make(text.substr(0, n))->view(), text.substr(0, n));
  }
  for (std::size_t n = 1; n <= 6; ++n) {
    EXPECT_EQ(OptionRoot::unchecked(text.substr(0, n)).view(), text.substr(0, n));
  }
  EXPECT_EQ(OptionRoot::unchecked(text).view(), text.substr(0, 6));  // cut at the capacity
  EXPECT_EQ(InlineString<15>::make("status")->view(), "status");
  EXPECT_EQ((InlineString<40>::make(text)->view()), text);
}

// ---- Frames the fast path reads in part ---------------------------------------------------------

namespace {

constexpr std::int64_t kReceivedAtNs = 1'732'546'801'123'000'000;

struct BothPaths {
  Result<void, ParseError> fast_result;
  Result<void, ParseError> general_result;
  ParsedFrame fast_out;
  ParsedFrame general_out;
  bool took_fast_path;
};

// Parses `frame` (padded with `fill`) on both paths and checks they agree.
void expect_agreement(const std::string& frame, bool want_ok, bool want_fast, char fill = '\0') {
  SCOPED_TRACE(frame);
  Padded b(frame, fill);
  Parser fast;
  Parser general(ParserOptions{.canonical_fast_path = false});
  ParsedFrame a;
  ParsedFrame g;
  const auto ctx = FrameContext::at(kReceivedAtNs);
  auto ra = fast.parse(b.bytes, frame.size(), ctx, a);
  auto rg = general.parse(b.bytes, frame.size(), ctx, g);
  ASSERT_EQ(ra.has_value(), rg.has_value());
  EXPECT_EQ(ra.has_value(), want_ok);
  if (ra) {
    EXPECT_EQ(a.batches, g.batches);
    EXPECT_EQ(a.statuses, g.statuses);
    EXPECT_EQ(a.skipped_events, g.skipped_events);
  } else {
    EXPECT_EQ(ra.error().message(), rg.error().message());
  }
  EXPECT_EQ(fast.stats().fast_path_frames, want_fast ? 1U : 0U);
}

const std::string kQuote =
    R"({"ev":"Q","sym":"O:SPY251219C00400000","bx":300,"ax":301,"bp":1.00,"ap":1.05,"bs":1,"as":2,"t":1732546800123,"q":1000000})";

std::string frame_of(const std::string& event) { return "[" + event + "]"; }

std::string replace(std::string s, std::string_view from, std::string_view to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) {
    s.replace(at, from.size(), to);
  }
  return s;
}

}  // namespace

TEST(FastPathFrames, CanonicalQuotesAndTrades) {
  expect_agreement(frame_of(kQuote), true, true);
  expect_agreement(frame_of(kQuote + "," + kQuote), true, true);
  expect_agreement(
      R"([{"ev":"T","sym":"O:SPY251219C00400000","x":300,"p":1.05,"s":1,"c":[209],"t":1732546800123,"q":7},)"
      R"({"ev":"T","sym":"AAPL","x":4,"i":"52983525034825","z":3,"p":229.87,"s":100,"ds":"0.5","c":[12,37],)"
      R"("t":1732546800123,"q":1423581,"trfi":202,"trft":1732546800100},)"
      R"({"ev":"Q","sym":"MSFT","bx":4,"ax":7,"bp":415.2,"ap":415.3,"bs":2,"as":3,"c":1,"i":[604],"t":1732546800125,"q":9,"z":3}])",
      true, true);
}

TEST(FastPathFrames, KeysOutOfOrderUnknownOrDuplicated) {
  // Out of Massive's order: the rest is read key by key, still on the fast path.
  expect_agreement(frame_of(replace(kQuote, R"("bx":300,"ax":301)", R"("ax":301,"bx":300)")), true, true);
  expect_agreement(
      frame_of(replace(kQuote, R"("sym":"O:SPY251219C00400000","bx":300)", R"("bx":300,"sym":"O:SPY251219C00400000")")),
      true, true);
  expect_agreement(frame_of(replace(kQuote, R"(,"q":1000000)", "")), false, false);
  expect_agreement(frame_of(kQuote) + ",", false, false);
  expect_agreement(frame_of(replace(kQuote, R"("t":1732546800123,"q":1000000)", R"("q":1000000,"t":1732546800123)")),
                   true, true);
  // Unknown keys, before, inside and after the known ones; keys of other event types.
  expect_agreement(frame_of(replace(kQuote, R"("bx":300)", R"("zz":"x","bx":300)")), true, true);
  expect_agreement(frame_of(replace(kQuote, R"("bp":1.00)", R"("bp":1.00,"extra":-2.5,"flag":true)")), true, true);
  expect_agreement(frame_of(replace(kQuote, R"("q":1000000)", R"("q":1000000,"p":5,"unknown":null)")), true, true);
  // Duplicates: an error, decided by the general path.
  expect_agreement(frame_of(replace(kQuote, R"("bx":300)", R"("bx":300,"bx":300)")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("q":1000000)", R"("q":1000000,"sym":"O:SPY251219C00400000")")), false,
                   false);
  expect_agreement(frame_of(replace(kQuote, R"("q":1000000)", R"("q":1000000,"p":5,"p":6)")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("q":1000000)", R"("q":1000000,"ev":"Q")")), false, false);
  // Whitespace around the values.
  expect_agreement(frame_of(replace(kQuote, R"("bx":300)", R"("bx": 300 )")), true, true);
  expect_agreement(frame_of(replace(kQuote, R"(,"ax")", "\n,\t\"ax\"")), true, true);
  // Missing required fields, wrong types.
  expect_agreement(frame_of(replace(kQuote, R"("bs":1,)", "")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("bs":1)", R"("bs":"1")")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("bs":1)", R"("bs":-1)")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("bx":300)", R"("bx":65536)")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("bx":300)", R"("bx":1e2)")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("bp":1.00)", R"("bp":-1.00)")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("bp":1.00)", R"("bp":0.0)")), true, true);
  expect_agreement(frame_of(replace(kQuote, R"("bp":1.00)", R"("bp":1e5)")), true, false);
  expect_agreement(frame_of(replace(kQuote, R"("bp":1.00)", R"("bp":1234567890.123456)")), true, false);
  expect_agreement(frame_of(replace(kQuote, R"("bp":1.00)", R"("bp":01.0)")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("q":1000000)", R"("q":9999999999999999999)")), true, true);
  expect_agreement(frame_of(replace(kQuote, R"("q":1000000)", R"("q":18446744073709551615)")), true, false);
  expect_agreement(frame_of(replace(kQuote, R"("q":1000000)", R"("q":18446744073709551616)")), false, false);
  expect_agreement(frame_of(replace(kQuote, R"("bs":1)", R"("bs":9223372036854775808)")), false, false);
  // Timestamps: magnitude and future skew.
  expect_agreement(frame_of(replace(kQuote, "1732546800123", "1732546800")), false, false);
  expect_agreement(frame_of(replace(kQuote, "1732546800123", "1732546800123000")), false, false);
  expect_agreement(frame_of(replace(kQuote, "1732546800123", "1732546900123")), false, false);  // 99 s ahead
  expect_agreement(frame_of(replace(kQuote, "1732546800123", "946684800000")), true, true);
  expect_agreement(frame_of(replace(kQuote, "1732546800123", "946684799999")), false, false);
  // OCC symbols: bad dates and strikes, equity-looking symbols.
  expect_agreement(frame_of(replace(kQuote, "251219", "250229")), false, false);
  expect_agreement(frame_of(replace(kQuote, "251219", "240229")), true, true);
  expect_agreement(frame_of(replace(kQuote, "251219", "251319")), false, false);
  expect_agreement(frame_of(replace(kQuote, "C00400000", "C0040000X")), false, false);
  expect_agreement(frame_of(replace(kQuote, "C00400000", "C0040000")), false, false);
  expect_agreement(frame_of(replace(kQuote, "O:SPY251219C00400000", "SPY")), true, true);
  expect_agreement(frame_of(replace(kQuote, "O:SPY251219C00400000", "S\\u0050Y")), true, false);
  expect_agreement(frame_of(replace(kQuote, "O:SPY251219C00400000", "SP\xC3\x89")), false, false);
}

TEST(FastPathFrames, NonAsciiBytesGoToTheGeneralPath) {
  // Valid UTF-8 in a status message: accepted, by the general path (the fast path bails).
  expect_agreement(R"([{"ev":"status","status":"success","message":"caf)"
                   "\xC3\xA9"
                   R"("}])",
                   true, false);
  expect_agreement(R"([{"ev":"status","status":"success","message":"ok"}])", true, true);
  // Invalid UTF-8 anywhere: rejected.
  expect_agreement(R"([{"ev":"status","status":"success","message":"caf)"
                   "\xC3"
                   R"("}])",
                   false, false);
  expect_agreement(frame_of(kQuote) + "\xFF", false, false);
  expect_agreement(frame_of(replace(kQuote, R"("bx":300)",
                                    R"("zz":")"
                                    "\xE2\x82"
                                    R"(","bx":300)")),
                   false, false);
}

TEST(FastPathFrames, TokensCutAtTheEndOfTheFrame) {
  const std::string whole = frame_of(kQuote);
  // Every prefix of a canonical frame is invalid JSON, whatever the padding holds (here the next
  // bytes of the frame, so that a key or a number seems to go on past the end).
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const std::string cut = whole.substr(0, n);
    for (char fill : {'\0', '1', ',', '"', '}'}) {
      expect_agreement(cut, false, false, fill);
    }
    Padded b(whole);  // the rest of the frame as padding
    Parser fast;
    ParsedFrame a;
    auto r = fast.parse(b.bytes, n, FrameContext::at(kReceivedAtNs), a);
    EXPECT_FALSE(r) << cut;
    EXPECT_EQ(fast.stats().fast_path_frames, 0U);
  }
  expect_agreement(whole, true, true, ',');
}
