//! Scheduler quality on a small synthetic options market (DESIGN.md section 7), self-contained:
//! trade coverage (share of trades on a contract whose quotes were subscribed at that moment) and
//! churn (subscribe + unsubscribe per rebalance) for the scheduler and baselines, all driven by
//! the same trades.
//!
//! The market: 3,000 contracts with Zipf-like trade rates (exponent 1.1, ~400 trades/s in total)
//! in a random order, plus heavy bursts: each interval a contract starts a 30× burst with
//! probability 0.2 %, lasting a geometric number of intervals (mean 12, i.e. one minute). 100
//! slots, a rebalance every 5 s, 20 simulated minutes. The oracle knows the true current rates.
//!
//! `cargo test -p ws-source --test scheduler_quality -- --nocapture` prints the table.

use std::collections::{HashMap, HashSet};

use ws_source::{ActivityTracker, SchedulerConfig, SubscriptionScheduler};

const N: usize = 3_000;
const SLOTS: usize = 100;
const INTERVAL_S: u64 = 5;
const STEPS: usize = 240;
const S: i64 = 1_000_000_000;

/// SplitMix64: the test's own deterministic generator.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            // Normal approximation (Box-Muller).
            let z =
                (-2.0 * self.unit().ln()).sqrt() * (2.0 * std::f64::consts::PI * self.unit()).cos();
            return (lambda + lambda.sqrt() * z).round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0u32, self.unit());
        while p > limit {
            k += 1;
            p *= self.unit();
        }
        k
    }
}

fn symbol(i: usize) -> String {
    format!("O:Q{:03}260116C{:08}", i % 997, i)
}

#[derive(Clone, Copy, PartialEq)]
enum Feed {
    /// The tracker sees the options trades feed only (T.* covers every contract).
    Trades,
    /// It also counts the quotes received on subscribed contracts.
    TradesAndQuotes,
}

enum Policy {
    Scheduler {
        sched: Box<SubscriptionScheduler>,
        tracker: ActivityTracker,
        feed: Feed,
    },
    StaticTopK,
    Random(Rng),
    Oracle,
}

struct Run {
    name: &'static str,
    policy: Policy,
    subscribed: HashSet<usize>,
    covered: u64,
    churn: u64,
}

fn scheduler(name: &'static str, cfg: SchedulerConfig, feed: Feed) -> Run {
    let sched = Box::new(SubscriptionScheduler::try_new(&cfg).unwrap());
    let tracker = ActivityTracker::from_config(&cfg).unwrap();
    Run {
        name,
        policy: Policy::Scheduler {
            sched,
            tracker,
            feed,
        },
        subscribed: HashSet::new(),
        covered: 0,
        churn: 0,
    }
}

fn top_by(rates: &[f64], k: usize) -> HashSet<usize> {
    let mut idx: Vec<usize> = (0..rates.len()).collect();
    idx.sort_by(|a, b| rates[*b].total_cmp(&rates[*a]).then(a.cmp(b)));
    idx.into_iter().take(k).collect()
}

struct Outcome {
    name: &'static str,
    coverage: f64,
    churn: f64,
}

fn simulate() -> Vec<Outcome> {
    let mut rng = Rng(2026);
    let syms: Vec<String> = (0..N).map(symbol).collect();
    let index: HashMap<&str, usize> = syms
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    // Base rates: Zipf over a random permutation of the contracts.
    let mut order: Vec<usize> = (0..N).collect();
    for i in (1..N).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut base = vec![0.0; N];
    for (rank, &c) in order.iter().enumerate() {
        base[c] = 50.0 / ((rank + 1) as f64).powf(1.1);
    }
    let mut burst_left = vec![0u32; N];

    let ours = SchedulerConfig {
        top_n: 50,
        exploration_fraction: 0.1,
        hysteresis: 0.25,
        rebalance_interval_s: INTERVAL_S,
        half_life_s: 30.0,
        volume_weight: 0.0,
        seed: 1,
        ..SchedulerConfig::default()
    };
    let greedy = SchedulerConfig {
        top_n: 0,
        exploration_fraction: 0.0,
        hysteresis: 0.0,
        ..ours.clone()
    };
    let long_hold = SchedulerConfig {
        exploration_hold_intervals: 6,
        ..ours.clone()
    };
    let weighted = SchedulerConfig {
        exploration_weighting: ws_source::scheduler::ExplorationWeighting::Priority,
        ..ours.clone()
    };
    let no_explore = SchedulerConfig {
        exploration_fraction: 0.0,
        ..ours.clone()
    };
    let mut runs = vec![
        Run {
            name: "oracle (true current rates)",
            policy: Policy::Oracle,
            subscribed: HashSet::new(),
            covered: 0,
            churn: 0,
        },
        scheduler("scheduler, trades feed", ours.clone(), Feed::Trades),
        scheduler("scheduler, trades + quotes", ours, Feed::TradesAndQuotes),
        scheduler("scheduler, 30 s exploration", long_hold, Feed::Trades),
        scheduler("scheduler, weighted exploration", weighted, Feed::Trades),
        scheduler("no exploration, trades", no_explore, Feed::Trades),
        scheduler("greedy top-K, trades", greedy, Feed::Trades),
        Run {
            name: "static top-K (initial)",
            policy: Policy::StaticTopK,
            subscribed: top_by(&base, SLOTS),
            covered: 0,
            churn: 0,
        },
        Run {
            name: "uniform random",
            policy: Policy::Random(Rng(7)),
            subscribed: HashSet::new(),
            covered: 0,
            churn: 0,
        },
    ];

    let mut total_trades = 0u64;
    let dt = INTERVAL_S as f64;
    for step in 0..STEPS {
        let now = step as i64 * INTERVAL_S as i64 * S;
        // Market evolution: bursts start and end.
        for left in burst_left.iter_mut() {
            if *left > 0 {
                *left -= 1;
            } else if rng.unit() < 0.002 {
                let mut len = 1;
                while rng.unit() > 1.0 / 12.0 {
                    len += 1;
                }
                *left = len;
            }
        }
        let rate: Vec<f64> = (0..N)
            .map(|c| base[c] * if burst_left[c] > 0 { 30.0 } else { 1.0 })
            .collect();

        // Rebalance every policy at the start of the interval.
        for run in &mut runs {
            let next: HashSet<usize> = match &mut run.policy {
                Policy::Scheduler { sched, tracker, .. } => {
                    sched.sync_from(tracker, now);
                    let alloc = sched.rebalance(SLOTS, now);
                    alloc.active().map(|(s, _)| index[s]).collect()
                }
                Policy::StaticTopK => run.subscribed.clone(),
                Policy::Random(r) => {
                    let mut set = HashSet::new();
                    while set.len() < SLOTS {
                        set.insert(r.below(N));
                    }
                    set
                }
                Policy::Oracle => top_by(&rate, SLOTS),
            };
            if step > 0 {
                run.churn += next.symmetric_difference(&run.subscribed).count() as u64;
            }
            run.subscribed = next;
        }

        // Trades during the interval (the same for every policy), and what each tracker sees.
        for c in 0..N {
            let trades = rng.poisson(rate[c] * dt);
            if trades == 0 {
                continue;
            }
            total_trades += u64::from(trades);
            let ts = now + rng.below(INTERVAL_S as usize * 1_000) as i64 * 1_000_000;
            for run in &mut runs {
                let on = run.subscribed.contains(&c);
                if on {
                    run.covered += u64::from(trades);
                }
                if let Policy::Scheduler { tracker, feed, .. } = &mut run.policy {
                    tracker.record(syms[c].as_str(), ts, trades, f64::from(trades));
                    if on && *feed == Feed::TradesAndQuotes {
                        tracker.record(syms[c].as_str(), ts, trades * 5, 0.0);
                    }
                }
            }
        }
        // Quotes also flow on quiet subscribed contracts (about one every two seconds).
        for run in &mut runs {
            if let Policy::Scheduler {
                tracker,
                feed: Feed::TradesAndQuotes,
                ..
            } = &mut run.policy
            {
                for &c in &run.subscribed {
                    tracker.record(syms[c].as_str(), now, 2 + (step % 2) as u32, 0.0);
                }
            }
        }
    }

    runs.iter()
        .map(|r| Outcome {
            name: r.name,
            coverage: r.covered as f64 / total_trades.max(1) as f64,
            churn: r.churn as f64 / (STEPS - 1) as f64,
        })
        .collect()
}

#[test]
fn coverage_and_churn_against_oracle_and_baselines() {
    let out = simulate();
    println!(
        "{:<30} {:>9} {:>16}",
        "policy", "coverage", "churn/rebalance"
    );
    for o in &out {
        println!(
            "{:<30} {:>8.1}% {:>16.1}",
            o.name,
            o.coverage * 100.0,
            o.churn
        );
    }
    let get = |name: &str| out.iter().find(|o| o.name.starts_with(name)).unwrap();
    let oracle = get("oracle");
    let ours = get("scheduler, trades feed");
    let greedy = get("greedy");
    let no_explore = get("no exploration");
    let random = get("uniform random");
    let fixed = get("static");

    // Close to the oracle, far above the naive baselines.
    assert!(
        ours.coverage >= 0.85 * oracle.coverage,
        "{:.3}",
        ours.coverage
    );
    assert!(ours.coverage > fixed.coverage);
    assert!(ours.coverage > 3.0 * random.coverage);
    // Hysteresis reduces churn compared with greedy top-K, at little cost in coverage.
    assert!(
        no_explore.churn < greedy.churn,
        "{} vs {}",
        no_explore.churn,
        greedy.churn
    );
    assert!(no_explore.coverage >= 0.97 * greedy.coverage);
}
