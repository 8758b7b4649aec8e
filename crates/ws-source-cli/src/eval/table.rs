//! The printed report: a header with the run's parameters, one table per scenario, and a verdict
//! line against the issue's target (ours at least 95 % of the oracle, better than greedy and
//! static).

use std::fmt::Write as _;

use super::{EvalArgs, ScenarioResult, Setup};

/// Share of the oracle's coverage (by count) our scheduler must reach.
pub const TARGET: f64 = 0.95;

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// The whole report, deterministic for given arguments (no timings in it).
pub fn render(args: &EvalArgs, setup: &Setup, results: &[ScenarioResult]) -> String {
    let c = &setup.config;
    let mut out = String::new();
    let interval_s = args.rebalance_interval_s as f64;
    let _ = writeln!(
        out,
        "eval-scheduler: seed {}, {} h simulated per scenario ({} rebalances every {} s, the first \
         {} = {:.1} min are warm-up), {} slots, {} option trades/s",
        args.seed,
        args.hours,
        setup.intervals,
        args.rebalance_interval_s,
        setup.warmup,
        setup.warmup as f64 * interval_s / 60.0,
        args.slots,
        args.trade_rate
    );
    let _ = writeln!(
        out,
        "ours: top_n {}, exploration_fraction {}, hysteresis {}, half_life_s {}, \
         exploration_hold_intervals {}, exploration_weighting {:?}, volume_weight {}; greedy: same tracker, all slots by \
         priority, no exploration, no hysteresis",
        c.top_n,
        c.exploration_fraction,
        c.hysteresis,
        c.half_life_s,
        c.exploration_hold_intervals,
        c.exploration_weighting,
        c.volume_weight
    );
    for s in results {
        let oracle = s.get("oracle");
        let (o_count, o_prem) =
            oracle.map_or((0.0, 0.0), |o| (o.coverage_count(), o.coverage_premium()));
        let first = s.policies.first();
        let _ = writeln!(
            out,
            "\nscenario {}: {} contracts listed, {} trades measured, ${:.0} premium measured",
            s.name,
            s.contracts,
            first.map_or(0, |p| p.total_trades),
            first.map_or(0.0, |p| p.total_premium)
        );
        let _ = writeln!(
            out,
            "{:<8} {:>10} {:>9} {:>10} {:>9} {:>11} {:>8}",
            "policy", "cov count", "/oracle", "cov prem", "/oracle", "churn/rebal", "active"
        );
        for p in &s.policies {
            let _ = writeln!(
                out,
                "{:<8} {:>10} {:>9.3} {:>10} {:>9.3} {:>11.1} {:>8.0}",
                p.name,
                pct(p.coverage_count()),
                ratio(p.coverage_count(), o_count),
                pct(p.coverage_premium()),
                ratio(p.coverage_premium(), o_prem),
                p.churn(),
                p.mean_active
            );
        }
        if let (Some(ours), Some(greedy), Some(stat)) =
            (s.get("ours"), s.get("greedy"), s.get("static"))
        {
            let r = ratio(ours.coverage_count(), o_count);
            let _ = writeln!(
                out,
                "verdict: ours reaches {:.1}% of the oracle by count (target {:.0}%: {}), by \
                 premium {:.1}%; beats greedy: {}; beats static: {}",
                100.0 * r,
                100.0 * TARGET,
                if r >= TARGET { "met" } else { "NOT met" },
                100.0 * ratio(ours.coverage_premium(), o_prem),
                yes(ours.coverage_count() > greedy.coverage_count()),
                yes(ours.coverage_count() > stat.coverage_count()),
            );
        }
    }
    out
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
