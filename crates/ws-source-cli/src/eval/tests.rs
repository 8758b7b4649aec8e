//! A short evaluation on a tiny market: determinism, sane ranges, and the robust orderings.

use super::*;

/// 12 simulated minutes (2 of warm-up) on a small universe with 30 slots: fast in debug builds.
fn tiny(scenario: ScenarioArg) -> EvalArgs {
    EvalArgs {
        seed: 7,
        hours: 0.2,
        slots: 30,
        scenario,
        trade_rate: 200.0,
        warmup_min: 2.0,
        underlyings: Some(40),
        chain_scale: Some(0.25),
        ..EvalArgs::default()
    }
}

fn report(args: &EvalArgs) -> (Vec<ScenarioResult>, String) {
    let setup = args.setup().unwrap();
    let results = evaluate_all(args, &setup).unwrap();
    let text = table::render(args, &setup, &results);
    (results, text)
}

#[test]
fn same_seed_same_table_and_sane_values() {
    let args = tiny(ScenarioArg::All);
    let (results, text) = report(&args);
    let (_, again) = report(&args);
    assert_eq!(text, again, "same seed must print the same table");
    assert_eq!(results.len(), 4);
    for s in &results {
        let names: Vec<&str> = s.policies.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "oracle",
                "ours",
                "greedy",
                "greedy+pool",
                "static",
                "random"
            ]
        );
        let total = s.policies[0].total_trades;
        assert!(total > 1_000, "{}: {total} trades", s.name);
        for p in &s.policies {
            assert_eq!(p.total_trades, total, "every policy sees the same trades");
            for v in [p.coverage_count(), p.coverage_premium()] {
                assert!((0.0..=1.0).contains(&v), "{} {}: {v}", s.name, p.name);
            }
            assert!(p.mean_active <= args.slots as f64);
            assert!(!p.series.is_empty());
        }
        let get = |n: &str| s.get(n).unwrap();
        assert_eq!(get("static").churn(), 0.0, "{}", s.name);
        for p in &s.policies {
            assert!(p.churn().is_finite() && p.churn() <= 2.0 * args.slots as f64);
        }
        assert!(get("random").churn() > 0.0);
        // Robust orderings: the oracle beats uniform random by far, and so does ours.
        assert!(get("oracle").coverage_count() > 2.0 * get("random").coverage_count());
        assert!(get("ours").coverage_count() > 2.0 * get("random").coverage_count());
    }
    assert!(text.contains("scenario drifting"));
    assert!(text.contains("verdict"));
}

#[test]
fn a_different_seed_gives_a_different_market() {
    let a = report(&tiny(ScenarioArg::Stationary)).1;
    let b = report(&EvalArgs {
        seed: 8,
        ..tiny(ScenarioArg::Stationary)
    })
    .1;
    assert_ne!(a, b);
}

#[test]
fn ours_beats_static_and_keeps_up_with_greedy_under_drift() {
    let args = EvalArgs {
        hours: 0.5,
        ..tiny(ScenarioArg::Drifting)
    };
    let (results, text) = report(&args);
    let s = &results[0];
    let cov = |n: &str| s.get(n).unwrap().coverage_count();
    assert!(cov("ours") > cov("static"), "{text}");
    assert!(cov("ours") >= cov("greedy") - 0.02, "{text}");
    assert!(cov("oracle") >= cov("static"), "{text}");
}

#[test]
fn rejects_bad_arguments() {
    let bad = [
        EvalArgs {
            hours: 0.0,
            ..EvalArgs::default()
        },
        EvalArgs {
            slots: 0,
            ..EvalArgs::default()
        },
        EvalArgs {
            hours: 0.05,
            ..EvalArgs::default()
        },
        EvalArgs {
            exploration_fraction: Some(1.5),
            ..EvalArgs::default()
        },
        EvalArgs {
            trade_rate: f64::NAN,
            ..EvalArgs::default()
        },
        EvalArgs {
            seeds: 0,
            ..EvalArgs::default()
        },
        EvalArgs {
            put_call_pooling: Some(2.0),
            ..EvalArgs::default()
        },
    ];
    for args in bad {
        assert!(args.setup().is_err(), "{args:?}");
    }
}

#[test]
fn seed_summary_pairs_ours_with_greedy_per_scenario() {
    let runs: Vec<(u64, Vec<ScenarioResult>)> = [7, 8]
        .into_iter()
        .map(|seed| {
            let args = EvalArgs {
                seed,
                hours: 0.1,
                ..tiny(ScenarioArg::Stationary)
            };
            (seed, report(&args).0)
        })
        .collect();
    let text = table::summary(&runs);
    assert!(text.contains("summary over seeds 7, 8"), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("stationary"))
        .unwrap_or_else(|| panic!("no stationary row in {text}"));
    // Two paired comparisons per column: "k/2" ahead (count vs greedy, vs static, premium).
    assert_eq!(row.matches("/2").count(), 3, "{row}");
    let d: Vec<f64> = runs
        .iter()
        .map(|(_, r)| {
            100.0
                * (r[0].get("ours").unwrap().coverage_count()
                    - r[0].get("greedy").unwrap().coverage_count())
        })
        .collect();
    let mean = (d[0] + d[1]) / 2.0;
    assert!(row.contains(&format!("{mean:+.2}")), "{row} vs {d:?}");
}

#[test]
fn default_top_n_scales_with_the_slots() {
    let s = EvalArgs::default().setup().unwrap();
    assert_eq!(s.config.top_n, SchedulerConfig::default().top_n);
    let s = EvalArgs {
        slots: 30,
        ..EvalArgs::default()
    }
    .setup()
    .unwrap();
    assert_eq!(s.config.top_n, 15);
}

#[test]
fn writes_png_and_svg_charts() {
    if !plot::font_available() {
        eprintln!("no TrueType font on this machine: chart test skipped");
        return;
    }
    let args = EvalArgs {
        hours: 0.1,
        ..tiny(ScenarioArg::All)
    };
    let (results, _) = report(&args);
    let dir = std::env::temp_dir().join(format!("ws-source-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["chart.png", "chart.svg"] {
        let path = dir.join(name);
        plot::write(&path, &results).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 1_000, "{name}: {} bytes", bytes.len());
    }
    assert!(plot::write(&dir.join("chart.gif"), &results).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
