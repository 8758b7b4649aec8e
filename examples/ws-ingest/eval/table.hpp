// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The printed report: a header with the run's parameters, one table per scenario with a verdict
// line, the paired summary across seeds, and the verdict on issue 13's targets. Deterministic
// text (no timings in it).

#include <cstddef>
#include <span>
#include <string>

#include "options.hpp"
#include "scenario_run.hpp"

namespace ws_ingest::eval {

/// Issue 13's targets: ours reaches this share of the oracle's coverage by count...
inline constexpr double kTargetOracleShare = 0.98;
/// ...with at most this share of greedy's churn.
inline constexpr double kTargetChurnShare = 0.40;

/// The verdict on the targets over every (scenario, seed) run; each holds only if it holds in
/// every run. `worst_*` name the run closest to failing (or the first failing one's worst).
struct TargetVerdict {
  std::size_t runs{0};          ///< (scenario, seed) pairs seen
  bool oracle_share_met{true};  ///< ours / oracle by count >= kTargetOracleShare everywhere
  double worst_oracle_share{1};
  std::string worst_oracle_run;  ///< "drifting, seed 3"
  std::size_t ahead_of_greedy{0};
  double smallest_greedy_lead{0};  ///< points (ours − greedy by count × 100), the smallest
  std::string smallest_greedy_run;
  std::size_t ahead_of_static{0};
  double smallest_static_lead{0};
  std::string smallest_static_run;
  bool churn_met{true};  ///< ours' churn <= kTargetChurnShare × greedy's in every run
  double worst_churn_share{0};
  std::string worst_churn_run;
  std::size_t churn_within{0};  ///< runs where it holds
  /// The same on each scenario's churn averaged over the seeds (ours' mean / greedy's mean).
  bool mean_churn_met{true};
  double worst_mean_churn_share{0};
  std::string worst_mean_churn_scenario;

  [[nodiscard]] bool greedy_met() const noexcept { return runs > 0 && ahead_of_greedy == runs; }
  [[nodiscard]] bool static_met() const noexcept { return runs > 0 && ahead_of_static == runs; }
};

/// Checks the targets over `runs` (rows named "oracle", "ours", "greedy", "static").
[[nodiscard]] TargetVerdict check_targets(std::span<const SeedRun> runs);

/// One seed's report: the header (seed, simulated time, rebalances, slots, our configuration),
/// then per scenario its size, the table (policy, cov count, /oracle, cov prem, /oracle,
/// churn/rebal, active) and a verdict line.
[[nodiscard]] std::string render_seed(const EvalOptions& options, const Setup& setup,
                                      std::span<const ScenarioResult> results);

/// Across seeds, per scenario, paired per seed: ours − greedy and ours − static by count
/// (points: min / mean / max, seeds ahead), ours − greedy by premium (mean, seeds ahead), the
/// worst ours / oracle, and the mean churn of ours and greedy with their ratio.
[[nodiscard]] std::string render_summary(std::span<const SeedRun> runs);

/// The lines of `check_targets(runs)`: "targets (issue 13) over N runs", then one line per
/// target ("met" / "NOT met" and the run closest to failing).
[[nodiscard]] std::string render_targets(std::span<const SeedRun> runs);

}  // namespace ws_ingest::eval
