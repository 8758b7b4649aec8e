// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "scoring.hpp"

#include <algorithm>

namespace ws_ingest::eval {

double ratio(double a, double b) noexcept { return b > 0 ? a / b : 0.0; }

double PolicyResult::coverage_count() const noexcept {
  return ratio(static_cast<double>(covered_trades), static_cast<double>(total_trades));
}

double PolicyResult::coverage_premium() const noexcept { return ratio(covered_premium, total_premium); }

double PolicyResult::churn() const noexcept {
  return ratio(static_cast<double>(churn_ops), static_cast<double>(churn_decisions));
}

ws_source::Result<PolicyResult, std::string> evaluate(Policy& policy, const Recording& rec, std::size_t slots,
                                                      std::size_t warmup, std::size_t bucket) {
  const std::size_t n = rec.symbols.size();
  bucket = std::max<std::size_t>(bucket, 1);
  PolicyResult res;
  res.name = std::string(policy.name());
  std::vector<bool> on(n, false);  // subscribed for the current interval
  std::vector<ContractIndex> active;
  std::uint64_t bucket_covered = 0;
  std::uint64_t bucket_total = 0;
  double active_sum = 0;
  for (std::size_t r = 0; r < rec.intervals(); ++r) {
    const Decision d{r, rec.decision_ns(r), slots, warmup};
    std::vector<ContractIndex> chosen = policy.decide(rec, d);
    std::erase_if(chosen, [n](ContractIndex c) { return c >= n; });
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    if (chosen.size() > slots) {
      return ws_source::fail("policy " + res.name + " subscribed " + std::to_string(chosen.size()) + " contracts for " +
                             std::to_string(slots) + " slots at interval " + std::to_string(r));
    }
    res.max_active = std::max(res.max_active, chosen.size());
    // The diff against the previous interval's set (both sorted).
    std::size_t kept = 0;
    for (const ContractIndex c : chosen) kept += on[c] ? 1 : 0;
    const std::size_t subscribed = chosen.size() - kept;
    const std::size_t unsubscribed = active.size() - kept;
    for (const ContractIndex c : active) on[c] = false;
    for (const ContractIndex c : chosen) on[c] = true;
    active = std::move(chosen);

    const auto trades = rec.trades_of(r);
    if (r >= warmup) {
      if (r > warmup) {
        res.churn_ops += subscribed + unsubscribed;
        ++res.churn_decisions;
      }
      active_sum += static_cast<double>(active.size());
      for (const Trade& t : trades) {
        const bool hit = t.contract < n && on[t.contract];
        ++res.total_trades;
        res.total_premium += t.premium;
        ++bucket_total;
        if (hit) {
          ++res.covered_trades;
          res.covered_premium += t.premium;
          ++bucket_covered;
        }
      }
      if ((r + 1 - warmup) % bucket == 0 || r + 1 == rec.intervals()) {
        const double minutes = static_cast<double>(rec.decision_ns(r + 1) - rec.start_ns) / 60e9;
        res.series.push_back({minutes, ratio(static_cast<double>(bucket_covered), static_cast<double>(bucket_total))});
        bucket_covered = 0;
        bucket_total = 0;
      }
    }
    policy.observe(rec, trades);  // only now: the decision that covered them is scored
  }
  const std::size_t measured = rec.intervals() > warmup ? rec.intervals() - warmup : 0;
  res.mean_active = ratio(active_sum, static_cast<double>(measured));
  return res;
}

}  // namespace ws_ingest::eval
