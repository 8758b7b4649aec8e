// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Running the evaluation: each scenario's market is recorded once and replayed to every policy;
// the scenarios of one seed run in parallel threads (the results do not depend on it).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <ws_source/result.hpp>

#include "options.hpp"
#include "scoring.hpp"

namespace ws_ingest::eval {

/// One scenario's outcome for one seed.
struct ScenarioResult {
  Scenario scenario{Scenario::Stationary};
  std::size_t contracts{0};            ///< contracts listed by the end
  std::vector<PolicyResult> policies;  ///< oracle, ours, greedy, greedy+pool, static, random

  /// The row of policy `name`; nullptr if absent.
  [[nodiscard]] const PolicyResult* find(std::string_view name) const noexcept;
  friend bool operator==(const ScenarioResult&, const ScenarioResult&) = default;
};

/// Every scenario of one seed.
struct SeedRun {
  std::uint64_t seed{0};
  std::vector<ScenarioResult> scenarios;
  friend bool operator==(const SeedRun&, const SeedRun&) = default;
};

/// Records `scenario` for `options.seed` and replays it to the six policies. Deterministic.
/// Errors: a policy over capacity (see `evaluate`).
[[nodiscard]] ws_source::Result<ScenarioResult, std::string> run_scenario(const EvalOptions& options,
                                                                          const Setup& setup, Scenario scenario);

/// `run_scenario` for each of `setup.scenarios`, one thread each, results in that order. The
/// first error (or a failed allocation in a thread) is returned instead.
[[nodiscard]] ws_source::Result<std::vector<ScenarioResult>, std::string> run_scenarios(const EvalOptions& options,
                                                                                        const Setup& setup);

}  // namespace ws_ingest::eval
