//! The policies under evaluation. Each sees the trades of closed intervals only
//! ([`Policy::observe`]) and, at every decision time, names the contracts to subscribe
//! ([`Policy::decide`]); the oracle instead reads the simulator's true current intensities.

use std::collections::HashSet;

use anyhow::Context;
use ws_source::{ActivityTracker, SchedulerConfig, SubscriptionScheduler};

use super::record::{Recording, Trade, top_k_by_rate};

/// Rebalances between two prunes of an activity tracker (what a live loop does "now and then").
const PRUNE_EVERY: usize = 60;
/// Priority below which a tracked contract is forgotten at a prune.
const PRUNE_BELOW: f64 = 1e-6;

/// What a policy may know at a decision.
pub struct Decision<'a> {
    /// Interval index the decision applies to.
    pub r: usize,
    /// Decision time, Unix ns.
    pub now_ns: i64,
    /// Capacity.
    pub slots: usize,
    /// The recording (policies other than the oracle only use its symbol table and listing count).
    pub rec: &'a Recording,
    /// First measured interval: the static policy freezes its choice here.
    pub warmup_intervals: usize,
}

/// A subscription policy.
pub trait Policy: Send {
    /// Short name for the table and the plot legend.
    fn name(&self) -> &'static str;
    /// Sees one trade of a closed interval (after the decision that covered it).
    fn observe(&mut self, rec: &Recording, trade: &Trade);
    /// The contracts to subscribe for interval `d.r` (at most `d.slots`; any order).
    fn decide(&mut self, d: &Decision<'_>) -> anyhow::Result<Vec<u32>>;
}

/// [`SubscriptionScheduler`] fed by an [`ActivityTracker`] of option trades (count and size).
pub struct SchedulerPolicy {
    name: &'static str,
    tracker: ActivityTracker,
    scheduler: SubscriptionScheduler,
}

impl SchedulerPolicy {
    /// The live loop's pair, configured by `config`.
    pub fn new(name: &'static str, config: &SchedulerConfig) -> anyhow::Result<Self> {
        let scheduler = SubscriptionScheduler::try_new(config)
            .with_context(|| format!("policy {name}: invalid scheduler config"))?;
        let tracker = ActivityTracker::from_config(config)
            .with_context(|| format!("policy {name}: invalid tracker config"))?;
        Ok(Self {
            name,
            tracker,
            scheduler,
        })
    }

    /// Greedy top-K on plain decayed trade rates (the same half-life and volume weight, no
    /// put-call pooling): no reserved/exploration split, no exploration, no hysteresis (every
    /// slot goes to the current best by priority).
    pub fn greedy(config: &SchedulerConfig, slots: usize) -> anyhow::Result<Self> {
        let greedy = SchedulerConfig {
            put_call_pooling: 0.0,
            ..Self::greedy_config(config, slots)
        };
        Self::new("greedy", &greedy)
    }

    /// Ablation: greedy top-K on *our* decayed rates (with our put-call pooling). Shows what the
    /// pooled estimate alone buys and what our exploration and hysteresis cost or save.
    pub fn greedy_pooled(config: &SchedulerConfig, slots: usize) -> anyhow::Result<Self> {
        Self::new("greedy+pool", &Self::greedy_config(config, slots))
    }

    fn greedy_config(config: &SchedulerConfig, slots: usize) -> SchedulerConfig {
        SchedulerConfig {
            top_n: slots,
            exploration_fraction: 0.0,
            hysteresis: 0.0,
            ..config.clone()
        }
    }
}

impl Policy for SchedulerPolicy {
    fn name(&self) -> &'static str {
        self.name
    }

    fn observe(&mut self, rec: &Recording, trade: &Trade) {
        if let Some(sym) = rec.symbols.get(trade.contract as usize) {
            // The live loop's path: the trade, plus the put-call pooling credit.
            self.tracker
                .record_option_trade(sym, trade.ts_ns, f64::from(trade.size));
        }
    }

    fn decide(&mut self, d: &Decision<'_>) -> anyhow::Result<Vec<u32>> {
        if d.r > 0 && d.r % PRUNE_EVERY == 0 {
            self.tracker.prune(d.now_ns, PRUNE_BELOW);
        }
        self.scheduler.sync_from(&mut self.tracker, d.now_ns);
        let alloc = self.scheduler.rebalance(d.slots, d.now_ns);
        alloc
            .active()
            .map(|(sym, _)| {
                d.rec.index.get(sym).copied().with_context(|| {
                    format!("policy {}: scheduler chose unknown symbol {sym}", self.name)
                })
            })
            .collect()
    }
}

/// Top-K by the simulator's true current trade intensity at each decision.
pub struct Oracle;

impl Policy for Oracle {
    fn name(&self) -> &'static str {
        "oracle"
    }

    fn observe(&mut self, _rec: &Recording, _trade: &Trade) {}

    fn decide(&mut self, d: &Decision<'_>) -> anyhow::Result<Vec<u32>> {
        Ok(d.rec.oracle.get(d.r).cloned().unwrap_or_default())
    }
}

/// The K contracts with the most trades during the warm-up, frozen for the measured period.
#[derive(Default)]
pub struct StaticTopK {
    counts: Vec<u64>,
    chosen: Option<Vec<u32>>,
}

impl Policy for StaticTopK {
    fn name(&self) -> &'static str {
        "static"
    }

    fn observe(&mut self, _rec: &Recording, trade: &Trade) {
        if self.chosen.is_some() {
            return;
        }
        let i = trade.contract as usize;
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
    }

    fn decide(&mut self, d: &Decision<'_>) -> anyhow::Result<Vec<u32>> {
        if let Some(chosen) = &self.chosen {
            return Ok(chosen.clone());
        }
        if d.r < d.warmup_intervals {
            // Warm-up: nothing measured yet, nothing subscribed.
            return Ok(Vec::new());
        }
        let counts: Vec<(u32, f64)> = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &c)| (i as u32, c as f64))
            .collect();
        let chosen = top_k_by_rate(counts, d.slots);
        self.chosen = Some(chosen.clone());
        Ok(chosen)
    }
}

/// K contracts drawn uniformly among the listed ones, redrawn at every decision.
pub struct UniformRandom {
    state: u64,
}

impl UniformRandom {
    /// A generator seeded by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0xA076_1D64_78BD_642F,
        }
    }

    /// SplitMix64.
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Policy for UniformRandom {
    fn name(&self) -> &'static str {
        "random"
    }

    fn observe(&mut self, _rec: &Recording, _trade: &Trade) {}

    fn decide(&mut self, d: &Decision<'_>) -> anyhow::Result<Vec<u32>> {
        let n = d.rec.listed.get(d.r).copied().unwrap_or(0) as u64;
        let k = (d.slots as u64).min(n) as usize;
        let mut set = HashSet::with_capacity(k);
        let mut out = Vec::with_capacity(k);
        while out.len() < k {
            let c = (self.next_u64() % n) as u32;
            if set.insert(c) {
                out.push(c);
            }
        }
        Ok(out)
    }
}
