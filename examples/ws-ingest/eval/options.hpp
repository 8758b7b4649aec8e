// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// `ws-ingest eval-scheduler`'s options (the command line, as plain data) and what a run derives
// from them: the scenarios, our scheduler's configuration, the interval counts.

#include <array>
#include <cstddef>
#include <cstdint>
#include <massive_sim/market.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <ws_source/config.hpp>
#include <ws_source/result.hpp>

namespace ws_ingest::eval {

/// A market scenario (massive-sim's presets of the same names).
enum class Scenario : std::uint8_t { Stationary, Drifting, Bursty, NewListings };

/// Every scenario, in report order (what `--scenario all` runs).
inline constexpr std::array<Scenario, 4> kAllScenarios{Scenario::Stationary, Scenario::Drifting, Scenario::Bursty,
                                                       Scenario::NewListings};

/// "stationary", "drifting", "bursty", "new-listings".
[[nodiscard]] std::string_view to_string(Scenario s) noexcept;

/// The command line. Defaults are the tool's; an empty optional keeps the library's (scheduler)
/// or the simulator's (market) default.
struct EvalOptions {
  std::uint64_t seed{1};                   ///< market seed; ours gets 0x5EED ^ seed, random seed
  std::uint64_t seeds{1};                  ///< runs seed, seed + 1, …, seed + seeds − 1
  double hours{1.0};                       ///< simulated time per scenario, warm-up included
  std::size_t slots{1000};                 ///< quote-subscription slots
  std::string scenario{"all"};             ///< "all" or one scenario's name
  std::uint64_t rebalance_interval_s{5};   ///< seconds between decisions (every policy)
  double trade_rate{250};                  ///< offered option trades per simulated second
  double warmup_min{5};                    ///< unmeasured simulated minutes at the start
  double plot_bucket_min{1};               ///< simulated minutes per chart point
  std::string plot;                        ///< SVG chart to write (first seed); empty: none
  std::optional<std::size_t> underlyings;  ///< market: number of underlyings
  std::optional<double> chain_scale;       ///< market: strikes per expiry scale
  std::optional<double> zipf;              ///< market: Zipf exponent of underlying popularity
  // Our scheduler's overrides (SchedulerConfig and the tracker's fields).
  std::optional<std::size_t> top_n;  ///< default: the library's 500 scaled to `slots` / 1000
  std::optional<double> exploration_fraction;
  std::optional<double> hysteresis;
  std::optional<double> half_life_s;  ///< also greedy's
  std::optional<std::uint64_t> exploration_hold_intervals;
  std::optional<std::uint64_t> exploration_memory_epochs;
  std::optional<std::string> exploration_weighting;  ///< "uniform", "priority" or "posterior"
  std::optional<double> volume_weight;               ///< also greedy's
  std::optional<double> put_call_pooling;            ///< ours and greedy+pool (greedy: none)
};

/// What a run derives from valid options.
struct Setup {
  std::vector<Scenario> scenarios;    ///< to run, in report order
  ws_source::SchedulerConfig config;  ///< ours, for `EvalOptions::seed`
  std::size_t intervals{0};           ///< rebalance intervals per scenario
  std::size_t warmup{0};              ///< unmeasured leading intervals (< intervals)
  std::size_t bucket{1};              ///< intervals per chart point
};

/// Checks every option and derives the setup. The error is one line naming the option, e.g.
/// "--hours must be a number > 0, got 0" (the command exits 2 with it).
[[nodiscard]] ws_source::Result<Setup, std::string> make_setup(const EvalOptions& options);

/// The market of `scenario` shaped by `options`: option trades only at `trade_rate`, and the
/// `underlyings`, `chain_scale` and `zipf` overrides.
[[nodiscard]] massive_sim::MarketConfig market_config(const EvalOptions& options, Scenario scenario);

}  // namespace ws_ingest::eval
