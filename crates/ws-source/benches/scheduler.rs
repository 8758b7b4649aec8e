//! Scheduler benchmarks: one rebalance of N known contracts into 1,000 slots, the pure
//! `allocate_slots` view, and the activity-tracker snapshot handed to the scheduler.
//!
//! `cargo bench -p ws-source --bench scheduler`

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ws_source::scheduler::ExplorationWeighting;
use ws_source::{ActivityTracker, SchedulerConfig, SubscriptionScheduler};

const S: i64 = 1_000_000_000;
const SLOTS: usize = 1_000;

fn symbol(i: usize) -> String {
    // OCC-shaped: 20 bytes, like "O:SPY251219C00650000".
    format!("O:R{:03}251219C{:08}", i % 1000, i)
}

/// Zipf-like priorities (exponent 1.1) over a deterministic shuffle; a third of the contracts has
/// no activity at all (priority 0), as in a real chain.
fn priorities(n: usize) -> HashMap<String, f64> {
    (0..n)
        .map(|i| {
            let rank = (i.wrapping_mul(2_654_435_761) % n) + 1;
            let p = if rank % 3 == 0 {
                0.0
            } else {
                1_000.0 / (rank as f64).powf(1.1)
            };
            (symbol(i), p)
        })
        .collect()
}

fn config() -> SchedulerConfig {
    SchedulerConfig {
        top_n: 500,
        exploration_fraction: 0.1,
        ..SchedulerConfig::default()
    }
}

fn rebalance(c: &mut Criterion) {
    let mut g = c.benchmark_group("rebalance_1000_slots");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for weighting in [
        ExplorationWeighting::Posterior,
        ExplorationWeighting::Uniform,
    ] {
        for n in [10_000usize, 1_500_000] {
            let mut sched = SubscriptionScheduler::new(&SchedulerConfig {
                exploration_weighting: weighting,
                ..config()
            });
            sched.update_priorities(priorities(n));
            let interval = sched.rebalance_interval_s() as i64 * S;
            let mut now = 0;
            sched.rebalance(SLOTS, now); // steady state: incumbents exist
            let id = BenchmarkId::new(format!("{weighting:?}").to_lowercase(), n);
            g.bench_with_input(id, &n, |b, _| {
                b.iter(|| {
                    now += interval;
                    black_box(sched.rebalance(black_box(SLOTS), now))
                })
            });
        }
    }
    // With one contract refused by the server (kept out for a long time): the exclusion is
    // looked up only for candidates that would be admitted, so this should cost the same.
    let n = 1_500_000usize;
    let mut sched = SubscriptionScheduler::new(&config());
    sched.update_priorities(priorities(n));
    let interval = sched.rebalance_interval_s() as i64 * S;
    let mut now = 0;
    sched.rebalance(SLOTS, now);
    sched.exclude(&symbol(0), i64::MAX);
    g.bench_with_input(BenchmarkId::new("posterior_one_excluded", n), &n, |b, _| {
        b.iter(|| {
            now += interval;
            black_box(sched.rebalance(black_box(SLOTS), now))
        })
    });
    g.finish();
}

fn allocate_slots_view(c: &mut Criterion) {
    let mut g = c.benchmark_group("allocate_slots_1000_slots");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for n in [10_000usize, 1_500_000] {
        let mut sched = SubscriptionScheduler::new(&config());
        sched.update_priorities(priorities(n));
        sched.rebalance(SLOTS, 0);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(sched.allocate_slots(black_box(SLOTS))))
        });
    }
    g.finish();
}

fn snapshot(c: &mut Criterion) {
    let mut g = c.benchmark_group("hand_over_tracker_to_scheduler");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for n in [10_000usize, 1_500_000] {
        let cfg = config();
        let mut tracker: ActivityTracker = ActivityTracker::from_config(&cfg).unwrap();
        for (i, (sym, p)) in priorities(n).into_iter().enumerate() {
            tracker.record(sym.as_str(), (i % 1000) as i64 * 1_000_000, 1, p);
        }
        let mut sched = SubscriptionScheduler::new(&cfg);
        g.bench_with_input(
            BenchmarkId::new("rates_then_update_priorities", n),
            &n,
            |b, _| b.iter(|| sched.update_priorities(tracker.rates(black_box(5 * S)))),
        );
        g.bench_with_input(
            BenchmarkId::new("update_priorities_from_iter", n),
            &n,
            |b, _| b.iter(|| sched.update_priorities_from(tracker.iter_rates(black_box(5 * S)))),
        );
        // Incremental: 1% of the contracts traded since the last sync (the records are included).
        let syms: Vec<String> = (0..n).map(symbol).collect();
        let mut now = 10 * S;
        sched.sync_from(&mut tracker, now);
        let mut k = 0usize;
        g.bench_with_input(BenchmarkId::new("sync_from_1pct_changed", n), &n, |b, _| {
            b.iter(|| {
                now += 5 * S;
                for _ in 0..n / 100 {
                    k = (k + 7_919) % n;
                    tracker.record_trade(syms[k].as_str(), now - S, 2.0);
                }
                black_box(sched.sync_from(&mut tracker, now))
            })
        });
    }
    g.finish();
}

fn record(c: &mut Criterion) {
    let mut g = c.benchmark_group("tracker_record");
    let syms: Vec<String> = (0..10_000).map(symbol).collect();
    let mut tracker: ActivityTracker = ActivityTracker::new(60.0, 0.1).unwrap();
    let mut t = 0i64;
    g.bench_function("existing_key_10k", |b| {
        b.iter(|| {
            t += 1_000;
            let i = (t as usize / 1_000) % syms.len();
            tracker.record(syms[i].as_str(), t, 1, 5.0);
        })
    });
    g.finish();
}

criterion_group!(benches, rebalance, allocate_slots_view, snapshot, record);
criterion_main!(benches);
