// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "bench_frames.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>

namespace ws_source::bench {

namespace {

// splitmix64: a tiny deterministic generator (the same sequence on every platform, unlike the
// distributions of <random>).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi] (the tiny modulo bias is irrelevant here).
  std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(next() % span);
  }
  /// True with probability `percent` / 100.
  bool chance(int percent) noexcept { return between(0, 99) < percent; }
  template <class T, std::size_t N>
  const T& pick(const std::array<T, N>& items) noexcept {
    return items[static_cast<std::size_t>(between(0, static_cast<std::int64_t>(N) - 1))];
  }

 private:
  std::uint64_t state_;
};

// Appends JSON fragments. Numbers go through std::to_chars: integers exactly, doubles in the
// shortest form that round-trips (`12.4`, `229.87`, `1`), as Massive prints them.
class Writer {
 public:
  explicit Writer(std::string& out) noexcept : out_(out) {}

  Writer& raw(std::string_view s) {
    out_ += s;
    return *this;
  }
  Writer& key(std::string_view k) {
    out_ += first_ ? "\"" : ",\"";
    first_ = false;
    out_ += k;
    out_ += "\":";
    return *this;
  }
  Writer& str(std::string_view k, std::string_view v) {
    key(k);
    out_ += '"';
    out_ += v;
    out_ += '"';
    return *this;
  }
  Writer& num(std::string_view k, std::int64_t v) {
    key(k);
    return number(v);
  }
  Writer& num(std::string_view k, double v) {
    key(k);
    return number(v);
  }
  Writer& codes(std::string_view k, std::span<const int> codes) {
    key(k);
    out_ += '[';
    for (std::size_t i = 0; i < codes.size(); ++i) {
      if (i > 0) {
        out_ += ',';
      }
      number(std::int64_t{codes[i]});
    }
    out_ += ']';
    return *this;
  }
  void begin_object() {
    out_ += '{';
    first_ = true;
  }
  void end_object() { out_ += '}'; }

 private:
  template <class T>
  Writer& number(T v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    if (ec != std::errc{}) {
      std::abort();  // cannot happen for these magnitudes
    }
    out_.append(buf, end);
    return *this;
  }

  std::string& out_;
  bool first_{true};
};

double cents(std::int64_t c) noexcept { return static_cast<double>(c) / 100.0; }

// ---- Options ------------------------------------------------------------------------------------

struct Underlying {
  std::string_view root;
  std::int64_t spot;         // in whole currency units
  std::int64_t strike_step;  // in whole currency units
};

constexpr std::array<Underlying, 8> kOptionUnderlyings{{
    {"SPY", 650, 5},
    {"SPXW", 6500, 25},
    {"QQQ", 560, 5},
    {"IWM", 240, 1},
    {"AAPL", 230, 5},
    {"TSLA", 350, 10},
    {"NVDA", 180, 5},
    {"AMZN", 220, 5},
}};
// Real (valid) expiry dates, YYMMDD.
constexpr std::array<std::string_view, 6> kExpiries{"251219", "251231", "260116", "260320", "260618", "261218"};

struct OptionPick {
  std::string symbol;  // O:SPY251219C00650000
  std::int64_t mid_cents;
};

OptionPick pick_option(Rng& rng) {
  const Underlying& u = rng.pick(kOptionUnderlyings);
  const std::int64_t k = rng.between(-12, 12);
  const std::int64_t strike = u.spot + k * u.strike_step;
  const bool call = rng.chance(50);
  // The strike × 1000 as 8 digits, zero-padded.
  std::string digits = std::to_string(strike * 1000);
  digits.insert(0, 8 - std::min<std::size_t>(8, digits.size()), '0');
  OptionPick p;
  p.symbol.reserve(24);
  p.symbol += "O:";
  p.symbol += u.root;
  p.symbol += rng.pick(kExpiries);
  p.symbol += call ? 'C' : 'P';
  p.symbol += digits;
  // Rough premium: intrinsic value plus some time value, never below 5 cents.
  const std::int64_t moneyness = call ? u.spot - strike : strike - u.spot;
  const std::int64_t intrinsic_cents = std::max<std::int64_t>(0, moneyness) * 100;
  const std::int64_t time_cents = rng.between(5, std::max<std::int64_t>(10, u.spot * 2));
  p.mid_cents = std::max<std::int64_t>(5, intrinsic_cents + time_cents);
  return p;
}

// Massive's options exchange ids are in the 300s (e.g. 302, 303 in the docs' examples).
std::int64_t option_exchange(Rng& rng) noexcept { return rng.between(300, 323); }

void option_quote(Writer& w, Rng& rng, std::int64_t t_ms, std::uint64_t q) {
  const OptionPick o = pick_option(rng);
  const std::int64_t half_spread = rng.between(1, 10);
  const std::int64_t bid = std::max<std::int64_t>(0, o.mid_cents - half_spread);
  const std::int64_t ask = o.mid_cents + half_spread;
  w.begin_object();
  w.str("ev", "Q").str("sym", o.symbol);
  w.num("bx", option_exchange(rng)).num("ax", option_exchange(rng));
  w.num("bp", cents(bid)).num("ap", cents(ask));
  w.num("bs", rng.between(1, 250)).num("as", rng.between(1, 250));
  w.num("t", t_ms).num("q", static_cast<std::int64_t>(q));
  w.end_object();
}

void option_trade(Writer& w, Rng& rng, std::int64_t t_ms, std::uint64_t q) {
  static constexpr std::array<int, 1> kC209{209};
  static constexpr std::array<int, 1> kC219{219};
  static constexpr std::array<int, 1> kC227{227};
  static constexpr std::array<int, 2> kC209_219{209, 219};
  const OptionPick o = pick_option(rng);
  w.begin_object();
  w.str("ev", "T").str("sym", o.symbol);
  w.num("x", rng.chance(15) ? std::int64_t{65} : option_exchange(rng));
  w.num("p", cents(std::max<std::int64_t>(5, o.mid_cents + rng.between(-3, 3))));
  w.num("s", rng.chance(70) ? rng.between(1, 10) : rng.between(11, 500));
  switch (rng.between(0, 4)) {
    case 0:
      w.codes("c", kC209);
      break;
    case 1:
      w.codes("c", kC219);
      break;
    case 2:
      w.codes("c", kC227);
      break;
    case 3:
      w.codes("c", kC209_219);
      break;
    default:
      break;  // no conditions
  }
  w.num("t", t_ms).num("q", static_cast<std::int64_t>(q));
  w.end_object();
}

// ---- Equities -----------------------------------------------------------------------------------

struct Stock {
  std::string_view symbol;
  std::int64_t price_cents;
  std::int64_t tape;  // 1 NYSE, 2 AMEX, 3 Nasdaq
};

constexpr std::array<Stock, 10> kStocks{{
    {"AAPL", 22987, 3},
    {"MSFT", 41512, 3},
    {"NVDA", 18034, 3},
    {"AMZN", 22011, 3},
    {"GOOGL", 17655, 3},
    {"META", 59120, 3},
    {"TSLA", 35278, 3},
    {"SPY", 59843, 2},
    {"BRK.B", 47890, 1},
    {"JPM", 24510, 1},
}};

void equity_trade(Writer& w, Rng& rng, std::int64_t t_ms, std::uint64_t q, std::uint64_t& trade_id) {
  static constexpr std::array<int, 2> kC12_37{12, 37};
  static constexpr std::array<int, 1> kC37{37};
  static constexpr std::array<int, 2> kC14_41{14, 41};
  static constexpr std::array<int, 1> kC12{12};
  static constexpr std::array<std::int64_t, 8> kExchanges{4, 4, 10, 11, 12, 15, 19, 21};
  const Stock& s = rng.pick(kStocks);
  trade_id += static_cast<std::uint64_t>(rng.between(1, 9999));
  w.begin_object();
  w.str("ev", "T").str("sym", s.symbol);
  w.num("x", rng.pick(kExchanges));
  w.str("i", std::to_string(trade_id));
  w.num("z", s.tape);
  w.num("p", cents(s.price_cents + rng.between(-150, 150)));
  w.num("s", rng.chance(60) ? rng.between(1, 99) : 100 * rng.between(1, 20));
  switch (rng.between(0, 5)) {
    case 0:
    case 1:
      w.codes("c", kC12_37);
      break;
    case 2:
      w.codes("c", kC37);
      break;
    case 3:
      w.codes("c", kC14_41);
      break;
    case 4:
      w.codes("c", kC12);
      break;
    default:
      break;  // a regular trade: no conditions
  }
  w.num("t", t_ms).num("q", static_cast<std::int64_t>(q));
  w.end_object();
}

void equity_quote(Writer& w, Rng& rng, std::int64_t t_ms, std::uint64_t q) {
  static constexpr std::array<int, 1> kI604{604};
  static constexpr std::array<int, 1> kI605{605};
  const Stock& s = rng.pick(kStocks);
  const std::int64_t bid = s.price_cents + rng.between(-150, 150);
  const std::int64_t ask = bid + rng.between(1, 5);
  w.begin_object();
  w.str("ev", "Q").str("sym", s.symbol);
  w.num("bx", rng.between(1, 21)).num("ax", rng.between(1, 21));
  w.num("bp", cents(bid)).num("ap", cents(ask));
  w.num("bs", rng.between(1, 20)).num("as", rng.between(1, 20));
  if (rng.chance(85)) {
    w.num("c", std::int64_t{1});
  }
  switch (rng.between(0, 3)) {
    case 0:
    case 1:
      w.codes("i", kI604);
      break;
    case 2:
      w.codes("i", kI605);
      break;
    default:
      break;  // no indicators
  }
  w.num("t", t_ms).num("q", static_cast<std::int64_t>(q));
  w.num("z", s.tape);
  w.end_object();
}

}  // namespace

std::string_view feed_name(Feed feed) noexcept {
  switch (feed) {
    case Feed::OptionQuotes:
      return "option_quotes";
    case Feed::OptionTrades:
      return "option_trades";
    case Feed::EquityQuotes:
      return "equity_quotes";
    case Feed::EquityTrades:
      return "equity_trades";
  }
  return "unknown";
}

std::string make_frame(Feed feed, std::size_t events) {
  // One fixed seed per feed: the 1-event frame is the first event of the 10-event frame, which
  // is the start of the 100-event frame.
  Rng rng(0x5753'5352'4345'0000ULL + static_cast<std::uint64_t>(feed));
  std::string out;
  out.reserve(events * 200 + 2);
  Writer w(out);
  w.raw("[");
  std::int64_t t_ms = kBaseTsMs;
  std::uint64_t q = 0;
  std::uint64_t trade_id = 52'983'525'000'000;
  switch (feed) {
    case Feed::OptionQuotes:
      q = 88'000;
      break;
    case Feed::OptionTrades:
      q = 88'100;
      break;
    case Feed::EquityQuotes:
      q = 50'000;
      break;
    case Feed::EquityTrades:
      q = 1'423'500;
      break;
  }
  for (std::size_t i = 0; i < events; ++i) {
    if (i > 0) {
      w.raw(",");
      t_ms += rng.between(0, 3);
    }
    q += static_cast<std::uint64_t>(rng.between(1, 7));
    switch (feed) {
      case Feed::OptionQuotes:
        option_quote(w, rng, t_ms, q);
        break;
      case Feed::OptionTrades:
        option_trade(w, rng, t_ms, q);
        break;
      case Feed::EquityQuotes:
        equity_quote(w, rng, t_ms, q);
        break;
      case Feed::EquityTrades:
        equity_trade(w, rng, t_ms, q, trade_id);
        break;
    }
  }
  w.raw("]");
  return out;
}

PaddedFrame::PaddedFrame(std::string_view json) : buf_(json.size() + kParsePadding, '\0'), size_(json.size()) {
  std::copy(json.begin(), json.end(), buf_.begin());
}

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    return std::nullopt;
  }
  return bytes;
}

}  // namespace

SharedFrame load_shared_frame(std::string_view override_path) {
  SharedFrame f;
  std::vector<std::string> candidates;
  if (!override_path.empty()) {
    candidates.emplace_back(override_path);  // an explicit path: that file or nothing
  } else {
#ifdef WS_SOURCE_BENCH_FRAME_PATH
    candidates.emplace_back(WS_SOURCE_BENCH_FRAME_PATH);
#endif
    if (const char* env = std::getenv("WS_SOURCE_BENCH_FRAME"); env != nullptr && *env != '\0') {
      candidates.emplace_back(env);
    }
  }
  for (const auto& path : candidates) {
    if (!f.tried.empty()) {
      f.tried += ", ";
    }
    f.tried += path;
    if (auto bytes = read_file(path)) {
      f.json = std::move(bytes);
      f.path = path;
      return f;
    }
  }
  if (f.tried.empty()) {
    f.tried = "(no path: WS_SOURCE_BENCH_FRAME_PATH not compiled in and WS_SOURCE_BENCH_FRAME unset)";
  }
  return f;
}

std::optional<CheckedFrame> check_frame(Parser& parser, ParsedFrame& out, const PaddedFrame& frame,
                                        std::optional<std::size_t> expected_events, std::string& error) {
  // 1. Without the skew bound, to learn the frame's SIP times.
  FrameContext probe;
  probe.max_future_skew_ns = std::nullopt;
  if (auto r = parser.parse(frame.buffer(), frame.size(), probe, out); !r) {
    error = "the frame does not parse: " + r.error().message();
    return std::nullopt;
  }
  CheckedFrame c;
  c.min_ts_ns = std::numeric_limits<std::int64_t>::max();
  c.max_ts_ns = std::numeric_limits<std::int64_t>::min();
  for (const auto& batch : out.batches) {
    for (const auto& row : batch.rows) {
      c.min_ts_ns = std::min(c.min_ts_ns, sip_ts_ns_of(row));
      c.max_ts_ns = std::max(c.max_ts_ns, sip_ts_ns_of(row));
    }
  }
  c.events = out.row_count();
  if (c.events == 0) {
    error = "the frame holds no rows";
    return std::nullopt;
  }
  if (out.skipped_events != 0 || !out.statuses.empty()) {
    error = "the frame holds events that are not rows (" + std::to_string(out.skipped_events) + " skipped, " +
            std::to_string(out.statuses.size()) + " statuses)";
    return std::nullopt;
  }
  if (expected_events && c.events != *expected_events) {
    error = "the frame parsed into " + std::to_string(c.events) + " rows, expected " + std::to_string(*expected_events);
    return std::nullopt;
  }
  // 2. With full validation: received just after the latest SIP time, the default 60 s skew.
  c.ctx = FrameContext::at(c.max_ts_ns + kReceiveLagNs);
  if (auto r = parser.parse(frame.buffer(), frame.size(), c.ctx, out); !r) {
    error = "the frame does not pass validation with received_at_ns=" + std::to_string(c.ctx.received_at_ns) + ": " +
            r.error().message();
    return std::nullopt;
  }
  if (out.row_count() != c.events) {
    error = "the validated parse gave " + std::to_string(out.row_count()) + " rows, not " + std::to_string(c.events);
    return std::nullopt;
  }
  return c;
}

}  // namespace ws_source::bench
