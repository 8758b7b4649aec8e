// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Recording a scenario once, in virtual time: the option trades of every rebalance interval and
// the oracle's top-K at every decision time, so that every policy is replayed on exactly the
// same market (massive-sim's deterministic `Market`, no sockets).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <massive_sim/market.hpp>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>
#include <ws_source/symbol.hpp>

namespace ws_ingest::eval {

/// Index of an option contract in `Recording::symbols` (the market's listing order).
using ContractIndex = std::uint32_t;

/// One option trade, as the policies and the scoring need it. Plain data.
struct Trade {
  ContractIndex contract{0};  ///< index into `Recording::symbols`
  std::int64_t ts_ns{0};      ///< SIP timestamp, Unix ns
  std::uint32_t size{0};      ///< contracts
  double premium{0};          ///< dollars: price × size × 100
  friend bool operator==(const Trade&, const Trade&) = default;
};

/// What a scenario produced. Interval `r` starts at decision time `decision_ns(r)`; the
/// allocation decided then covers the trades of interval `r`, which no policy has seen when it
/// decides. A plain value: build one with `record`, or by hand in a test.
struct Recording {
  std::int64_t start_ns{0};     ///< the first decision time, Unix ns
  std::int64_t interval_ns{0};  ///< rebalance interval, ns
  /// Every contract listed by the end of the run (intraday listings included), by index.
  std::vector<ws_source::Symbol> symbols;
  /// Symbol -> index into `symbols`.
  std::unordered_map<ws_source::Symbol, ContractIndex> index;
  /// Trades of every interval, in time order.
  std::vector<Trade> trades;
  /// `trades[bounds[r] .. bounds[r + 1])` are interval `r`'s (size `intervals() + 1`).
  std::vector<std::size_t> bounds;
  /// Contracts listed at each decision time (they are contracts `0 .. listed[r]`).
  std::vector<ContractIndex> listed;
  /// The oracle's choice at each decision: the `slots` contracts of highest true trade intensity
  /// at that moment (ties by index), sorted by index.
  std::vector<std::vector<ContractIndex>> oracle;

  /// Number of rebalance intervals.
  [[nodiscard]] std::size_t intervals() const noexcept { return oracle.size(); }
  /// The trades of interval `r` (empty for `r` out of range).
  [[nodiscard]] std::span<const Trade> trades_of(std::size_t r) const noexcept;
  /// Decision time of interval `r`, Unix ns (also the end of interval `r − 1`).
  [[nodiscard]] std::int64_t decision_ns(std::size_t r) const noexcept;
  /// Fills `index` from `symbols`.
  void build_index();
};

/// The `k` best `(index, rate)` pairs by rate, ties by the smaller index; returned sorted by
/// index. Reorders `candidates`.
[[nodiscard]] std::vector<ContractIndex> top_k_by_rate(std::vector<std::pair<ContractIndex, double>> candidates,
                                                       std::size_t k);

/// Runs a market of `config` with `seed` for `intervals` rebalance intervals of `interval`,
/// generating option trades only, and records them with the oracle's top-`slots` (by the
/// simulator's true current trade intensity) at every decision time. Deterministic.
[[nodiscard]] Recording record(const massive_sim::MarketConfig& config, std::uint64_t seed,
                               std::chrono::nanoseconds interval, std::size_t intervals, std::size_t slots);

}  // namespace ws_ingest::eval
