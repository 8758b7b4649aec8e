//! Replaying a [`Recording`] to a [`Policy`] and measuring trade coverage and churn.
//!
//! The measurement rule: the allocation decided at decision `r` applies to the trades of interval
//! `r` (between decision `r` and decision `r + 1`), and the policy sees those trades only after
//! they were scored. Coverage and churn are measured after the warm-up: coverage over intervals
//! `warmup..end`, churn over the decisions `warmup + 1..end` (the change at the end of the warm-up
//! is a start-up cost, not churn).

use super::policies::{Decision, Policy};
use super::record::Recording;

/// What one policy achieved on one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyResult {
    /// Policy name.
    pub name: &'static str,
    /// Measured trades on a subscribed contract.
    pub covered_trades: u64,
    /// Measured trades.
    pub total_trades: u64,
    /// Premium (price × size × 100, dollars) of the measured trades on a subscribed contract.
    pub covered_premium: f64,
    /// Premium of the measured trades.
    pub total_premium: f64,
    /// Subscribe + unsubscribe operations over the counted decisions.
    pub churn_ops: u64,
    /// Counted decisions.
    pub churn_decisions: u64,
    /// Mean number of subscribed contracts over the measured intervals.
    pub mean_active: f64,
    /// Coverage by count per plot bucket: `(bucket end, minutes since start; coverage)`.
    pub series: Vec<(f64, f64)>,
}

impl PolicyResult {
    /// Share of the measured trades (by count) that were covered, in `[0, 1]`.
    pub fn coverage_count(&self) -> f64 {
        ratio(self.covered_trades as f64, self.total_trades as f64)
    }

    /// Share of the measured premium that was covered, in `[0, 1]`.
    pub fn coverage_premium(&self) -> f64 {
        ratio(self.covered_premium, self.total_premium)
    }

    /// Subscribe + unsubscribe operations per counted rebalance.
    pub fn churn(&self) -> f64 {
        ratio(self.churn_ops as f64, self.churn_decisions as f64)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Replays `rec` to `policy` with `slots` slots; the first `warmup` intervals are not measured;
/// coverage is also reported per bucket of `bucket` intervals for the plot.
pub fn evaluate(
    policy: &mut dyn Policy,
    rec: &Recording,
    slots: usize,
    warmup: usize,
    bucket: usize,
) -> anyhow::Result<PolicyResult> {
    let n = rec.symbols.len();
    let mut on = vec![false; n];
    let mut next = vec![false; n];
    let mut active: Vec<u32> = Vec::new();
    let mut res = PolicyResult {
        name: policy.name(),
        covered_trades: 0,
        total_trades: 0,
        covered_premium: 0.0,
        total_premium: 0.0,
        churn_ops: 0,
        churn_decisions: 0,
        mean_active: 0.0,
        series: Vec::new(),
    };
    let bucket = bucket.max(1);
    let (mut b_cov, mut b_tot) = (0u64, 0u64);
    let mut active_sum = 0.0;
    for r in 0..rec.intervals() {
        let d = Decision {
            r,
            now_ns: rec.decision_ns(r),
            slots,
            rec,
            warmup_intervals: warmup,
        };
        let mut chosen = policy.decide(&d)?;
        chosen.retain(|&c| (c as usize) < n);
        chosen.sort_unstable();
        chosen.dedup();
        anyhow::ensure!(
            chosen.len() <= slots,
            "policy {} chose {} contracts for {slots} slots at interval {r}",
            res.name,
            chosen.len()
        );
        for &c in &chosen {
            next[c as usize] = true;
        }
        let subscribed = chosen.iter().filter(|&&c| !on[c as usize]).count();
        let unsubscribed = active.iter().filter(|&&c| !next[c as usize]).count();
        for &c in &active {
            on[c as usize] = false;
        }
        for &c in &chosen {
            next[c as usize] = false;
            on[c as usize] = true;
        }
        active = chosen;
        let measured = r >= warmup;
        if measured && r > warmup {
            res.churn_ops += (subscribed + unsubscribed) as u64;
            res.churn_decisions += 1;
        }
        let trades = rec.trades_of(r);
        if measured {
            active_sum += active.len() as f64;
            for t in trades {
                let hit = on.get(t.contract as usize).copied().unwrap_or(false);
                res.total_trades += 1;
                res.total_premium += t.premium;
                b_tot += 1;
                if hit {
                    res.covered_trades += 1;
                    res.covered_premium += t.premium;
                    b_cov += 1;
                }
            }
            if (r + 1 - warmup) % bucket == 0 || r + 1 == rec.intervals() {
                let minutes = (rec.decision_ns(r + 1) - rec.start_ns) as f64 / 60e9;
                res.series
                    .push((minutes, ratio(b_cov as f64, b_tot as f64)));
                (b_cov, b_tot) = (0, 0);
            }
        }
        for t in trades {
            policy.observe(rec, t);
        }
    }
    let measured = rec.intervals().saturating_sub(warmup);
    res.mean_active = ratio(active_sum, measured as f64);
    Ok(res)
}
