// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The market: its state, the tick (spots, listings, intensity refresh, bursts), event generation
// and the oracle. A port of the Rust prototype's market/mod.rs (commit 7e893d0).
#include "massive_sim/market.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "market/occ.hpp"
#include "market/pricing.hpp"
#include "market/rng.hpp"
#include "market/universe.hpp"

namespace massive_sim {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr double kNsPerS = 1e9;
constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinI64 = std::numeric_limits<std::int64_t>::min();
// Per-step event counts are capped here: exact in a double, and no step could ever emit more.
constexpr double kMaxEventsPerStep = 9'007'199'254'740'992.0;  // 2^53

constexpr std::array<std::uint16_t, 16> kOptionExchanges{300, 301, 302, 303, 304, 307, 308, 309,
                                                         312, 313, 315, 316, 319, 322, 323, 325};
constexpr std::array<std::uint16_t, 16> kStockExchanges{1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 15, 17, 18, 19, 20, 21};
constexpr std::array<std::uint16_t, 8> kOptionConditions{209, 209, 209, 209, 219, 227, 228, 229};

std::int64_t sat_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? kMaxI64 : kMinI64;
  }
  return r;
}

std::int64_t sat_mul(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) {
    return (a < 0) == (b < 0) ? kMaxI64 : kMinI64;
  }
  return r;
}

// Floor division for b > 0.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// A configured interval in ns, at least 1 ms.
std::int64_t interval_ns(std::chrono::nanoseconds d) noexcept { return std::max<std::int64_t>(d.count(), kNsPerMs); }

// Duration in seconds as the prototype computes it (Rust's Duration::as_secs_f64).
double secs_f64(std::chrono::nanoseconds d) noexcept {
  const auto whole = std::chrono::duration_cast<std::chrono::seconds>(d);  // truncates, as Rust's does
  return static_cast<double>(whole.count()) + static_cast<double>((d - whole).count()) / 1e9;
}

// A feed's rate as the market uses it: negative, NaN and infinite rates count as 0.
double rate_of(const Rates& r, Feed f) noexcept {
  const double v = r.get(f);
  return std::isfinite(v) && v > 0.0 ? v : 0.0;
}

// The number of elements <= x of the nondecreasing, non-empty array [data, data + n): exactly
// std::upper_bound's index, found without branches (the tables are larger than the caches and
// a mispredicted branch per level cost more than the search itself), prefetching both halves.
inline std::size_t count_le(const double* data, std::size_t n, double x) noexcept {
  const double* base = data;
  while (n > 1) {
    const std::size_t half = n / 2;
    __builtin_prefetch(base + half / 2);
    __builtin_prefetch(base + half + half / 2);
    base = base[half] <= x ? base + half : base;
    n -= half;
  }
  return static_cast<std::size_t>(base - data) + (*base <= x ? 1 : 0);
}

// Index drawn from the cumulative table `cum` (whose last element is `total`) with `u01` in
// [0, 1); nullopt when empty or all 0.
inline std::optional<std::size_t> draw(const std::vector<double>& cum, double total, double u01) noexcept {
  if (cum.empty() || total <= 0.0) {
    return std::nullopt;
  }
  const std::size_t i = count_le(cum.data(), cum.size(), u01 * total);
  return std::min(i, cum.size() - 1);
}

inline std::optional<std::size_t> draw(const std::vector<double>& cum, double u01) noexcept {
  return draw(cum, cum.empty() ? 0.0 : cum.back(), u01);
}

// The state a chain's intensities are computed from. Refreshed eagerly at ticks (cheap checks, no
// rebuild), so a chain's table is a pure function of the tick-time state whenever it is built:
// oracle calls, which build tables early, cannot change the market's course.
struct ChainRef {
  std::uint64_t version{0};
  double ln_spot{0};
  std::int64_t tick_ms{0};
  std::int64_t next_expiry_ms{0};
  std::size_t chain_len{0};
};

// One chain's cumulative quote and trade weights, rebuilt lazily when its ChainRef changes.
struct ChainTable {
  struct Group {
    std::size_t end{0};  // one past the last chain position of this run of one expiry
    std::int64_t expiry_ms{0};
  };
  std::uint64_t version{0};
  bool built{false};
  // Static per-contract data copied contiguously (rebuilt only when the chain grows).
  std::size_t static_len{0};
  std::vector<double> ln_k;
  std::vector<double> liq;
  std::vector<Group> groups;
  std::vector<double> cum_q;
  std::vector<double> cum_t;
  // Hot copies (this struct is in cache, the tables' far ends are not): the tables' totals, and
  // the contract index of chain position 0 when the chain's contracts are consecutive (the initial
  // universe; a listing may break that), so that a draw needs neither `cum.back()` nor `chain[i]`.
  double total_q{0};
  double total_t{0};
  std::optional<std::uint32_t> consecutive_from;
};

// What generating an event for an instrument touches, in one cache line (the universe is far
// larger than the caches, so each event costs a miss or two; this keeps it to one here): its
// sequence number, the contract's pricing inputs and a copy of its symbol for the sink.
struct alignas(64) HotInstrument {
  std::uint64_t seq{0};
  std::int64_t expiry_ms{0};  // contracts only
  double strike{0};           // contracts only, dollars
  std::uint32_t underlying{0};
  Right right{Right::Call};
  std::uint8_t symbol_len{0};
  std::array<char, 30> symbol{};

  [[nodiscard]] std::string_view name() const noexcept { return {symbol.data(), symbol_len}; }
};
static_assert(sizeof(HotInstrument) == 64);

HotInstrument hot_stock(const Underlying& u) noexcept {
  HotInstrument h;
  h.symbol_len = static_cast<std::uint8_t>(std::min(u.symbol.size(), h.symbol.size()));
  std::copy_n(u.symbol.begin(), h.symbol_len, h.symbol.begin());
  return h;
}

HotInstrument hot_contract(const Contract& c) noexcept {
  HotInstrument h;
  h.expiry_ms = c.expiry_ms;
  h.strike = c.strike();
  h.underlying = c.underlying;
  h.right = c.right;
  h.symbol_len = static_cast<std::uint8_t>(std::min(c.symbol.size(), h.symbol.size()));
  std::copy_n(c.symbol.begin(), h.symbol_len, h.symbol.begin());
  return h;
}

}  // namespace

struct Market::Impl {
  MarketConfig cfg;
  std::int64_t now_ns{0};
  std::int64_t next_tick_ns{0};
  std::int64_t tick_ms{0};
  detail::SymbolTable symbols;
  std::vector<Underlying> underlyings;
  std::vector<Contract> contracts;
  std::vector<ChainRef> refs;
  std::vector<std::vector<std::int64_t>> expiries;  // distinct expiry instants of each chain, sorted
  std::vector<ChainTable> chains;
  std::vector<std::int64_t> last_expiry_ms;
  std::vector<HotInstrument> hot;  // by instrument id
  std::vector<double> opt_cum;
  std::vector<double> stock_cum;
  std::vector<Burst> bursts;
  std::vector<double> burst_cum;
  double burst_total{0};
  std::array<double, 4> carry{};
  std::optional<std::int64_t> next_listing_ns;
  std::uint64_t next_trade_id{52'983'525'000'000};
  detail::Rng rng_events;
  detail::Rng rng_spot;
  detail::Rng rng_burst;
  detail::Rng rng_listing;

  Impl(MarketConfig config, std::uint64_t seed);

  [[nodiscard]] std::int64_t tick_ns() const noexcept { return interval_ns(cfg.tick); }
  [[nodiscard]] std::int64_t current_ms() const noexcept { return floor_div(now_ns, kNsPerMs); }
  [[nodiscard]] std::size_t n_stocks() const noexcept { return underlyings.size(); }

  // Makes chain `u`'s table current (a pure function of its ChainRef).
  void ensure_built(std::size_t u) {
    if (!chains[u].built || chains[u].version != refs[u].version) {
      rebuild(u);
    }
  }
  void rebuild(std::size_t u);
  void advance(std::chrono::nanoseconds dt, Feeds feeds, EventSink& sink);
  void generate(std::int64_t a, std::int64_t b, Feeds feeds, EventSink& sink);
  struct Draft;
  bool draw_event(std::uint64_t k, std::uint64_t total, std::array<std::uint64_t, 4>& remaining, std::int64_t ts_ns,
                  Draft& d);
  void emit_event(Draft& d, EventSink& sink);
  void on_tick();
  void refresh_refs();
  void refresh_option_weights();
  void update_bursts(double tick_s);
  void list_new_expiries();
  std::vector<double> feed_intensities(Feed feed);
  Intensity intensity_of(InstrumentId id);
};

namespace {

void cum_sum_into(std::vector<double>& out, std::size_t n, auto&& value) {
  out.resize(n);
  double acc = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    acc += value(i);
    out[i] = acc;
  }
}

}  // namespace

Market::Impl::Impl(MarketConfig config, std::uint64_t seed)
    : cfg(std::move(config)), rng_events(seed, 2), rng_spot(seed, 3), rng_burst(seed, 4), rng_listing(seed, 5) {
  detail::Rng rng_universe(seed, 1);
  underlyings = detail::build_underlyings(cfg, rng_universe, symbols);
  contracts = detail::build_chains(cfg, underlyings, rng_universe, symbols);
  const std::size_t n = underlyings.size();
  last_expiry_ms.assign(n, kMinI64);
  expiries.resize(n);
  for (std::size_t u = 0; u < n; ++u) {
    auto& e = expiries[u];
    for (const std::uint32_t ci : underlyings[u].chain) {
      e.push_back(contracts[ci].expiry_ms);
      last_expiry_ms[u] = std::max(last_expiry_ms[u], contracts[ci].expiry_ms);
    }
    std::sort(e.begin(), e.end());
    e.erase(std::unique(e.begin(), e.end()), e.end());
  }
  cum_sum_into(stock_cum, n, [this](std::size_t i) { return underlyings[i].popularity; });
  now_ns = sat_mul(cfg.start_unix_ms, kNsPerMs);
  next_tick_ns = sat_add(now_ns, tick_ns());
  tick_ms = cfg.start_unix_ms;
  refs.resize(n);
  chains.resize(n);
  hot.reserve(n + contracts.size());
  for (const Underlying& u : underlyings) {
    hot.push_back(hot_stock(u));
  }
  for (const Contract& c : contracts) {
    hot.push_back(hot_contract(c));
  }
  if (cfg.listing_interval) {
    next_listing_ns = sat_add(now_ns, interval_ns(*cfg.listing_interval));
  }
  refresh_refs();
  refresh_option_weights();
}

// Rebuilds the weights of chain `u` from its reference state (no randomness involved).
void Market::Impl::rebuild(std::size_t u) {
  const ChainRef& r = refs[u];
  ChainTable& table = chains[u];
  const Underlying& und = underlyings[u];
  if (table.static_len != und.chain.size()) {
    table.ln_k.clear();
    table.liq.clear();
    table.groups.clear();
    for (std::size_t i = 0; i < und.chain.size(); ++i) {
      const Contract& c = contracts[und.chain[i]];
      if (!table.groups.empty() && table.groups.back().expiry_ms == c.expiry_ms) {
        table.groups.back().end = i + 1;
      } else {
        table.groups.push_back({i + 1, c.expiry_ms});
      }
      table.ln_k.push_back(static_cast<double>(c.ln_strike));
      table.liq.push_back(static_cast<double>(c.liquidity));
    }
    table.static_len = und.chain.size();
    table.consecutive_from.reset();
    if (!und.chain.empty() && und.chain.back() - und.chain.front() == und.chain.size() - 1 &&
        std::adjacent_find(und.chain.begin(), und.chain.end(),
                           [](std::uint32_t x, std::uint32_t y) { return y != x + 1; }) == und.chain.end()) {
      table.consecutive_from = und.chain.front();
    }
  }
  table.cum_q.clear();
  table.cum_t.clear();
  double aq = 0.0;
  double at = 0.0;
  std::size_t begin = 0;
  for (const auto& g : table.groups) {
    const double days = static_cast<double>(g.expiry_ms - r.tick_ms) / 86'400'000.0;
    const detail::ExpiryFactors f = detail::expiry_factors(days, und.iv, cfg.tte_decay);
    const bool live = f.tte_q > 0.0;
    for (std::size_t i = begin; i < g.end; ++i) {
      if (live) {
        const detail::Weights w = detail::weights(table.ln_k[i], r.ln_spot, table.liq[i], f, cfg.moneyness_floor);
        aq += w.quote;
        at += w.trade;
      }
      table.cum_q.push_back(aq);
      table.cum_t.push_back(at);
    }
    begin = g.end;
  }
  table.total_q = table.cum_q.empty() ? 0.0 : table.cum_q.back();
  table.total_t = table.cum_t.empty() ? 0.0 : table.cum_t.back();
  table.version = r.version;
  table.built = true;
}

void Market::Impl::advance(std::chrono::nanoseconds dt, Feeds feeds, EventSink& sink) {
  const std::int64_t end = sat_add(now_ns, std::max<std::int64_t>(dt.count(), 0));
  while (now_ns < end) {
    const std::int64_t seg_end = std::min(end, next_tick_ns);
    generate(now_ns, seg_end, feeds, sink);
    now_ns = seg_end;
    if (now_ns >= next_tick_ns) {
      on_tick();
      next_tick_ns = sat_add(next_tick_ns, tick_ns());
    }
  }
}

void Market::Impl::on_tick() {
  const double tick_s = static_cast<double>(tick_ns()) / kNsPerS;
  const double dt_h = tick_s / 3600.0;
  const double vol = cfg.spot_vol_per_sqrt_hour * std::sqrt(dt_h);
  const double drift = cfg.spot_drift_per_hour * dt_h;
  for (Underlying& u : underlyings) {
    const double z = rng_spot.normal();
    const double r = drift * u.drift_sign + vol * z;
    const double s = u.spot * std::exp(r);
    if (std::isfinite(s)) {
      u.spot = std::clamp(s, 0.5, 99'000.0);
    }
  }
  tick_ms = current_ms();
  if (next_listing_ns && now_ns >= *next_listing_ns) {
    list_new_expiries();
    const std::int64_t every = cfg.listing_interval ? interval_ns(*cfg.listing_interval) : kMaxI64;
    next_listing_ns = sat_add(*next_listing_ns, every);
  }
  refresh_refs();
  refresh_option_weights();
  update_bursts(tick_s);
}

// Marks the chains whose intensities must be recomputed: the spot moved more than
// `refresh_spot_move`, a contract expired, the chain grew, or they are `refresh_max_age` old.
void Market::Impl::refresh_refs() {
  const std::int64_t max_age = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.refresh_max_age).count();
  for (std::size_t i = 0; i < underlyings.size(); ++i) {
    ChainRef& r = refs[i];
    const Underlying& u = underlyings[i];
    const double ln_s = std::log(u.spot);
    const bool stale = r.version == 0 || r.chain_len != u.chain.size() ||
                       std::abs(ln_s - r.ln_spot) > cfg.refresh_spot_move || tick_ms - r.tick_ms >= max_age ||
                       tick_ms >= r.next_expiry_ms;
    if (stale) {
      ++r.version;
      r.ln_spot = ln_s;
      r.tick_ms = tick_ms;
      r.chain_len = u.chain.size();
      const auto& e = expiries[i];
      const auto next = std::upper_bound(e.begin(), e.end(), tick_ms);
      r.next_expiry_ms = next == e.end() ? kMaxI64 : *next;
    }
  }
}

// Top-level option activity per underlying: its popularity, 0 once its whole chain has expired.
void Market::Impl::refresh_option_weights() {
  cum_sum_into(opt_cum, underlyings.size(),
               [this](std::size_t i) { return last_expiry_ms[i] > tick_ms ? underlyings[i].popularity : 0.0; });
}

void Market::Impl::update_bursts(double tick_s) {
  const std::int64_t now = current_ms();
  std::erase_if(bursts, [now](const Burst& b) { return b.end_ms <= now; });
  // Poisson arrivals in the tick (Knuth).
  const double lambda = std::fmax(cfg.burst_rate_per_s * tick_s, 0.0);
  int arrivals = 0;
  if (lambda > 0.0) {
    const double limit = std::exp(-lambda);
    double p = rng_burst.f64_open();
    while (p > limit && arrivals < 1000) {
      ++arrivals;
      p *= rng_burst.f64_open();
    }
  }
  const double mean_ms = secs_f64(cfg.burst_mean_duration) * 1000.0;
  for (int a = 0; a < arrivals; ++a) {
    const double u01 = rng_burst.f64();
    const double pick = rng_burst.f64();
    const double share = std::fmin(
        rng_burst.pareto(std::fmax(cfg.burst_min_share, 1e-9), std::fmax(cfg.burst_alpha, 0.1)), cfg.burst_max_share);
    const double dur = std::fmin(rng_burst.pareto(mean_ms / 3.0, 1.5), 20.0 * mean_ms);
    const auto u = draw(opt_cum, u01);
    if (!u) {
      continue;
    }
    ensure_built(*u);
    const auto k = draw(chains[*u].cum_t, pick);
    if (!k) {
      continue;
    }
    const std::uint32_t ci = underlyings[*u].chain[*k];
    const auto id = InstrumentId{static_cast<std::uint32_t>(n_stocks() + ci)};
    bursts.push_back(Burst{id, share, now + static_cast<std::int64_t>(std::fmax(dur, 1.0)), share});
  }
  double raw = 0.0;
  for (const Burst& b : bursts) {
    raw += b.raw_share;
  }
  const double scale = raw > 0.5 ? 0.5 / raw : 1.0;
  for (Burst& b : bursts) {
    b.share = b.raw_share * scale;
  }
  cum_sum_into(burst_cum, bursts.size(), [this](std::size_t i) { return bursts[i].share; });
  burst_total = burst_cum.empty() ? 0.0 : burst_cum.back();
}

void Market::Impl::list_new_expiries() {
  const std::size_t n = cfg.listing_underlyings;
  std::vector<double> pop_cum;
  cum_sum_into(pop_cum, underlyings.size(), [this](std::size_t i) { return underlyings[i].popularity; });
  const std::int64_t now = current_ms();
  const std::int64_t today = floor_div(now, detail::kMsPerDay);
  std::vector<std::int64_t> listed;
  for (std::size_t it = 0; it < n; ++it) {
    const auto pick = draw(pop_cum, rng_listing.f64());
    if (!pick) {
      return;
    }
    const std::size_t u = *pick;
    listed.clear();
    for (const std::uint32_t ci : underlyings[u].chain) {
      listed.push_back(contracts[ci].expiry_day);
    }
    std::sort(listed.begin(), listed.end());
    std::optional<std::int64_t> day;
    for (std::int64_t d = today; d < today + 400; ++d) {
      if (detail::weekday(d) < 5 && detail::expiry_ms(d) > now &&
          !std::binary_search(listed.begin(), listed.end(), d)) {
        day = d;
        break;
      }
    }
    if (!day) {
      continue;
    }
    const detail::StrikeShape shape = detail::strike_shape(u);
    const std::size_t n_strikes = detail::scaled_strikes(shape.strikes, cfg.chain_scale);
    const std::size_t before = contracts.size();
    detail::list_expiry(contracts, static_cast<std::uint32_t>(u), underlyings[u], *day, n_strikes, shape.spacing, now,
                        /*skip_listed=*/true, rng_listing, symbols);
    for (std::size_t ci = before; ci < contracts.size(); ++ci) {
      last_expiry_ms[u] = std::max(last_expiry_ms[u], contracts[ci].expiry_ms);
    }
    for (std::size_t ci = before; ci < contracts.size(); ++ci) {
      hot.push_back(hot_contract(contracts[ci]));
    }
    auto& e = expiries[u];
    e.push_back(detail::expiry_ms(*day));
    std::sort(e.begin(), e.end());
    e.erase(std::unique(e.begin(), e.end()), e.end());
  }
}

// Event generation runs in two stages so that the cache misses of one event overlap the next
// one's work: `draw_event` makes every random draw of event k (the feed, the bits, the
// instrument, an option trade's size) and prefetches the instrument's line; `emit_event` then
// prices event k, bumps its sequence number and hands it to the sink, after event k+1 has been
// drawn. The random draws happen in exactly the prototype's order (pricing draws nothing), and
// drawing never reads what emitting writes, so the events are the same as one stage would give.
struct Market::Impl::Draft {
  Event ev;
  std::uint64_t bits{0};
  double option_size{0};  // option trades: the Pareto draw
};

bool Market::Impl::draw_event(std::uint64_t k, std::uint64_t total, std::array<std::uint64_t, 4>& remaining,
                              std::int64_t ts_ns, Draft& d) {
  detail::Rng& rng = rng_events;
  // Pick the feed with probability proportional to its remaining count.
  std::uint64_t r = rng.below(total - k);
  std::size_t fi = 0;
  while (fi < 3 && r >= remaining[fi]) {
    r -= remaining[fi];
    ++fi;
  }
  if (remaining[fi] > 0) {
    --remaining[fi];
  }
  const Feed feed = kAllFeeds[fi];
  d.ev = Event{};
  d.ev.feed = feed;
  d.ev.ts_ms = floor_div(ts_ns, kNsPerMs);
  d.bits = rng.next_u64();
  const std::size_t n_stocks = underlyings.size();
  std::size_t id = 0;
  if (massive_sim::is_option(feed)) {
    const double u01 = rng.f64();
    std::size_t ci = 0;
    if (u01 < burst_total) {
      const std::size_t i = count_le(burst_cum.data(), burst_cum.size(), u01);
      ci = bursts[std::min(i, bursts.size() - 1)].instrument.value - n_stocks;
    } else {
      const auto u = draw(opt_cum, rng.f64());
      if (!u) {
        return false;
      }
      ensure_built(*u);
      const ChainTable& table = chains[*u];
      const bool trade = feed == Feed::OptionTrades;
      const auto i = draw(trade ? table.cum_t : table.cum_q, trade ? table.total_t : table.total_q, rng.f64());
      if (!i) {
        return false;
      }
      ci = table.consecutive_from ? *table.consecutive_from + *i : underlyings[*u].chain[*i];
    }
    if (ci >= contracts.size()) {
      return false;
    }
    id = n_stocks + ci;
    if (feed == Feed::OptionTrades) {
      d.option_size = rng.pareto(1.0, 1.2);
    }
  } else {
    const auto u = draw(stock_cum, rng.f64());
    if (!u) {
      return false;
    }
    id = *u;
  }
  d.ev.instrument = InstrumentId{static_cast<std::uint32_t>(id)};
  __builtin_prefetch(&hot[id], 1);
  return true;
}

void Market::Impl::emit_event(Draft& d, EventSink& sink) {
  Event& ev = d.ev;
  const std::uint64_t bits = d.bits;
  HotInstrument& h = hot[ev.instrument.value];
  if (massive_sim::is_option(ev.feed)) {
    const Underlying& und = underlyings[h.underlying];
    const double years = std::max(static_cast<double>(h.expiry_ms - ev.ts_ms) / (365.0 * 86'400'000.0), 0.0);
    const double fair = detail::theo(und.spot, h.strike, years, und.iv, h.right);
    const double theo_c = std::clamp(std::round(fair * 100.0), 1.0, 1e9);
    const double spread = std::clamp(std::round(theo_c * 0.03), 1.0, 500.0);
    const double jitter = static_cast<double>(bits & 3U) - 1.5;
    const double bid = std::max(theo_c - spread / 2.0 + std::round(jitter), 1.0);
    const double ask = bid + spread;
    if (ev.feed == Feed::OptionTrades) {
      const std::uint64_t side = (bits >> 2U) & 3U;
      ev.price_cents = static_cast<std::uint32_t>(side == 0 ? bid : side == 1 ? ask : std::round((bid + ask) / 2.0));
      ev.size = static_cast<std::uint32_t>(std::min(d.option_size, 5'000.0));
      ev.exchange = kOptionExchanges[(bits >> 4U) & 15U];
      ev.conditions[0] = kOptionConditions[(bits >> 8U) & 7U];
      ev.n_conditions = 1;
    } else {
      ev.price_cents = static_cast<std::uint32_t>(bid);
      ev.ask_cents = static_cast<std::uint32_t>(ask);
      ev.size = 1 + static_cast<std::uint32_t>((bits >> 8U) % 200);
      ev.ask_size = 1 + static_cast<std::uint32_t>((bits >> 16U) % 200);
      ev.exchange = kOptionExchanges[(bits >> 24U) & 15U];
      ev.ask_exchange = kOptionExchanges[(bits >> 28U) & 15U];
    }
  } else {
    const Underlying& und = underlyings[ev.instrument.value];
    const double mid = std::max(und.spot * 100.0, 1.0);
    const double half = std::max(mid * 0.00005, 0.5);
    const double bid = std::max(std::floor(mid - half) - static_cast<double>(bits & 1U), 1.0);
    const double ask = std::max(std::ceil(mid + half), bid + 1.0);
    ev.tape = und.tape;
    if (ev.feed == Feed::StockTrades) {
      const std::uint64_t side = (bits >> 2U) & 3U;
      ev.price_cents = static_cast<std::uint32_t>(side == 0 ? bid : side == 1 ? ask : std::round((bid + ask) / 2.0));
      const bool odd = (bits >> 4U) % 10 < 3;
      ev.size = odd ? 1 + static_cast<std::uint32_t>((bits >> 8U) % 99)
                    : 100 * (1 + static_cast<std::uint32_t>((bits >> 8U) % 10));
      ev.exchange = kStockExchanges[(bits >> 16U) & 15U];
      if (odd) {
        ev.conditions = {37, 0};
        ev.n_conditions = 1;
      } else if ((bits >> 20U) % 8 == 0) {
        ev.conditions = {12, 37};
        ev.n_conditions = 2;
      }
      next_trade_id += 1 + ((bits >> 24U) & 7U);
      ev.trade_id = next_trade_id;
      if ((bits >> 28U) % 7 == 0) {
        ev.exchange = 4;
        ev.trf_id = static_cast<std::uint16_t>(201 + (bits >> 32U) % 3);
        ev.trf_ts_ms = ev.ts_ms - static_cast<std::int64_t>((bits >> 36U) % 5);
      }
    } else {
      ev.price_cents = static_cast<std::uint32_t>(bid);
      ev.ask_cents = static_cast<std::uint32_t>(ask);
      ev.size = 1 + static_cast<std::uint32_t>((bits >> 8U) % 20);
      ev.ask_size = 1 + static_cast<std::uint32_t>((bits >> 16U) % 20);
      ev.exchange = kStockExchanges[(bits >> 24U) & 15U];
      ev.ask_exchange = kStockExchanges[(bits >> 28U) & 15U];
      if ((bits >> 32U) % 8 == 0) {
        ev.indicator = 604;
      }
    }
  }
  h.seq += ((bits >> 40U) & 7U) == 0 ? 2 : 1;
  ev.seq = h.seq;
  sink.on_event(ev, h.name());
}

void Market::Impl::generate(std::int64_t a, std::int64_t b, Feeds feeds, EventSink& sink) {
  const double dt_s = static_cast<double>(b - a) / kNsPerS;
  std::array<std::uint64_t, 4> remaining{};
  for (const Feed feed : kAllFeeds) {
    if (!feeds.contains(feed)) {
      continue;
    }
    const std::size_t fi = index(feed);
    const double expected = rate_of(cfg.rates, feed) * dt_s + carry[fi];
    double n = std::floor(expected);
    carry[fi] = expected - n;
    if (!(n <= kMaxEventsPerStep)) {  // also NaN
      n = std::isnan(n) ? 0.0 : kMaxEventsPerStep;
      carry[fi] = 0.0;
    }
    remaining[fi] = static_cast<std::uint64_t>(n);
  }
  const std::uint64_t total = remaining[0] + remaining[1] + remaining[2] + remaining[3];
  if (total == 0) {
    return;
  }
  // Timestamps evenly spaced: ts_k = a + floor(span * k / total), kept incrementally (exact, no
  // 128-bit product, no division per event): span * k = q * total + r with 0 <= r < total.
  const auto span = static_cast<std::uint64_t>(b - a);
  const std::uint64_t dq = span / total;
  const std::uint64_t dr = span % total;
  std::uint64_t q = 0;
  std::uint64_t r = 0;
  std::array<Draft, 2> drafts;
  bool pending = false;  // drafts[(k - 1) & 1] holds a drawn event not yet emitted
  for (std::uint64_t k = 0; k < total; ++k) {
    if (k > 0) {
      q += dq;
      r += dr;
      if (r >= total) {
        r -= total;
        ++q;
      }
    }
    Draft& next = drafts[k & 1U];
    const bool drawn = draw_event(k, total, remaining, a + static_cast<std::int64_t>(q), next);
    if (pending) {
      emit_event(drafts[(k - 1) & 1U], sink);
    }
    pending = drawn;
  }
  if (pending) {
    emit_event(drafts[(total - 1) & 1U], sink);
  }
}

std::vector<double> Market::Impl::feed_intensities(Feed feed) {
  const double rate = rate_of(cfg.rates, feed);
  if (!massive_sim::is_option(feed)) {
    std::vector<double> out(underlyings.size());
    for (std::size_t i = 0; i < underlyings.size(); ++i) {
      out[i] = rate * underlyings[i].popularity;
    }
    return out;
  }
  std::vector<double> out(contracts.size(), 0.0);
  const double top_total = opt_cum.empty() ? 0.0 : opt_cum.back();
  const double base = rate * (1.0 - burst_total);
  if (top_total > 0.0) {
    double prev = 0.0;
    for (std::size_t u = 0; u < underlyings.size(); ++u) {
      const double top_w = opt_cum[u] - prev;
      prev = opt_cum[u];
      if (top_w <= 0.0) {
        continue;
      }
      ensure_built(u);
      const ChainTable& t = chains[u];
      const std::vector<double>& cum = feed == Feed::OptionTrades ? t.cum_t : t.cum_q;
      if (cum.empty() || cum.back() <= 0.0) {
        continue;
      }
      const double k = base * top_w / top_total / cum.back();
      double p = 0.0;
      const auto& chain = underlyings[u].chain;
      for (std::size_t i = 0; i < cum.size(); ++i) {
        out[chain[i]] = k * (cum[i] - p);
        p = cum[i];
      }
    }
  }
  const std::size_t n_stocks = underlyings.size();
  for (const Burst& b : bursts) {
    out[b.instrument.value - n_stocks] += rate * b.share;
  }
  return out;
}

Intensity Market::Impl::intensity_of(InstrumentId id) {
  const std::size_t n_stocks = underlyings.size();
  const std::size_t i = id.value;
  if (i < n_stocks) {
    const double p = underlyings[i].popularity;
    return Intensity{rate_of(cfg.rates, Feed::StockQuotes) * p, rate_of(cfg.rates, Feed::StockTrades) * p};
  }
  const std::size_t ci = i - n_stocks;
  if (ci >= contracts.size()) {
    return Intensity{};
  }
  const std::size_t u = contracts[ci].underlying;
  Intensity out;
  const double top_total = opt_cum.empty() ? 0.0 : opt_cum.back();
  const double top_w = opt_cum[u] - (u > 0 ? opt_cum[u - 1] : 0.0);
  if (top_total > 0.0 && top_w > 0.0) {
    ensure_built(u);
    const ChainTable& t = chains[u];
    const auto& chain = underlyings[u].chain;
    const auto pos = std::find(chain.begin(), chain.end(), static_cast<std::uint32_t>(ci));
    if (pos != chain.end()) {
      const auto k = static_cast<std::size_t>(pos - chain.begin());
      const auto w = [k](const std::vector<double>& cum) {
        const double total = cum.empty() ? 0.0 : cum.back();
        if (total <= 0.0) {
          return 0.0;
        }
        return (cum[k] - (k > 0 ? cum[k - 1] : 0.0)) / total;
      };
      const double share = (1.0 - burst_total) * top_w / top_total;
      out.quotes = rate_of(cfg.rates, Feed::OptionQuotes) * share * w(t.cum_q);
      out.trades = rate_of(cfg.rates, Feed::OptionTrades) * share * w(t.cum_t);
    }
  }
  for (const Burst& b : bursts) {
    if (b.instrument == id) {
      out.quotes += rate_of(cfg.rates, Feed::OptionQuotes) * b.share;
      out.trades += rate_of(cfg.rates, Feed::OptionTrades) * b.share;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Market
// ---------------------------------------------------------------------------------------------

Market::Market(MarketConfig cfg, std::uint64_t seed) : impl_(std::make_unique<Impl>(std::move(cfg), seed)) {}
Market::~Market() = default;
Market::Market(Market&&) noexcept = default;
Market& Market::operator=(Market&&) noexcept = default;

const MarketConfig& Market::config() const noexcept { return impl_->cfg; }
Rates Market::rates() const noexcept { return impl_->cfg.rates; }
void Market::set_rates(const Rates& rates) noexcept { impl_->cfg.rates = rates; }
std::int64_t Market::now_ms() const noexcept { return impl_->current_ms(); }
std::int64_t Market::now_ns() const noexcept { return impl_->now_ns; }
std::size_t Market::n_stocks() const noexcept { return impl_->underlyings.size(); }
std::size_t Market::instrument_count() const noexcept { return impl_->underlyings.size() + impl_->contracts.size(); }
std::string_view Market::symbol(InstrumentId id) const noexcept { return impl_->symbols.name(id); }
std::optional<InstrumentId> Market::lookup(std::string_view symbol) const noexcept {
  return impl_->symbols.find(symbol);
}
bool Market::is_option(InstrumentId id) const noexcept { return id.value >= impl_->underlyings.size(); }
std::uint64_t Market::last_seq(InstrumentId id) const noexcept {
  return id.value < impl_->hot.size() ? impl_->hot[id.value].seq : 0;
}
std::span<const Underlying> Market::underlyings() const noexcept { return impl_->underlyings; }
std::span<const Contract> Market::contracts() const noexcept { return impl_->contracts; }

const Contract* Market::contract(InstrumentId id) const noexcept {
  const std::size_t n = impl_->underlyings.size();
  if (id.value < n || id.value - n >= impl_->contracts.size()) {
    return nullptr;
  }
  return &impl_->contracts[id.value - n];
}

std::optional<double> Market::spot(std::string_view ticker) const noexcept {
  const auto id = lookup(ticker);
  if (!id || id->value >= impl_->underlyings.size()) {
    return std::nullopt;
  }
  return impl_->underlyings[id->value].spot;
}

std::span<const Burst> Market::active_bursts() const noexcept { return impl_->bursts; }

void Market::advance_with(std::chrono::nanoseconds dt, Feeds feeds, EventSink& sink) {
  impl_->advance(dt, feeds, sink);
}

std::vector<Event> Market::advance(std::chrono::nanoseconds dt, Feeds feeds) {
  std::vector<Event> out;
  advance_with(dt, feeds, [&out](const Event& ev, std::string_view) { out.push_back(ev); });
  return out;
}

std::vector<double> Market::feed_intensities(Feed feed) { return impl_->feed_intensities(feed); }

namespace {

std::vector<std::pair<InstrumentId, double>> nonzero(const std::vector<double>& rates, std::size_t n_stocks) {
  std::vector<std::pair<InstrumentId, double>> out;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    if (rates[i] > 0.0) {
      out.emplace_back(InstrumentId{static_cast<std::uint32_t>(n_stocks + i)}, rates[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::pair<InstrumentId, double>> Market::option_trade_intensities() {
  return nonzero(impl_->feed_intensities(Feed::OptionTrades), n_stocks());
}

std::vector<std::pair<InstrumentId, double>> Market::option_quote_intensities() {
  return nonzero(impl_->feed_intensities(Feed::OptionQuotes), n_stocks());
}

std::optional<Intensity> Market::intensity(std::string_view symbol) {
  const auto id = lookup(symbol);
  if (!id) {
    return std::nullopt;
  }
  return impl_->intensity_of(*id);
}

Intensity Market::intensity_of(InstrumentId id) { return impl_->intensity_of(id); }

}  // namespace massive_sim
