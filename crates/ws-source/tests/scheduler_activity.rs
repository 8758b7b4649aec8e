//! Activity tracker: exact half-life decay, lazy-update equivalence, volume weighting.

use std::f64::consts::LN_2;

use proptest::prelude::*;
use ws_source::{ActivityTracker, SchedulerConfig, SubscriptionScheduler};

const S: i64 = 1_000_000_000;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn one_half_life_halves_the_rate() {
    for half_life_s in [0.5, 1.0, 7.0, 60.0, 3600.0] {
        let mut t: ActivityTracker = ActivityTracker::new(half_life_s, 0.0).unwrap();
        let t0 = 1_700_000_000 * S;
        t.record("O:SPY251219C00650000", t0, 10, 0.0);
        let r0 = t.rate("O:SPY251219C00650000", t0);
        // A burst of 10 messages is a decayed count of 10, i.e. a rate of 10 × ln2 / half-life.
        assert!(close(r0, 10.0 * LN_2 / half_life_s), "{r0}");
        let h = (half_life_s * 1e9) as i64;
        assert_eq!(
            t.rate("O:SPY251219C00650000", t0 + h),
            r0 / 2.0,
            "exactly half"
        );
        assert_eq!(t.rate("O:SPY251219C00650000", t0 + 2 * h), r0 / 4.0);
        assert!(close(
            t.rate("O:SPY251219C00650000", t0 + h / 2),
            r0 / 2f64.sqrt()
        ));
    }
}

#[test]
fn volume_weighting() {
    let mut t: ActivityTracker = ActivityTracker::new(10.0, 0.25).unwrap();
    t.record_trade("A", 0, 100.0); // 1 message, 100 contracts
    t.record_message("B", 0); // 1 message (a quote)
    t.record("C", 0, 3, 8.0);
    let k = LN_2 / 10.0;
    assert!(close(t.message_rate("A", 0), k));
    assert!(close(t.volume_rate("A", 0), 100.0 * k));
    assert!(close(t.rate("A", 0), k + 0.25 * 100.0 * k));
    assert!(close(t.rate("B", 0), k));
    assert!(close(t.rate("C", 0), 3.0 * k + 0.25 * 8.0 * k));
    // Weight 0: volume is ignored in the priority but still tracked.
    let mut z: ActivityTracker = ActivityTracker::new(10.0, 0.0).unwrap();
    z.record_trade("A", 0, 100.0);
    assert!(close(z.rate("A", 0), k));
    assert!(close(z.volume_rate("A", 0), 100.0 * k));
}

#[test]
fn rates_feed_the_scheduler() {
    let cfg = SchedulerConfig {
        top_n: 1,
        exploration_fraction: 0.0,
        half_life_s: 5.0,
        volume_weight: 1.0,
        ..SchedulerConfig::default()
    };
    let mut t: ActivityTracker = ActivityTracker::from_config(&cfg).unwrap();
    t.record_trade("O:BIG", 0, 500.0);
    for i in 0..10 {
        t.record_message("O:CHATTY", i * S / 10);
    }
    t.record_trade("O:SMALL", 0, 1.0);
    let rates = t.rates(S);
    assert_eq!(rates.len(), 3);
    let mut sched = SubscriptionScheduler::new(&cfg);
    sched.update_priorities(rates);
    let a = sched.rebalance(2, S);
    assert_eq!(a.reserved, ["O:BIG"]);
    assert_eq!(a.exploited, ["O:CHATTY"]);
    // Pruning forgets what decayed away.
    assert_eq!(t.prune(600 * S, 1e-6), 3);
    assert!(t.is_empty());
}

/// A 24-byte `Copy` inline key, like the model's `Symbol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Inline([u8; 24]);

#[test]
fn generic_copy_key() {
    let mut t: ActivityTracker<Inline> = ActivityTracker::new(1.0, 0.0).unwrap();
    let mut k = [0u8; 24];
    k[..4].copy_from_slice(b"AAPL");
    let key = Inline(k);
    t.record(&key, 0, 2, 0.0);
    t.record(&key, S, 2, 0.0);
    assert!(close(t.rate(&key, S), 3.0 * LN_2));
    assert_eq!(t.len(), 1);
    let snapshot = t.rates(S);
    assert!(close(snapshot[&key], 3.0 * LN_2));
    assert_eq!(t.iter_rates(S).count(), 1);
    assert!(t.table_bytes() >= std::mem::size_of::<Inline>());
}

proptest! {
    /// Many small lazy updates equal the closed form Σ cᵢ·2^(−(now−tᵢ)/H) (in any arrival order).
    #[test]
    fn lazy_updates_equal_closed_form(
        half_life_s in 0.1f64..100.0,
        weight in 0.0f64..2.0,
        events in prop::collection::vec((0i64..20_000_000_000, 0u32..5, 0.0f64..1000.0), 1..60),
        sorted in any::<bool>(),
        after in 0i64..50_000_000_000,
    ) {
        let mut events = events;
        if sorted {
            events.sort_by_key(|e| e.0);
        }
        let mut t: ActivityTracker = ActivityTracker::new(half_life_s, weight).unwrap();
        for &(ts, c, v) in &events {
            t.record("X", ts, c, v);
        }
        let last = events.iter().map(|e| e.0).max().unwrap_or(0);
        let now = last + after;
        let h = half_life_s * 1e9;
        let (mut m, mut vol) = (0.0, 0.0);
        for &(ts, c, v) in &events {
            let f = (-((now - ts) as f64) / h).exp2();
            m += f64::from(c) * f;
            vol += v * f;
        }
        let k = LN_2 / half_life_s;
        prop_assert!(close(t.message_rate("X", now), m * k), "{} vs {}", t.message_rate("X", now), m * k);
        prop_assert!(close(t.volume_rate("X", now), vol * k));
        prop_assert!(close(t.rate("X", now), m * k + weight * vol * k));
    }

    /// Reading does not change state: rates at a later time are the decayed earlier ones.
    #[test]
    fn reads_are_pure(dt1 in 0i64..10_000_000_000, dt2 in 0i64..10_000_000_000) {
        let mut t: ActivityTracker = ActivityTracker::new(3.0, 0.5).unwrap();
        t.record("X", 0, 4, 10.0);
        let a = t.rate("X", dt1);
        let b = t.rate("X", dt1 + dt2);
        prop_assert!(close(b, a * (-(dt2 as f64) / 3e9).exp2()));
        prop_assert_eq!(t.rate("X", dt1), a);
    }

    /// Incremental syncs give the same priorities as a full snapshot, through records (in and
    /// out of order), prunes, removals and syncs at arbitrary times.
    #[test]
    fn sync_from_equals_snapshot(
        ops in prop::collection::vec(
            prop_oneof![
                6 => (0usize..40, 0i64..3_000_000_000, 0u32..4, 0.0f64..50.0)
                    .prop_map(|(k, dt, c, v)| Op::Record(k, dt, c, v)),
                2 => (0i64..8_000_000_000).prop_map(Op::Sync),
                1 => (0.0f64..0.05).prop_map(Op::Prune),
                1 => (0usize..40).prop_map(Op::Remove),
            ],
            1..80,
        ),
        half_life_s in 0.5f64..20.0,
    ) {
        let mut tracker: ActivityTracker = ActivityTracker::new(half_life_s, 0.3).unwrap();
        let mut sched = SubscriptionScheduler::new(&SchedulerConfig::default());
        let mut now = 0i64;
        for op in ops {
            match op {
                // Events may be up to 1.5 s late relative to the clock.
                Op::Record(k, dt, c, v) => tracker.record(
                    format!("O:K{k:02}").as_str(), now + dt - 1_500_000_000, c, v),
                Op::Sync(dt) => {
                    now += dt;
                    sched.sync_from(&mut tracker, now);
                    let expected = tracker.rates(now);
                    prop_assert_eq!(sched.priorities().len(), expected.len());
                    for (k, p) in &expected {
                        let got = sched.priorities()[k];
                        prop_assert!(close(got, *p), "{}: {} vs {}", k, got, p);
                    }
                }
                Op::Prune(min) => {
                    tracker.prune(now, min);
                }
                Op::Remove(k) => {
                    tracker.remove(format!("O:K{k:02}").as_str());
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Record(usize, i64, u32, f64),
    Sync(i64),
    Prune(f64),
    Remove(usize),
}
