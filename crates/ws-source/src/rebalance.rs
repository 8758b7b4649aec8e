//! Live rebalancing of option-quote subscriptions.
//!
//! Options workers report activity (every option trade, from `T.*`, and every message on a
//! subscribed quote stream) as small per-frame batches on a bounded channel; the rebalancer task
//! owns one [`ActivityTracker`] and one [`SubscriptionScheduler`] per shard (activity is routed
//! by the same stable hash that assigns symbols to shards). Every `rebalance_interval_s` it
//! rebalances each shard into its capacity and sends the diff to the shard's worker as one
//! [`WorkerCommand::Replace`]: unsubscribe first, then subscribe, so the server never sees more
//! than the 1,000-contract limit, even for a moment.
//!
//! The capacity of a shard is the feed's limit minus the statically configured contracts, and
//! can be lowered at run time (backpressure) through [`ShardCapacity`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use metrics::{Counter, Gauge};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::backpressure::{Decision, Governor, ShedSet};
use crate::config::WsConfig;
use crate::manager::shard_for;
use crate::model::{ResourceType, Symbol, put_call_pair};
use crate::scheduler::{ActivityTracker, SubscriptionScheduler};
use crate::stats::WorkerStats;
use crate::timestamp::now_ns;
use crate::worker::WorkerCommand;

/// One observation for the activity tracker.
#[derive(Debug, Clone, Copy)]
pub struct ActivitySample {
    /// The option contract.
    pub symbol: Symbol,
    /// SIP time, Unix ns.
    pub ts_ns: i64,
    /// What happened.
    pub kind: ActivityKind,
}

/// What an [`ActivitySample`] reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ActivityKind {
    /// A trade of `size` contracts (from `T.*`).
    Trade {
        /// Traded contracts.
        size: f64,
    },
    /// A message on a subscribed quote stream.
    Quote,
}

/// The server rejected a scheduled option-quote subscription (an `error` status naming it).
/// Sent on its own unbounded channel: rejections are rare, and losing one would leave the
/// scheduler counting a slot the server does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// The contract.
    pub symbol: Symbol,
    /// The reason was the per-connection limit (`subscription limit exceeded`): the server's
    /// limit is below our capacity. Otherwise the contract itself was refused.
    pub limit: bool,
}

/// How long a contract the server refused (for a reason other than the limit) is kept out of
/// the schedule.
pub const REJECTED_COOLDOWN_NS: i64 = 300 * 1_000_000_000;

/// Activity samples of one frame.
pub type ActivityBatch = Vec<ActivitySample>;

/// The scheduled capacity of one shard, adjustable while running.
#[derive(Debug)]
pub struct ShardCapacity {
    /// Slots the scheduler may fill now.
    pub current: AtomicUsize,
    /// The ceiling (limit minus static subscriptions).
    pub max: usize,
}

/// Counters of the rebalancer, for tests and the summary line.
#[derive(Debug, Default)]
pub struct RebalanceStats {
    /// Rebalances run (all shards count once per round).
    pub rounds: AtomicU64,
    /// Scheduled subscriptions active (sum over shards).
    pub subs_active: AtomicU64,
    /// Scheduled subscriptions evicted (unsubscribed because something else won the slot).
    pub evictions: AtomicU64,
    /// Times backpressure cut the capacity.
    pub sheds: AtomicU64,
    /// The scheduled capacity now (sum over shards).
    pub capacity: AtomicU64,
    /// Activity batches dropped because the channel was full (scheduling input only, not data).
    pub activity_dropped_counter: Arc<AtomicU64>,
}

struct Shard {
    governor: Governor,
    worker_stats: Option<Arc<WorkerStats>>,
    /// Statically configured contracts: always subscribed, never scheduled.
    pinned: std::collections::HashSet<Symbol>,
    tracker: ActivityTracker<Symbol>,
    scheduler: SubscriptionScheduler,
    capacity: Arc<ShardCapacity>,
    commands: Option<mpsc::UnboundedSender<WorkerCommand>>,
    /// Active count of the last allocation sent to the worker.
    sent_active: usize,
    /// Limit rejections received since that allocation.
    limit_rejections: usize,
    /// The worker's reconnect count when last looked at (a reconnect resets a learned limit).
    reconnects_seen: u64,
}

impl Shard {
    /// The server rejected `symbol`'s quote subscription; the scheduler stops counting it as
    /// subscribed.
    ///
    /// - For the limit: the server holds `limit` subscriptions, which is the last allocation's
    ///   active count minus the limit rejections since (a shed between the allocation and the
    ///   rejection does not change that count). The shard's ceiling drops to it. The contract is
    ///   only released: the next rebalance, into the lower ceiling, keeps the best by priority
    ///   (the server rejects whatever came last in the subscribe message).
    /// - Otherwise the contract itself was refused: it is kept out for [`REJECTED_COOLDOWN_NS`].
    fn on_rejected(&mut self, shard: usize, rejection: Rejection) {
        let symbol = rejection.symbol.as_str();
        let was = if rejection.limit {
            self.scheduler.release(symbol)
        } else {
            self.scheduler
                .exclude(symbol, now_ns().saturating_add(REJECTED_COOLDOWN_NS))
        };
        if rejection.limit && was {
            self.limit_rejections += 1;
            let held = self.sent_active.saturating_sub(self.limit_rejections);
            if held < self.governor.max() {
                warn!(
                    shard,
                    ceiling = held,
                    configured = self.capacity.max,
                    "the server's option-quote limit is below the configured capacity; lowering it"
                );
                self.governor.set_max(held);
                self.capacity
                    .current
                    .store(self.governor.capacity(), Ordering::Relaxed);
            }
        }
        debug!(
            shard,
            symbol,
            limit = rejection.limit,
            was_subscribed = was,
            "quote subscription rejected"
        );
    }

    /// After a reconnect the server may be another one (or its limit changed): forget a learned
    /// limit; the capacity grows back through the governor's healthy steps.
    fn reset_limit_on_reconnect(&mut self, shard: usize) {
        let Some(stats) = &self.worker_stats else {
            return;
        };
        let reconnects = WorkerStats::get(&stats.reconnects);
        if reconnects != self.reconnects_seen {
            self.reconnects_seen = reconnects;
            if self.governor.max() < self.capacity.max {
                info!(
                    shard,
                    ceiling = self.capacity.max,
                    "reconnected: option-quote ceiling reset"
                );
                self.governor.set_max(self.capacity.max);
            }
        }
    }
}

/// What the rebalancer needs to know about one shard.
pub(crate) struct ShardSetup {
    pub capacity: Arc<ShardCapacity>,
    /// The counters of the worker carrying this shard's option quotes (queue depth, staleness).
    pub worker_stats: Option<Arc<WorkerStats>>,
    pub commands: Option<mpsc::UnboundedSender<WorkerCommand>>,
    pub pinned: std::collections::HashSet<Symbol>,
}

/// The rebalancer's inputs.
pub(crate) struct Rebalancer {
    shards: Vec<Shard>,
    activity: mpsc::Receiver<ActivityBatch>,
    rejections: mpsc::UnboundedReceiver<Rejection>,
    interval: Duration,
    stats: Arc<RebalanceStats>,
    shed: Arc<ShedSet>,
    check_every: Duration,
    queue_capacity: usize,
    sheds: Counter,
    capacity_gauge: Gauge,
    evictions: Counter,
    subs_active: Gauge,
}

impl Rebalancer {
    pub(crate) fn new(
        ws: &WsConfig,
        prototype: &SubscriptionScheduler,
        shards: Vec<ShardSetup>,
        activity: mpsc::Receiver<ActivityBatch>,
        rejections: mpsc::UnboundedReceiver<Rejection>,
        stats: Arc<RebalanceStats>,
        shed: Arc<ShedSet>,
    ) -> Option<Rebalancer> {
        let config = &ws.scheduler;
        let shards = shards
            .into_iter()
            .map(|setup| {
                let ShardSetup {
                    capacity,
                    worker_stats,
                    commands,
                    pinned,
                } = setup;
                Some(Shard {
                    governor: Governor::new(ws.backpressure.clone(), capacity.max),
                    worker_stats,
                    pinned,
                    tracker: ActivityTracker::from_config(config).ok()?,
                    scheduler: prototype.clone(),
                    capacity,
                    commands,
                    sent_active: 0,
                    limit_rejections: 0,
                    reconnects_seen: 0,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Rebalancer {
            shards,
            activity,
            rejections,
            interval: Duration::from_secs(config.rebalance_interval_s.max(1)),
            stats,
            shed,
            check_every: Duration::from_millis(ws.backpressure.check_interval_ms.max(1)),
            queue_capacity: ws.connection.queue_capacity.max(1),
            sheds: metrics::counter!("ws_source_shed_events_total"),
            capacity_gauge: metrics::gauge!("ws_source_scheduled_capacity"),
            evictions: metrics::counter!("ws_source_evictions_total"),
            subs_active: metrics::gauge!("ws_source_scheduled_subs_active"),
        })
    }

    fn record(&mut self, batch: ActivityBatch) {
        let n = self.shards.len();
        // The pooling share is the same in every shard (one config).
        let pooling = self
            .shards
            .first()
            .is_some_and(|s| s.tracker.put_call_pooling() > 0.0);
        for s in batch {
            let shard = &mut self.shards[shard_for(&s.symbol, n)];
            if !shard.pinned.contains(&s.symbol) {
                match s.kind {
                    ActivityKind::Trade { size } => {
                        shard.tracker.record_trade(&s.symbol, s.ts_ns, size)
                    }
                    ActivityKind::Quote => shard.tracker.record_message(&s.symbol, s.ts_ns),
                }
            }
            // Put-call pooling: the pair may live in another shard (see `credit_pair`).
            let ActivityKind::Trade { size } = s.kind else {
                continue;
            };
            if let Some(pair) = put_call_pair(&s.symbol).filter(|_| pooling) {
                let shard = &mut self.shards[shard_for(&pair, n)];
                if !shard.pinned.contains(&pair) {
                    shard.tracker.credit_pair(&pair, s.ts_ns, size);
                }
            }
        }
    }

    fn reject(&mut self, rejection: Rejection) {
        let i = shard_for(&rejection.symbol, self.shards.len());
        if let Some(shard) = self.shards.get_mut(i) {
            shard.on_rejected(i, rejection);
        }
    }

    fn rebalance(&mut self) {
        let now = now_ns();
        let mut active = 0u64;
        for (i, shard) in self.shards.iter_mut().enumerate() {
            shard.reset_limit_on_reconnect(i);
            shard.scheduler.sync_from(&mut shard.tracker, now);
            let capacity = shard.capacity.current.load(Ordering::Relaxed);
            let alloc = shard.scheduler.rebalance(capacity, now);
            active += alloc.active_count() as u64;
            shard.sent_active = alloc.active_count();
            shard.limit_rejections = 0;
            let evicted = alloc.evictions() as u64;
            self.stats.evictions.fetch_add(evicted, Ordering::Relaxed);
            self.evictions.increment(evicted);
            if alloc.to_subscribe.is_empty() && alloc.to_unsubscribe.is_empty() {
                continue;
            }
            // Contracts subscribed again are no longer shed.
            let back: Vec<Symbol> = alloc
                .to_subscribe
                .iter()
                .filter_map(|s| Symbol::new(s).ok())
                .collect();
            self.shed.update([], &back);
            debug!(
                shard = i,
                subscribe = alloc.to_subscribe.len(),
                unsubscribe = alloc.to_unsubscribe.len(),
                active = alloc.active_count(),
                capacity,
                "rebalanced option quote subscriptions"
            );
            let channel = |s: &String| ResourceType::OptionsQuotes.channel(s);
            let cmd = WorkerCommand::Replace {
                unsubscribe: alloc.to_unsubscribe.iter().map(channel).collect(),
                subscribe: alloc.to_subscribe.iter().map(channel).collect(),
            };
            if let Some(tx) = &shard.commands
                && tx.send(cmd).is_err()
            {
                warn!(
                    shard = i,
                    "options worker has stopped; rebalance not applied"
                );
            }
            // Forget contracts whose activity has decayed to nothing (bounded memory).
            shard.tracker.prune(now, 1e-6);
        }
        self.stats.subs_active.store(active, Ordering::Relaxed);
        self.stats.rounds.fetch_add(1, Ordering::Relaxed);
        self.subs_active.set(active as f64);
    }

    /// Looks at each shard's queue and staleness; sheds or restores capacity.
    fn govern(&mut self) {
        let now = now_ns();
        let total: usize = self.shards.iter().map(|s| s.governor.capacity()).sum();
        self.stats.capacity.store(total as u64, Ordering::Relaxed);
        for (i, shard) in self.shards.iter_mut().enumerate() {
            let Some(stats) = &shard.worker_stats else {
                continue;
            };
            let depth = stats.queue_depth.load(Ordering::Relaxed);
            let ratio = depth as f64 / self.queue_capacity as f64;
            let mut staleness = stats.consumer_staleness_ns.load(Ordering::Relaxed);
            if depth > 0 {
                // A consumer that stopped taking batches is as stale as its wait.
                let last_take = stats.last_take_ns.load(Ordering::Relaxed);
                if last_take > 0 {
                    staleness = staleness.max(now - last_take);
                }
            }
            match shard.governor.observe(ratio, staleness, now) {
                Decision::Hold => {}
                Decision::Shed(capacity) => {
                    shard.capacity.current.store(capacity, Ordering::Relaxed);
                    let shed = shard.scheduler.shed_to(capacity);
                    warn!(
                        shard = i,
                        queue_depth = depth,
                        staleness_ms = staleness / 1_000_000,
                        capacity,
                        shed = shed.len(),
                        "consumer falling behind: shedding the lowest-priority option quotes"
                    );
                    self.sheds.increment(1);
                    self.stats.sheds.fetch_add(1, Ordering::Relaxed);
                    self.capacity_gauge.set(capacity as f64);
                    if shed.is_empty() {
                        continue;
                    }
                    self.shed
                        .update(shed.iter().filter_map(|s| Symbol::new(s).ok()), &[]);
                    let channels = shed
                        .iter()
                        .map(|s| ResourceType::OptionsQuotes.channel(s))
                        .collect();
                    if let Some(tx) = &shard.commands {
                        let _ = tx.send(WorkerCommand::Unsubscribe(channels));
                    }
                }
                Decision::Restore(capacity) => {
                    info!(
                        shard = i,
                        capacity, "consumer healthy: restoring option-quote capacity"
                    );
                    shard.capacity.current.store(capacity, Ordering::Relaxed);
                    self.capacity_gauge.set(capacity as f64);
                }
            }
        }
    }

    /// Runs until every activity sender is gone.
    pub(crate) async fn run(mut self) {
        info!(
            shards = self.shards.len(),
            interval_s = self.interval.as_secs(),
            "option quote scheduler running"
        );
        // A first allocation soon after start, then every interval.
        let first = tokio::time::Instant::now() + self.interval.min(Duration::from_secs(1));
        let mut tick = tokio::time::interval_at(first, self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut check = tokio::time::interval(self.check_every);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                batch = self.activity.recv() => match batch {
                    Some(batch) => self.record(batch),
                    None => return,
                },
                Some(rejection) = self.rejections.recv() => self.reject(rejection),
                _ = tick.tick() => run_blocking_part(|| self.rebalance()),
                _ = check.tick() => self.govern(),
            }
        }
    }
}

/// Runs `f`, which may take tens of milliseconds with a large universe (a rebalance of 1.5 M
/// known contracts: ~40 ms plus the hand-over), without stalling the tasks that share this
/// runtime thread (the socket read loops): on a multi-threaded runtime they move to another
/// thread meanwhile (`block_in_place`); a current-thread runtime just runs it.
fn run_blocking_part<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebalancer(shard_count: usize) -> Rebalancer {
        let ws = WsConfig::default();
        let prototype = SubscriptionScheduler::new(&ws.scheduler);
        let shards = (0..shard_count)
            .map(|_| ShardSetup {
                capacity: Arc::new(ShardCapacity {
                    current: AtomicUsize::new(10),
                    max: 10,
                }),
                worker_stats: None,
                commands: None,
                pinned: Default::default(),
            })
            .collect();
        let (_tx, rx) = mpsc::channel(1);
        let (_rtx, rrx) = mpsc::unbounded_channel();
        match Rebalancer::new(
            &ws,
            &prototype,
            shards,
            rx,
            rrx,
            Arc::default(),
            Arc::default(),
        ) {
            Some(r) => r,
            None => panic!("the default config builds a rebalancer"),
        }
    }

    #[test]
    fn put_call_credit_goes_to_the_shard_that_owns_the_pair() {
        let n = 4;
        let mut r = rebalancer(n);
        // A call whose put lives in another shard (strikes are tried until one is found).
        let (call, put) = (1..500u32)
            .find_map(|k| {
                let call = Symbol::new(&format!("O:SPY251219C{:08}", k * 1000)).ok()?;
                let put = put_call_pair(&call)?;
                (shard_for(&call, n) != shard_for(&put, n)).then_some((call, put))
            })
            .expect("some strike's pair hashes to another shard");
        r.record(vec![ActivitySample {
            symbol: call,
            ts_ns: 1,
            kind: ActivityKind::Trade { size: 3.0 },
        }]);
        let own = &r.shards[shard_for(&call, n)].tracker;
        let other = &r.shards[shard_for(&put, n)].tracker;
        assert!(own.message_rate(call.as_str(), 1) > 0.0);
        assert_eq!(own.message_rate(put.as_str(), 1), 0.0);
        let expected = r.shards[0].tracker.put_call_pooling() * own.message_rate(call.as_str(), 1);
        assert!(expected > 0.0);
        assert!((other.message_rate(put.as_str(), 1) - expected).abs() < 1e-12);
        // Quotes are no evidence about the pair.
        let call_rate = |r: &Rebalancer| {
            r.shards[shard_for(&call, n)]
                .tracker
                .message_rate(call.as_str(), 2)
        };
        let before = call_rate(&r);
        r.record(vec![ActivitySample {
            symbol: put,
            ts_ns: 2,
            kind: ActivityKind::Quote,
        }]);
        assert_eq!(call_rate(&r), before);
    }

    /// A rebalancer of one shard with `known` active contracts subscribed in `capacity` slots.
    fn subscribed(capacity: usize, known: usize) -> (Rebalancer, Vec<Symbol>) {
        let mut r = rebalancer(1);
        let syms: Vec<Symbol> = (0..known)
            .filter_map(|i| Symbol::new(&format!("O:SPY251219C{:08}", (i + 1) * 1000)).ok())
            .collect();
        let shard = &mut r.shards[0];
        shard.governor =
            Governor::new(crate::backpressure::BackpressureConfig::default(), capacity);
        shard.capacity.current.store(capacity, Ordering::Relaxed);
        let now = now_ns();
        for (i, s) in syms.iter().enumerate() {
            for _ in 0..(known - i) {
                shard.tracker.record_trade(s, now, 1.0);
            }
        }
        r.rebalance();
        assert_eq!(r.shards[0].scheduler.subscribed_count(), capacity);
        (r, syms)
    }

    #[test]
    fn a_limit_is_learned_from_what_was_sent_even_after_a_shed() {
        let (mut r, syms) = subscribed(100, 120);
        // Backpressure sheds to 45 after the subscribe went out, before its rejections arrive.
        let shed = r.shards[0].scheduler.shed_to(45);
        assert_eq!(shed.len(), 55);
        // The server took 95 of the 100: the last five in the message were refused.
        let refused: Vec<Symbol> = syms[..45].iter().rev().take(5).copied().collect();
        for symbol in &refused {
            r.reject(Rejection {
                symbol: *symbol,
                limit: true,
            });
        }
        assert_eq!(r.shards[0].governor.max(), 95, "the server holds 100 - 5");
        // Released, not excluded: the next rebalance may pick them again by priority.
        let shard = &r.shards[0];
        assert_eq!(shard.scheduler.excluded_count(), 0);
        assert!(refused.iter().all(|s| !shard.scheduler.is_subscribed(s)));
        // A rejection of something not subscribed (a stale report) changes nothing.
        r.reject(Rejection {
            symbol: syms[119],
            limit: true,
        });
        assert_eq!(r.shards[0].governor.max(), 95);
    }

    #[test]
    fn a_refused_contract_is_kept_out_and_its_slot_refilled() {
        let (mut r, syms) = subscribed(10, 30);
        let refused = syms[0]; // the most active
        r.reject(Rejection {
            symbol: refused,
            limit: false,
        });
        assert_eq!(
            r.shards[0].governor.max(),
            10,
            "not a limit: the ceiling stays"
        );
        r.rebalance();
        let shard = &r.shards[0];
        assert!(!shard.scheduler.is_subscribed(&refused));
        assert_eq!(
            shard.scheduler.subscribed_count(),
            10,
            "its slot went to another"
        );
        assert_eq!(shard.scheduler.excluded_count(), 1);
    }

    #[test]
    fn the_blocking_part_runs_on_either_runtime_flavor() {
        // block_in_place would panic on a current-thread runtime: it must not be used there.
        let current = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(current.block_on(async { run_blocking_part(|| 1) }), 1);
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        assert_eq!(
            multi.block_on(async {
                tokio::spawn(async { run_blocking_part(|| 2) })
                    .await
                    .unwrap()
            }),
            2
        );
        assert_eq!(run_blocking_part(|| 3), 3, "outside a runtime");
    }
}
