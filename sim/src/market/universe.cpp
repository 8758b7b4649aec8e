// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "market/universe.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include "market/occ.hpp"

namespace massive_sim::detail {

// ---------------------------------------------------------------------------------------------
// SymbolTable
// ---------------------------------------------------------------------------------------------

void SymbolTable::reserve(std::size_t n) {
  names_.reserve(n);
  std::size_t cap = 16;
  while (cap < 2 * n) {
    cap *= 2;
  }
  if (cap > slots_.size()) {
    rehash(cap);
  }
}

std::string_view SymbolTable::copy_in(std::string_view s) {
  if (s.empty()) {
    return {};
  }
  if (s.size() > kBlockSize) {  // never for market symbols; a block of its own, the current one kept
    auto big = std::make_unique<char[]>(s.size());
    std::memcpy(big.get(), s.data(), s.size());
    const char* p = big.get();
    blocks_.insert(blocks_.empty() ? blocks_.end() : blocks_.end() - 1, std::move(big));
    return {p, s.size()};
  }
  if (kBlockSize - block_used_ < s.size()) {
    blocks_.push_back(std::make_unique<char[]>(kBlockSize));
    block_used_ = 0;
  }
  char* p = blocks_.back().get() + block_used_;
  std::memcpy(p, s.data(), s.size());
  block_used_ += s.size();
  return {p, s.size()};
}

std::string_view SymbolTable::add(std::string_view symbol) {
  if (2 * (names_.size() + 1) > slots_.size()) {
    rehash(std::max<std::size_t>(16, 2 * slots_.size()));
  }
  const std::string_view stored = copy_in(symbol);
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.push_back(stored);
  insert_slot(std::hash<std::string_view>{}(stored), id);
  return stored;
}

void SymbolTable::insert_slot(std::size_t hash, std::uint32_t id) noexcept {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i].id_plus1 != 0) {
    i = (i + 1) & mask;
  }
  slots_[i] = Slot{static_cast<std::uint32_t>(hash >> 32U), id + 1};
}

void SymbolTable::rehash(std::size_t capacity) {
  slots_.assign(capacity, Slot{});
  for (std::size_t id = 0; id < names_.size(); ++id) {
    insert_slot(std::hash<std::string_view>{}(names_[id]), static_cast<std::uint32_t>(id));
  }
}

std::optional<InstrumentId> SymbolTable::find(std::string_view symbol) const noexcept {
  if (slots_.empty()) {
    return std::nullopt;
  }
  const std::size_t hash = std::hash<std::string_view>{}(symbol);
  const auto tag = static_cast<std::uint32_t>(hash >> 32U);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id_plus1 == 0) {
      return std::nullopt;
    }
    if (s.tag == tag && names_[s.id_plus1 - 1] == symbol) {
      return InstrumentId{s.id_plus1 - 1};
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Underlyings
// ---------------------------------------------------------------------------------------------

namespace {

struct Known {
  std::string_view symbol;
  double spot;
  double iv;
  std::uint8_t tape;
};

// The 30 most popular underlyings, by rank: ticker, spot (dollars), implied volatility, tape.
constexpr std::array<Known, 30> kKnown{{
    {"SPY", 590.0, 0.15, 2},   {"QQQ", 520.0, 0.19, 3},  {"TSLA", 340.0, 0.60, 3}, {"NVDA", 135.0, 0.50, 3},
    {"AAPL", 200.0, 0.28, 3},  {"IWM", 205.0, 0.22, 2},  {"AMZN", 205.0, 0.33, 3}, {"META", 640.0, 0.38, 3},
    {"AMD", 115.0, 0.52, 3},   {"MSFT", 460.0, 0.25, 3}, {"PLTR", 130.0, 0.70, 3}, {"GOOGL", 170.0, 0.30, 3},
    {"NFLX", 1200.0, 0.35, 3}, {"MSTR", 380.0, 0.85, 3}, {"COIN", 250.0, 0.75, 3}, {"SMCI", 40.0, 0.80, 3},
    {"BAC", 44.0, 0.25, 1},    {"SOFI", 14.0, 0.65, 3},  {"INTC", 20.0, 0.45, 3},  {"UBER", 85.0, 0.40, 1},
    {"BABA", 120.0, 0.45, 1},  {"F", 10.0, 0.35, 1},     {"GLD", 310.0, 0.16, 2},  {"TLT", 86.0, 0.14, 3},
    {"XLF", 50.0, 0.18, 2},    {"HYG", 80.0, 0.08, 2},   {"SLV", 30.0, 0.30, 2},   {"EEM", 45.0, 0.20, 2},
    {"ARKK", 58.0, 0.45, 2},   {"DIS", 110.0, 0.28, 1},
}};

bool is_known(std::string_view s) noexcept {
  return std::any_of(kKnown.begin(), kKnown.end(), [s](const Known& k) { return k.symbol == s; });
}

}  // namespace

std::vector<Underlying> build_underlyings(const MarketConfig& cfg, Rng& rng, SymbolTable& symbols) {
  const std::size_t n = std::max<std::size_t>(cfg.underlyings, 1);
  std::vector<double> weights(n);
  double total = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    weights[r] = 1.0 / std::pow(static_cast<double>(r + 1), cfg.zipf_exponent);
    total += weights[r];
  }
  const double ln_lo = std::log(5.0);
  const double ln_hi = std::log(500.0);
  std::vector<Underlying> out;
  out.reserve(n);
  std::string sym;
  for (std::size_t rank = 0; rank < n; ++rank) {
    Underlying u;
    if (rank < kKnown.size()) {
      const Known& k = kKnown[rank];
      sym.assign(k.symbol);
      u.spot = k.spot;
      u.iv = k.iv;
      u.tape = k.tape;
    } else {
      do {  // 2-4 random capitals, not yet taken
        const std::uint64_t len = 2 + rng.below(3);
        sym.clear();
        for (std::uint64_t i = 0; i < len; ++i) {
          sym.push_back(static_cast<char>('A' + rng.below(26)));
        }
      } while (symbols.find(sym).has_value() || is_known(sym));
      const double spot = std::exp(ln_lo + rng.f64() * (ln_hi - ln_lo));
      u.spot = std::round(spot * 100.0) / 100.0;
      u.iv = 0.2 + rng.f64() * 0.6;
      u.tape = rng.below(2) == 0 ? 1 : 3;
    }
    u.symbol = symbols.add(sym);
    u.drift_sign = rng.below(2) == 0 ? 1.0 : -1.0;
    u.popularity = weights[rank] / total;
    out.push_back(std::move(u));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Chains
// ---------------------------------------------------------------------------------------------

double strike_step(double target) noexcept {
  constexpr std::array<double, 9> kSteps{0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0};
  const auto* it = std::find_if(kSteps.begin(), kSteps.end(), [target](double s) { return s >= target; });
  return it == kSteps.end() ? 250.0 : *it;
}

StrikeShape strike_shape(std::size_t rank) noexcept {
  if (rank < 25) {
    return {60, 0.01};
  }
  if (rank < 150) {
    return {40, 0.02};
  }
  return {30, 0.025};
}

namespace {

// The first `count` days from `start_day` on whose weekday satisfies `pred`.
template <class Pred>
void days_from(std::vector<std::int64_t>& out, std::int64_t start_day, std::size_t count, Pred pred) {
  for (std::int64_t d = start_day; count > 0; ++d) {
    if (pred(weekday(d))) {
      out.push_back(d);
      --count;
    }
  }
}

// The third Friday of each month from `start_day`'s month on, not before `start_day`.
void monthlies_from(std::vector<std::int64_t>& out, std::int64_t start_day, std::size_t count) {
  using namespace std::chrono;
  const year_month_day start = civil(start_day);
  for (year_month ym = start.year() / start.month(); count > 0; ym += months(1)) {
    const std::int64_t third =
        sys_days(year_month_weekday(ym.year(), ym.month(), Friday[3])).time_since_epoch().count();
    if (third >= start_day) {
      out.push_back(third);
      --count;
    }
  }
}

}  // namespace

std::vector<std::int64_t> expiry_days(std::size_t rank, std::int64_t start_day) {
  constexpr auto kTradingDay = [](unsigned wd) { return wd < 5; };
  constexpr auto kFriday = [](unsigned wd) { return wd == 4; };
  std::vector<std::int64_t> days;
  if (rank < 25) {
    days_from(days, start_day, 5, kTradingDay);
    days_from(days, start_day, 8, kFriday);
    monthlies_from(days, start_day, 6);
  } else if (rank < 150) {
    days_from(days, start_day, 4, kFriday);
    monthlies_from(days, start_day, 4);
  } else {
    days_from(days, start_day, 1, kFriday);
    monthlies_from(days, start_day, 3);
  }
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  return days;
}

std::size_t scaled_strikes(std::size_t strikes, double chain_scale) noexcept {
  // fmax maps NaN to 2 (as the prototype's f64::max); the cap keeps the cast defined.
  const double n = std::fmax(std::round(static_cast<double>(strikes) * chain_scale), 2.0);
  return n >= 1e6 ? std::size_t{1'000'000} : static_cast<std::size_t>(n);
}

void list_expiry(std::vector<Contract>& contracts, std::uint32_t und_idx, Underlying& und, std::int64_t day,
                 std::size_t n_strikes, double rel_spacing, std::int64_t listed_at_ms, bool skip_listed, Rng& rng,
                 SymbolTable& symbols) {
  const double step = strike_step(und.spot * rel_spacing);
  const double center = std::round(und.spot / step) * step;
  const std::size_t n = std::max<std::size_t>(n_strikes, 2);
  const auto date = civil(day);
  const std::size_t mid = n / 2;  // strikes i < mid below the centre, the rest at or above it
  for (std::size_t i = 0; i < n; ++i) {
    const double k = center + (static_cast<double>(i) - static_cast<double>(mid)) * step;
    if (k <= 0.0 || k >= 99'999.0) {
      continue;
    }
    const auto strike_milli = static_cast<std::uint64_t>(std::round(k * 1000.0));
    for (const Right right : {Right::Call, Right::Put}) {
      const OccBuffer occ = format_occ(und.symbol, date, right, strike_milli);
      if (skip_listed && symbols.find(occ.view()).has_value()) {
        continue;
      }
      const auto liquidity = static_cast<float>(std::exp(0.5 * rng.normal()));
      und.chain.push_back(static_cast<std::uint32_t>(contracts.size()));
      Contract c;
      c.symbol = symbols.add(occ.view());
      c.underlying = und_idx;
      c.expiry_day = day;
      c.expiry_ms = expiry_ms(day);
      c.strike_milli = strike_milli;
      c.right = right;
      c.liquidity = liquidity;
      c.ln_strike = std::log(static_cast<float>(k));
      c.listed_at_ms = listed_at_ms;
      contracts.push_back(c);
    }
  }
}

std::vector<Contract> build_chains(const MarketConfig& cfg, std::span<Underlying> underlyings, Rng& rng,
                                   SymbolTable& symbols) {
  const std::int64_t start_day = day_of_ms(cfg.start_unix_ms);
  std::vector<Contract> contracts;
  for (std::size_t rank = 0; rank < underlyings.size(); ++rank) {
    const std::vector<std::int64_t> days = expiry_days(rank, start_day);
    const StrikeShape shape = strike_shape(rank);
    const std::size_t n = scaled_strikes(shape.strikes, cfg.chain_scale);
    for (const std::int64_t day : days) {
      list_expiry(contracts, static_cast<std::uint32_t>(rank), underlyings[rank], day, n, shape.spacing,
                  cfg.start_unix_ms, /*skip_listed=*/false, rng, symbols);
    }
  }
  return contracts;
}

}  // namespace massive_sim::detail
