//! `ConnectionManager`: exactly `shard_count` workers per cluster, merged into one stream.
//!
//! Instruments are assigned to shards by a stable hash of the symbol (FNV-1a), so a symbol
//! always lands on the same socket across restarts. Each worker has its own bounded queue; the
//! output stream merges them fairly.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::Stream;
use futures_util::stream;
use tokio::sync::{broadcast, mpsc};
use tracing::{error, warn};

use crate::backpressure::{ShedSet, ShedView};
use crate::config::{ConfigError, WsConfig};
use crate::model::{Cluster, DataBatch, ResourceType, TradeOrNbbo};
use crate::rebalance::{RebalanceStats, Rebalancer, ShardCapacity, ShardSetup};
use crate::scheduler::SubscriptionScheduler;
use crate::stats::{ConnectionEvent, WorkerStats};
use crate::timestamp::now_ns;
use crate::worker::{Runner, WorkerCommand, WorkerIo, WsWorker};
use std::sync::atomic::Ordering;

/// Types that spread their work over several connections.
pub trait ShardAware {
    /// Connections per cluster.
    fn shard_count(&self) -> usize {
        1
    }
}

/// The shard of `symbol` among `shard_count`: FNV-1a of its bytes with a 64-bit finalizer
/// (FNV alone leaves the low bits weak: symbols that differ in a digit would share a shard),
/// stable across runs and platforms.
///
/// ```
/// use ws_source::manager::shard_for;
/// assert_eq!(shard_for("AAPL", 1), 0);
/// assert_eq!(shard_for("O:SPY251219C00650000", 4), shard_for("O:SPY251219C00650000", 4));
/// ```
pub fn shard_for(symbol: &str, shard_count: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in symbol.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // MurmurHash3's fmix64.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    (h % shard_count.max(1) as u64) as usize
}

struct WorkerSlot {
    commands: mpsc::UnboundedSender<WorkerCommand>,
    stats: Arc<WorkerStats>,
    pending: Mutex<Option<(mpsc::UnboundedReceiver<WorkerCommand>, BTreeSet<String>)>>,
}

/// Owns the workers and the scheduler; [`run`](Self::run) starts them and returns the merged
/// stream of batches.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::StreamExt;
/// use ws_source::{ConnectionManager, WsConfig};
/// let config = WsConfig::load(std::path::Path::new("ws-source.toml"))?;
/// let manager = ConnectionManager::new(&config);
/// let mut batches = manager.run().await;
/// while let Some(batch) = batches.next().await {
///     println!("{:?} {} rows, watermark {}", batch.meta.resource_type, batch.rows.len(),
///              batch.meta.watermark_ts_ns);
/// }
/// # Ok(()) }
/// ```
pub struct ConnectionManager {
    workers: Vec<WsWorker>,
    scheduler: SubscriptionScheduler,
    config: WsConfig,
    slots: Vec<WorkerSlot>,
    events: broadcast::Sender<ConnectionEvent>,
    config_error: Option<String>,
    /// Scheduled option-quote capacity per shard (empty when option quotes are not scheduled).
    capacities: Vec<Arc<ShardCapacity>>,
    rebalance_stats: Arc<RebalanceStats>,
    /// Option contracts being shed under backpressure.
    shed: Arc<ShedSet>,
}

impl std::fmt::Debug for ConnectionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionManager")
            .field("workers", &self.workers)
            .field("shard_count", &self.config.shard_count)
            .finish_non_exhaustive()
    }
}

impl ConnectionManager {
    /// Builds the workers for a configuration. An invalid configuration (see
    /// [`WsConfig::validate`]) yields a manager whose [`run`](Self::run) logs the error and
    /// returns an empty stream; use [`try_new`](Self::try_new) to get the error instead.
    pub fn new(config: &WsConfig) -> Self {
        match Self::try_new(config) {
            Ok(m) => m,
            Err(e) => ConnectionManager {
                workers: Vec::new(),
                scheduler: SubscriptionScheduler::new(&config.scheduler),
                config: config.clone(),
                slots: Vec::new(),
                events: broadcast::channel(16).0,
                config_error: Some(e.to_string()),
                capacities: Vec::new(),
                rebalance_stats: Arc::default(),
                shed: Arc::default(),
            },
        }
    }

    /// Builds the workers, or says which configuration field is wrong.
    pub fn try_new(config: &WsConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut workers = Vec::new();
        let mut slots = Vec::new();
        for cluster in [Cluster::Options, Cluster::Stocks] {
            let feeds = config.feeds.enabled_on(cluster);
            if feeds.is_empty() {
                continue;
            }
            let url = config.cluster_url(cluster)?;
            for shard in 0..config.shard_count {
                let key = config.api_keys[shard].clone();
                let Some(worker) = WsWorker::new(
                    url.clone(),
                    shard,
                    feeds.clone(),
                    key,
                    config.connection.clone(),
                    config.backoff.clone(),
                ) else {
                    continue;
                };
                let mut initial = BTreeSet::new();
                for rt in &feeds {
                    for sym in &config.feeds.get(*rt).symbols {
                        if shard_for(sym, config.shard_count) == shard {
                            initial.insert(rt.channel(sym));
                        }
                    }
                }
                let (tx, rx) = mpsc::unbounded_channel();
                slots.push(WorkerSlot {
                    commands: tx,
                    stats: Arc::new(WorkerStats::default()),
                    pending: Mutex::new(Some((rx, initial))),
                });
                workers.push(worker);
            }
        }
        let quotes = &config.feeds.options_quotes;
        let capacities = if quotes.enabled && quotes.scheduled {
            let limit = ResourceType::OptionsQuotes
                .subscription_limit()
                .unwrap_or(1_000);
            (0..config.shard_count)
                .map(|shard| {
                    let pinned = quotes
                        .symbols
                        .iter()
                        .filter(|s| shard_for(s, config.shard_count) == shard)
                        .count();
                    let max = limit.saturating_sub(pinned);
                    Arc::new(ShardCapacity {
                        current: max.into(),
                        max,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        if !capacities.is_empty() {
            let trades = &config.feeds.options_trades;
            if !(trades.enabled && trades.symbols.iter().any(|s| s == "*")) {
                warn!(
                    "option quotes are scheduled but options trades are not subscribed with `*`: \
                     the scheduler only sees activity on the contracts it already subscribes"
                );
            }
        }
        Ok(ConnectionManager {
            workers,
            scheduler: SubscriptionScheduler::new(&config.scheduler),
            config: config.clone(),
            slots,
            events: broadcast::channel(1024).0,
            config_error: None,
            capacities,
            rebalance_stats: Arc::default(),
            shed: Arc::default(),
        })
    }

    /// The workers (one per cluster × shard).
    pub fn workers(&self) -> &[WsWorker] {
        &self.workers
    }

    /// The scheduler that picks option-quote subscriptions.
    pub fn scheduler(&self) -> &SubscriptionScheduler {
        &self.scheduler
    }

    /// Each worker's live counters, in [`workers`](Self::workers) order.
    pub fn stats(&self) -> Vec<Arc<WorkerStats>> {
        self.slots.iter().map(|s| Arc::clone(&s.stats)).collect()
    }

    /// Counters of the option-quote rebalancer (rounds, active, evictions).
    pub fn rebalance_stats(&self) -> Arc<RebalanceStats> {
        Arc::clone(&self.rebalance_stats)
    }

    /// Scheduled option-quote capacity per shard (empty when option quotes are not scheduled).
    /// Lowering `current` makes the next rebalance shed the lowest-priority contracts.
    pub fn option_quote_capacity(&self) -> &[Arc<ShardCapacity>] {
        &self.capacities
    }

    /// Subscribes to connection events (connects, backoffs, disconnects).
    pub fn events(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.events.subscribe()
    }

    fn slot_of(&self, rt: ResourceType, shard: usize) -> Option<&WorkerSlot> {
        self.workers
            .iter()
            .position(|w| w.shard_id == shard && w.feeds.contains(&rt))
            .and_then(|i| self.slots.get(i))
    }

    fn route(&self, rt: ResourceType, symbols: &[String], make: fn(Vec<String>) -> WorkerCommand) {
        let mut per_shard: Vec<Vec<String>> = vec![Vec::new(); self.config.shard_count];
        for s in symbols {
            per_shard[shard_for(s, self.config.shard_count)].push(rt.channel(s));
        }
        for (shard, channels) in per_shard.into_iter().enumerate() {
            if channels.is_empty() {
                continue;
            }
            match self.slot_of(rt, shard) {
                Some(slot) => {
                    if slot.commands.send(make(channels)).is_err() {
                        warn!(feed = %rt, shard, "worker has stopped; subscription change ignored");
                    }
                }
                None => {
                    warn!(feed = %rt, shard, "feed is not enabled; subscription change ignored")
                }
            }
        }
    }

    /// Adds symbols to a feed (routed to their shards; re-sent after every reconnect).
    pub fn subscribe(&self, rt: ResourceType, symbols: &[String]) {
        self.route(rt, symbols, WorkerCommand::Subscribe);
    }

    /// Removes symbols from a feed.
    pub fn unsubscribe(&self, rt: ResourceType, symbols: &[String]) {
        self.route(rt, symbols, WorkerCommand::Unsubscribe);
    }

    /// Asks every worker to close its socket and stop; the stream then ends.
    pub fn shutdown(&self) {
        for slot in &self.slots {
            let _ = slot.commands.send(WorkerCommand::Shutdown);
        }
    }

    /// Starts one task per worker and returns the merged stream of batches. The stream ends
    /// when every worker has stopped (shutdown or a fatal error such as a rejected key).
    /// Calling `run` a second time returns an empty stream.
    pub async fn run(&self) -> Pin<Box<dyn Stream<Item = DataBatch<TradeOrNbbo>> + Send>> {
        if let Some(e) = &self.config_error {
            error!(error = %e, "invalid configuration: no connection started");
            return Box::pin(stream::empty());
        }
        let mut streams = Vec::new();
        let (activity_tx, activity_rx) = mpsc::channel(1_024);
        let (rejections_tx, rejections_rx) = mpsc::unbounded_channel();
        let scheduled = !self.capacities.is_empty();
        if scheduled {
            let shards = self
                .capacities
                .iter()
                .enumerate()
                .map(|(shard, cap)| ShardSetup {
                    capacity: Arc::clone(cap),
                    commands: self
                        .slot_of(ResourceType::OptionsQuotes, shard)
                        .map(|s| s.commands.clone()),
                    worker_stats: self
                        .slot_of(ResourceType::OptionsQuotes, shard)
                        .map(|s| Arc::clone(&s.stats)),
                    pinned: self
                        .config
                        .feeds
                        .options_quotes
                        .symbols
                        .iter()
                        .filter(|s| shard_for(s, self.config.shard_count) == shard)
                        .filter_map(|s| crate::model::Symbol::new(s).ok())
                        .collect(),
                })
                .collect();
            match Rebalancer::new(
                &self.config,
                &self.scheduler,
                shards,
                activity_rx,
                rejections_rx,
                Arc::clone(&self.rebalance_stats),
                Arc::clone(&self.shed),
            ) {
                Some(rebalancer) => {
                    tokio::spawn(rebalancer.run());
                }
                None => error!("invalid scheduler configuration: option quotes not scheduled"),
            }
        }
        for (worker, slot) in self.workers.iter().zip(&self.slots) {
            let taken = slot.pending.lock().ok().and_then(|mut p| p.take());
            let Some((commands, initial)) = taken else {
                warn!(cluster = %worker.cluster(), shard = worker.shard_id, "already running");
                continue;
            };
            let (tx, rx) = mpsc::channel(self.config.connection.queue_capacity);
            let io = WorkerIo {
                output: tx,
                commands,
                stats: Arc::clone(&slot.stats),
                events: self.events.clone(),
                initial,
                activity: (scheduled && worker.cluster() == Cluster::Options)
                    .then(|| activity_tx.clone()),
                activity_dropped: Arc::clone(&self.rebalance_stats.activity_dropped_counter),
                rejections: (scheduled && worker.cluster() == Cluster::Options)
                    .then(|| rejections_tx.clone()),
                shed: Arc::clone(&self.shed),
            };
            let runner = Runner::new(worker.clone(), io);
            let (cluster, shard) = (worker.cluster(), worker.shard_id);
            tokio::spawn(async move {
                if let Err(e) = runner.run().await {
                    error!(%cluster, shard, error = %e, "worker stopped with a fatal error");
                }
            });
            streams.push(consumer_stream(ConsumerSide::new(
                rx,
                worker,
                Arc::clone(&slot.stats),
                Arc::clone(&self.shed),
                self.config.backpressure.max_staleness_ms,
            )));
        }
        drop(activity_tx);
        Box::pin(stream::select_all(streams))
    }
}

impl ShardAware for ConnectionManager {
    fn shard_count(&self) -> usize {
        self.config.shard_count
    }
}

/// The consumer's end of one worker's queue: accounts for what the consumer takes, measures
/// staleness, and drops (and counts) queued rows of instruments shed since they were queued.
struct ConsumerSide {
    rx: mpsc::Receiver<DataBatch<TradeOrNbbo>>,
    stats: Arc<WorkerStats>,
    shed: Arc<ShedSet>,
    view: ShedView,
    delivered: metrics::Counter,
    dropped_shed: metrics::Counter,
    dropped_stale: metrics::Counter,
    max_staleness_ns: i64,
    queue_depth: metrics::Gauge,
    batch_staleness: metrics::Histogram,
    event_staleness: metrics::Histogram,
}

impl ConsumerSide {
    fn new(
        rx: mpsc::Receiver<DataBatch<TradeOrNbbo>>,
        worker: &WsWorker,
        stats: Arc<WorkerStats>,
        shed: Arc<ShedSet>,
        max_staleness_ms: u64,
    ) -> ConsumerSide {
        let cluster = worker.cluster().path().to_string();
        let shard = worker.shard_id.to_string();
        let labels = [("cluster", cluster.clone()), ("shard", shard.clone())];
        ConsumerSide {
            rx,
            stats,
            shed,
            view: ShedView::default(),
            delivered: metrics::counter!("ws_source_events_delivered_total", &labels),
            dropped_shed: metrics::counter!(
                "ws_source_events_dropped_total",
                &[
                    ("cluster", cluster.clone()),
                    ("shard", shard.clone()),
                    ("reason", "shed".to_string())
                ]
            ),
            dropped_stale: metrics::counter!(
                "ws_source_events_dropped_total",
                &[
                    ("cluster", cluster.clone()),
                    ("shard", shard.clone()),
                    ("reason", "stale".to_string())
                ]
            ),
            max_staleness_ns: max_staleness_ms as i64 * 1_000_000,
            queue_depth: metrics::gauge!("ws_source_queue_depth", &labels),
            batch_staleness: metrics::histogram!(
                "ws_source_staleness_seconds",
                &[
                    ("cluster", cluster.clone()),
                    ("shard", shard.clone()),
                    ("kind", "batch".to_string())
                ]
            ),
            event_staleness: metrics::histogram!(
                "ws_source_staleness_seconds",
                &[
                    ("cluster", cluster),
                    ("shard", shard),
                    ("kind", "event".to_string())
                ]
            ),
        }
    }

    fn take(&mut self, mut batch: DataBatch<TradeOrNbbo>) -> DataBatch<TradeOrNbbo> {
        let now = now_ns();
        let depth = self
            .stats
            .queue_depth
            .fetch_sub(1, Ordering::Relaxed)
            .saturating_sub(1);
        self.queue_depth.set(depth as f64);
        self.stats.last_take_ns.store(now, Ordering::Relaxed);
        let staleness = now - batch.meta.received_at_ns;
        self.stats
            .consumer_staleness_ns
            .store(staleness, Ordering::Relaxed);
        if batch.meta.resource_type == ResourceType::OptionsQuotes
            && !batch.rows.is_empty()
            && staleness > self.max_staleness_ns
        {
            let n = batch.rows.len() as u64;
            batch.rows.clear();
            batch.meta.dropped_since_last += n;
            WorkerStats::add(&self.stats.dropped_stale, n);
            self.dropped_stale.increment(n);
        }
        if batch.meta.resource_type == ResourceType::OptionsQuotes && !batch.rows.is_empty() {
            let shed = self.view.current(&self.shed);
            if !shed.is_empty() {
                let before = batch.rows.len();
                batch.rows.retain(|r| !shed.contains(r.symbol()));
                let dropped = (before - batch.rows.len()) as u64;
                batch.meta.dropped_since_last += dropped;
                WorkerStats::add(&self.stats.dropped_shed, dropped);
                self.dropped_shed.increment(dropped);
            }
        }
        if !batch.rows.is_empty() {
            self.batch_staleness.record(staleness as f64 / 1e9);
            // The oldest event of the batch: SIP time to now.
            if let Some(oldest) = batch.rows.iter().map(TradeOrNbbo::sip_ts_ns).min() {
                self.event_staleness.record((now - oldest) as f64 / 1e9);
            }
            let n = batch.rows.len() as u64;
            WorkerStats::add(&self.stats.delivered, n);
            self.delivered.increment(n);
        }
        batch
    }
}

fn consumer_stream(
    side: ConsumerSide,
) -> Pin<Box<dyn Stream<Item = DataBatch<TradeOrNbbo>> + Send>> {
    Box::pin(stream::unfold(side, |mut side| async move {
        let batch = side.rx.recv().await?;
        let batch = side.take(batch);
        Some((batch, side))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED_AAPL_7: usize = 3;
    const PINNED_SPY_4: usize = 3;
    const PINNED_STAR_2: usize = 1;

    #[test]
    fn shard_hash_is_stable_and_spreads() {
        // Pinned values: changing the hash would move every symbol to another socket.
        assert_eq!(
            [
                shard_for("AAPL", 7),
                shard_for("O:SPY251219C00650000", 4),
                shard_for("*", 2)
            ],
            [PINNED_AAPL_7, PINNED_SPY_4, PINNED_STAR_2]
        );
        let mut counts = [0usize; 4];
        for i in 0..4_000 {
            counts[shard_for(&format!("O:SPY2512{i:02}C{i:08}"), 4)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 800), "{counts:?}");
    }
}
