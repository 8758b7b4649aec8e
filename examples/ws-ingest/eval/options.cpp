// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "options.hpp"

#include <cmath>
#include <filesystem>
#include <sstream>

namespace ws_ingest::eval {

namespace {

// Bounds that keep one run within this machine's memory (a recording holds every trade and the
// oracle's choice at every decision).
constexpr double kMaxHours = 24;
constexpr std::size_t kMaxSlots = 100'000;
constexpr double kMaxTradeRate = 100'000;
constexpr std::uint64_t kMaxSeeds = 10'000;
constexpr std::size_t kMaxUnderlyings = 100'000;
constexpr double kMaxChainScale = 10;

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

ws_source::Failure<std::string> bad(std::string_view option, std::string_view rule, double got) {
  return ws_source::fail(std::string(option) + " must be " + std::string(rule) + ", got " + number(got));
}

bool finite_in(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

// "scheduler.exploration_fraction" -> "--exploration-fraction".
std::string option_of(std::string_view field) {
  if (const auto dot = field.rfind('.'); dot != std::string_view::npos) field.remove_prefix(dot + 1);
  std::string out = "--";
  for (const char c : field) out += c == '_' ? '-' : c;
  return out;
}

std::optional<ws_source::ExplorationWeighting> weighting(std::string_view s) {
  using W = ws_source::ExplorationWeighting;
  for (const W w : {W::Uniform, W::Priority, W::Posterior}) {
    if (ws_source::to_string(w) == s) return w;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Scenario s) noexcept {
  switch (s) {
    case Scenario::Stationary:
      return "stationary";
    case Scenario::Drifting:
      return "drifting";
    case Scenario::Bursty:
      return "bursty";
    case Scenario::NewListings:
      break;
  }
  return "new-listings";
}

ws_source::Result<Setup, std::string> make_setup(const EvalOptions& o) {
  Setup s;
  if (o.scenario == "all") {
    s.scenarios.assign(kAllScenarios.begin(), kAllScenarios.end());
  } else {
    for (const Scenario sc : kAllScenarios) {
      if (to_string(sc) == o.scenario) s.scenarios.push_back(sc);
    }
    if (s.scenarios.empty()) {
      return ws_source::fail("--scenario must be all, stationary, drifting, bursty or new-listings, got " + o.scenario);
    }
  }
  if (o.seeds < 1 || o.seeds > kMaxSeeds) return bad("--seeds", "in [1, 10000]", static_cast<double>(o.seeds));
  if (!finite_in(o.hours, 0, kMaxHours) || o.hours <= 0) return bad("--hours", "a number in (0, 24]", o.hours);
  if (o.slots < 1 || o.slots > kMaxSlots) return bad("--slots", "in [1, 100000]", static_cast<double>(o.slots));
  if (o.rebalance_interval_s < 1 || o.rebalance_interval_s > 86'400) {
    return bad("--rebalance-interval-s", "in [1, 86400]", static_cast<double>(o.rebalance_interval_s));
  }
  if (!finite_in(o.trade_rate, 0, kMaxTradeRate) || o.trade_rate <= 0) {
    return bad("--trade-rate", "a number in (0, 100000]", o.trade_rate);
  }
  if (!finite_in(o.warmup_min, 0, kMaxHours * 60)) return bad("--warmup-min", "a number >= 0", o.warmup_min);
  if (!finite_in(o.plot_bucket_min, 0, kMaxHours * 60) || o.plot_bucket_min <= 0) {
    return bad("--plot-bucket-min", "a number > 0", o.plot_bucket_min);
  }
  if (o.underlyings && (*o.underlyings < 1 || *o.underlyings > kMaxUnderlyings)) {
    return bad("--underlyings", "in [1, 100000]", static_cast<double>(*o.underlyings));
  }
  if (o.chain_scale && (!finite_in(*o.chain_scale, 0, kMaxChainScale) || *o.chain_scale <= 0)) {
    return bad("--chain-scale", "a number in (0, 10]", *o.chain_scale);
  }
  if (o.zipf && !finite_in(*o.zipf, 0, 10)) return bad("--zipf", "a number in [0, 10]", *o.zipf);
  if (o.top_n && *o.top_n > o.slots) {
    return bad("--top-n", "at most --slots (" + std::to_string(o.slots) + ")", static_cast<double>(*o.top_n));
  }
  if (!o.plot.empty()) {
    const std::filesystem::path path(o.plot);
    if (path.extension() != ".svg") return ws_source::fail("--plot must name an .svg file, got " + o.plot);
    const auto dir = path.parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
      return ws_source::fail("--plot: no such directory: " + dir.string());
    }
  }

  const ws_source::SchedulerConfig d;
  ws_source::SchedulerConfig& c = s.config;
  c.top_n = o.top_n.value_or(std::min(
      o.slots,
      static_cast<std::size_t>(std::llround(static_cast<double>(d.top_n) * static_cast<double>(o.slots) / 1000.0))));
  c.exploration_fraction = o.exploration_fraction.value_or(d.exploration_fraction);
  c.hysteresis = o.hysteresis.value_or(d.hysteresis);
  c.half_life_s = o.half_life_s.value_or(d.half_life_s);
  c.exploration_hold_intervals = o.exploration_hold_intervals.value_or(d.exploration_hold_intervals);
  c.exploration_memory_epochs = o.exploration_memory_epochs.value_or(d.exploration_memory_epochs);
  c.volume_weight = o.volume_weight.value_or(d.volume_weight);
  c.put_call_pooling = o.put_call_pooling.value_or(d.put_call_pooling);
  c.rebalance_interval_s = o.rebalance_interval_s;
  c.seed = d.seed ^ o.seed;
  if (o.exploration_weighting) {
    const auto w = weighting(*o.exploration_weighting);
    if (!w) {
      return ws_source::fail("--exploration-weighting must be uniform, priority or posterior, got " +
                             *o.exploration_weighting);
    }
    c.exploration_weighting = *w;
  }
  if (auto v = ws_source::validate(c); !v) {
    std::string_view message = v.error().message;  // "scheduler config: `name` = v is out of range: ..."
    if (constexpr std::string_view kPrefix = "scheduler config: "; message.starts_with(kPrefix)) {
      message.remove_prefix(kPrefix.size());
    }
    return ws_source::fail(option_of(v.error().field) + ": " + std::string(message));
  }

  const auto interval_s = static_cast<double>(o.rebalance_interval_s);
  s.intervals = static_cast<std::size_t>(std::llround(o.hours * 3600.0 / interval_s));
  s.warmup = static_cast<std::size_t>(std::ceil(o.warmup_min * 60.0 / interval_s));
  if (s.intervals <= s.warmup) {
    return ws_source::fail("--hours " + number(o.hours) + " gives " + std::to_string(s.intervals) +
                           " rebalance intervals, not more than the " + std::to_string(s.warmup) + " of the " +
                           number(o.warmup_min) + " min warm-up (--warmup-min)");
  }
  s.bucket = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(o.plot_bucket_min * 60.0 / interval_s)));
  return s;
}

massive_sim::MarketConfig market_config(const EvalOptions& o, Scenario scenario) {
  auto m = massive_sim::MarketConfig::preset(to_string(scenario)).value_or(massive_sim::MarketConfig{});
  m.rates = massive_sim::Rates::option_trades_only(o.trade_rate);
  if (o.underlyings) m.underlyings = *o.underlyings;
  if (o.chain_scale) m.chain_scale = *o.chain_scale;
  if (o.zipf) m.zipf_exponent = *o.zipf;
  return m;
}

}  // namespace ws_ingest::eval
