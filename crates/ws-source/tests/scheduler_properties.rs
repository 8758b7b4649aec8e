//! Property tests of the subscription scheduler.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use ws_source::scheduler::ExplorationWeighting;
use ws_source::{Allocation, SchedulerConfig, SlotRole, SubscriptionScheduler};

const S: i64 = 1_000_000_000;

fn sym(i: usize) -> String {
    format!("O:X{i:04}")
}

/// Priorities with deliberate ties, zeros and invalid values.
fn priority() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => (0u32..1000).prop_map(|x| f64::from(x) / 10.0),
        1 => Just(0.0),
        1 => Just(50.0),
        1 => prop_oneof![Just(f64::NAN), Just(-3.0), Just(f64::INFINITY)],
    ]
}

fn priorities(max: usize) -> impl Strategy<Value = HashMap<String, f64>> {
    prop::collection::vec(priority(), 0..max).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, p)| (sym(i), p))
            .collect()
    })
}

fn config() -> impl Strategy<Value = SchedulerConfig> {
    (
        0usize..12,
        0.0f64..=1.0,
        0.0f64..2.0,
        any::<u64>(),
        1u64..50,
        prop_oneof![
            Just(ExplorationWeighting::Uniform),
            Just(ExplorationWeighting::Priority),
            Just(ExplorationWeighting::Posterior)
        ],
    )
        .prop_map(
            |(top_n, exploration_fraction, hysteresis, seed, exploration_memory_epochs, w)| {
                SchedulerConfig {
                    top_n,
                    exploration_fraction,
                    hysteresis,
                    seed,
                    exploration_memory_epochs,
                    exploration_weighting: w,
                    rebalance_interval_s: 5,
                    ..SchedulerConfig::default()
                }
            },
        )
}

/// What the scheduler uses for a raw priority.
fn clean(p: f64) -> f64 {
    if p.is_finite() && p > 0.0 { p } else { 0.0 }
}

/// The `k` best known instruments: priority descending, then symbol ascending.
fn best(prios: &HashMap<String, f64>, k: usize) -> BTreeSet<String> {
    let mut v: Vec<(&String, f64)> = prios.iter().map(|(s, p)| (s, clean(*p))).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v.into_iter().take(k).map(|(s, _)| s.clone()).collect()
}

fn exploitation(a: &Allocation) -> BTreeSet<String> {
    a.reserved.iter().chain(&a.exploited).cloned().collect()
}

fn active(a: &Allocation) -> BTreeSet<String> {
    a.active().map(|(s, _)| s.to_owned()).collect()
}

/// Perturbs priorities: each value scaled by a factor in [0.5, 2) or kept.
fn perturb(p: &HashMap<String, f64>, factors: &[f64]) -> HashMap<String, f64> {
    p.iter()
        .enumerate()
        .map(|(i, (s, v))| {
            // Deterministic per symbol: index into factors by the symbol's number.
            let n: usize = s[3..].parse().unwrap_or(i);
            (s.clone(), v * factors[n % factors.len()])
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Never more than total_slots active, never idle, the top_n always active, every known
    /// instrument in the view, over a sequence of rebalances with changing priorities and capacity.
    #[test]
    fn capacity_and_reservation(
        cfg in config(),
        steps in prop::collection::vec((priorities(40), 0usize..30, 0i64..12), 1..6),
    ) {
        let mut sched = SubscriptionScheduler::new(&cfg);
        let mut now = 0;
        for (prios, slots, dt) in steps {
            sched.update_priorities(prios.clone());
            now += dt * S;
            let view = sched.allocate_slots(slots);
            let previously: usize = sched.subscribed_count();
            // Known: the snapshot, plus incumbents missing from it (at priority 0).
            let mut known_map = prios.clone();
            for s in sched.subscribed() {
                known_map.entry(s.to_owned()).or_insert(0.0);
            }
            let known = known_map.len();
            prop_assert_eq!(view.len(), known);
            let on = view.values().filter(|v| **v).count();
            prop_assert_eq!(on, slots.min(known), "previously {}", previously);

            let alloc = sched.rebalance(slots, now);
            prop_assert!(alloc.active_count() <= slots);
            prop_assert_eq!(alloc.active_count(), slots.min(known));
            prop_assert_eq!(active(&alloc).len(), alloc.active_count(), "no duplicates");
            let top = best(&known_map, cfg.top_n.min(slots));
            let reserved: BTreeSet<String> = alloc.reserved.iter().cloned().collect();
            prop_assert_eq!(&reserved, &top);
            if known > slots {
                // Every slot class is full: exactly the configured number of exploration slots.
                prop_assert_eq!(alloc.explored.len(), sched.exploration_slots(slots));
            }
            for list in [&alloc.reserved, &alloc.exploited, &alloc.explored, &alloc.to_subscribe, &alloc.to_unsubscribe] {
                prop_assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted");
            }
            prop_assert_eq!(sched.subscribed_count(), alloc.active_count());
        }
    }

    /// An incumbent of the exploitation set (reserved or exploit) loses its slot only to a
    /// newcomer that is reserved (top_n is unconditional), or a challenger whose priority exceeds
    /// the incumbent's by the factor (1 + hysteresis), or a former exploration pick ranked at least
    /// as high.
    #[test]
    fn no_eviction_without_hysteresis_exceeded(
        cfg in config(),
        prios in priorities(40),
        factors in prop::collection::vec(0.5f64..2.0, 1..8),
        slots in 1usize..30,
        rounds in 1usize..5,
    ) {
        let mut sched = SubscriptionScheduler::new(&cfg);
        sched.update_priorities(prios.clone());
        let mut prev = sched.rebalance(slots, 0);
        let mut current = prios;
        let h = sched.hysteresis();
        for r in 1..=rounds {
            current = perturb(&current, &factors);
            sched.update_priorities(current.clone());
            let next = sched.rebalance(slots, r as i64 * 5 * S);
            let old_x = exploitation(&prev);
            let new_x = exploitation(&next);
            let new_r: BTreeSet<String> = next.reserved.iter().cloned().collect();
            let old_all = active(&prev);
            let old_explore: BTreeSet<String> = prev.explored.iter().cloned().collect();
            let new_all = active(&next);
            let p = |s: &str| clean(current.get(s).copied().unwrap_or(0.0));
            for i in old_x.iter().filter(|i| !new_all.contains(*i)) {
                let justified = new_x.difference(&old_x).any(|j| {
                    new_r.contains(j)
                        || (!old_all.contains(j) && p(j) > p(i) * (1.0 + h))
                        || (old_explore.contains(j) && p(j) >= p(i))
                });
                prop_assert!(justified, "{} evicted without a justified newcomer", i);
            }
            prev = next;
        }
    }

    /// With unchanged priorities and capacity, the exploitation set never changes: only
    /// exploration slots churn.
    #[test]
    fn stable_priorities_stable_exploitation(
        cfg in config(),
        prios in priorities(40),
        slots in 0usize..30,
    ) {
        let mut sched = SubscriptionScheduler::new(&cfg);
        sched.update_priorities(prios);
        let first = exploitation(&sched.rebalance(slots, 0));
        for r in 1..6 {
            let a = sched.rebalance(slots, r * 5 * S);
            prop_assert_eq!(&exploitation(&a), &first);
            prop_assert!(a.to_unsubscribe.len() <= a.explored.len());
        }
    }

    /// Same state and seed, same allocation: a clone and a replay agree with the original, and
    /// the pure view equals what the next timely rebalance commits.
    #[test]
    fn deterministic(
        cfg in config(),
        steps in prop::collection::vec((priorities(30), 0usize..20), 1..5),
    ) {
        let run = || -> Result<Vec<Allocation>, TestCaseError> {
            let mut sched = SubscriptionScheduler::new(&cfg);
            let mut out = Vec::new();
            for (r, (prios, slots)) in steps.iter().enumerate() {
                sched.update_priorities(prios.clone());
                let view = sched.allocate_slots(*slots);
                prop_assert_eq!(&view, &sched.allocate_slots(*slots));
                let twin = sched.clone();
                let alloc = sched.rebalance(*slots, r as i64 * 5 * S);
                let mut twin = twin;
                prop_assert_eq!(&twin.rebalance(*slots, r as i64 * 5 * S), &alloc);
                let on: BTreeSet<String> =
                    view.into_iter().filter(|(_, v)| *v).map(|(s, _)| s).collect();
                prop_assert_eq!(&on, &active(&alloc));
                out.push(alloc);
            }
            Ok(out)
        };
        let a = run()?;
        let b = run()?;
        prop_assert_eq!(a, b);
    }

    /// Exploration rotates: with fixed priorities and one rebalance per interval, no instrument is
    /// explored twice before every candidate has been explored once.
    #[test]
    fn exploration_rotates(
        n in 10usize..60,
        slots in 4usize..10,
        top_n in 0usize..4,
        seed in any::<u64>(),
        weighted in any::<bool>(),
    ) {
        let cfg = SchedulerConfig {
            exploration_weighting: if weighted {
                ExplorationWeighting::Priority
            } else {
                ExplorationWeighting::Uniform
            },
            top_n,
            exploration_fraction: 0.5,
            hysteresis: 0.5,
            seed,
            exploration_memory_epochs: 1_000,
            rebalance_interval_s: 5,
            ..SchedulerConfig::default()
        };
        let mut sched = SubscriptionScheduler::new(&cfg);
        sched.update_priorities((0..n).map(|i| (sym(i), (n - i) as f64)).collect());
        let e = sched.exploration_slots(slots);
        prop_assume!(e > 0);
        let candidates = n - (slots - e);
        let full_rounds = candidates / e;
        let mut seen = BTreeSet::new();
        for r in 0..full_rounds {
            let a = sched.rebalance(slots, r as i64 * 5 * S);
            prop_assert_eq!(a.explored.len(), e);
            for s in &a.explored {
                prop_assert!(seen.insert(s.clone()), "{} explored twice in round {}", s, r);
                prop_assert_eq!(sched.role(s), Some(SlotRole::Explore));
            }
        }
        // One more round covers the remainder: everyone has been explored.
        let a = sched.rebalance(slots, full_rounds as i64 * 5 * S);
        seen.extend(a.explored.iter().cloned());
        prop_assert_eq!(seen.len(), candidates);
    }

    /// Exploration picks keep their slot for at least one rebalance interval, even when an early
    /// rebalance happens and priorities move.
    #[test]
    fn exploration_picks_held_one_interval(
        cfg in config(),
        prios in priorities(40),
        factors in prop::collection::vec(0.5f64..2.0, 1..8),
        slots in 1usize..30,
        early in 0i64..5,
    ) {
        let mut sched = SubscriptionScheduler::new(&cfg);
        sched.update_priorities(prios.clone());
        let first = sched.rebalance(slots, 0);
        sched.update_priorities(perturb(&prios, &factors));
        let second = sched.rebalance(slots, early * S);
        let still: BTreeSet<String> = active(&second);
        for s in &first.explored {
            prop_assert!(still.contains(s), "{} dropped before its hold time", s);
        }
    }

    /// The in-place hand-over equals the snapshot replacement, whatever the previous state.
    #[test]
    fn update_in_place_equals_replacement(first in priorities(30), second in priorities(30)) {
        let mut a = SubscriptionScheduler::new(&SchedulerConfig::default());
        let mut b = a.clone();
        a.update_priorities(first.clone());
        b.update_priorities_from(first.iter().map(|(s, p)| (s, *p)));
        prop_assert_eq!(format!("{:?}", sorted(a.priorities())), format!("{:?}", sorted(b.priorities())));
        a.update_priorities(second.clone());
        b.update_priorities_from(second.iter().map(|(s, p)| (s.as_str(), *p)));
        prop_assert_eq!(format!("{:?}", sorted(a.priorities())), format!("{:?}", sorted(b.priorities())));
    }
}

fn sorted(m: &HashMap<String, f64>) -> Vec<(&String, &f64)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|x, y| x.0.cmp(y.0));
    v
}
