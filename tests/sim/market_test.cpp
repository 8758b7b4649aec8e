// Copyright (c) James Kassemi, SC, US. All rights reserved.
// massive_sim::Market: determinism, the oracle, the universe, event invariants, the offered load,
// the presets' behaviour, and bit-for-bit agreement with the Rust prototype it was ported from.
#include "massive_sim/market.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ws_source/option_contract.hpp"

using namespace massive_sim;
using namespace std::chrono_literals;

namespace {

MarketConfig small_with(Rates rates) {
  MarketConfig cfg = MarketConfig::small();
  cfg.rates = rates;
  return cfg;
}

struct Collected {
  Event ev;
  std::string symbol;
  friend bool operator==(const Collected&, const Collected&) = default;
};

std::vector<Collected> collect(Market& m, std::chrono::nanoseconds dt, Feeds feeds = Feeds::all()) {
  std::vector<Collected> out;
  m.advance_with(dt, feeds, [&out](const Event& ev, std::string_view sym) { out.push_back({ev, std::string(sym)}); });
  return out;
}

// --- Fingerprints, computed exactly as the Rust reference program did (see ReproducesTheRustPrototype).

class Fnv {
 public:
  void add(std::string_view line) {
    for (const char c : line) {
      step(static_cast<unsigned char>(c));
    }
    step('\n');
  }
  [[nodiscard]] std::uint64_t value() const { return h_; }

 private:
  void step(unsigned char c) {
    h_ ^= c;
    h_ *= 0x100000001b3ULL;
  }
  std::uint64_t h_{0xcbf29ce484222325ULL};
};

// Appends integers (decimal, or hex for the bit patterns of floats) and text, space-separated.
class Line {
 public:
  template <class T>
  Line& operator<<(T v) {
    sep();
    if constexpr (std::is_same_v<T, double>) {
      put(std::bit_cast<std::uint64_t>(v), 16);
    } else if constexpr (std::is_same_v<T, float>) {
      put(std::bit_cast<std::uint32_t>(v), 16);
    } else if constexpr (std::is_convertible_v<T, std::string_view>) {
      s_.append(std::string_view(v));
    } else {
      put(v, 10);
    }
    return *this;
  }
  [[nodiscard]] const std::string& str() const { return s_; }

 private:
  void sep() {
    if (!s_.empty()) {
      s_.push_back(' ');
    }
  }
  template <class I>
  void put(I v, int base) {
    char buf[32];
    s_.append(buf, std::to_chars(buf, buf + sizeof buf, v, base).ptr);
  }
  std::string s_;
};

std::string event_line(const Event& e, std::string_view sym) {
  Line l;
  l << index(e.feed) << e.instrument.value << sym << e.ts_ms << e.seq << e.price_cents << e.ask_cents << e.size
    << e.ask_size << e.exchange << e.ask_exchange << e.conditions[0] << e.conditions[1] << unsigned{e.n_conditions}
    << unsigned{e.tape} << e.trade_id << e.trf_id << e.trf_ts_ms << e.indicator;
  return l.str();
}

struct RunPrint {
  std::uint64_t events{0};
  std::uint64_t hash{0};
  std::string first;
};

RunPrint run_print(Market& m, int steps, std::chrono::nanoseconds dt, Feeds feeds) {
  Fnv h;
  RunPrint out;
  for (int i = 0; i < steps; ++i) {
    m.advance_with(dt, feeds, [&](const Event& e, std::string_view s) {
      const std::string line = event_line(e, s);
      if (out.events == 0) {
        out.first = line;
      }
      h.add(line);
      ++out.events;
    });
  }
  out.hash = h.value();
  return out;
}

std::uint64_t universe_print(const Market& m) {
  Fnv h;
  for (const Underlying& u : m.underlyings()) {
    h.add((Line() << u.symbol << u.popularity << u.spot << u.iv << u.drift_sign << unsigned{u.tape} << u.chain.size())
              .str());
  }
  for (const Contract& c : m.contracts()) {
    h.add((Line() << c.symbol << c.underlying << c.expiry_ms << c.strike_milli << static_cast<unsigned>(c.right)
                  << c.liquidity << c.ln_strike << c.listed_at_ms)
              .str());
  }
  return h.value();
}

struct OraclePrint {
  std::size_t trades{0};
  std::size_t quotes{0};
  std::uint64_t hash{0};
  std::size_t bursts{0};
  std::uint64_t burst_hash{0};
  double spy{0};
};

OraclePrint oracle_print(Market& m) {
  Fnv h;
  const auto t = m.option_trade_intensities();
  const auto q = m.option_quote_intensities();
  for (const auto& [id, r] : t) {
    h.add((Line() << "t" << id.value << r).str());
  }
  for (const auto& [id, r] : q) {
    h.add((Line() << "q" << id.value << r).str());
  }
  for (const double r : m.feed_intensities(Feed::StockQuotes)) {
    h.add((Line() << "s" << r).str());
  }
  Fnv b;
  for (const Burst& x : m.active_bursts()) {
    b.add((Line() << x.instrument.value << x.share << x.end_ms).str());
  }
  return {t.size(), q.size(), h.value(), m.active_bursts().size(), b.value(), m.spot("SPY").value_or(0.0)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The port is faithful: the Rust prototype (commit 7e893d0, market + rng + occ, run with the same
// configs and seeds) printed these fingerprints of its universe, events, oracle and bursts.
// ---------------------------------------------------------------------------------------------

TEST(MarketPrototype, ReproducesTheRustPrototypeSmall) {
  Market m(MarketConfig::small(), 7);
  EXPECT_EQ(m.contracts().size(), 14'100U);
  EXPECT_EQ(universe_print(m), 0x8a2049a8f02bc29fULL);
  const RunPrint r = run_print(m, 25, 100ms, Feeds::all());
  EXPECT_EQ(r.events, 20'000U);
  EXPECT_EQ(r.first, "2 11 GOOGL 1748871000000 1 16999 17001 5 14 11 20 0 0 0 3 0 0 0 0");
  EXPECT_EQ(r.hash, 0xd17ead68373b6992ULL);
  const OraclePrint o = oracle_print(m);
  EXPECT_EQ(o.trades, 14'100U);
  EXPECT_EQ(o.quotes, 14'100U);
  EXPECT_EQ(o.hash, 0x4f654df86b34e5c9ULL);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(o.spy), 0x40826fb177c4c424ULL);
}

TEST(MarketPrototype, ReproducesTheRustPrototypeDefaultUniverse) {
  MarketConfig cfg;
  cfg.rates = Rates::with_total(1'000'000);
  Market m(cfg, 1);
  EXPECT_EQ(m.contracts().size(), 222'966U);
  EXPECT_EQ(universe_print(m), 0x15744ac695372fedULL);
  const RunPrint r = run_print(m, 200, 1ms, Feeds::all());
  EXPECT_EQ(r.events, 200'000U);
  EXPECT_EQ(r.first, "0 102312 O:FOC250620C00038000 1748871000000 1 503 518 62 138 307 307 0 0 0 0 0 0 0 0");
  EXPECT_EQ(r.hash, 0x0cf9b7c394fac19dULL);
  EXPECT_EQ(oracle_print(m).hash, 0x3535e37537493e84ULL);
}

TEST(MarketPrototype, ReproducesTheRustPrototypeBurstsAndDrift) {
  MarketConfig cfg = MarketConfig::bursty();
  cfg.rates = Rates::option_trades_only(500);
  cfg.underlyings = 40;
  cfg.chain_scale = 0.25;
  cfg.spot_vol_per_sqrt_hour = 0.03;
  cfg.spot_drift_per_hour = 0.02;
  Market m(cfg, 3);
  const RunPrint r = run_print(m, 40, 2300ms, Feeds::option_trades_only());
  EXPECT_EQ(r.events, 46'000U);
  EXPECT_EQ(r.hash, 0x646e0cac1fdbc2ddULL);
  EXPECT_EQ(m.now_ms(), 1'748'871'092'000);
  const OraclePrint o = oracle_print(m);
  EXPECT_EQ(o.hash, 0x3ca461ba73cdfe47ULL);
  EXPECT_EQ(o.bursts, 8U);
  EXPECT_EQ(o.burst_hash, 0xc1b056f74b8ddb23ULL);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(o.spy), 0x408248df161bf496ULL);
}

TEST(MarketPrototype, ReproducesTheRustPrototypeListings) {
  MarketConfig cfg = MarketConfig::new_listings();
  cfg.rates = Rates::option_trades_only(1000);
  cfg.underlyings = 40;
  cfg.chain_scale = 0.25;
  Market m(cfg, 2);
  EXPECT_EQ(run_print(m, 1, 1201s, Feeds::none()).events, 0U);
  EXPECT_EQ(m.contracts().size(), 15'270U);
  EXPECT_EQ(universe_print(m), 0x73fa375cb3234e62ULL);
  const RunPrint r = run_print(m, 5, 1s, Feeds::option_trades_only());
  EXPECT_EQ(r.events, 5'000U);
  EXPECT_EQ(r.first, "1 14626 O:SPY250618C00600000 1748872201000 1 357 0 1 0 304 0 219 0 1 0 0 0 0 0");
  EXPECT_EQ(r.hash, 0x92473cd62f467670ULL);
  EXPECT_EQ(oracle_print(m).hash, 0x8b17ef7fa449398dULL);
}

TEST(MarketPrototype, ReproducesTheRustPrototypeDriftingDefault) {
  MarketConfig cfg = MarketConfig::drifting();
  cfg.rates = Rates::option_trades_only(500);
  Market m(cfg, 7);
  const RunPrint r = run_print(m, 10, 60s, Feeds::option_trades_only());
  EXPECT_EQ(r.events, 300'000U);
  EXPECT_EQ(r.hash, 0x100a02526de16229ULL);
  EXPECT_EQ(m.contracts().size(), 222'002U);
  const OraclePrint o = oracle_print(m);
  EXPECT_EQ(o.hash, 0x2d519ce5e8cbfe7dULL);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(o.spy), 0x40827a2de079e193ULL);
}

// ---------------------------------------------------------------------------------------------
// Determinism and the oracle
// ---------------------------------------------------------------------------------------------

TEST(Market, SameSeedSameMarketOtherSeedDiffers) {
  const auto run = [](std::uint64_t seed) {
    Market m(small_with(Rates{}), seed);
    return collect(m, 2500ms);
  };
  const auto a = run(7);
  EXPECT_GT(a.size(), 15'000U);
  EXPECT_EQ(a, run(7));
  EXPECT_NE(a, run(8));
}

TEST(Market, SplittingAStepKeepsTheCountAndTheClock) {
  // One call of 1 s and ten of 100 ms draw differently (the timestamps are spread per call) but
  // emit the same number of events and end at the same time.
  Market a(small_with(Rates{}), 5);
  Market b(small_with(Rates{}), 5);
  std::size_t n = 0;
  for (int i = 0; i < 10; ++i) {
    n += b.advance(100ms).size();
  }
  EXPECT_EQ(a.advance(1s).size(), n);
  EXPECT_EQ(a.now_ns(), b.now_ns());
}

TEST(Market, OracleCallsDoNotChangeTheOutcome) {
  // Drifting spots and bursts make the lazy intensity refresh matter; the oracle must not steer it.
  MarketConfig cfg = MarketConfig::bursty();
  cfg.rates = Rates::option_trades_only(500);
  cfg.underlyings = 40;
  cfg.chain_scale = 0.25;
  cfg.spot_vol_per_sqrt_hour = 0.03;
  cfg.spot_drift_per_hour = 0.02;
  Market a(cfg, 3);
  Market b(cfg, 3);
  for (int step = 0; step < 40; ++step) {
    if (step % 3 == 0) {
      (void)b.option_trade_intensities();
      (void)b.intensity("SPY");
      (void)b.intensity_of(InstrumentId{static_cast<std::uint32_t>(b.n_stocks() + 17)});
    }
    if (step % 7 == 0) {
      (void)b.option_quote_intensities();
      (void)b.feed_intensities(Feed::StockTrades);
    }
    ASSERT_EQ(a.advance(2300ms, Feeds::option_trades_only()), b.advance(2300ms, Feeds::option_trades_only()))
        << "step " << step;
  }
  EXPECT_EQ(a.option_trade_intensities(), b.option_trade_intensities());
  EXPECT_EQ(a.active_bursts().size(), b.active_bursts().size());
}

TEST(Market, OracleSumsToRatesAndMatchesEmpiricalActivity) {
  MarketConfig cfg = MarketConfig::stationary();
  cfg.underlyings = 40;
  cfg.chain_scale = 0.25;
  cfg.rates = Rates::option_trades_only(50'000);
  Market m(cfg, 5);
  (void)m.advance(1s, Feeds::option_trades_only());
  const auto truth = m.option_trade_intensities();
  double total = 0;
  for (const auto& [id, r] : truth) {
    total += r;
  }
  EXPECT_NEAR(total, 50'000.0, 1e-3);
  const auto evs = m.advance(999ms, Feeds::option_trades_only());
  std::unordered_map<InstrumentId, double> counts;
  for (const Event& e : evs) {
    counts[e.instrument] += 1.0;
  }
  auto top = truth;
  std::sort(top.begin(), top.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  for (std::size_t i = 0; i < 5; ++i) {
    const double seen = counts[top[i].first];
    const double expect = top[i].second * 0.999;
    EXPECT_LT(std::abs(seen - expect), 5.0 * std::sqrt(expect) + 5.0) << seen << " vs " << expect;
  }
  const auto one = m.intensity(m.symbol(top[0].first));
  ASSERT_TRUE(one.has_value());
  EXPECT_NEAR(one->trades, top[0].second, 1e-9);
  EXPECT_FALSE(m.intensity("NOPE").has_value());
  // Stocks: popularity times the feed rate, which is 0 here.
  EXPECT_EQ(m.intensity_of(InstrumentId{0}), Intensity{});
}

TEST(Market, FeedIntensitiesCoverEveryFeed) {
  Market m(small_with(Rates{}), 3);
  for (const Feed f : kAllFeeds) {
    const auto v = m.feed_intensities(f);
    EXPECT_EQ(v.size(), is_option(f) ? m.contracts().size() : m.n_stocks());
    double sum = 0;
    for (const double r : v) {
      EXPECT_GE(r, 0.0);
      sum += r;
    }
    EXPECT_NEAR(sum, Rates{}.get(f), 1e-6) << to_string(f);
  }
  // A stock's intensity is its popularity share of each stock feed.
  const Intensity spy = m.intensity("SPY").value();
  EXPECT_NEAR(spy.quotes, 2'500.0 * m.underlyings()[0].popularity, 1e-9);
  EXPECT_NEAR(spy.trades, 250.0 * m.underlyings()[0].popularity, 1e-9);
}

// ---------------------------------------------------------------------------------------------
// The universe
// ---------------------------------------------------------------------------------------------

TEST(Market, DefaultUniverseIsLargeAndSymbolsAreOcc) {
  const Market m(MarketConfig{}, 1);
  EXPECT_EQ(m.n_stocks(), 600U);
  EXPECT_GE(m.contracts().size(), 200'000U);
  EXPECT_EQ(m.instrument_count(), m.n_stocks() + m.contracts().size());
  for (std::size_t i = 0; i < m.contracts().size(); i += 97) {
    const Contract& c = m.contracts()[i];
    const auto parsed = ws_source::OptionContract::parse(c.symbol);
    ASSERT_TRUE(parsed.has_value()) << c.symbol;
    EXPECT_EQ(parsed->to_symbol(), c.symbol);
    EXPECT_EQ(parsed->strike_milli, c.strike_milli);
    EXPECT_EQ(parsed->root, m.underlyings()[c.underlying].symbol);
    EXPECT_EQ(parsed->right == ws_source::OptionRight::Call, c.right == Right::Call);
    const auto ymd = std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(c.expiry_day)));
    EXPECT_EQ(parsed->expiry.year, static_cast<int>(ymd.year()));
    EXPECT_EQ(parsed->expiry.month, static_cast<unsigned>(ymd.month()));
    EXPECT_EQ(parsed->expiry.day, static_cast<unsigned>(ymd.day()));
    EXPECT_GT(c.strike(), 0.0);
    EXPECT_EQ(c.expiry_ms, c.expiry_day * 86'400'000 + 20 * 3'600'000);
    EXPECT_EQ(c.listed_at_ms, MarketConfig{}.start_unix_ms);
  }
  std::unordered_set<std::string_view> unique;
  for (const Contract& c : m.contracts()) {
    EXPECT_TRUE(unique.insert(c.symbol).second) << c.symbol;
  }
  for (const Underlying& u : m.underlyings()) {
    EXPECT_TRUE(unique.insert(u.symbol).second) << u.symbol;
  }
}

TEST(Market, LookupInvertsSymbolForEveryInstrument) {
  const Market m(MarketConfig{}, 1);
  for (std::uint32_t i = 0; i < m.instrument_count(); ++i) {
    const InstrumentId id{i};
    const auto found = m.lookup(m.symbol(id));
    ASSERT_TRUE(found.has_value()) << i;
    ASSERT_EQ(*found, id);
    ASSERT_EQ(m.is_option(id), i >= m.n_stocks());
  }
  EXPECT_EQ(m.symbol(InstrumentId{0}), "SPY");
  EXPECT_EQ(m.symbol(InstrumentId{4}), "AAPL");
  EXPECT_EQ(m.symbol(InstrumentId{static_cast<std::uint32_t>(m.instrument_count())}), "");
  EXPECT_FALSE(m.lookup("NOPE").has_value());
  EXPECT_FALSE(m.lookup("").has_value());
  EXPECT_FALSE(m.lookup("O:SPY251219C0065000").has_value());  // one digit short
  EXPECT_EQ(m.contract(InstrumentId{0}), nullptr);
  ASSERT_NE(m.contract(InstrumentId{600}), nullptr);
  EXPECT_EQ(m.contract(InstrumentId{600})->symbol, m.symbol(InstrumentId{600}));
  EXPECT_EQ(m.contract(InstrumentId{static_cast<std::uint32_t>(m.instrument_count())}), nullptr);
  EXPECT_EQ(m.spot("SPY"), 590.0);
  EXPECT_FALSE(m.spot(m.symbol(InstrumentId{600})).has_value());
  EXPECT_FALSE(m.spot("NOPE").has_value());
}

TEST(Market, UniverseShapeByPopularityRank) {
  const Market m(MarketConfig{}, 1);
  const auto expiries = [&](std::size_t u) {
    std::set<std::int64_t> days;
    for (const std::uint32_t ci : m.underlyings()[u].chain) {
      days.insert(m.contracts()[ci].expiry_day);
    }
    return days.size();
  };
  // rank < 25: 5 trading days + 8 Fridays + 6 monthlies (overlapping); 60 strikes, calls and puts.
  EXPECT_GE(expiries(0), 13U);
  EXPECT_EQ(m.underlyings()[0].chain.size() % 120, 0U);
  // rank < 150: 4 Fridays + 4 monthlies; rank >= 150: 1 Friday + 3 monthlies.
  EXPECT_GE(expiries(100), 6U);
  EXPECT_LE(expiries(100), 8U);
  EXPECT_GE(expiries(400), 3U);
  EXPECT_LE(expiries(400), 4U);
  double pop = 0;
  for (std::size_t i = 0; i < m.n_stocks(); ++i) {
    const Underlying& u = m.underlyings()[i];
    pop += u.popularity;
    if (i > 0) {
      EXPECT_LT(u.popularity, m.underlyings()[i - 1].popularity);
    }
    EXPECT_GE(u.spot, 5.0);
    EXPECT_TRUE(u.tape >= 1 && u.tape <= 3);
    EXPECT_TRUE(u.drift_sign == 1.0 || u.drift_sign == -1.0);
    EXPECT_TRUE(u.symbol.size() >= 1 && u.symbol.size() <= 5);
  }
  EXPECT_NEAR(pop, 1.0, 1e-12);
  const Market s(MarketConfig::small(), 1);
  EXPECT_EQ(s.n_stocks(), 40U);
  EXPECT_LT(s.contracts().size() * 10, m.contracts().size());
}

TEST(Market, SymbolViewsOutliveListingsAndMoves) {
  MarketConfig cfg = MarketConfig::new_listings();
  cfg.underlyings = 40;
  cfg.chain_scale = 0.25;
  cfg.rates = Rates::zero();
  Market m(cfg, 2);
  const std::string_view spy = m.symbol(InstrumentId{0});
  const std::string_view first_contract = m.symbol(InstrumentId{40});
  const std::string copy(first_contract);
  (void)m.advance(3601s, Feeds::none());  // six listings
  Market moved(std::move(m));
  EXPECT_EQ(spy, "SPY");
  EXPECT_EQ(first_contract, copy);
  EXPECT_EQ(moved.symbol(InstrumentId{40}).data(), first_contract.data());
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

TEST(Market, EventsAreWellFormedAndSequencesStrictlyIncrease) {
  Market m(small_with(Rates::with_total(40'000)), 11);
  const auto evs = m.advance(3s);
  ASSERT_EQ(evs.size(), 120'000U);
  std::unordered_map<InstrumentId, std::uint64_t> last;
  std::int64_t last_ts = 0;
  std::array<std::size_t, 4> per_feed{};
  for (const Event& e : evs) {
    std::uint64_t& prev = last[e.instrument];
    ASSERT_GT(e.seq, prev) << "sequence must increase per symbol";
    ASSERT_LE(e.seq, prev + 2);
    prev = e.seq;
    ASSERT_GE(e.ts_ms, last_ts);
    last_ts = e.ts_ms;
    ASSERT_GT(e.price_cents, 0U);
    ASSERT_GT(e.size, 0U);
    ASSERT_EQ(is_option(e.feed), m.is_option(e.instrument));
    ++per_feed[index(e.feed)];
    switch (e.feed) {
      case Feed::OptionQuotes:
        EXPECT_GT(e.ask_cents, e.price_cents);
        EXPECT_TRUE(e.exchange >= 300 && e.ask_exchange >= 300);
        EXPECT_EQ(e.n_conditions, 0);
        EXPECT_EQ(e.tape, 0);
        break;
      case Feed::OptionTrades:
        EXPECT_EQ(e.ask_cents, 0U);
        EXPECT_LE(e.size, 5'000U);
        EXPECT_EQ(e.n_conditions, 1);
        EXPECT_EQ(e.trade_id, 0U);
        break;
      case Feed::StockQuotes:
        EXPECT_GT(e.ask_cents, e.price_cents);
        EXPECT_LE(e.size, 20U);
        EXPECT_TRUE(e.indicator == 0 || e.indicator == 604);
        EXPECT_TRUE(e.tape >= 1 && e.tape <= 3);
        break;
      case Feed::StockTrades:
        EXPECT_GT(e.trade_id, 0U);
        EXPECT_TRUE(e.tape >= 1 && e.tape <= 3);
        if (e.trf_id != 0) {
          EXPECT_TRUE(e.trf_id >= 201 && e.trf_id <= 203);
          EXPECT_EQ(e.exchange, 4);
          EXPECT_LE(e.trf_ts_ms, e.ts_ms);
          EXPECT_GE(e.trf_ts_ms, e.ts_ms - 4);
        }
        break;
    }
  }
  for (const auto& [id, seq] : last) {
    EXPECT_EQ(m.last_seq(id), seq);
  }
  const std::int64_t start = MarketConfig{}.start_unix_ms;
  EXPECT_GE(evs.front().ts_ms, start);
  EXPECT_LT(last_ts, start + 3'000);
  EXPECT_GE(per_feed[index(Feed::OptionQuotes)], 10 * per_feed[index(Feed::OptionTrades)]);
  EXPECT_EQ(m.last_seq(InstrumentId{static_cast<std::uint32_t>(m.instrument_count())}), 0U);
}

TEST(Market, TimestampsLieWithinTheAdvancedWindow) {
  Market m(small_with(Rates::with_total(20'000)), 13);
  const std::array<std::chrono::nanoseconds, 6> steps{1ms, 7ms, 333ms, 1700ms, 999'999ns, 2s};
  std::int64_t last_ts = 0;
  for (int round = 0; round < 5; ++round) {
    for (const auto dt : steps) {
      const std::int64_t before = m.now_ns();
      const auto evs = m.advance(dt);
      const std::int64_t after = m.now_ns();
      ASSERT_EQ(after - before, dt.count());
      for (const Event& e : evs) {
        ASSERT_GE(e.ts_ms * 1'000'000 + 999'999, before);  // ts_ns in [before, after), in ms
        ASSERT_LT(e.ts_ms * 1'000'000, after);
        ASSERT_GE(e.ts_ms, last_ts);
        last_ts = e.ts_ms;
      }
    }
  }
}

TEST(Market, TheClockStartsAtStartUnixMsAndNegativeStepsDoNothing) {
  MarketConfig cfg = small_with(Rates{});
  cfg.start_unix_ms = 1'767'625'200'123;  // 2026-01-05T15:00:00.123Z, a Monday
  Market m(cfg, 1);
  EXPECT_EQ(m.now_ms(), cfg.start_unix_ms);
  EXPECT_EQ(m.now_ns(), cfg.start_unix_ms * 1'000'000);
  EXPECT_TRUE(m.advance(-5s).empty());
  EXPECT_TRUE(m.advance(0s).empty());
  EXPECT_EQ(m.now_ms(), cfg.start_unix_ms);
  const auto evs = m.advance(1s);
  EXPECT_EQ(evs.size(), 8'000U);
  EXPECT_GE(evs.front().ts_ms, cfg.start_unix_ms);
  for (const Contract& c : m.contracts()) {
    ASSERT_GT(c.expiry_ms, cfg.start_unix_ms);  // the expiries are laid out from the start date
  }
}

TEST(Market, StockTradeAndQuoteFieldMix) {
  Market m(small_with(Rates{0, 0, 20'000, 20'000}), 17);
  const auto evs = m.advance(2s, Feeds::stocks());
  std::size_t trades = 0, trf = 0, odd = 0, quotes = 0, indicator = 0;
  std::uint64_t last_trade_id = 0;
  for (const Event& e : evs) {
    if (e.feed == Feed::StockTrades) {
      ++trades;
      EXPECT_GT(e.trade_id, last_trade_id);
      last_trade_id = e.trade_id;
      trf += e.trf_id != 0;
      if (e.size < 100) {
        ++odd;
        ASSERT_EQ(e.n_conditions, 1);
        EXPECT_EQ(e.conditions[0], 37);
      } else {
        EXPECT_EQ(e.size % 100, 0U);
      }
    } else {
      ++quotes;
      indicator += e.indicator != 0;
    }
  }
  EXPECT_EQ(trades, 40'000U);
  EXPECT_EQ(quotes, 40'000U);
  EXPECT_NEAR(static_cast<double>(trf) / static_cast<double>(trades), 1.0 / 7.0, 0.01);
  EXPECT_NEAR(static_cast<double>(odd) / static_cast<double>(trades), 0.3, 0.01);
  EXPECT_NEAR(static_cast<double>(indicator) / static_cast<double>(quotes), 1.0 / 8.0, 0.01);
}

TEST(Market, OptionPricesFollowTheFairValue) {
  // A deep in-the-money call trades near its intrinsic value; quotes are ~3 % wide around it.
  MarketConfig cfg = MarketConfig::stationary();
  cfg.rates = Rates{200'000, 0, 0, 0};
  Market m(cfg, 4);
  const double spot = m.spot("SPY").value();
  const auto evs = m.advance(1s, Feeds::only(Feed::OptionQuotes));
  std::size_t checked = 0;
  for (const Event& e : evs) {
    const Contract& c = *m.contract(e.instrument);
    if (m.underlyings()[c.underlying].symbol != "SPY") {
      continue;
    }
    const double intrinsic = c.right == Right::Call ? spot - c.strike() : c.strike() - spot;
    const double mid = (e.price() + e.ask()) / 2.0;
    const double spread = e.ask() - e.price();
    EXPECT_GE(mid, std::max(intrinsic, 0.0) - 0.05) << m.symbol(e.instrument);
    EXPECT_LE(spread, std::max(0.035 * mid, 0.01) + 0.02) << m.symbol(e.instrument);
    if (intrinsic > 20.0 && c.expiry_ms - e.ts_ms < 8 * 86'400'000) {
      EXPECT_NEAR(mid, intrinsic, 0.02 * intrinsic + 0.5) << m.symbol(e.instrument);
    }
    ++checked;
  }
  EXPECT_GT(checked, 1'000U);
}

TEST(Market, ActivityPeaksAtTheMoneyAndNearExpiry) {
  Market m(MarketConfig::stationary(), 1);
  const double spot = m.spot("SPY").value();
  const Underlying& spy = m.underlyings()[0];
  // Per expiry: the total trade intensity and the intensity-weighted mean strike.
  std::map<std::int64_t, std::pair<double, double>> by_expiry;  // expiry -> (sum of rates, sum of rate × strike)
  for (const std::uint32_t ci : spy.chain) {
    const Contract& c = m.contracts()[ci];
    const double r = m.intensity_of(InstrumentId{static_cast<std::uint32_t>(m.n_stocks() + ci)}).trades;
    by_expiry[c.expiry_ms].first += r;
    by_expiry[c.expiry_ms].second += r * c.strike();
  }
  ASSERT_GE(by_expiry.size(), 10U);
  int near = 0;
  for (const auto& [expiry, sums] : by_expiry) {
    if (expiry - m.now_ms() < 10 * 86'400'000) {
      EXPECT_NEAR(sums.second / sums.first, spot, 0.02 * spot) << expiry;
      ++near;
    }
  }
  EXPECT_GE(near, 5);
  EXPECT_GT(by_expiry.begin()->second.first, 5.0 * by_expiry.rbegin()->second.first);
  // Far out of the money is far quieter than at the money, for quotes and for trades.
  const auto atm = m.lookup("O:SPY250603C00590000");
  const auto otm = m.lookup("O:SPY250603C00620000");
  ASSERT_TRUE(atm && otm);
  EXPECT_GT(m.intensity_of(*atm).quotes, 10.0 * m.intensity_of(*otm).quotes);
  EXPECT_GT(m.intensity_of(*atm).trades, 10.0 * m.intensity_of(*otm).trades);
}

// ---------------------------------------------------------------------------------------------
// The offered load
// ---------------------------------------------------------------------------------------------

TEST(Market, ExactOfferedLoadPerFeed) {
  Market m(small_with(Rates{}), 4);
  const auto evs = m.advance(2s, Feeds::only(Feed::StockTrades));
  EXPECT_EQ(evs.size(), 500U);
  for (const Event& e : evs) {
    EXPECT_EQ(e.feed, Feed::StockTrades);
    EXPECT_GT(e.trade_id, 0U);
  }
}

TEST(Market, RealizedPerFeedCountsMatchTheRatesOverALongWindow) {
  // Odd step sizes, tick boundaries inside steps, rates with fractions: the carry keeps the
  // realized count of every feed within one event of rate × time.
  const Rates rates{3'333.3, 111.1, 1'234.5, 77.7};
  Market m(small_with(rates), 21);
  std::array<std::uint64_t, 4> n{};
  const std::array<std::chrono::nanoseconds, 4> steps{7ms, 333ms, 1'700ms, 12'345'678ns};
  std::chrono::nanoseconds elapsed{0};
  for (int i = 0; i < 120; ++i) {
    const auto dt = steps[static_cast<std::size_t>(i) % steps.size()];
    m.advance_with(dt, Feeds::all(), [&n](const Event& e, std::string_view) { ++n[index(e.feed)]; });
    elapsed += dt;
  }
  const double secs = std::chrono::duration<double>(elapsed).count();
  EXPECT_GT(secs, 60.0);
  for (const Feed f : kAllFeeds) {
    EXPECT_NEAR(static_cast<double>(n[index(f)]), rates.get(f) * secs, 1.0) << to_string(f);
  }
}

TEST(Market, AMillionEventsPerSecondIsAccountedExactly) {
  Market m(small_with(Rates::with_total(1'000'000)), 1);
  std::array<std::size_t, 4> n{};
  m.advance_with(100ms, Feeds::all(), [&n](const Event& e, std::string_view) { ++n[index(e.feed)]; });
  EXPECT_EQ(n[0] + n[1] + n[2] + n[3], 100'000U);
  const Rates r = Rates::with_total(1'000'000);
  for (const Feed f : kAllFeeds) {
    EXPECT_LE(std::abs(static_cast<double>(n[index(f)]) - r.get(f) * 0.1), 1.0);
  }
}

TEST(Market, SetRatesChangesTheLoadFromNowOn) {
  Market m(small_with(Rates{}), 2);
  EXPECT_EQ(m.advance(1s).size(), 8'000U);
  m.set_rates(Rates::option_trades_only(123));
  EXPECT_EQ(m.rates(), Rates::option_trades_only(123));
  EXPECT_EQ(m.config().rates, Rates::option_trades_only(123));
  const auto evs = m.advance(1s);
  EXPECT_EQ(evs.size(), 123U);
  m.set_rates(Rates{-5, std::nan(""), INFINITY, 0});  // nonsense counts as 0
  EXPECT_TRUE(m.advance(1s).empty());
  m.set_rates(Rates::zero());
  EXPECT_TRUE(m.option_trade_intensities().empty());
}

// ---------------------------------------------------------------------------------------------
// Presets: the market behaves as each promises
// ---------------------------------------------------------------------------------------------

TEST(Market, StationarySpotIsStillDriftingSpotMoves) {
  MarketConfig s_cfg = MarketConfig::stationary();
  s_cfg.rates = Rates::zero();
  MarketConfig d_cfg = MarketConfig::drifting();
  d_cfg.rates = Rates::zero();
  Market s(s_cfg, 1);
  Market d(d_cfg, 1);
  const double s0 = s.spot("SPY").value();
  const double d0 = d.spot("SPY").value();
  (void)s.advance(3600s);
  (void)d.advance(3600s);
  EXPECT_EQ(s.spot("SPY").value(), s0);
  EXPECT_GT(std::abs(d.spot("SPY").value() / d0 - 1.0), 0.001);
  EXPECT_TRUE(s.active_bursts().empty());
}

TEST(Market, BurstyMarketHasBurstsInTheOracle) {
  MarketConfig cfg = MarketConfig::bursty();
  cfg.rates = Rates::option_trades_only(1000);
  cfg.underlyings = 40;
  cfg.chain_scale = 0.25;
  Market m(cfg, 9);
  (void)m.advance(30s, Feeds::none());
  ASSERT_FALSE(m.active_bursts().empty());
  double total_share = 0;
  for (const Burst& b : m.active_bursts()) {
    EXPECT_GT(b.end_ms, m.now_ms());
    EXPECT_LE(b.share, b.raw_share);
    EXPECT_LE(b.raw_share, 0.3);
    EXPECT_GE(b.raw_share, 0.0005);
    EXPECT_TRUE(m.is_option(b.instrument));
    total_share += b.share;
  }
  EXPECT_LE(total_share, 0.5 + 1e-12);
  const Burst b = m.active_bursts()[0];
  EXPECT_GE(m.intensity_of(b.instrument).trades, 1000.0 * b.share);
  // The burst's contract really gets its share of the trades.
  const auto evs = m.advance(1s, Feeds::option_trades_only());
  const auto hits = std::count_if(evs.begin(), evs.end(), [&](const Event& e) { return e.instrument == b.instrument; });
  EXPECT_GE(static_cast<double>(hits), 1000.0 * b.share * 0.5 - 5);
}

TEST(Market, DefaultMarketHasOccasionalBurstsThatEnd) {
  MarketConfig cfg = small_with(Rates::zero());
  Market m(cfg, 12);
  std::size_t seen = 0;
  for (int i = 0; i < 600; ++i) {
    (void)m.advance(1s, Feeds::none());
    seen = std::max(seen, m.active_bursts().size());
  }
  EXPECT_GT(seen, 0U);  // 0.02/s: about 12 in ten minutes
  (void)m.advance(3600s, Feeds::none());
  for (const Burst& b : m.active_bursts()) {
    EXPECT_LE(b.end_ms - m.now_ms(), 20 * 15'000);  // capped at 20× the mean duration
  }
  MarketConfig none = MarketConfig::stationary();
  none.underlyings = 40;
  none.chain_scale = 0.25;
  Market s(none, 12);
  (void)s.advance(600s, Feeds::none());
  EXPECT_TRUE(s.active_bursts().empty());
}

TEST(Market, NewListingsAppearAndBecomeActive) {
  MarketConfig cfg = MarketConfig::new_listings();
  cfg.rates = Rates::option_trades_only(1000);
  cfg.underlyings = 40;
  cfg.chain_scale = 0.25;
  Market m(cfg, 2);
  const std::size_t before = m.contracts().size();
  const std::int64_t start = m.now_ms();
  (void)m.advance(599s, Feeds::none());
  EXPECT_EQ(m.contracts().size(), before);  // not before the interval
  (void)m.advance(2s, Feeds::none());
  ASSERT_GT(m.contracts().size(), before);
  EXPECT_EQ(m.instrument_count(), m.n_stocks() + m.contracts().size());
  std::vector<InstrumentId> listed;
  for (std::size_t i = before; i < m.contracts().size(); ++i) {
    const InstrumentId id{static_cast<std::uint32_t>(m.n_stocks() + i)};
    listed.push_back(id);
    const Contract& c = *m.contract(id);
    EXPECT_GT(c.listed_at_ms, start);
    EXPECT_GT(c.expiry_ms, c.listed_at_ms);
    EXPECT_EQ(m.lookup(c.symbol), id);  // lookup finds a listing at once
    EXPECT_EQ(m.symbol(id), c.symbol);
    EXPECT_EQ(m.last_seq(id), 0U);
  }
  double truth = 0;
  for (const InstrumentId id : listed) {
    truth += m.intensity_of(id).trades;
  }
  EXPECT_GT(truth, 0.0);
  const auto evs = m.advance(5s, Feeds::option_trades_only());
  EXPECT_TRUE(std::any_of(evs.begin(), evs.end(), [&](const Event& e) { return e.instrument >= listed.front(); }));
  // Every interval lists more; each listing is a new expiry (no symbol listed twice).
  const std::size_t after_one = m.contracts().size();
  (void)m.advance(1800s, Feeds::none());
  EXPECT_GT(m.contracts().size(), after_one);
  std::unordered_set<std::string_view> unique;
  for (const Contract& c : m.contracts()) {
    ASSERT_TRUE(unique.insert(c.symbol).second) << c.symbol;
  }
  // Without listing_interval there are none.
  Market still(small_with(Rates::zero()), 2);
  (void)still.advance(1201s, Feeds::none());
  EXPECT_EQ(still.contracts().size(), Market(small_with(Rates::zero()), 2).contracts().size());
}

TEST(Market, ActiveStrikesFollowADriftingSpot) {
  MarketConfig cfg = MarketConfig::drifting();
  cfg.rates = Rates::option_trades_only(1000);
  cfg.burst_rate_per_s = 0;
  Market m(cfg, 3);
  const auto weighted_strike = [](Market& mk) {
    double w = 0;
    double k = 0;
    for (const auto& [id, r] : mk.option_trade_intensities()) {
      if (mk.symbol(id).starts_with("O:SPY")) {
        w += r;
        k += r * mk.contract(id)->strike();
      }
    }
    return k / w;
  };
  const double s0 = m.spot("SPY").value();
  const double k0 = weighted_strike(m);
  (void)m.advance(4h, Feeds::none());
  const double s1 = m.spot("SPY").value();
  const double k1 = weighted_strike(m);
  EXPECT_GT(std::abs(s1 - s0), 10.0) << "spot should move: " << s0 << " -> " << s1;
  EXPECT_GT((k1 - k0) * (s1 - s0), 0.0) << k0 << " -> " << k1;
  EXPECT_GT(std::abs(k1 - k0), 0.5 * std::abs(s1 - s0)) << k0 << " -> " << k1;
}

TEST(Market, ExpiredChainsGoQuiet) {
  // rank < 25 lists five daily expiries from the Monday start; a week later those are gone.
  MarketConfig cfg = MarketConfig::stationary();
  cfg.underlyings = 40;
  cfg.chain_scale = 0.25;
  cfg.rates = Rates::option_trades_only(1000);
  cfg.tick = std::chrono::minutes(10);
  Market m(cfg, 8);
  (void)m.advance(std::chrono::days(7), Feeds::none());
  for (const auto& [id, r] : m.option_trade_intensities()) {
    ASSERT_GT(m.contract(id)->expiry_ms, m.now_ms()) << m.symbol(id);
  }
  for (const Event& e : m.advance(10s, Feeds::option_trades_only())) {
    ASSERT_GT(m.contract(e.instrument)->expiry_ms, e.ts_ms);
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration values
// ---------------------------------------------------------------------------------------------

TEST(MarketConfig, DefaultsAreThePrototypes) {
  const MarketConfig c;
  EXPECT_EQ(c.underlyings, 600U);
  EXPECT_EQ(c.zipf_exponent, 1.1);
  EXPECT_EQ(c.chain_scale, 1.0);
  EXPECT_EQ(c.start_unix_ms, 1'748'871'000'000);
  EXPECT_EQ(c.tick, 1s);
  EXPECT_EQ(c.refresh_spot_move, 0.0005);
  EXPECT_EQ(c.refresh_max_age, 60s);
  EXPECT_EQ(c.spot_vol_per_sqrt_hour, 0.004);
  EXPECT_EQ(c.spot_drift_per_hour, 0.0);
  EXPECT_EQ(c.tte_decay, 1.0);
  EXPECT_EQ(c.moneyness_floor, 0.002);
  EXPECT_EQ(c.burst_rate_per_s, 0.02);
  EXPECT_EQ(c.burst_alpha, 1.3);
  EXPECT_EQ(c.burst_min_share, 0.0005);
  EXPECT_EQ(c.burst_max_share, 0.1);
  EXPECT_EQ(c.burst_mean_duration, 15s);
  EXPECT_FALSE(c.listing_interval.has_value());
  EXPECT_EQ(c.listing_underlyings, 10U);
  EXPECT_EQ(c.rates, (Rates{5'000, 250, 2'500, 250}));
}

TEST(MarketConfig, Presets) {
  const MarketConfig s = MarketConfig::stationary();
  EXPECT_EQ(s.spot_vol_per_sqrt_hour, 0.0);
  EXPECT_EQ(s.spot_drift_per_hour, 0.0);
  EXPECT_EQ(s.burst_rate_per_s, 0.0);
  const MarketConfig d = MarketConfig::drifting();
  EXPECT_EQ(d.spot_vol_per_sqrt_hour, 0.03);
  EXPECT_EQ(d.spot_drift_per_hour, 0.02);
  const MarketConfig b = MarketConfig::bursty();
  EXPECT_EQ(b.burst_rate_per_s, 0.5);
  EXPECT_EQ(b.burst_alpha, 1.1);
  EXPECT_EQ(b.burst_max_share, 0.3);
  const MarketConfig l = MarketConfig::new_listings();
  EXPECT_EQ(l.listing_interval, std::chrono::nanoseconds(600s));
  EXPECT_EQ(l.listing_underlyings, 20U);
  const MarketConfig sm = MarketConfig::small();
  EXPECT_EQ(sm.underlyings, 40U);
  EXPECT_EQ(sm.chain_scale, 0.25);
  // Each preset changes only its own fields.
  MarketConfig back = b;
  back.burst_rate_per_s = 0.02;
  back.burst_alpha = 1.3;
  back.burst_max_share = 0.1;
  EXPECT_EQ(back, MarketConfig{});
}

TEST(MarketConfig, PresetNames) {
  EXPECT_EQ(MarketConfig::preset("default"), MarketConfig{});
  EXPECT_EQ(MarketConfig::preset("stationary"), MarketConfig::stationary());
  EXPECT_EQ(MarketConfig::preset("drifting"), MarketConfig::drifting());
  EXPECT_EQ(MarketConfig::preset("bursty"), MarketConfig::bursty());
  EXPECT_EQ(MarketConfig::preset("new-listings"), MarketConfig::new_listings());
  EXPECT_EQ(MarketConfig::preset("new_listings"), MarketConfig::new_listings());
  EXPECT_FALSE(MarketConfig::preset("small").has_value());
  EXPECT_FALSE(MarketConfig::preset("Default").has_value());
  EXPECT_FALSE(MarketConfig::preset("").has_value());
  EXPECT_EQ(MarketConfig::preset_names().size(), 5U);
  for (const std::string_view name : MarketConfig::preset_names()) {
    EXPECT_TRUE(MarketConfig::preset(name).has_value()) << name;
  }
}

TEST(Rates, Constructors) {
  EXPECT_EQ(Rates{}.total(), 8'000.0);
  const Rates r = Rates::with_total(1'000'000);
  EXPECT_NEAR(r.total(), 1'000'000.0, 1e-6);
  EXPECT_NEAR(r.option_quotes / r.option_trades, 20.0, 1e-9);
  EXPECT_NEAR(r.stock_quotes / r.stock_trades, 10.0, 1e-9);
  EXPECT_NEAR((r.option_quotes + r.option_trades) / (r.stock_quotes + r.stock_trades), 5'250.0 / 2'750.0, 1e-9);
  EXPECT_EQ(Rates::zero().total(), 0.0);
  const Rates t = Rates::option_trades_only(42);
  EXPECT_EQ(t.get(Feed::OptionTrades), 42.0);
  EXPECT_EQ(t.get(Feed::OptionQuotes) + t.get(Feed::StockQuotes) + t.get(Feed::StockTrades), 0.0);
  const Rates each{1, 2, 3, 4};
  EXPECT_EQ(each.get(Feed::OptionQuotes), 1);
  EXPECT_EQ(each.get(Feed::OptionTrades), 2);
  EXPECT_EQ(each.get(Feed::StockQuotes), 3);
  EXPECT_EQ(each.get(Feed::StockTrades), 4);
}

TEST(Feeds, SetOperations) {
  static_assert(Feeds::all().contains(Feed::StockTrades));
  static_assert(!Feeds::none().contains(Feed::OptionQuotes));
  static_assert(Feeds::options() == Feeds::only(Feed::OptionQuotes).with(Feed::OptionTrades));
  static_assert(Feeds::stocks() == (Feeds::only(Feed::StockQuotes) | Feeds::only(Feed::StockTrades)));
  static_assert((Feeds::options() | Feeds::stocks()) == Feeds::all());
  static_assert(Feeds::option_trades_only() == Feeds::only(Feed::OptionTrades));
  static_assert(is_trade(Feed::OptionTrades) && is_trade(Feed::StockTrades) && !is_trade(Feed::OptionQuotes));
  static_assert(is_option(Feed::OptionQuotes) && !is_option(Feed::StockQuotes));
  for (std::size_t i = 0; i < kAllFeeds.size(); ++i) {
    EXPECT_EQ(index(kAllFeeds[i]), i);
  }
  EXPECT_EQ(to_string(Feed::OptionQuotes), "option_quotes");
  EXPECT_EQ(to_string(Feed::StockTrades), "stock_trades");
}

TEST(Event, Helpers) {
  Event e;
  e.feed = Feed::OptionTrades;
  e.price_cents = 1'250;
  e.ask_cents = 1'300;
  e.size = 3;
  e.conditions = {209, 7};
  e.n_conditions = 1;
  EXPECT_EQ(e.price(), 12.5);
  EXPECT_EQ(e.ask(), 13.0);
  ASSERT_EQ(e.condition_codes().size(), 1U);
  EXPECT_EQ(e.condition_codes()[0], 209);
  EXPECT_DOUBLE_EQ(e.notional(), 12.5 * 3 * 100);
  e.feed = Feed::StockTrades;
  EXPECT_DOUBLE_EQ(e.notional(), 12.5 * 3);
  e.n_conditions = 9;  // out of range: capped at the array
  EXPECT_EQ(e.condition_codes().size(), 2U);
}

TEST(Market, MovedMarketContinuesTheSameCourse) {
  Market a(small_with(Rates{}), 6);
  Market b(small_with(Rates{}), 6);
  (void)a.advance(1500ms);
  (void)b.advance(1500ms);
  Market moved(std::move(b));
  Market assigned(small_with(Rates::zero()), 99);
  assigned = std::move(moved);
  EXPECT_EQ(a.advance(2s), assigned.advance(2s));
}
