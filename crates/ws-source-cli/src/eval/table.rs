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
         exploration_hold_intervals {}, exploration_weighting {:?}, exploration_memory_epochs {}, \
         volume_weight {}, put_call_pooling {}; greedy: plain decayed rates (same half-life, no \
         pooling), all slots by priority, no exploration, no hysteresis; greedy+pool: greedy on our \
         pooled rates (ablation)",
        c.top_n,
        c.exploration_fraction,
        c.hysteresis,
        c.half_life_s,
        c.exploration_hold_intervals,
        c.exploration_weighting,
        c.exploration_memory_epochs,
        c.volume_weight,
        c.put_call_pooling
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
            "{:<11} {:>10} {:>9} {:>10} {:>9} {:>11} {:>8}",
            "policy", "cov count", "/oracle", "cov prem", "/oracle", "churn/rebal", "active"
        );
        for p in &s.policies {
            let _ = writeln!(
                out,
                "{:<11} {:>10} {:>9.3} {:>10} {:>9.3} {:>11.1} {:>8.0}",
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

/// Across seeds, per scenario: ours minus greedy and ours minus static by count (points: min,
/// mean, max, and in how many seeds ours was ahead), ours minus greedy by premium (mean, seeds
/// ahead), ours / oracle by count (min), and the mean churn of ours and greedy. The comparisons are paired: every policy sees the same market per
/// seed.
pub fn summary(runs: &[(u64, Vec<ScenarioResult>)]) -> String {
    let mut out = String::new();
    let seeds: Vec<String> = runs.iter().map(|(s, _)| s.to_string()).collect();
    let _ = writeln!(
        out,
        "\nsummary over seeds {} (coverage by count; differences in points, paired per seed)",
        seeds.join(", ")
    );
    let _ = writeln!(
        out,
        "{:<13} {:>26} {:>6} {:>26} {:>6} {:>17} {:>12} {:>10}",
        "scenario",
        "ours-greedy min/mean/max",
        "ahead",
        "ours-static min/mean/max",
        "ahead",
        "prem o-g (ahead)",
        "ours/oracle",
        "churn o/g"
    );
    let Some((_, first)) = runs.first() else {
        return out;
    };
    for (k, scenario) in first.iter().enumerate() {
        let mut vs_greedy = Vec::new();
        let mut vs_static = Vec::new();
        let mut prem_vs_greedy = Vec::new();
        let mut to_oracle = f64::INFINITY;
        let (mut churn_o, mut churn_g) = (0.0, 0.0);
        for (_, results) in runs {
            let Some(s) = results.get(k) else { continue };
            let (Some(o), Some(g), Some(st), Some(or)) = (
                s.get("ours"),
                s.get("greedy"),
                s.get("static"),
                s.get("oracle"),
            ) else {
                continue;
            };
            vs_greedy.push(100.0 * (o.coverage_count() - g.coverage_count()));
            vs_static.push(100.0 * (o.coverage_count() - st.coverage_count()));
            prem_vs_greedy.push(100.0 * (o.coverage_premium() - g.coverage_premium()));
            to_oracle = to_oracle.min(ratio(o.coverage_count(), or.coverage_count()));
            churn_o += o.churn();
            churn_g += g.churn();
        }
        let n = vs_greedy.len().max(1) as f64;
        let _ = writeln!(
            out,
            "{:<13} {:>26} {:>6} {:>26} {:>6} {:>17} {:>12} {:>10}",
            scenario.name,
            spread(&vs_greedy),
            ahead(&vs_greedy),
            spread(&vs_static),
            ahead(&vs_static),
            format!(
                "{:+.2} ({})",
                prem_vs_greedy.iter().sum::<f64>() / n,
                ahead(&prem_vs_greedy)
            ),
            format!("{:.1}%", 100.0 * to_oracle),
            format!("{:.1}/{:.1}", churn_o / n, churn_g / n)
        );
    }
    out
}

fn spread(d: &[f64]) -> String {
    if d.is_empty() {
        return "-".into();
    }
    let min = d.iter().copied().fold(f64::INFINITY, f64::min);
    let max = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    format!("{min:+.2} / {mean:+.2} / {max:+.2}")
}

fn ahead(d: &[f64]) -> String {
    format!("{}/{}", d.iter().filter(|x| **x > 0.0).count(), d.len())
}
