// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <utility>
#include <vector>

namespace ws_ingest::eval {

namespace {

std::string pct(double x) { return fmt::format("{:.2f}%", 100.0 * x); }

const char* met(bool ok) { return ok ? "met" : "NOT met"; }

const char* yes(bool ok) { return ok ? "yes" : "no"; }

std::string run_name(const ScenarioResult& s, std::uint64_t seed) {
  return fmt::format("{}, seed {}", to_string(s.scenario), seed);
}

// min / mean / max of `d` in points, signed.
std::string spread(const std::vector<double>& d) {
  if (d.empty()) return "-";
  const auto [lo, hi] = std::minmax_element(d.begin(), d.end());
  double sum = 0;
  for (const double x : d) sum += x;
  return fmt::format("{:+.2f} / {:+.2f} / {:+.2f}", *lo, sum / static_cast<double>(d.size()), *hi);
}

std::string ahead(const std::vector<double>& d) {
  return fmt::format("{}/{}", std::count_if(d.begin(), d.end(), [](double x) { return x > 0; }), d.size());
}

double mean(const std::vector<double>& d) {
  double sum = 0;
  for (const double x : d) sum += x;
  return d.empty() ? 0.0 : sum / static_cast<double>(d.size());
}

struct Rows {
  const PolicyResult* oracle;
  const PolicyResult* ours;
  const PolicyResult* greedy;
  const PolicyResult* stat;
  [[nodiscard]] bool complete() const noexcept {
    return oracle != nullptr && ours != nullptr && greedy != nullptr && stat != nullptr;
  }
};

Rows rows_of(const ScenarioResult& s) { return {s.find("oracle"), s.find("ours"), s.find("greedy"), s.find("static")}; }

}  // namespace

TargetVerdict check_targets(std::span<const SeedRun> runs) {
  TargetVerdict v;
  v.smallest_greedy_lead = std::numeric_limits<double>::infinity();
  v.smallest_static_lead = std::numeric_limits<double>::infinity();
  std::map<Scenario, std::pair<double, double>> churn_sums;  // ours', greedy's churn summed over seeds
  for (const SeedRun& run : runs) {
    for (const ScenarioResult& s : run.scenarios) {
      const Rows r = rows_of(s);
      if (!r.complete()) continue;
      ++v.runs;
      const double share = ratio(r.ours->coverage_count(), r.oracle->coverage_count());
      if (v.runs == 1 || share < v.worst_oracle_share) {
        v.worst_oracle_share = share;
        v.worst_oracle_run = run_name(s, run.seed);
      }
      v.oracle_share_met = v.oracle_share_met && share >= kTargetOracleShare;
      const double vs_greedy = 100.0 * (r.ours->coverage_count() - r.greedy->coverage_count());
      v.ahead_of_greedy += vs_greedy > 0 ? 1 : 0;
      if (vs_greedy < v.smallest_greedy_lead) {
        v.smallest_greedy_lead = vs_greedy;
        v.smallest_greedy_run = run_name(s, run.seed);
      }
      const double vs_static = 100.0 * (r.ours->coverage_count() - r.stat->coverage_count());
      v.ahead_of_static += vs_static > 0 ? 1 : 0;
      if (vs_static < v.smallest_static_lead) {
        v.smallest_static_lead = vs_static;
        v.smallest_static_run = run_name(s, run.seed);
      }
      // With no churn at all for greedy, any churn of ours is infinitely more.
      const double churn_share = r.greedy->churn() > 0 ? r.ours->churn() / r.greedy->churn()
                                 : r.ours->churn() > 0 ? std::numeric_limits<double>::infinity()
                                                       : 0.0;
      if (v.runs == 1 || churn_share > v.worst_churn_share) {
        v.worst_churn_share = churn_share;
        v.worst_churn_run = run_name(s, run.seed);
      }
      v.churn_met = v.churn_met && churn_share <= kTargetChurnShare;
      v.churn_within += churn_share <= kTargetChurnShare ? 1 : 0;
      auto& [ours, greedy] = churn_sums[s.scenario];
      ours += r.ours->churn();
      greedy += r.greedy->churn();
    }
  }
  for (const auto& [scenario, sums] : churn_sums) {
    const double share = sums.second > 0  ? sums.first / sums.second
                         : sums.first > 0 ? std::numeric_limits<double>::infinity()
                                          : 0.0;
    if (v.worst_mean_churn_scenario.empty() || share > v.worst_mean_churn_share) {
      v.worst_mean_churn_share = share;
      v.worst_mean_churn_scenario = std::string(to_string(scenario));
    }
    v.mean_churn_met = v.mean_churn_met && share <= kTargetChurnShare;
  }
  if (v.runs == 0) {
    v.oracle_share_met = false;
    v.churn_met = false;
    v.mean_churn_met = false;
    v.smallest_greedy_lead = 0;
    v.smallest_static_lead = 0;
  }
  return v;
}

std::string render_seed(const EvalOptions& options, const Setup& setup, std::span<const ScenarioResult> results) {
  const ws_source::SchedulerConfig& c = setup.config;
  const auto interval_s = static_cast<double>(options.rebalance_interval_s);
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "eval-scheduler: seed {}, {} h simulated per scenario ({} rebalances every {} s, the first {} = "
                 "{:.1f} min are warm-up), {} slots, {} option trades/s\n",
                 options.seed, options.hours, setup.intervals, options.rebalance_interval_s, setup.warmup,
                 static_cast<double>(setup.warmup) * interval_s / 60.0, options.slots, options.trade_rate);
  fmt::format_to(it,
                 "ours: top_n {}, exploration_fraction {}, hysteresis {}, half_life_s {}, exploration_hold_intervals "
                 "{}, exploration_weighting {}, exploration_memory_epochs {}, volume_weight {}, put_call_pooling {}, "
                 "seed {:#x}; greedy: plain decayed rates (same half-life, no pooling), all slots by priority, no "
                 "exploration, no hysteresis; greedy+pool: greedy on our pooled rates (ablation)\n",
                 c.top_n, c.exploration_fraction, c.hysteresis, c.half_life_s, c.exploration_hold_intervals,
                 ws_source::to_string(c.exploration_weighting), c.exploration_memory_epochs, c.volume_weight,
                 c.put_call_pooling, c.seed);
  for (const ScenarioResult& s : results) {
    const PolicyResult* oracle = s.find("oracle");
    const double o_count = oracle != nullptr ? oracle->coverage_count() : 0.0;
    const double o_prem = oracle != nullptr ? oracle->coverage_premium() : 0.0;
    const PolicyResult* first = s.policies.empty() ? nullptr : &s.policies.front();
    fmt::format_to(it, "\nscenario {}: {} contracts listed, {} trades measured, ${:.0f} premium measured\n",
                   to_string(s.scenario), s.contracts, first != nullptr ? first->total_trades : 0,
                   first != nullptr ? first->total_premium : 0.0);
    fmt::format_to(it, "{:<11} {:>10} {:>9} {:>10} {:>9} {:>11} {:>8}\n", "policy", "cov count", "/oracle", "cov prem",
                   "/oracle", "churn/rebal", "active");
    for (const PolicyResult& p : s.policies) {
      fmt::format_to(it, "{:<11} {:>10} {:>9.3f} {:>10} {:>9.3f} {:>11.1f} {:>8.0f}\n", p.name, pct(p.coverage_count()),
                     ratio(p.coverage_count(), o_count), pct(p.coverage_premium()), ratio(p.coverage_premium(), o_prem),
                     p.churn(), p.mean_active);
    }
    const Rows r = rows_of(s);
    if (!r.complete()) continue;
    const double share = ratio(r.ours->coverage_count(), o_count);
    const double churn_share = ratio(r.ours->churn(), r.greedy->churn());
    fmt::format_to(it,
                   "verdict: ours reaches {:.2f}% of the oracle by count (target {:.0f}%: {}), {:.2f}% by premium; "
                   "ahead of greedy by count: {} ({:+.2f} points); ahead of static: {} ({:+.2f} points); churn {:.1f} "
                   "= {:.2f}% of greedy's {:.1f} (target <= {:.0f}%: {})\n",
                   100.0 * share, 100.0 * kTargetOracleShare, met(share >= kTargetOracleShare),
                   100.0 * ratio(r.ours->coverage_premium(), o_prem),
                   yes(r.ours->coverage_count() > r.greedy->coverage_count()),
                   100.0 * (r.ours->coverage_count() - r.greedy->coverage_count()),
                   yes(r.ours->coverage_count() > r.stat->coverage_count()),
                   100.0 * (r.ours->coverage_count() - r.stat->coverage_count()), r.ours->churn(), 100.0 * churn_share,
                   r.greedy->churn(), 100.0 * kTargetChurnShare,
                   met(r.greedy->churn() > 0 ? churn_share <= kTargetChurnShare : r.ours->churn() == 0));
  }
  return out;
}

std::string render_summary(std::span<const SeedRun> runs) {
  std::string out;
  auto it = std::back_inserter(out);
  std::string seeds;
  for (const SeedRun& r : runs) seeds += (seeds.empty() ? "" : ", ") + std::to_string(r.seed);
  fmt::format_to(it, "\nsummary over seeds {} (coverage by count; differences in points, paired per seed)\n", seeds);
  fmt::format_to(it, "{:<13} {:>26} {:>6} {:>26} {:>6} {:>17} {:>12} {:>17}\n", "scenario", "ours-greedy min/mean/max",
                 "ahead", "ours-static min/mean/max", "ahead", "prem o-g (ahead)", "worst o/orc", "churn o/g (ratio)");
  if (runs.empty()) return out;
  for (std::size_t k = 0; k < runs.front().scenarios.size(); ++k) {
    std::vector<double> vs_greedy;
    std::vector<double> vs_static;
    std::vector<double> prem_vs_greedy;
    std::vector<double> churn_ours;
    std::vector<double> churn_greedy;
    double worst = std::numeric_limits<double>::infinity();
    for (const SeedRun& run : runs) {
      if (k >= run.scenarios.size()) continue;
      const Rows r = rows_of(run.scenarios[k]);
      if (!r.complete()) continue;
      vs_greedy.push_back(100.0 * (r.ours->coverage_count() - r.greedy->coverage_count()));
      vs_static.push_back(100.0 * (r.ours->coverage_count() - r.stat->coverage_count()));
      prem_vs_greedy.push_back(100.0 * (r.ours->coverage_premium() - r.greedy->coverage_premium()));
      worst = std::min(worst, ratio(r.ours->coverage_count(), r.oracle->coverage_count()));
      churn_ours.push_back(r.ours->churn());
      churn_greedy.push_back(r.greedy->churn());
    }
    if (vs_greedy.empty()) continue;
    const double co = mean(churn_ours);
    const double cg = mean(churn_greedy);
    fmt::format_to(it, "{:<13} {:>26} {:>6} {:>26} {:>6} {:>17} {:>12} {:>17}\n",
                   to_string(runs.front().scenarios[k].scenario), spread(vs_greedy), ahead(vs_greedy),
                   spread(vs_static), ahead(vs_static),
                   fmt::format("{:+.2f} ({})", mean(prem_vs_greedy), ahead(prem_vs_greedy)), pct(worst),
                   fmt::format("{:.1f}/{:.1f} ({:.1f}%)", co, cg, 100.0 * ratio(co, cg)));
  }
  return out;
}

std::string render_targets(std::span<const SeedRun> runs) {
  const TargetVerdict v = check_targets(runs);
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "\ntargets (issue 13) over {} runs (scenario x seed):\n", v.runs);
  fmt::format_to(it, "  ours >= {:.0f}% of the oracle by count in every scenario and seed: {} (worst {}: {})\n",
                 100.0 * kTargetOracleShare, met(v.oracle_share_met), pct(v.worst_oracle_share), v.worst_oracle_run);
  fmt::format_to(it,
                 "  ours ahead of greedy by count in every scenario and seed: {} ({}/{} ahead; smallest lead {:+.2f} "
                 "points: {})\n",
                 met(v.greedy_met()), v.ahead_of_greedy, v.runs, v.smallest_greedy_lead, v.smallest_greedy_run);
  fmt::format_to(it,
                 "  ours ahead of static by count in every scenario and seed: {} ({}/{} ahead; smallest lead {:+.2f} "
                 "points: {})\n",
                 met(v.static_met()), v.ahead_of_static, v.runs, v.smallest_static_lead, v.smallest_static_run);
  fmt::format_to(
      it, "  ours' churn <= {:.0f}% of greedy's in every scenario and seed: {} ({}/{} within; worst {:.2f}%: {})\n",
      100.0 * kTargetChurnShare, met(v.churn_met), v.churn_within, v.runs, 100.0 * v.worst_churn_share,
      v.worst_churn_run);
  fmt::format_to(
      it, "  ours' churn <= {:.0f}% of greedy's in every scenario, mean over the seeds: {} (worst {:.2f}%: {})\n",
      100.0 * kTargetChurnShare, met(v.mean_churn_met), 100.0 * v.worst_mean_churn_share, v.worst_mean_churn_scenario);
  return out;
}

}  // namespace ws_ingest::eval
