//! The specification's scheduler test vector, and hand-computed scenarios around it.

use std::collections::{BTreeSet, HashMap};

use ws_source::{SchedulerConfig, SlotRole, SubscriptionScheduler};

const S: i64 = 1_000_000_000;

fn spec_config() -> SchedulerConfig {
    SchedulerConfig {
        top_n: 5,
        exploration_fraction: 0.2,
        rebalance_interval_s: 5,
        hysteresis: 0.25,
        seed: 7,
        ..SchedulerConfig::default()
    }
}

/// AAPL 100, TSLA 90, ... XYZ 10: the spec's ten instruments.
const SPEC_TEN: [(&str, f64); 10] = [
    ("AAPL", 100.0),
    ("TSLA", 90.0),
    ("MSFT", 80.0),
    ("NVDA", 70.0),
    ("AMZN", 60.0),
    ("GOOG", 50.0),
    ("META", 40.0),
    ("NFLX", 30.0),
    ("AMD", 20.0),
    ("XYZ", 10.0),
];

/// Twenty instruments: the spec's ten, then ten more below them (9.0 down to 0.0).
fn twenty() -> HashMap<String, f64> {
    let mut m: HashMap<String, f64> = SPEC_TEN.iter().map(|(s, p)| (s.to_string(), *p)).collect();
    for (i, s) in [
        "INTC", "ORCL", "CSCO", "IBM", "QCOM", "TXN", "ADBE", "CRM", "PYPL", "UBER",
    ]
    .iter()
    .enumerate()
    {
        m.insert(s.to_string(), 9.0 - i as f64);
    }
    m
}

fn active(view: &HashMap<String, bool>) -> BTreeSet<String> {
    view.iter()
        .filter(|(_, on)| **on)
        .map(|(s, _)| s.clone())
        .collect()
}

const TOP5: [&str; 5] = ["AAPL", "TSLA", "MSFT", "NVDA", "AMZN"];

#[test]
fn spec_vector_ten_instruments() {
    let mut sched = SubscriptionScheduler::new(&spec_config());
    sched.update_priorities(SPEC_TEN.iter().map(|(s, p)| (s.to_string(), *p)).collect());

    let view = sched.allocate_slots(10);
    assert_eq!(view.len(), 10, "every known instrument appears");
    for s in TOP5 {
        assert!(view[s], "{s} is in the top 5 and must be active");
    }
    assert_eq!(sched.exploration_slots(10), 2, "round(0.2 × 10) = 2");
    // Ten instruments fit in ten slots: nothing may stay idle, so all are active.
    assert_eq!(active(&view).len(), 10);
    // Repeated calls with unchanged input give the same allocation.
    for _ in 0..5 {
        assert_eq!(sched.allocate_slots(10), view);
    }

    // Committing it shows the roles: top 5 reserved, exactly 2 exploration picks from the rest,
    // and the 3 remaining slots to the next-best.
    let alloc = sched.rebalance(10, 0);
    assert_eq!(alloc.reserved, ["AAPL", "AMZN", "MSFT", "NVDA", "TSLA"]);
    assert_eq!(alloc.exploited, ["GOOG", "META", "NFLX"]);
    assert_eq!(alloc.explored, ["AMD", "XYZ"]);
    assert_eq!(alloc.explored.len(), 2);
    assert_eq!(alloc.to_subscribe.len(), 10);
    assert!(alloc.to_unsubscribe.is_empty());
}

#[test]
fn spec_vector_twenty_instruments_shows_exploration() {
    let mut sched = SubscriptionScheduler::new(&spec_config());
    sched.update_priorities(twenty());

    let view = sched.allocate_slots(10);
    assert_eq!(view.len(), 20);
    let on = active(&view);
    assert_eq!(on.len(), 10, "all ten slots are used, no more");
    for s in TOP5 {
        assert!(on.contains(s), "top-5 {s} must be active");
    }
    for s in ["GOOG", "META", "NFLX"] {
        assert!(on.contains(s), "next-best {s} must be active");
    }
    // Exactly two exploration picks among the twelve instruments ranked 9th to 20th.
    let rest: BTreeSet<String> = twenty()
        .into_iter()
        .filter(|(_, p)| *p <= 20.0)
        .map(|(s, _)| s)
        .collect();
    assert_eq!(rest.len(), 12);
    assert_eq!(on.intersection(&rest).count(), 2);
    for _ in 0..5 {
        assert_eq!(sched.allocate_slots(10), view, "repeated calls agree");
    }

    // rebalance commits exactly what allocate_slots showed.
    let alloc = sched.rebalance(10, 0);
    let committed: BTreeSet<String> = alloc.active().map(|(s, _)| s.to_owned()).collect();
    assert_eq!(committed, on);
    assert_eq!(alloc.explored.len(), 2);
    assert!(alloc.explored.iter().all(|s| rest.contains(s)));
    assert_eq!(alloc.exploited, ["GOOG", "META", "NFLX"]);
    for s in &alloc.explored {
        assert_eq!(sched.role(s), Some(SlotRole::Explore));
    }
}

#[test]
fn same_seed_same_picks_other_seed_other_picks() {
    use ws_source::scheduler::ExplorationWeighting;
    let picks = |seed: u64| {
        let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
            seed,
            exploration_weighting: ExplorationWeighting::Uniform,
            ..spec_config()
        });
        sched.update_priorities(twenty());
        sched.rebalance(10, 0).explored
    };
    assert_eq!(picks(1), picks(1));
    let distinct: BTreeSet<Vec<String>> = (0..20).map(picks).collect();
    assert!(
        distinct.len() > 5,
        "seeds should change the draw: {distinct:?}"
    );
}

#[test]
fn exploration_rotates_and_holds_one_interval() {
    let cfg = spec_config();
    let interval = cfg.rebalance_interval_s as i64 * S;
    let mut sched = SubscriptionScheduler::new(&cfg);
    sched.update_priorities(twenty());
    let first = sched.rebalance(10, 0).explored;

    // An early rebalance (backpressure, half an interval later) keeps the exploration picks.
    let early = sched.rebalance(10, interval / 2);
    assert_eq!(early.explored, first);
    assert!(early.is_unchanged());

    // Twelve candidates, two picks per epoch: six timely rebalances explore all twelve once.
    let mut seen: BTreeSet<String> = first.iter().cloned().collect();
    let mut now = interval / 2;
    for _ in 0..5 {
        now += interval;
        let alloc = sched.rebalance(10, now);
        assert_eq!(alloc.explored.len(), 2);
        for s in &alloc.explored {
            assert!(
                seen.insert(s.clone()),
                "{s} explored twice before all were explored"
            );
        }
        // Only exploration slots churn: 2 out, 2 in.
        assert_eq!(alloc.to_subscribe.len(), 2);
        assert_eq!(alloc.to_unsubscribe.len(), 2);
        assert_eq!(alloc.exploited, ["GOOG", "META", "NFLX"]);
    }
    assert_eq!(seen.len(), 12);
}

#[test]
fn hysteresis_keeps_incumbent_until_factor_exceeded() {
    // One reserved slot, one exploitation slot, no exploration.
    let cfg = SchedulerConfig {
        top_n: 1,
        exploration_fraction: 0.0,
        hysteresis: 0.5,
        ..spec_config()
    };
    let mut sched = SubscriptionScheduler::new(&cfg);
    let set = |pairs: &[(&str, f64)]| -> HashMap<String, f64> {
        pairs.iter().map(|(s, p)| (s.to_string(), *p)).collect()
    };
    sched.update_priorities(set(&[("TOP", 1000.0), ("INC", 10.0), ("CH", 1.0)]));
    assert_eq!(sched.rebalance(2, 0).exploited, ["INC"]);

    // 14.9 < 10 × 1.5: the incumbent stays.
    sched.update_priorities(set(&[("TOP", 1000.0), ("INC", 10.0), ("CH", 14.9)]));
    let a = sched.rebalance(2, 5 * S);
    assert_eq!(a.exploited, ["INC"]);
    assert!(a.is_unchanged());

    // Exactly the factor is not enough: the challenger must exceed it.
    sched.update_priorities(set(&[("TOP", 1000.0), ("INC", 10.0), ("CH", 15.0)]));
    assert_eq!(sched.rebalance(2, 10 * S).exploited, ["INC"]);

    // 15.1 > 15: the challenger takes the slot.
    sched.update_priorities(set(&[("TOP", 1000.0), ("INC", 10.0), ("CH", 15.1)]));
    let b = sched.rebalance(2, 15 * S);
    assert_eq!(b.exploited, ["CH"]);
    assert_eq!(b.to_subscribe, ["CH"]);
    assert_eq!(b.to_unsubscribe, ["INC"]);
}

#[test]
fn shrinking_capacity_drops_lowest_priority_first() {
    let cfg = SchedulerConfig {
        top_n: 2,
        exploration_fraction: 0.0,
        ..spec_config()
    };
    let mut sched = SubscriptionScheduler::new(&cfg);
    sched.update_priorities(twenty());
    let full = sched.rebalance(8, 0);
    assert_eq!(full.active_count(), 8);

    // Rebalance with a smaller capacity: the two lowest of the eight go.
    let smaller = sched.rebalance(6, 5 * S);
    assert_eq!(smaller.to_unsubscribe, ["META", "NFLX"]);
    assert!(smaller.to_subscribe.is_empty());

    // Immediate shedding between rebalances: lowest priority first.
    assert_eq!(sched.shed_to(4), ["AMZN", "GOOG"]);
    assert_eq!(sched.subscribed(), ["AAPL", "MSFT", "NVDA", "TSLA"]);
    assert!(sched.shed_to(10).is_empty());
}

#[test]
fn never_idle_and_never_over_capacity() {
    let mut sched = SubscriptionScheduler::new(&spec_config());
    sched.update_priorities(twenty());
    for slots in 0..=25 {
        let view = sched.allocate_slots(slots);
        assert_eq!(active(&view).len(), slots.min(20), "slots = {slots}");
    }
    // top_n larger than the capacity: all slots are reserved for the best.
    let alloc = sched.plan(3, 0);
    assert_eq!(alloc.reserved, ["AAPL", "MSFT", "TSLA"]);
    assert!(alloc.explored.is_empty() && alloc.exploited.is_empty());
}

#[test]
fn nan_and_negative_priorities_do_not_panic() {
    let mut sched = SubscriptionScheduler::new(&spec_config());
    let mut p = twenty();
    p.insert("NAN".into(), f64::NAN);
    p.insert("NEG".into(), -5.0);
    p.insert("INF".into(), f64::INFINITY);
    p.insert("NEGINF".into(), f64::NEG_INFINITY);
    sched.update_priorities(p);
    for s in ["NAN", "NEG", "INF", "NEGINF"] {
        assert_eq!(sched.priorities()[s], 0.0);
    }
    let alloc = sched.rebalance(10, 0);
    assert_eq!(alloc.active_count(), 10);
    assert_eq!(alloc.reserved, ["AAPL", "AMZN", "MSFT", "NVDA", "TSLA"]);
    sched.set_priority("NAN", f64::NAN);
    assert_eq!(sched.priorities()["NAN"], 0.0);
}

#[test]
fn ties_are_broken_by_symbol() {
    let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
        top_n: 3,
        exploration_fraction: 0.0,
        ..spec_config()
    });
    sched.update_priorities(
        ["E", "C", "A", "D", "B"]
            .iter()
            .map(|s| (s.to_string(), 1.0))
            .collect(),
    );
    assert_eq!(sched.plan(3, 0).reserved, ["A", "B", "C"]);
}

#[test]
fn incumbents_missing_from_a_snapshot_stay_known_until_replaced() {
    let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
        top_n: 0,
        exploration_fraction: 0.0,
        hysteresis: 0.0,
        ..spec_config()
    });
    sched.update_priorities(
        [("A", 5.0), ("B", 4.0)]
            .iter()
            .map(|(s, p)| (s.to_string(), *p))
            .collect(),
    );
    sched.rebalance(1, 0);
    assert_eq!(sched.subscribed(), ["A"]);
    // A vanished from the snapshot (pruned): it is still known, with priority 0.
    sched.update_priorities([("C".to_string(), 1.0)].into_iter().collect());
    let view = sched.allocate_slots(1);
    assert_eq!(view.len(), 2);
    assert!(view["C"] && !view["A"]);
    let alloc = sched.rebalance(1, 5 * S);
    assert_eq!(alloc.to_unsubscribe, ["A"]);
    assert_eq!(alloc.to_subscribe, ["C"]);
}

#[test]
fn invalid_config_is_rejected_by_try_new() {
    let err = SubscriptionScheduler::try_new(&SchedulerConfig {
        hysteresis: f64::NAN,
        ..spec_config()
    })
    .unwrap_err();
    assert_eq!(err.field(), "hysteresis");
    // new() clamps instead.
    let s = SubscriptionScheduler::new(&SchedulerConfig {
        exploration_fraction: 3.0,
        rebalance_interval_s: 0,
        ..spec_config()
    });
    assert_eq!(s.exploration_fraction(), 1.0);
    assert_eq!(s.rebalance_interval_s(), 1);
}

#[test]
fn release_frees_a_slot_for_the_next_rebalance() {
    let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
        top_n: 1,
        exploration_fraction: 0.0,
        ..spec_config()
    });
    sched.update_priorities(twenty());
    let first = sched.rebalance(3, 0);
    assert_eq!(first.evictions(), 0);
    // The server rejected MSFT's subscription: the scheduler forgets it, and the next rebalance
    // subscribes it again (it is still among the best) rather than trusting a stale view.
    assert!(sched.release("MSFT"));
    assert!(!sched.release("MSFT"));
    assert!(!sched.is_subscribed("MSFT"));
    let next = sched.rebalance(3, 5 * S);
    assert_eq!(next.to_subscribe, ["MSFT"]);
    assert_eq!(next.evictions(), 0);
}

#[test]
fn exploration_hold_can_span_several_intervals() {
    let cfg = SchedulerConfig {
        exploration_hold_intervals: 3,
        ..spec_config()
    };
    let interval = cfg.rebalance_interval_s as i64 * S;
    let mut sched = SubscriptionScheduler::new(&cfg);
    sched.update_priorities(twenty());
    let first = sched.rebalance(10, 0).explored;
    for k in 1..3 {
        let a = sched.rebalance(10, k * interval);
        assert_eq!(a.explored, first, "held at interval {k}");
        assert!(a.is_unchanged());
    }
    let rotated = sched.rebalance(10, 3 * interval);
    assert!(rotated.explored.iter().all(|s| !first.contains(s)));
    assert_eq!(rotated.evictions(), 2);
}

#[test]
fn debug_output_is_a_summary() {
    let mut sched = SubscriptionScheduler::new(&spec_config());
    sched.update_priorities(twenty());
    sched.rebalance(10, 0);
    let text = format!("{sched:?}");
    assert!(
        text.contains("known: 20") && text.contains("subscribed: 10"),
        "{text}"
    );
    assert!(!text.contains("AAPL"));
    let mut tracker: ws_source::ActivityTracker =
        ws_source::ActivityTracker::new(1.0, 0.0).unwrap();
    tracker.record_message("AAPL", 0);
    let text = format!("{tracker:?}");
    assert!(
        text.contains("tracked: 1") && !text.contains("AAPL"),
        "{text}"
    );
}

#[test]
fn priority_weighted_exploration_favours_active_contracts() {
    use ws_source::scheduler::ExplorationWeighting;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for seed in 0..300 {
        let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
            seed,
            exploration_weighting: ExplorationWeighting::Priority,
            ..spec_config()
        });
        sched.update_priorities(twenty());
        let a = sched.rebalance(10, 0);
        assert_eq!(a.explored.len(), 2);
        for s in a.explored {
            *counts.entry(s).or_default() += 1;
        }
    }
    // The rest: AMD 20, XYZ 10, INTC 9, ... PYPL 1, UBER 0 (weights sum to 75).
    let amd = counts.get("AMD").copied().unwrap_or(0);
    let pypl = counts.get("PYPL").copied().unwrap_or(0);
    assert!(amd > 100, "AMD picked {amd} times in 300 draws of 2");
    assert!(pypl < amd / 5, "PYPL {pypl} vs AMD {amd}");
    assert_eq!(counts.get("UBER"), None, "zero priority comes last");
    // Uniform picks do reach the zero-priority contract.
    let uniform_uber = (0..300)
        .filter(|&seed| {
            let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
                seed,
                exploration_weighting: ExplorationWeighting::Uniform,
                ..spec_config()
            });
            sched.update_priorities(twenty());
            sched
                .rebalance(10, 0)
                .explored
                .contains(&"UBER".to_string())
        })
        .count();
    assert!(uniform_uber > 20, "{uniform_uber}");
}

/// Posterior (Thompson) sampling, the default: priorities are read as decayed rates, so a
/// candidate's draw spreads by the Poisson noise of its decayed count (`rate × half_life / ln 2`).
#[test]
fn posterior_exploration_draws_where_the_ranking_is_uncertain() {
    use ws_source::scheduler::ExplorationWeighting;
    // Ten sure things, then twelve candidates with 0.5 to 6 decayed events (a 120 s half-life
    // gives a window of ~173 s), and one silent contract.
    let window = 120.0 / std::f64::consts::LN_2;
    let mut rates: HashMap<String, f64> = (0..10).map(|i| (format!("TOP{i}"), 100.0)).collect();
    for i in 0..12 {
        rates.insert(format!("C{i:02}"), (0.5 + 0.5 * i as f64) / window);
    }
    rates.insert("SILENT".into(), 0.0);
    let picks = |seed: u64| {
        let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
            seed,
            top_n: 5,
            exploration_fraction: 0.2,
            exploration_weighting: ExplorationWeighting::Posterior,
            ..SchedulerConfig::default()
        });
        sched.update_priorities(rates.clone());
        let a = sched.rebalance(12, 0);
        assert_eq!(a.explored.len(), 2);
        assert!(
            a.explored
                .iter()
                .all(|s| s.starts_with('C') || s == "SILENT")
        );
        a.explored
    };
    assert_eq!(picks(7), picks(7), "deterministic for a seed");
    let mut counts: HashMap<String, usize> = HashMap::new();
    for seed in 0..400 {
        for s in picks(seed) {
            *counts.entry(s).or_default() += 1;
        }
    }
    let n = |s: &str| counts.get(s).copied().unwrap_or(0);
    // Random: the best candidate is not always picked, several others are.
    assert!(n("C11") > 150 && n("C11") < 400, "{counts:?}");
    assert!(counts.len() >= 5, "{counts:?}");
    // Weighted towards the larger counts; the silent contract comes last.
    assert!(
        n("C11") + n("C10") > 3 * (n("C01") + n("C00")),
        "{counts:?}"
    );
    assert_eq!(n("SILENT"), 0, "{counts:?}");
}

#[test]
fn absurd_capacities_do_not_panic() {
    let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
        top_n: usize::MAX,
        ..spec_config()
    });
    sched.update_priorities(twenty());
    let all = sched.rebalance(usize::MAX, 0);
    assert_eq!(all.active_count(), 20);
    assert_eq!(all.reserved.len(), 20);
    assert_eq!(sched.allocate_slots(usize::MAX).len(), 20);
    let none = sched.rebalance(0, i64::MAX);
    assert_eq!(none.active_count(), 0);
    assert_eq!(none.to_unsubscribe.len(), 20);
    let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
        top_n: 0,
        exploration_fraction: 1.0,
        rebalance_interval_s: u64::MAX,
        exploration_hold_intervals: u64::MAX,
        ..spec_config()
    });
    sched.update_priorities(twenty());
    assert_eq!(sched.rebalance(usize::MAX / 2, i64::MIN).active_count(), 20);
    assert_eq!(sched.rebalance(7, i64::MAX).explored.len(), 7);
}
