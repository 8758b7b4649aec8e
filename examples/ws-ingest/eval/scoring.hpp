// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Replaying a `Recording` to a `Policy` and measuring trade coverage and churn.
//
// The rule: the allocation decided at decision `r` covers the trades of interval `r` (from
// decision `r` to decision `r + 1`), and the policy sees those trades only after they were
// scored. So a trade counts as covered only if its contract was subscribed by the rebalance
// before it. Coverage is measured over intervals `warmup .. end`; churn over decisions
// `warmup + 1 .. end` (the switch at the end of the warm-up is a start-up cost, not churn).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include <ws_source/result.hpp>

#include "policies.hpp"
#include "record.hpp"

namespace ws_ingest::eval {

/// One point of the chart: coverage by count over one bucket of measured intervals.
struct SeriesPoint {
  double minutes{0};   ///< the bucket's end, simulated minutes since the start
  double coverage{0};  ///< covered / measured trades in the bucket (0 with no trades)
  friend bool operator==(const SeriesPoint&, const SeriesPoint&) = default;
};

/// What one policy achieved on one recording. Plain data.
struct PolicyResult {
  std::string name;
  std::uint64_t covered_trades{0};  ///< measured trades on a subscribed contract
  std::uint64_t total_trades{0};    ///< measured trades
  double covered_premium{0};        ///< their premium, dollars
  double total_premium{0};
  std::uint64_t churn_ops{0};        ///< subscribes + unsubscribes over the counted decisions
  std::uint64_t churn_decisions{0};  ///< counted decisions
  double mean_active{0};             ///< mean subscribed contracts over the measured intervals
  std::size_t max_active{0};         ///< most contracts subscribed at once, over every interval
  std::vector<SeriesPoint> series;   ///< coverage by count per chart bucket

  /// Covered share of the measured trades by count, in [0, 1] (0 with none measured).
  [[nodiscard]] double coverage_count() const noexcept;
  /// Covered share of the measured premium, in [0, 1].
  [[nodiscard]] double coverage_premium() const noexcept;
  /// Subscribes + unsubscribes per counted rebalance.
  [[nodiscard]] double churn() const noexcept;
  friend bool operator==(const PolicyResult&, const PolicyResult&) = default;
};

/// `a / b`, or 0 when `b` is not positive.
[[nodiscard]] double ratio(double a, double b) noexcept;

/// Replays `rec` to `policy` with `slots` slots; the first `warmup` intervals are not measured;
/// the series has one point per `bucket` measured intervals (and one for a last partial bucket).
/// Contract indices out of range and repeats in a decision are ignored. An error, naming the
/// policy and the interval, if a policy subscribes more than `slots` contracts at once.
[[nodiscard]] ws_source::Result<PolicyResult, std::string> evaluate(Policy& policy, const Recording& rec,
                                                                    std::size_t slots, std::size_t warmup,
                                                                    std::size_t bucket);

}  // namespace ws_ingest::eval
