//! The allocation algorithm: a pure function of the scheduler state, the capacity and the time.
//!
//! With `S` slots, `R = min(top_n, S)` reserved slots, `E = min(round(fraction × S), S − R)`
//! exploration slots and `X = S − R − E` exploitation slots:
//!
//! 1. **Reserved**: the `R` best instruments by priority (ties by symbol), unconditionally.
//! 2. **Held exploration picks**: incumbent exploration picks younger than one rebalance interval
//!    keep their slot (if `E` shrank, the lowest-priority ones are dropped first).
//! 3. **Exploitation**: the `X` best of the rest by *score*, where an incumbent's score is its
//!    priority × `(1 + hysteresis)` and a challenger's is its priority; on equal scores the
//!    incumbent wins. So an incumbent loses its slot only to a challenger whose priority exceeds its
//!    own by the factor `1 + hysteresis` (or to a better-ranked incumbent, or when a new instrument
//!    enters the reserved `top_n`, which is unconditional, or when the capacity shrinks).
//! 4. **Exploration**: every slot still free goes to instruments outside the sets above, preferring
//!    those explored longest ago (never-explored first), then a pseudo-random draw seeded by
//!    `(seed, epoch, symbol)`: Thompson sampling of the decayed count (the default), uniform, or
//!    weighted by priority (Efraimidis–Spirakis keys), as configured. Slots are never left idle
//!    while candidates exist.
//!
//! Instruments excluded until later ([`exclude`](super::SubscriptionScheduler::exclude)) take
//! no role.
//!
//! Cost: one pass over the known instruments for the top `R + X + held` (bounded heap), one for the
//! exploration draw (bounded heap, with a cheap early rejection), plus work proportional to `S`.

use std::collections::{HashMap, HashSet};

use super::allocation::{Incumbent, SlotRole};
use super::config::ExplorationWeighting;
use super::rank::{ExploreKey, Ranked, Smallest, sanitize, top_k};
use super::rng;

/// Everything the plan depends on (borrowed from the scheduler).
pub(crate) struct PlanInput<'a> {
    pub priorities: &'a HashMap<String, f64>,
    pub incumbents: &'a HashMap<String, Incumbent>,
    /// Symbol → time until which it may not be chosen (rejected by the server).
    pub excluded: &'a HashMap<String, i64>,
    /// Symbol → epoch it was last picked for exploration.
    pub explored: &'a HashMap<String, u64>,
    pub top_n: usize,
    pub exploration_fraction: f64,
    pub weighting: ExplorationWeighting,
    pub hysteresis: f64,
    /// Seconds of activity a priority summarizes (`half_life_s / ln 2`): priority × window is the
    /// decayed event count.
    pub window_s: f64,
    /// How long an exploration pick is held (ns).
    pub hold_ns: i64,
    /// How many epochs an exploration pick is remembered.
    pub memory_epochs: u64,
    /// The epoch being planned (>= 1).
    pub epoch: u64,
    pub seed: u64,
    pub total_slots: usize,
    pub now_ns: i64,
}

/// The chosen instruments, each group sorted by symbol.
#[derive(Debug, Default)]
pub(crate) struct Selection<'a> {
    pub reserved: Vec<&'a str>,
    pub exploited: Vec<&'a str>,
    /// Exploration picks kept from earlier epochs (still within their hold time).
    pub held: Vec<&'a str>,
    /// New exploration picks.
    pub picked: Vec<&'a str>,
}

/// Number of exploration slots for a capacity: `round(fraction × total_slots)` capped at
/// `total_slots − min(top_n, total_slots)`.
pub(crate) fn exploration_slots(top_n: usize, fraction: f64, total_slots: usize) -> usize {
    let reserved = top_n.min(total_slots);
    let wanted = (sanitize(fraction).min(1.0) * total_slots as f64).round();
    // `as` saturates; `wanted` is finite and within [0, total_slots].
    (wanted as usize).min(total_slots - reserved)
}

impl<'a> PlanInput<'a> {
    fn priority(&self, sym: &str) -> f64 {
        self.priorities.get(sym).map_or(0.0, |&p| sanitize(p))
    }

    /// True if `sym` is kept out until later (looked up only for instruments that would be
    /// admitted: hashing every known symbol would double the cost of a large rebalance).
    fn is_excluded(&self, sym: &str) -> bool {
        !self.excluded.is_empty()
            && self
                .excluded
                .get(sym)
                .is_some_and(|&until| until > self.now_ns)
    }

    /// Every known instrument once: the priority map, plus incumbents missing from it (priority 0).
    fn known(&self) -> impl Iterator<Item = Ranked<'a>> + '_ {
        let priorities = self.priorities;
        priorities
            .iter()
            .map(|(s, &p)| Ranked {
                p: sanitize(p),
                sym: s.as_str(),
            })
            .chain(
                self.incumbents
                    .keys()
                    .filter(move |s| !priorities.contains_key(s.as_str()))
                    .map(|s| Ranked {
                        p: 0.0,
                        sym: s.as_str(),
                    }),
            )
    }

    /// The exploration tier of `sym`: the epoch it was last explored if that is remembered, else 0.
    fn tier(&self, sym: &str) -> u64 {
        match self.explored.get(sym) {
            Some(&e) if self.epoch.saturating_sub(e) <= self.memory_epochs => e,
            _ => 0,
        }
    }

    pub(crate) fn plan(&self) -> Selection<'a> {
        let s = self.total_slots;
        let r_slots = self.top_n.min(s);
        let e_slots = exploration_slots(self.top_n, self.exploration_fraction, s);
        let x_slots = s - r_slots - e_slots;
        if s == 0 {
            return Selection::default();
        }

        // Held exploration picks.
        let mut held: Vec<Ranked<'a>> = self
            .incumbents
            .iter()
            .filter(|(_, inc)| {
                inc.role == SlotRole::Explore
                    && self.now_ns.saturating_sub(inc.since_ns) < self.hold_ns
            })
            .map(|(sym, _)| Ranked {
                p: self.priority(sym),
                sym: sym.as_str(),
            })
            .collect();

        // 1. The best R + X + |held| by raw priority: enough to fill R and X whatever is held
        //    (plus room for the excluded ones, filtered out afterwards).
        let wanted = r_slots.saturating_add(x_slots).saturating_add(held.len());
        let mut best = top_k(self.known(), wanted.saturating_add(self.excluded.len()));
        best.retain(|r| !self.is_excluded(r.sym));
        best.truncate(wanted);
        let reserved: Vec<Ranked<'a>> = best[..r_slots.min(best.len())].to_vec();
        let mut taken: HashSet<&'a str> = reserved.iter().map(|r| r.sym).collect();

        // 2. Held picks not promoted to reserved; the lowest priority go first if E shrank.
        held.retain(|h| !taken.contains(h.sym) && !self.is_excluded(h.sym));
        held.sort_unstable_by(|a, b| b.cmp(a));
        held.truncate(e_slots);
        taken.extend(held.iter().map(|h| h.sym));

        // 3. Exploitation with hysteresis. Candidates: the rest of `best`, and every incumbent.
        let boost = 1.0 + self.hysteresis;
        let room = best.len() + self.incumbents.len();
        let mut contenders: Vec<(f64, bool, &'a str)> = Vec::with_capacity(room);
        let mut seen: HashSet<&'a str> = HashSet::with_capacity(room);
        for r in &best[reserved.len()..] {
            if !taken.contains(r.sym) && seen.insert(r.sym) {
                let inc = self.incumbents.contains_key(r.sym);
                contenders.push((if inc { r.p * boost } else { r.p }, inc, r.sym));
            }
        }
        for sym in self.incumbents.keys() {
            let sym = sym.as_str();
            if !taken.contains(sym) && seen.insert(sym) {
                contenders.push((self.priority(sym) * boost, true, sym));
            }
        }
        // Best first: higher score, then incumbent, then smaller symbol.
        contenders.sort_unstable_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| b.1.cmp(&a.1))
                .then_with(|| a.2.cmp(b.2))
        });
        contenders.truncate(x_slots);
        let exploited: Vec<&'a str> = contenders.iter().map(|c| c.2).collect();
        taken.extend(exploited.iter().copied());

        // 4. Exploration: every remaining slot, least recently explored first, then at random.
        let free = s.saturating_sub(taken.len());
        let seed = rng::epoch_seed(self.seed, self.epoch);
        let mut pool: Smallest<ExploreKey<'a>> = Smallest::new(free);
        if free > 0 {
            let posterior = self.weighting == ExplorationWeighting::Posterior;
            for Ranked { p, sym } in self.known() {
                // Posterior draws: a candidate whose best possible sample cannot beat a
                // never-explored bar is skipped before its symbol is read (same result, cheaper).
                if posterior
                    && let Some(bar) = pool.bar()
                    && bar.tier == 0
                    && rng::posterior_upper_bound(p, self.window_s)
                        < rng::posterior_sample(bar.draw)
                {
                    continue;
                }
                // The draw reads the symbol's bytes: on a large map this cache miss per symbol is
                // most of the cost of a rebalance (chunking the reads did not help measurably).
                let draw = match self.weighting {
                    ExplorationWeighting::Uniform => rng::draw(seed, sym),
                    ExplorationWeighting::Priority => rng::weighted_key(rng::draw(seed, sym), p),
                    ExplorationWeighting::Posterior => {
                        rng::posterior_key(rng::draw(seed, sym), p, self.window_s)
                    }
                };
                if let Some(bar) = pool.bar() {
                    // Nothing can beat a never-explored bar with a larger draw: skip the lookups.
                    if bar.tier == 0 && (draw, sym) > (bar.draw, bar.sym) {
                        continue;
                    }
                }
                if taken.contains(sym) || self.is_excluded(sym) {
                    continue;
                }
                pool.push(ExploreKey {
                    tier: self.tier(sym),
                    draw,
                    sym,
                });
            }
        }
        let picked: Vec<&'a str> = pool.into_sorted().into_iter().map(|k| k.sym).collect();

        let sorted = |mut v: Vec<&'a str>| {
            v.sort_unstable();
            v
        };
        Selection {
            reserved: sorted(reserved.iter().map(|r| r.sym).collect()),
            exploited: sorted(exploited),
            held: sorted(held.iter().map(|h| h.sym).collect()),
            picked: sorted(picked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The posterior early rejection (skip a candidate whose best possible draw cannot beat the
    /// bar) picks exactly what drawing every candidate would.
    #[test]
    fn posterior_early_rejection_matches_drawing_everyone() {
        let empty_inc = HashMap::new();
        let empty_expl = HashMap::new();
        let empty_excl = HashMap::new();
        for case in 0..200u64 {
            let n = 50 + (case as usize * 37) % 400;
            let priorities: HashMap<String, f64> = (0..n)
                .map(|i| {
                    let h = rng::mix64(case * 1_000 + i as u64);
                    let p = match h % 7 {
                        0 => 0.0,
                        1 => f64::NAN,
                        2 => 0.5, // ties
                        _ => (h >> 11) as f64 / (1u64 << 53) as f64 * 0.2,
                    };
                    (format!("O:C{i:05}"), p)
                })
                .collect();
            let window = [10.0, 173.0, 5_000.0][case as usize % 3];
            let input = PlanInput {
                priorities: &priorities,
                incumbents: &empty_inc,
                excluded: &empty_excl,
                explored: &empty_expl,
                top_n: 5,
                exploration_fraction: 0.3,
                weighting: ExplorationWeighting::Posterior,
                hysteresis: 0.5,
                window_s: window,
                hold_ns: 1,
                memory_epochs: 10,
                epoch: 1 + case,
                seed: case,
                total_slots: 40,
                now_ns: 0,
            };
            let sel = input.plan();
            let taken: HashSet<&str> = sel.reserved.iter().chain(&sel.exploited).copied().collect();
            let seed = rng::epoch_seed(case, 1 + case);
            let mut all: Vec<(u64, &str)> = input
                .known()
                .filter(|r| !taken.contains(r.sym))
                .map(|r| {
                    (
                        rng::posterior_key(rng::draw(seed, r.sym), r.p, window),
                        r.sym,
                    )
                })
                .collect();
            all.sort_unstable();
            let mut want: Vec<&str> = all.iter().take(sel.picked.len()).map(|k| k.1).collect();
            want.sort_unstable();
            assert_eq!(sel.picked, want, "case {case}");
            assert_eq!(sel.picked.len(), 12, "case {case}");
        }
    }

    #[test]
    fn exploration_slot_arithmetic() {
        assert_eq!(exploration_slots(5, 0.2, 10), 2);
        assert_eq!(exploration_slots(9, 0.2, 10), 1);
        assert_eq!(exploration_slots(20, 0.2, 10), 0);
        assert_eq!(exploration_slots(0, 1.0, 10), 10);
        assert_eq!(exploration_slots(0, 0.25, 10), 3); // 2.5 rounds half away from zero
        assert_eq!(exploration_slots(0, f64::NAN, 10), 0);
        assert_eq!(exploration_slots(0, 0.5, 0), 0);
    }
}
