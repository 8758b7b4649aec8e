//! Backpressure: staleness and queue depth are watched, and when the consumer falls behind the
//! lowest-priority option-quote subscriptions are shed, with every dropped row counted.
//!
//! ```text
//!  worker ──try_send──▶ bounded queue ──▶ consumer stream (ConsumerSide: filters shed rows,
//!    │  depth++                │             depth--, records staleness, counts delivered)
//!    │                         ▼
//!    └── drops rows of shed ◀── Governor (every check interval): overloaded? cut capacity,
//!        instruments             scheduler.shed_to() → unsubscribe now; healthy for a while?
//!                                grow capacity by a quarter per step; the next rebalance refills
//! ```
//!
//! Only scheduled option quotes are shed: they are the instruments the scheduler ranks, and the
//! ones whose loss costs least (the lowest decayed activity). Trades and wildcard equity feeds
//! cannot be unsubscribed selectively; if their consumer cannot keep up, the bounded queue
//! overflows and the rows are dropped and counted (`queue_full`), never silently.
//!
//! Option quotes that are still queued when they are already older than the staleness limit
//! are dropped at the consumer's end (reason `stale`): a quote is the state of the book, and a
//! newer quote of the same contract is behind it in the queue, so delivering it late would
//! only delay the fresh ones. Trades are never dropped for staleness.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::model::Symbol;

/// Backpressure settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackpressureConfig {
    /// Staleness (frame received → handed to the consumer) above which shedding starts, ms.
    pub max_staleness_ms: u64,
    /// Queue fill ratio above which shedding starts, in `(0, 1]`.
    pub queue_high_ratio: f64,
    /// How often the governor looks, ms.
    pub check_interval_ms: u64,
    /// Share of the current scheduled capacity cut per overload, in `(0, 1]`.
    pub shed_fraction: f64,
    /// After a cut, wait this long before judging again (the unsubscribe needs a round trip), ms.
    pub shed_cooldown_ms: u64,
    /// Healthy this long before capacity is raised one step, ms.
    pub restore_after_ms: u64,
    /// Growth of the capacity per healthy step, as a share of the current capacity (at least
    /// one slot), in `(0, 1]`. Multiplicative: activity is heavy-tailed, so the first slots
    /// carry most of the flow and must come back one by one.
    pub restore_step: f64,
}

impl Default for BackpressureConfig {
    fn default() -> Self {
        BackpressureConfig {
            max_staleness_ms: 100,
            queue_high_ratio: 0.5,
            check_interval_ms: 20,
            shed_fraction: 0.25,
            shed_cooldown_ms: 100,
            restore_after_ms: 2_000,
            restore_step: 0.25,
        }
    }
}

/// What the governor decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do.
    Hold,
    /// Overloaded: lower the capacity to this and shed now.
    Shed(usize),
    /// Healthy long enough: raise the capacity to this.
    Restore(usize),
}

/// The pure decision logic for one shard (time passed in, no I/O).
///
/// ```
/// use ws_source::backpressure::{BackpressureConfig, Decision, Governor};
/// let mut g = Governor::new(BackpressureConfig::default(), 1_000);
/// const MS: i64 = 1_000_000;
/// // Staleness 150 ms > 100 ms: cut a quarter.
/// assert_eq!(g.observe(0.1, 150 * MS, 0), Decision::Shed(750));
/// // Still stale inside the cooldown: wait for the unsubscribe to take effect.
/// assert_eq!(g.observe(0.1, 150 * MS, 50 * MS), Decision::Hold);
/// assert_eq!(g.observe(0.1, 150 * MS, 200 * MS), Decision::Shed(562));
/// // Healthy from 300 ms on; after 2 s of it, grow by a quarter per step.
/// assert_eq!(g.observe(0.0, MS, 300 * MS), Decision::Hold);
/// assert_eq!(g.observe(0.0, MS, 2_300 * MS), Decision::Restore(703));
/// ```
#[derive(Debug, Clone)]
pub struct Governor {
    config: BackpressureConfig,
    max: usize,
    current: usize,
    last_shed_ns: Option<i64>,
    healthy_since_ns: Option<i64>,
}

impl Governor {
    /// The ceiling.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Lowers (or raises) the ceiling, e.g. when the server enforces a lower limit than
    /// configured; the current capacity is clamped to it.
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
        self.current = self.current.min(max);
    }

    /// A governor for a shard whose scheduled capacity is at most `max`.
    pub fn new(config: BackpressureConfig, max: usize) -> Governor {
        Governor {
            config,
            max,
            current: max,
            last_shed_ns: None,
            healthy_since_ns: None,
        }
    }

    /// The capacity the governor allows now.
    pub fn capacity(&self) -> usize {
        self.current
    }

    /// Judges one observation: the queue fill ratio, the consumer staleness, the time.
    pub fn observe(&mut self, queue_ratio: f64, staleness_ns: i64, now_ns: i64) -> Decision {
        let c = &self.config;
        let overloaded = queue_ratio > c.queue_high_ratio
            || staleness_ns > c.max_staleness_ms as i64 * 1_000_000;
        if overloaded {
            self.healthy_since_ns = None;
            let cooling = self
                .last_shed_ns
                .is_some_and(|t| now_ns - t < c.shed_cooldown_ms as i64 * 1_000_000);
            if cooling || self.current == 0 {
                return Decision::Hold;
            }
            // Far over the limit: cut twice as deep.
            let severe = queue_ratio > (1.0 + c.queue_high_ratio) / 2.0
                || staleness_ns > 2 * c.max_staleness_ms as i64 * 1_000_000;
            let fraction = if severe {
                (2.0 * c.shed_fraction).min(1.0)
            } else {
                c.shed_fraction
            };
            let cut = ((self.current as f64 * fraction).ceil() as usize).max(1);
            self.current = self.current.saturating_sub(cut);
            self.last_shed_ns = Some(now_ns);
            return Decision::Shed(self.current);
        }
        if self.current >= self.max {
            self.healthy_since_ns = None;
            return Decision::Hold;
        }
        let since = *self.healthy_since_ns.get_or_insert(now_ns);
        if now_ns - since >= c.restore_after_ms as i64 * 1_000_000 {
            let step = ((self.current as f64 * c.restore_step).ceil() as usize).max(1);
            self.current = (self.current + step).min(self.max);
            self.healthy_since_ns = Some(now_ns);
            return Decision::Restore(self.current);
        }
        Decision::Hold
    }
}

/// Instruments currently shed: their rows are dropped (and counted) wherever they are met,
/// in the read loop or still queued. Readers cache the set and re-read it only when the
/// version changes, so the hot path takes no lock.
#[derive(Debug, Default)]
pub struct ShedSet {
    version: AtomicU64,
    set: RwLock<Arc<HashSet<Symbol>>>,
}

impl ShedSet {
    /// Adds and removes instruments.
    pub fn update(&self, add: impl IntoIterator<Item = Symbol>, remove: &[Symbol]) {
        let Ok(mut guard) = self.set.write() else {
            return;
        };
        let mut next: HashSet<Symbol> = (**guard).clone();
        let mut changed = false;
        for s in add {
            changed |= next.insert(s);
        }
        for s in remove {
            changed |= next.remove(s);
        }
        if changed {
            *guard = Arc::new(next);
            self.version.fetch_add(1, Ordering::Release);
        }
    }

    /// The number of shed instruments.
    pub fn len(&self) -> usize {
        self.set.read().map(|s| s.len()).unwrap_or(0)
    }

    /// Whether nothing is shed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A reader's cached view of a [`ShedSet`].
#[derive(Debug, Default)]
pub struct ShedView {
    version: u64,
    set: Arc<HashSet<Symbol>>,
}

impl ShedView {
    /// Refreshes the cache if the set changed; returns the current set.
    #[inline]
    pub fn current(&mut self, shared: &ShedSet) -> &HashSet<Symbol> {
        let v = shared.version.load(Ordering::Acquire);
        if v != self.version
            && let Ok(set) = shared.set.read()
        {
            self.set = Arc::clone(&set);
            self.version = v;
        }
        &self.set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn sheds_on_a_full_queue_too_and_never_below_zero() {
        let mut g = Governor::new(
            BackpressureConfig {
                shed_fraction: 1.0,
                ..Default::default()
            },
            10,
        );
        assert_eq!(g.observe(0.9, 0, 0), Decision::Shed(0));
        assert_eq!(g.observe(0.9, 0, 1_000 * MS), Decision::Hold);
    }

    #[test]
    fn a_lowered_ceiling_clamps_the_capacity_and_bounds_restores() {
        let mut g = Governor::new(BackpressureConfig::default(), 1_000);
        g.set_max(950);
        assert_eq!((g.max(), g.capacity()), (950, 950));
        // Healthy for a long time: never back above the new ceiling.
        for t in 0..100 {
            g.observe(0.0, 0, t * 10_000_000_000);
        }
        assert_eq!(g.capacity(), 950);
    }

    #[test]
    fn restores_step_by_step_up_to_the_maximum_only_when_healthy() {
        let mut g = Governor::new(BackpressureConfig::default(), 100);
        assert_eq!(g.observe(0.6, 0, 0), Decision::Shed(75));
        let mut t = 0;
        let mut last = 75;
        for _ in 0..200 {
            t += 100 * MS;
            if let Decision::Restore(c) = g.observe(0.0, 0, t) {
                let step = ((last as f64 * 0.25).ceil() as usize).max(1);
                assert_eq!(c, (last + step).min(100));
                last = c;
            }
        }
        assert_eq!(g.capacity(), 100);
        // A relapse resets the healthy clock.
        assert_eq!(g.observe(0.0, 150 * MS, t + 1), Decision::Shed(75));
        // Far over the limit: twice as deep.
        assert_eq!(g.observe(0.0, 500 * MS, t + 1_000 * MS), Decision::Shed(37));
    }

    #[test]
    fn restores_from_the_bottom_one_slot_at_a_time() {
        let mut g = Governor::new(
            BackpressureConfig {
                shed_fraction: 1.0,
                ..Default::default()
            },
            1_000,
        );
        assert_eq!(g.observe(1.0, 0, 0), Decision::Shed(0));
        let mut t = 0;
        let mut seen = Vec::new();
        while seen.len() < 6 {
            t += 100 * MS;
            if let Decision::Restore(c) = g.observe(0.0, 0, t) {
                seen.push(c);
            }
        }
        assert_eq!(seen, [1, 2, 3, 4, 5, 7]);
    }

    #[test]
    fn shed_set_view_follows_updates() {
        let shared = ShedSet::default();
        let mut view = ShedView::default();
        assert!(view.current(&shared).is_empty());
        let a = Symbol::new("O:A250101C00001000").unwrap();
        shared.update([a], &[]);
        assert!(view.current(&shared).contains(&a));
        shared.update([], &[a]);
        assert!(view.current(&shared).is_empty());
    }
}
