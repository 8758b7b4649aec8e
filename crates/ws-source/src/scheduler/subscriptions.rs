//! [`SubscriptionScheduler`]: which instruments hold the limited quote-subscription slots.

use std::collections::HashMap;

use super::activity::{ActivityTracker, SyncKind};
use super::allocate::{PlanInput, Selection, exploration_slots};
use super::allocation::{Allocation, Incumbent, SlotRole};
use super::config::{ConfigError, ExplorationWeighting, SchedulerConfig};
use super::rank::{Ranked, sanitize};

const NS_PER_S: i64 = 1_000_000_000;

/// Sets `sym`'s priority (sanitized), allocating only if it is new.
fn upsert(priorities: &mut HashMap<String, f64>, sym: &str, p: f64) {
    let p = sanitize(p);
    match priorities.get_mut(sym) {
        Some(v) => *v = p,
        None => {
            priorities.insert(sym.to_owned(), p);
        }
    }
}

/// Decides which instruments get the limited subscription slots (e.g. 1,000 option contracts per
/// connection for quotes): reserved top-N by decayed activity, randomized exploration, hysteresis.
///
/// Pure logic: no I/O, no clock reads (time is passed in as Unix nanoseconds), deterministic for a
/// given state and seed. The scheduler remembers the *incumbent set* (what is subscribed now) and
/// the exploration history; [`rebalance`](Self::rebalance) computes the next allocation, commits it
/// and returns the subscribe/unsubscribe diff, while [`allocate_slots`](Self::allocate_slots) and
/// [`plan`](Self::plan) only preview it (`&self`, so repeated calls agree).
///
/// The rules (see the `allocate` module for the algorithm) with `S` slots:
/// - the `top_n` instruments by priority are always subscribed (as far as `S` allows);
/// - `round(exploration_fraction × S)` slots, capped at `S − top_n`, go to random instruments
///   outside the exploitation set, preferring those not explored recently; a pick keeps its slot
///   for at least one rebalance interval (`exploration_hold_intervals`);
/// - every other slot goes to the next-best by priority, where an incumbent keeps its slot unless a
///   challenger's priority exceeds its own by the factor `1 + hysteresis` (incumbents compete
///   with their priority × `(1 + hysteresis)`, challengers with their priority, and incumbents win
///   ties). Two things override hysteresis: a newcomer to the `top_n` takes its reserved slot
///   unconditionally (the lowest-scored incumbent makes room), and a smaller capacity drops the
///   lowest-scored incumbents;
/// - an exploration pick whose hold time is over competes for the exploitation slots like any
///   incumbent, and otherwise makes room for a new pick (exploration rotates);
/// - no slot is left idle while candidates exist; ties are broken by symbol.
///
/// Priorities that are NaN, infinite or negative count as 0 (they never panic).
///
/// # Example: the live loop
///
/// ```
/// use ws_source::{ActivityTracker, SchedulerConfig, SubscriptionScheduler};
///
/// const S: i64 = 1_000_000_000;
/// let config = SchedulerConfig { top_n: 2, exploration_fraction: 0.25, ..SchedulerConfig::default() };
/// config.validate().unwrap();
/// let mut tracker: ActivityTracker = ActivityTracker::from_config(&config).unwrap();
/// let mut scheduler = SubscriptionScheduler::new(&config);
///
/// // Feed activity: every options trade (T.* covers every contract) and every message received on
/// // a subscribed quote stream.
/// let mut now = 0;
/// for (i, sym) in ["O:A", "O:B", "O:C", "O:D", "O:E", "O:F"].iter().enumerate() {
///     for _ in 0..=i {
///         tracker.record_trade(*sym, now, 10.0);
///     }
/// }
///
/// // Every rebalance_interval_s: hand the decayed rates over, rebalance, apply the diff.
/// now += config.rebalance_interval_s as i64 * S;
/// scheduler.sync_from(&mut tracker, now); // incremental: only what changed since the last sync
/// // (equivalent to the spec's `scheduler.update_priorities(tracker.rates(now))`, which copies all)
/// let capacity = 4; // 1,000 per options connection, lowered under backpressure
/// let alloc = scheduler.rebalance(capacity, now);
/// assert_eq!(alloc.reserved, ["O:E", "O:F"]); // the two most active
/// assert_eq!(alloc.active_count(), 4); // the `subs_active` metric
/// assert_eq!(alloc.to_subscribe.len(), 4); // send these in a subscribe message
/// assert_eq!(alloc.evictions(), 0); // alloc.to_unsubscribe: send an unsubscribe message
///
/// // Now and then, forget contracts whose activity decayed away.
/// tracker.prune(now, 1e-9);
///
/// // The pure view previews the next rebalance; repeated calls agree.
/// let view = scheduler.allocate_slots(4);
/// assert_eq!(view.len(), 6); // every known instrument appears
/// assert_eq!(view.values().filter(|on| **on).count(), 4);
/// assert_eq!(view, scheduler.allocate_slots(4));
/// ```
#[derive(Clone)]
pub struct SubscriptionScheduler {
    top_n: usize,
    exploration_fraction: f64,
    rebalance_interval_s: u64,
    hysteresis: f64,
    /// Latest priorities (sanitized: finite, `>= 0`).
    priorities: HashMap<String, f64>,
    seed: u64,
    exploration_weighting: ExplorationWeighting,
    exploration_memory_epochs: u64,
    exploration_hold_intervals: u64,
    half_life_s: f64,
    /// Number of rebalances committed so far.
    epoch: u64,
    /// Time of the last committed rebalance.
    last_rebalance_ns: Option<i64>,
    /// What is subscribed now.
    incumbents: HashMap<String, Incumbent>,
    /// Symbol → epoch it was last picked for exploration (only the last `exploration_memory_epochs`).
    explored: HashMap<String, u64>,
    /// Symbol → time until which it may not be subscribed (see [`exclude`](Self::exclude)).
    excluded: HashMap<String, i64>,
}

/// A summary (counts, not the possibly millions of entries), so that logging a scheduler is cheap.
impl std::fmt::Debug for SubscriptionScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionScheduler")
            .field("top_n", &self.top_n)
            .field("exploration_fraction", &self.exploration_fraction)
            .field("rebalance_interval_s", &self.rebalance_interval_s)
            .field("hysteresis", &self.hysteresis)
            .field("epoch", &self.epoch)
            .field("known", &self.priorities.len())
            .field("subscribed", &self.incumbents.len())
            .field("explored_remembered", &self.explored.len())
            .finish_non_exhaustive()
    }
}

impl SubscriptionScheduler {
    /// A scheduler with no known instruments and nothing subscribed.
    ///
    /// Out-of-range values are clamped rather than rejected (NaN or negative fraction/hysteresis
    /// become 0, a fraction above 1 becomes 1, zero intervals/epochs become 1): call
    /// [`SchedulerConfig::validate`] first, or use [`try_new`](Self::try_new).
    pub fn new(config: &SchedulerConfig) -> Self {
        Self {
            top_n: config.top_n,
            exploration_fraction: sanitize(config.exploration_fraction).min(1.0),
            rebalance_interval_s: config.rebalance_interval_s.max(1),
            hysteresis: sanitize(config.hysteresis),
            priorities: HashMap::new(),
            seed: config.seed,
            exploration_weighting: config.exploration_weighting,
            exploration_memory_epochs: config.exploration_memory_epochs.max(1),
            exploration_hold_intervals: config.exploration_hold_intervals.max(1),
            half_life_s: config.half_life_s,
            epoch: 0,
            last_rebalance_ns: None,
            incumbents: HashMap::new(),
            explored: HashMap::new(),
            excluded: HashMap::new(),
        }
    }

    /// Like [`new`](Self::new), but rejects an invalid config (the error names the field).
    pub fn try_new(config: &SchedulerConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::new(config))
    }

    /// Replaces the priorities with a fresh snapshot of decayed rates (e.g.
    /// [`ActivityTracker::rates`](super::ActivityTracker::rates)).
    ///
    /// The snapshot is the complete picture: instruments absent from it are forgotten, except the
    /// currently subscribed ones, which stay known with priority 0 until they lose their slot.
    /// NaN, infinite and negative rates are stored as 0.
    pub fn update_priorities(&mut self, rates: HashMap<String, f64>) {
        let mut rates = rates;
        for p in rates.values_mut() {
            *p = sanitize(*p);
        }
        self.priorities = rates;
    }

    /// Same result as [`update_priorities`](Self::update_priorities), but from borrowed pairs,
    /// updating the map in place: only instruments new to the scheduler allocate. This is the
    /// cheap way to hand over a large tracker every rebalance:
    ///
    /// ```
    /// use ws_source::{ActivityTracker, SchedulerConfig, SubscriptionScheduler};
    ///
    /// let mut tracker: ActivityTracker = ActivityTracker::new(60.0, 0.1).unwrap();
    /// tracker.record_trade("O:SPY251219C00650000", 0, 3.0);
    /// let mut scheduler = SubscriptionScheduler::new(&SchedulerConfig::default());
    /// scheduler.update_priorities_from(tracker.iter_rates(1_000_000_000));
    /// assert_eq!(scheduler.priorities().len(), 1);
    /// ```
    ///
    /// If a symbol appears more than once, the last value wins.
    pub fn update_priorities_from<I, K>(&mut self, rates: I)
    where
        I: IntoIterator<Item = (K, f64)>,
        K: AsRef<str>,
    {
        // Mark every entry stale (stored priorities are >= 0, so negative means "not seen"),
        // refresh the ones in the snapshot, then drop the ones still marked.
        for p in self.priorities.values_mut() {
            *p = -1.0;
        }
        for (sym, p) in rates {
            upsert(&mut self.priorities, sym.as_ref(), p);
        }
        self.priorities.retain(|_, p| *p >= 0.0);
    }

    /// Brings the priorities up to date with `tracker` at `now_ns`, touching only what changed:
    /// the cheap hand-over for large universes, with the same result as
    /// `update_priorities_from(tracker.iter_rates(now_ns))` (up to float rounding).
    ///
    /// Every instrument decays by the same factor between two syncs, so the scheduler scales all
    /// its priorities by that factor (one pass over the values, no hashing) and then refreshes only
    /// the instruments recorded since the last sync. The first sync, and the first one after the
    /// tracker removed instruments ([`prune`](super::ActivityTracker::prune),
    /// [`remove`](super::ActivityTracker::remove)), replaces everything instead. Returns how many
    /// priorities were refreshed.
    ///
    /// Pair one tracker with one scheduler and do not mix with the other `update_*` / `set_*`
    /// methods in between (their values would be scaled as if they came from the tracker).
    ///
    /// ```
    /// use ws_source::{ActivityTracker, SchedulerConfig, SubscriptionScheduler};
    ///
    /// const S: i64 = 1_000_000_000;
    /// let mut tracker: ActivityTracker = ActivityTracker::new(60.0, 0.1).unwrap();
    /// let mut scheduler = SubscriptionScheduler::new(&SchedulerConfig::default());
    /// tracker.record_trade("O:A", 0, 5.0);
    /// tracker.record_trade("O:B", 0, 1.0);
    /// assert_eq!(scheduler.sync_from(&mut tracker, 0), 2); // first sync: full
    /// tracker.record_trade("O:B", 4 * S, 1.0);
    /// assert_eq!(scheduler.sync_from(&mut tracker, 5 * S), 1); // only O:B changed
    /// let a = scheduler.priorities()["O:A"];
    /// assert!((a - tracker.rate("O:A", 5 * S)).abs() < 1e-12);
    /// ```
    pub fn sync_from<K>(&mut self, tracker: &mut ActivityTracker<K>, now_ns: i64) -> usize
    where
        K: std::hash::Hash + Eq + Clone + AsRef<str>,
    {
        let mut refreshed = 0;
        match tracker.begin_sync(now_ns) {
            SyncKind::Full => {
                for p in self.priorities.values_mut() {
                    *p = -1.0; // stale mark, as in update_priorities_from
                }
                let priorities = &mut self.priorities;
                tracker.drain_changes(now_ns, None, |k, p| {
                    refreshed += 1;
                    upsert(priorities, k.as_ref(), p);
                });
                self.priorities.retain(|_, p| *p >= 0.0);
            }
            SyncKind::Incremental { decay, since_ns } => {
                let decay = sanitize(decay).min(1.0);
                if decay < 1.0 {
                    for p in self.priorities.values_mut() {
                        *p *= decay;
                    }
                }
                let priorities = &mut self.priorities;
                tracker.drain_changes(now_ns, Some(since_ns), |k, p| {
                    refreshed += 1;
                    upsert(priorities, k.as_ref(), p);
                });
            }
        }
        refreshed
    }

    /// Sets the priority of one instrument (NaN, infinite, negative → 0), keeping the others.
    pub fn set_priority(&mut self, symbol: &str, priority: f64) {
        upsert(&mut self.priorities, symbol, priority);
    }

    /// The current priorities (sanitized).
    pub fn priorities(&self) -> &HashMap<String, f64> {
        &self.priorities
    }

    /// The pure view of what [`rebalance`](Self::rebalance) would pick at the next scheduled
    /// rebalance (one interval after the last one): every known instrument (priorities and
    /// incumbents) maps to `true` if it would be subscribed, `false` otherwise.
    ///
    /// Deterministic: repeated calls with unchanged state give the same map.
    ///
    /// The map holds every known instrument, so it costs one `String` per known instrument (about
    /// a second for 1.5 million); the live loop should use [`rebalance`](Self::rebalance) (or
    /// [`plan`](Self::plan)), which only materializes the subscribed set and the diff.
    pub fn allocate_slots(&self, total_slots: usize) -> HashMap<String, bool> {
        let now = self.next_rebalance_ns();
        let sel = self.input(total_slots, now).plan();
        let mut out: HashMap<String, bool> =
            HashMap::with_capacity(self.priorities.len() + self.incumbents.len());
        out.extend(self.priorities.keys().map(|s| (s.clone(), false)));
        for sym in self.incumbents.keys() {
            if !self.priorities.contains_key(sym) {
                out.insert(sym.clone(), false);
            }
        }
        let chosen = sel
            .reserved
            .iter()
            .chain(&sel.exploited)
            .chain(&sel.held)
            .chain(&sel.picked);
        for sym in chosen {
            if let Some(on) = out.get_mut(*sym) {
                *on = true;
            }
        }
        out
    }

    /// The allocation a rebalance at `now_ns` would commit, with its diff against the current
    /// subscriptions, without committing anything.
    pub fn plan(&self, total_slots: usize, now_ns: i64) -> Allocation {
        let sel = self.input(total_slots, now_ns).plan();
        self.to_allocation(&sel, total_slots)
    }

    /// Computes the allocation for `total_slots` at `now_ns`, commits it as the new subscribed set,
    /// advances the epoch and returns it with the diff to apply (`to_subscribe`,
    /// `to_unsubscribe`, sorted by symbol).
    ///
    /// Call it every `rebalance_interval_s` with the current capacity (lower it under
    /// backpressure). If the capacity shrinks, the lowest-priority subscriptions go first.
    pub fn rebalance(&mut self, total_slots: usize, now_ns: i64) -> Allocation {
        self.excluded.retain(|_, until| *until > now_ns);
        let epoch = self.epoch + 1;
        let (alloc, next, picked) = {
            let sel = self.input(total_slots, now_ns).plan();
            let alloc = self.to_allocation(&sel, total_slots);
            let mut next: HashMap<String, Incumbent> = HashMap::with_capacity(alloc.active_count());
            // A role kept from the last epoch keeps its start time.
            let since = |sym: &str, role: SlotRole| match self.incumbents.get(sym) {
                Some(inc) if inc.role == role => inc.since_ns,
                _ => now_ns,
            };
            let groups = [
                (&sel.reserved, SlotRole::Reserved),
                (&sel.exploited, SlotRole::Exploit),
                (&sel.held, SlotRole::Explore),
            ];
            for (syms, role) in groups {
                for sym in syms {
                    let since_ns = since(sym, role);
                    next.insert((*sym).to_owned(), Incumbent { role, since_ns });
                }
            }
            for sym in &sel.picked {
                let inc = Incumbent {
                    role: SlotRole::Explore,
                    since_ns: now_ns,
                };
                next.insert((*sym).to_owned(), inc);
            }
            let picked: Vec<String> = sel.picked.iter().map(|s| (*s).to_owned()).collect();
            (alloc, next, picked)
        };
        self.incumbents = next;
        self.epoch = epoch;
        self.last_rebalance_ns = Some(now_ns);
        for sym in picked {
            self.explored.insert(sym, epoch);
        }
        let memory = self.exploration_memory_epochs;
        self.explored
            .retain(|_, e| epoch.saturating_sub(*e) <= memory);
        alloc
    }

    /// Immediately drops the lowest-priority subscriptions until at most `capacity` remain (for
    /// backpressure shedding between rebalances); returns the unsubscribed symbols, sorted.
    /// Ties are broken by symbol (the larger symbol goes first). Does not advance the epoch.
    pub fn shed_to(&mut self, capacity: usize) -> Vec<String> {
        let excess = self.incumbents.len().saturating_sub(capacity);
        if excess == 0 {
            return Vec::new();
        }
        let mut ranked: Vec<Ranked<'_>> = self
            .incumbents
            .keys()
            .map(|s| Ranked {
                p: self.priorities.get(s).copied().unwrap_or(0.0),
                sym: s.as_str(),
            })
            .collect();
        ranked.sort_unstable();
        let mut out: Vec<String> = ranked[..excess].iter().map(|r| r.sym.to_owned()).collect();
        for s in &out {
            self.incumbents.remove(s);
        }
        out.sort_unstable();
        out
    }

    /// Forgets that `symbol` is subscribed, e.g. after the server rejected its subscription, so the
    /// scheduler's view matches the connection; its slot is refilled at the next rebalance.
    /// Returns true if it was subscribed.
    pub fn release(&mut self, symbol: &str) -> bool {
        self.incumbents.remove(symbol).is_some()
    }

    /// Releases `symbol` (see [`release`](Self::release)) and keeps it out of every role until
    /// `until_ns`: for a contract whose subscription the server refused, which
    /// would only be rejected again at the next rebalance. Returns true if it was subscribed.
    ///
    /// ```
    /// use ws_source::{SchedulerConfig, SubscriptionScheduler};
    ///
    /// const S: i64 = 1_000_000_000;
    /// let mut s = SubscriptionScheduler::new(&SchedulerConfig { top_n: 1, ..SchedulerConfig::default() });
    /// s.set_priority("O:A", 10.0);
    /// s.set_priority("O:B", 1.0);
    /// assert_eq!(s.rebalance(1, 0).reserved, ["O:A"]);
    /// assert!(s.exclude("O:A", 60 * S)); // the server refused Q.O:A
    /// assert_eq!(s.rebalance(1, 5 * S).reserved, ["O:B"]);
    /// assert_eq!(s.rebalance(1, 60 * S).reserved, ["O:A"]); // the exclusion expired
    /// ```
    pub fn exclude(&mut self, symbol: &str, until_ns: i64) -> bool {
        match self.excluded.get_mut(symbol) {
            Some(t) => *t = (*t).max(until_ns),
            None => {
                self.excluded.insert(symbol.to_owned(), until_ns);
            }
        }
        self.release(symbol)
    }

    /// Number of instruments currently kept out by [`exclude`](Self::exclude) (as of the last
    /// rebalance; expired exclusions are dropped there).
    pub fn excluded_count(&self) -> usize {
        self.excluded.len()
    }

    /// True if `symbol` is currently subscribed (per the last committed rebalance).
    pub fn is_subscribed(&self, symbol: &str) -> bool {
        self.incumbents.contains_key(symbol)
    }

    /// The role of `symbol` if it is currently subscribed.
    pub fn role(&self, symbol: &str) -> Option<SlotRole> {
        self.incumbents.get(symbol).map(|i| i.role)
    }

    /// The currently subscribed symbols, sorted (e.g. to re-send the whole set on reconnect).
    pub fn subscribed(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.incumbents.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Number of currently subscribed instruments.
    pub fn subscribed_count(&self) -> usize {
        self.incumbents.len()
    }

    /// Number of rebalances committed so far.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Time of the next scheduled rebalance: one interval after the last one (0 before the first).
    pub fn next_rebalance_ns(&self) -> i64 {
        self.last_rebalance_ns
            .map_or(0, |t| t.saturating_add(self.interval_ns()))
    }

    /// Number of exploration slots for a capacity: `round(exploration_fraction × total_slots)`,
    /// capped at `total_slots − top_n`.
    pub fn exploration_slots(&self, total_slots: usize) -> usize {
        exploration_slots(self.top_n, self.exploration_fraction, total_slots)
    }

    /// Number of reserved slots.
    pub fn top_n(&self) -> usize {
        self.top_n
    }

    /// Share of the capacity spent on exploration.
    pub fn exploration_fraction(&self) -> f64 {
        self.exploration_fraction
    }

    /// Seconds between rebalances (and minimum hold of an exploration pick).
    pub fn rebalance_interval_s(&self) -> u64 {
        self.rebalance_interval_s
    }

    /// The hysteresis factor.
    pub fn hysteresis(&self) -> f64 {
        self.hysteresis
    }

    fn interval_ns(&self) -> i64 {
        i64::try_from(self.rebalance_interval_s)
            .unwrap_or(i64::MAX)
            .saturating_mul(NS_PER_S)
    }

    fn input(&self, total_slots: usize, now_ns: i64) -> PlanInput<'_> {
        PlanInput {
            priorities: &self.priorities,
            incumbents: &self.incumbents,
            excluded: &self.excluded,
            explored: &self.explored,
            top_n: self.top_n,
            exploration_fraction: self.exploration_fraction,
            weighting: self.exploration_weighting,
            hysteresis: self.hysteresis,
            window_s: self.half_life_s / std::f64::consts::LN_2,
            hold_ns: self
                .interval_ns()
                .saturating_mul(i64::try_from(self.exploration_hold_intervals).unwrap_or(i64::MAX)),
            memory_epochs: self.exploration_memory_epochs,
            epoch: self.epoch + 1,
            seed: self.seed,
            total_slots,
            now_ns,
        }
    }

    fn to_allocation(&self, sel: &Selection<'_>, total_slots: usize) -> Allocation {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
        let mut explored: Vec<String> = owned(&sel.held);
        explored.extend(owned(&sel.picked));
        explored.sort_unstable();
        let mut alloc = Allocation {
            epoch: self.epoch + 1,
            total_slots,
            reserved: owned(&sel.reserved),
            exploited: owned(&sel.exploited),
            explored,
            to_subscribe: Vec::new(),
            to_unsubscribe: Vec::new(),
        };
        let mut new_set: Vec<&str> = alloc.active_sorted();
        new_set.dedup();
        let mut subscribe: Vec<String> = new_set
            .iter()
            .filter(|s| !self.incumbents.contains_key(**s))
            .map(|s| (*s).to_owned())
            .collect();
        subscribe.sort_unstable();
        let new_lookup: std::collections::HashSet<&str> = new_set.into_iter().collect();
        let mut unsubscribe: Vec<String> = self
            .incumbents
            .keys()
            .filter(|s| !new_lookup.contains(s.as_str()))
            .cloned()
            .collect();
        unsubscribe.sort_unstable();
        alloc.to_subscribe = subscribe;
        alloc.to_unsubscribe = unsubscribe;
        alloc
    }
}
