//! Exponentially decayed per-instrument activity rates ([`ActivityTracker`]).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use super::config::{ConfigError, SchedulerConfig, validate_activity, validate_pooling};
use crate::model::put_call_pair;

/// One instrument's decayed counters, as of `last_ns`. 32 bytes.
#[derive(Debug, Clone, Copy)]
struct Decayed {
    /// Decayed message count.
    msgs: f64,
    /// Decayed traded volume.
    volume: f64,
    /// Time the counters are expressed at (Unix ns).
    last_ns: i64,
    /// Recorded since the last sync into a scheduler.
    dirty: bool,
}

/// How a [`SubscriptionScheduler::sync_from`](super::SubscriptionScheduler::sync_from) proceeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SyncKind {
    /// Replace every priority (first sync, or instruments were removed since the last one).
    Full,
    /// Scale every priority by `decay`, then refresh the instruments recorded since the last sync
    /// (at `since_ns`), and those whose last event is later than that (future-stamped events do
    /// not decay until their time comes, so they do not follow the common factor).
    Incremental { decay: f64, since_ns: i64 },
}

/// Exponentially decayed message and volume rates per instrument, updated lazily.
///
/// Each instrument stores two decayed counters and the time they were last brought up to date;
/// nothing runs per instrument between events (no timers): the decay `2^(−Δt / half_life)` is
/// applied when the instrument is next recorded or read. A counter `c` converts to a rate per second
/// as `c × ln 2 / half_life_s`, so a steady stream of `r` events per second converges to a rate of
/// `r`, and with no new events the rate halves every half-life.
///
/// The priority of an instrument is `message_rate + volume_weight × volume_rate`.
///
/// What to feed: every options trade from the `T.*` feed (it covers every contract, subscribed or
/// not, so it ranks all contracts on equal terms). Messages received on *subscribed* quote streams
/// can be recorded too, but only subscribed contracts produce them, which favours incumbents: in
/// the synthetic market of `tests/scheduler_quality.rs` adding them lowered trade coverage from
/// 74 % to 72 %. Prefer a separate tracker (or none) for quote traffic.
///
/// Timestamps are Unix nanoseconds passed in by the caller (no clock reads). Events older than the
/// instrument's last update are decayed to that time instead of moving it backwards, so out-of-order
/// events are counted exactly once. Reads at a time earlier than the last update return the value at
/// the last update (rates never grow without events).
///
/// The key is generic (`String` by default; any `Hash + Eq + Clone` type such as an inline symbol).
/// Memory is the map's capacity × (`size_of::<K>()` + 32 bytes + 1 control byte), plus whatever the
/// key owns on the heap: 1.5 million `String` OCC symbols take about 170 MiB (see the
/// `scheduler_memory` test).
///
/// ```
/// use ws_source::ActivityTracker;
///
/// const S: i64 = 1_000_000_000;
/// let mut t: ActivityTracker = ActivityTracker::new(10.0, 0.5).unwrap();
/// t.record("O:SPY251219C00650000", 0, 1, 20.0); // one trade of 20 contracts at t = 0
/// let now = 10 * S; // one half-life later
/// let half = t.message_rate("O:SPY251219C00650000", 0) / 2.0;
/// assert!((t.message_rate("O:SPY251219C00650000", now) - half).abs() < 1e-12);
/// let rates = t.rates(now); // HashMap<String, f64> of priorities, for the scheduler
/// assert_eq!(rates.len(), 1);
/// ```
#[derive(Clone)]
pub struct ActivityTracker<K = String> {
    entries: HashMap<K, Decayed>,
    half_life_ns: f64,
    /// `ln 2 / half_life_s`: converts a decayed count to a rate per second.
    count_to_rate: f64,
    volume_weight: f64,
    /// Share of an option trade credited to its put-call pair.
    put_call_pooling: f64,
    /// Time of the last sync into a scheduler.
    synced_ns: Option<i64>,
    /// Instruments were removed since the last sync: the next one must be full.
    full_sync: bool,
}

/// A summary (counts, not the possibly millions of entries), so that logging a tracker is cheap.
impl<K> std::fmt::Debug for ActivityTracker<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivityTracker")
            .field("tracked", &self.entries.len())
            .field("half_life_s", &(self.half_life_ns / 1e9))
            .field("volume_weight", &self.volume_weight)
            .finish_non_exhaustive()
    }
}

/// `2^(−dt / half_life)`, and 1 for `dt <= 0`.
#[inline]
fn decay_factor(dt_ns: i64, half_life_ns: f64) -> f64 {
    if dt_ns <= 0 {
        1.0
    } else {
        (-(dt_ns as f64) / half_life_ns).exp2()
    }
}

fn clean(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 { x } else { 0.0 }
}

impl<K: Hash + Eq + Clone> ActivityTracker<K> {
    /// A tracker with the given half-life (seconds, between 0.001 and 1e9) and volume weight
    /// (finite, `>= 0`).
    pub fn new(half_life_s: f64, volume_weight: f64) -> Result<Self, ConfigError> {
        validate_activity(half_life_s, volume_weight)?;
        Ok(Self {
            entries: HashMap::new(),
            half_life_ns: half_life_s * 1e9,
            count_to_rate: std::f64::consts::LN_2 / half_life_s,
            volume_weight,
            put_call_pooling: 0.0,
            synced_ns: None,
            full_sync: true,
        })
    }

    /// A tracker using `config.half_life_s`, `config.volume_weight` and
    /// `config.put_call_pooling`.
    pub fn from_config(config: &SchedulerConfig) -> Result<Self, ConfigError> {
        validate_pooling(config.put_call_pooling)?;
        Ok(Self::new(config.half_life_s, config.volume_weight)?
            .with_put_call_pooling(config.put_call_pooling))
    }

    /// Sets the share of each option trade that
    /// [`record_option_trade`](Self::record_option_trade) credits to the put-call pair. Values
    /// outside `[0, 1]` (and NaN) are clamped to it; see
    /// [`SchedulerConfig::put_call_pooling`](super::SchedulerConfig::put_call_pooling).
    pub fn with_put_call_pooling(mut self, share: f64) -> Self {
        self.put_call_pooling = if share.is_nan() {
            0.0
        } else {
            share.clamp(0.0, 1.0)
        };
        self
    }

    /// The share of each option trade credited to the put-call pair.
    pub fn put_call_pooling(&self) -> f64 {
        self.put_call_pooling
    }

    /// Like [`ActivityTracker::new`], with room for `capacity` instruments before reallocating.
    pub fn with_capacity(
        half_life_s: f64,
        volume_weight: f64,
        capacity: usize,
    ) -> Result<Self, ConfigError> {
        let mut t = Self::new(half_life_s, volume_weight)?;
        t.entries.reserve(capacity);
        Ok(t)
    }

    /// Records `count` messages and `volume` traded units for `key` at `ts_ns`.
    ///
    /// Feed it every message seen on a subscribed stream (`count = 1`, `volume = 0` for a quote)
    /// and every options trade from the `T.*` feed (`count = 1`, `volume = size`; or use
    /// [`record_option_trade`](Self::record_option_trade), which also pools the put-call pair). A
    /// NaN, infinite or negative `volume` counts as 0. The key is only cloned when the instrument
    /// is new.
    pub fn record<Q>(&mut self, key: &Q, ts_ns: i64, count: u32, volume: f64)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.record_weighted(key, ts_ns, f64::from(count), volume, |k| Some(k.to_owned()));
    }

    /// Adds `count` (possibly fractional) messages and `volume` to `key`'s decayed counters;
    /// `make_key` builds the owned key when the instrument is new (`None`: not recorded).
    fn record_weighted<Q>(
        &mut self,
        key: &Q,
        ts_ns: i64,
        count: f64,
        volume: f64,
        make_key: impl FnOnce(&Q) -> Option<K>,
    ) where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let volume = clean(volume);
        let count = clean(count);
        if let Some(e) = self.entries.get_mut(key) {
            let dt = ts_ns.saturating_sub(e.last_ns);
            let half_life_ns = self.half_life_ns;
            let decay = |dt: i64| decay_factor(dt, half_life_ns);
            e.dirty = true;
            if dt >= 0 {
                let f = decay(dt);
                e.msgs = e.msgs * f + count;
                e.volume = e.volume * f + volume;
                e.last_ns = ts_ns;
            } else {
                // Late event: decay it to the instrument's current time.
                let f = decay(dt.saturating_neg());
                e.msgs += count * f;
                e.volume += volume * f;
            }
        } else if let Some(owned) = make_key(key) {
            self.entries.insert(
                owned,
                Decayed {
                    msgs: count,
                    volume,
                    last_ns: ts_ns,
                    dirty: true,
                },
            );
        }
    }

    /// Records one options trade of `size` contracts on `symbol` (`O:` + OCC) at `ts_ns`, and
    /// credits [`put_call_pooling`](Self::put_call_pooling) of it (count and volume) to the
    /// contract with the same root, expiry and strike and the other right.
    ///
    /// Why: a call and a put at one strike trade together (both are as far from the money, both
    /// react to the same news), so the pair's trades are evidence about each other. A contract's
    /// own decayed count is a noisy estimate of its rate (a few trades per half-life near the cut
    /// of the top 1,000); pooling a share of the pair's count lowers that noise, and ranks the
    /// untraded side of an active strike before any trade on it. The pooled priority is still a
    /// decayed count (linear in the events), so incremental hand-over
    /// ([`sync_from`](super::SubscriptionScheduler::sync_from)) stays exact. With pooling 0 this
    /// is [`record_trade`](Self::record_trade).
    ///
    /// Symbols that are not OCC option symbols are recorded without a pair. A key type that
    /// cannot hold `symbol` (e.g. an inline symbol over its capacity) records nothing.
    ///
    /// ```
    /// use ws_source::ActivityTracker;
    ///
    /// let mut t: ActivityTracker = ActivityTracker::new(60.0, 0.0).unwrap().with_put_call_pooling(0.25);
    /// t.record_option_trade("O:SPY251219C00650000", 0, 10.0);
    /// let call = t.message_rate("O:SPY251219C00650000", 0);
    /// let put = t.message_rate("O:SPY251219P00650000", 0);
    /// assert!((put - 0.25 * call).abs() < 1e-12);
    /// ```
    pub fn record_option_trade(&mut self, symbol: &str, ts_ns: i64, size: f64)
    where
        K: Borrow<str> + for<'s> TryFrom<&'s str>,
    {
        self.record_weighted(symbol, ts_ns, 1.0, size, |s| K::try_from(s).ok());
        if self.put_call_pooling > 0.0
            && let Some(pair) = put_call_pair(symbol)
        {
            self.credit_pair(&pair, ts_ns, size);
        }
    }

    /// The pooling half of [`record_option_trade`](Self::record_option_trade) on its own: credits
    /// `put_call_pooling` of a trade of `size` at `ts_ns` to `pair` (the other right of the traded
    /// contract, see [`put_call_pair`]). For sharded trackers, where the traded contract and its
    /// pair may belong to different shards: record the trade in its own shard's tracker with
    /// [`record_trade`](Self::record_trade) and credit the pair in the pair's shard.
    pub fn credit_pair(&mut self, pair: &str, ts_ns: i64, size: f64)
    where
        K: Borrow<str> + for<'s> TryFrom<&'s str>,
    {
        let w = self.put_call_pooling;
        if w > 0.0 {
            self.record_weighted(pair, ts_ns, w, w * clean(size), |s| K::try_from(s).ok());
        }
    }

    /// Records one message (e.g. a quote) for `key` at `ts_ns`.
    pub fn record_message<Q>(&mut self, key: &Q, ts_ns: i64)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.record(key, ts_ns, 1, 0.0);
    }

    /// Records one trade of `size` units for `key` at `ts_ns`.
    pub fn record_trade<Q>(&mut self, key: &Q, ts_ns: i64, size: f64)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.record(key, ts_ns, 1, size);
    }

    /// `(message rate, volume rate)` per second of an entry at `now_ns`.
    #[inline]
    fn rates_of(&self, e: &Decayed, now_ns: i64) -> (f64, f64) {
        let f =
            decay_factor(now_ns.saturating_sub(e.last_ns), self.half_life_ns) * self.count_to_rate;
        (e.msgs * f, e.volume * f)
    }

    #[inline]
    fn priority_of(&self, e: &Decayed, now_ns: i64) -> f64 {
        let (m, v) = self.rates_of(e, now_ns);
        m + self.volume_weight * v
    }

    /// Decayed message rate (messages per second) of `key` at `now_ns`; 0 if unknown.
    pub fn message_rate<Q>(&self, key: &Q, now_ns: i64) -> f64
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .get(key)
            .map_or(0.0, |e| self.rates_of(e, now_ns).0)
    }

    /// Decayed traded-volume rate (units per second) of `key` at `now_ns`; 0 if unknown.
    pub fn volume_rate<Q>(&self, key: &Q, now_ns: i64) -> f64
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .get(key)
            .map_or(0.0, |e| self.rates_of(e, now_ns).1)
    }

    /// Priority of `key` at `now_ns`: `message_rate + volume_weight × volume_rate`; 0 if unknown.
    pub fn rate<Q>(&self, key: &Q, now_ns: i64) -> f64
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .get(key)
            .map_or(0.0, |e| self.priority_of(e, now_ns))
    }

    /// Iterates over `(key, priority at now_ns)` of every tracked instrument, in arbitrary order.
    pub fn iter_rates(&self, now_ns: i64) -> impl Iterator<Item = (&K, f64)> + '_ {
        self.entries
            .iter()
            .map(move |(k, e)| (k, self.priority_of(e, now_ns)))
    }

    /// Priorities of every tracked instrument at `now_ns`, ready for
    /// [`SubscriptionScheduler::update_priorities`](super::SubscriptionScheduler::update_priorities)
    /// when `K = String`.
    pub fn rates(&self, now_ns: i64) -> HashMap<K, f64> {
        let mut out = HashMap::with_capacity(self.entries.len());
        out.extend(self.iter_rates(now_ns).map(|(k, p)| (k.clone(), p)));
        out
    }

    /// Forgets every instrument whose priority at `now_ns` is below `min_priority`; returns how many
    /// were removed. Call it now and then (e.g. every few rebalances) to bound memory to the
    /// instruments that are still active.
    pub fn prune(&mut self, now_ns: i64, min_priority: f64) -> usize {
        let before = self.entries.len();
        let (half_life_ns, count_to_rate, w) =
            (self.half_life_ns, self.count_to_rate, self.volume_weight);
        self.entries.retain(|_, e| {
            let f = decay_factor(now_ns.saturating_sub(e.last_ns), half_life_ns) * count_to_rate;
            e.msgs * f + w * e.volume * f >= min_priority
        });
        let removed = before - self.entries.len();
        self.full_sync |= removed > 0;
        removed
    }

    /// Forgets one instrument; true if it was tracked.
    pub fn remove<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let removed = self.entries.remove(key).is_some();
        self.full_sync |= removed;
        removed
    }

    /// Number of tracked instruments.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no instrument is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Releases excess map capacity (e.g. after a large [`prune`](Self::prune)).
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    /// Starts a sync into a scheduler at `now_ns` and says which kind it must be.
    pub(crate) fn begin_sync(&mut self, now_ns: i64) -> SyncKind {
        let kind = match self.synced_ns {
            Some(t) if !self.full_sync => SyncKind::Incremental {
                decay: decay_factor(now_ns.saturating_sub(t), self.half_life_ns),
                since_ns: t,
            },
            _ => SyncKind::Full,
        };
        self.synced_ns = Some(self.synced_ns.map_or(now_ns, |t| t.max(now_ns)));
        self.full_sync = false;
        kind
    }

    /// Calls `f(key, priority at now_ns)` for every instrument recorded since the last sync or
    /// whose last event is later than `since_ns` (every instrument if `since_ns` is `None`), and
    /// clears the marks.
    pub(crate) fn drain_changes(
        &mut self,
        now_ns: i64,
        since_ns: Option<i64>,
        mut f: impl FnMut(&K, f64),
    ) {
        let (half_life_ns, count_to_rate, w) =
            (self.half_life_ns, self.count_to_rate, self.volume_weight);
        let after = since_ns.unwrap_or(i64::MIN);
        for (k, e) in self.entries.iter_mut() {
            if e.dirty || e.last_ns > after || since_ns.is_none() {
                e.dirty = false;
                let r =
                    decay_factor(now_ns.saturating_sub(e.last_ns), half_life_ns) * count_to_rate;
                f(k, e.msgs * r + w * e.volume * r);
            }
        }
    }

    /// Estimated bytes held by the map's table: buckets × (key + 32-byte counters + 1 control
    /// byte), where the bucket count is derived from the capacity as `std`'s SwissTable lays it
    /// out (a power of two, at most 7/8 full). Does not include memory the keys themselves own on
    /// the heap (e.g. a `String`'s buffer).
    pub fn table_bytes(&self) -> usize {
        let cap = self.entries.capacity();
        let buckets = match cap {
            0 => return 0,
            1..=6 => cap + 1,
            _ => cap / 7 * 8,
        };
        buckets * (std::mem::size_of::<(K, Decayed)>() + 1) + 16
    }

    /// The configured half-life, in seconds.
    pub fn half_life_s(&self) -> f64 {
        self.half_life_ns / 1e9
    }

    /// The configured volume weight.
    pub fn volume_weight(&self) -> f64 {
        self.volume_weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Symbol;

    const S: i64 = 1_000_000_000;

    #[test]
    fn put_call_pooling_credits_the_pair_as_a_decayed_count() {
        let mut t: ActivityTracker = ActivityTracker::new(10.0, 1.0)
            .unwrap()
            .with_put_call_pooling(0.2);
        let (c, p) = ("O:SPY251219C00650000", "O:SPY251219P00650000");
        t.record_option_trade(c, 0, 10.0);
        t.record_option_trade(p, 10 * S, 5.0);
        // The call: its own trade decayed one half-life, plus 20 % of the put's.
        let own = |x: f64| x * std::f64::consts::LN_2 / 10.0;
        assert!((t.message_rate(c, 10 * S) - own(0.5 + 0.2)).abs() < 1e-12);
        assert!((t.volume_rate(c, 10 * S) - own(5.0 + 0.2 * 5.0)).abs() < 1e-12);
        assert!((t.message_rate(p, 10 * S) - own(1.0 + 0.2 * 0.5)).abs() < 1e-12);
        // Not an option symbol: recorded, no pair.
        t.record_option_trade("AAPL", 0, 1.0);
        assert_eq!(t.len(), 3);
        // Pooling 0 (and clamped NaN) is a plain record_trade.
        let mut plain: ActivityTracker = ActivityTracker::new(10.0, 0.0)
            .unwrap()
            .with_put_call_pooling(f64::NAN);
        plain.record_option_trade(c, 0, 1.0);
        assert_eq!(plain.len(), 1);
        assert_eq!(plain.put_call_pooling(), 0.0);
    }

    #[test]
    fn pooling_works_with_inline_symbol_keys_and_stays_incremental() {
        let cfg = SchedulerConfig {
            put_call_pooling: 0.5,
            ..SchedulerConfig::default()
        };
        let mut t: ActivityTracker<Symbol> = ActivityTracker::from_config(&cfg).unwrap();
        t.record_option_trade("O:SPY251219C00650000", 0, 1.0);
        assert!(t.message_rate("O:SPY251219P00650000", 0) > 0.0);
        // A symbol too long for the inline key is not recorded (and does not panic).
        t.record_option_trade("O:ABCDEFGHIJKLMNOPQRSTUVWXYZ251219C00650000", 0, 1.0);
        assert_eq!(t.len(), 2);
        // The scheduler's incremental hand-over matches a fresh snapshot.
        let mut sched = crate::scheduler::SubscriptionScheduler::new(&cfg);
        sched.sync_from(&mut t, S);
        t.record_option_trade("O:SPY251219P00650000", 2 * S, 3.0);
        sched.sync_from(&mut t, 5 * S);
        for (k, r) in t.iter_rates(5 * S) {
            assert!((sched.priorities()[k.as_str()] - r).abs() < 1e-12, "{k}");
        }
    }

    #[test]
    fn steady_stream_converges_to_its_rate() {
        let mut t: ActivityTracker = ActivityTracker::new(5.0, 0.0).unwrap();
        // 10 messages per second for 200 s (40 half-lives).
        for i in 0..2_000 {
            t.record("X", i * S / 10, 1, 0.0);
        }
        let r = t.rate("X", 200 * S);
        assert!((r - 10.0).abs() < 0.1, "{r}");
    }

    #[test]
    fn late_events_are_counted_once_without_moving_time_back() {
        let mut a: ActivityTracker = ActivityTracker::new(1.0, 0.0).unwrap();
        let mut b: ActivityTracker = ActivityTracker::new(1.0, 0.0).unwrap();
        a.record("X", 0, 1, 0.0);
        a.record("X", 2 * S, 1, 0.0);
        b.record("X", 2 * S, 1, 0.0);
        b.record("X", 0, 1, 0.0); // out of order
        let (ra, rb) = (a.rate("X", 3 * S), b.rate("X", 3 * S));
        assert!((ra - rb).abs() < 1e-12, "{ra} {rb}");
    }

    #[test]
    fn reads_before_last_update_do_not_grow() {
        let mut t: ActivityTracker = ActivityTracker::new(1.0, 0.0).unwrap();
        t.record("X", 10 * S, 1, 0.0);
        assert_eq!(t.rate("X", 0), t.rate("X", 10 * S));
        assert_eq!(t.rate("unknown", 0), 0.0);
    }

    #[test]
    fn bad_volume_counts_as_zero() {
        let mut t: ActivityTracker = ActivityTracker::new(1.0, 1.0).unwrap();
        t.record("X", 0, 0, f64::NAN);
        t.record("X", 0, 0, -5.0);
        t.record("X", 0, 0, f64::INFINITY);
        assert_eq!(t.rate("X", 0), 0.0);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn prune_removes_decayed() {
        let mut t: ActivityTracker = ActivityTracker::new(1.0, 0.0).unwrap();
        t.record("old", 0, 1, 0.0);
        t.record("new", 20 * S, 1, 0.0);
        assert_eq!(t.prune(20 * S, 1e-3), 1);
        assert_eq!(t.len(), 1);
        assert!(t.rate("new", 20 * S) > 0.0);
        assert!(t.remove("new"));
        assert!(t.is_empty());
    }

    #[test]
    fn rejects_bad_parameters() {
        assert_eq!(
            ActivityTracker::<String>::new(0.0, 0.0)
                .unwrap_err()
                .field(),
            "half_life_s"
        );
        assert_eq!(
            ActivityTracker::<String>::new(1.0, f64::NAN)
                .unwrap_err()
                .field(),
            "volume_weight"
        );
    }
}
