//! `WsWorker`: one socket (one cluster × shard) kept alive forever.
//!
//! The worker owns its desired subscription set. On every (re)connect it authenticates and
//! re-sends the whole set, so resumption is a property of the design, not a special case. The
//! read loop reads the socket as fast as it can and never awaits the consumer: batches go into a
//! bounded queue with `try_send`, and a full queue costs counted, reported rows, never a stalled
//! socket (which would get us dropped as a slow consumer). While connected and idle, heartbeat
//! batches advance the watermark to `now − allowed_lateness`; while disconnected they keep
//! flowing with the watermark frozen and `connection: Disconnected`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use metrics::{Counter, Gauge};
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, MissedTickBehavior, interval_at};
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, error, info, warn};
use url::Url;

use crate::backoff::{Backoff, BackoffConfig};
use crate::backpressure::{ShedSet, ShedView};
use crate::config::ConnectionConfig;
use crate::connection::{WebSocketStream, connect_and_subscribe, send_channels};
use crate::error::WsError;
use crate::model::{
    BatchMeta, Cluster, ConnectionState, DataBatch, Quality, ResourceType, Source, StatusKind,
    StatusMessage, Symbol, TradeOrNbbo,
};
use crate::parse::{FrameContext, parse_frame};
use crate::rebalance::{ActivityBatch, ActivityKind, ActivitySample, Rejection};
use crate::secret::ApiKey;
use crate::stats::{ConnectionEvent, ConnectionEventKind, WorkerStats};
use crate::timestamp::{NANOS_PER_MILLI, now_ns};

/// One connection: a cluster URL, a shard, and the feeds it carries.
///
/// Massive allows one connection per cluster per account, so the quote and trade feeds of a
/// cluster share one worker; `resource_type` is the first of `feeds`.
#[derive(Debug, Clone)]
pub struct WsWorker {
    /// The cluster URL, e.g. `wss://socket.massive.com/options`.
    pub url: Url,
    /// The shard (0-based); also selects the API key.
    pub shard_id: usize,
    /// The primary feed.
    pub resource_type: ResourceType,
    /// Every feed carried by this socket (same cluster).
    pub feeds: Vec<ResourceType>,
    pub(crate) api_key: ApiKey,
    pub(crate) connection: ConnectionConfig,
    pub(crate) backoff: BackoffConfig,
}

impl WsWorker {
    /// A worker for `feeds` (all on one cluster, at least one) on `url`.
    pub fn new(
        url: Url,
        shard_id: usize,
        feeds: Vec<ResourceType>,
        api_key: ApiKey,
        connection: ConnectionConfig,
        backoff: BackoffConfig,
    ) -> Option<WsWorker> {
        let resource_type = *feeds.first()?;
        if feeds.iter().any(|f| f.cluster() != resource_type.cluster()) {
            return None;
        }
        Some(WsWorker {
            url,
            shard_id,
            resource_type,
            feeds,
            api_key,
            connection,
            backoff,
        })
    }

    /// The cluster this worker connects to.
    pub fn cluster(&self) -> Cluster {
        self.resource_type.cluster()
    }
}

/// A change to a worker's desired subscriptions, or a stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerCommand {
    /// Add channels (e.g. `Q.O:SPY251219C00650000`).
    Subscribe(Vec<String>),
    /// Remove channels.
    Unsubscribe(Vec<String>),
    /// Unsubscribe first, then subscribe: a limit is never exceeded, even for a moment.
    Replace {
        /// Channels to remove first.
        unsubscribe: Vec<String>,
        /// Channels to add afterwards.
        subscribe: Vec<String>,
    },
    /// Close the socket and stop.
    Shutdown,
}

/// The channels a worker is wired to.
pub(crate) struct WorkerIo {
    pub output: mpsc::Sender<DataBatch<TradeOrNbbo>>,
    pub commands: mpsc::UnboundedReceiver<WorkerCommand>,
    pub stats: Arc<WorkerStats>,
    pub events: broadcast::Sender<ConnectionEvent>,
    pub initial: BTreeSet<String>,
    /// Where option activity goes, when option quotes are scheduled.
    pub activity: Option<mpsc::Sender<ActivityBatch>>,
    pub activity_dropped: Arc<std::sync::atomic::AtomicU64>,
    /// Where rejected scheduled quote subscriptions go, when option quotes are scheduled.
    pub rejections: Option<mpsc::UnboundedSender<Rejection>>,
    /// Instruments being shed: their rows are dropped and counted.
    pub shed: Arc<ShedSet>,
}

/// Why a phase of the worker ended.
enum End {
    /// Shutdown requested, or the consumer went away.
    Stop,
    /// The connection failed or was closed.
    Failed(WsError),
}

pub(crate) struct WorkerMetrics {
    reconnects: Counter,
    dropped_shed: Counter,
    frames: Counter,
    events: Counter,
    dropped_queue_full: Counter,
    parse_errors: Counter,
    max_connections: Counter,
    disconnects: Counter,
    subs_active: Gauge,
    connected: Gauge,
}

impl WorkerMetrics {
    pub(crate) fn new(cluster: Cluster, shard: usize) -> WorkerMetrics {
        let labels = [
            ("cluster", cluster.path().to_string()),
            ("shard", shard.to_string()),
        ];
        WorkerMetrics {
            reconnects: metrics::counter!("ws_source_reconnects_total", &labels),
            frames: metrics::counter!("ws_source_frames_total", &labels),
            events: metrics::counter!("ws_source_events_received_total", &labels),
            dropped_queue_full: metrics::counter!(
                "ws_source_events_dropped_total",
                &[
                    ("cluster", cluster.path().to_string()),
                    ("shard", shard.to_string()),
                    ("reason", "queue_full".to_string()),
                ]
            ),
            dropped_shed: metrics::counter!(
                "ws_source_events_dropped_total",
                &[
                    ("cluster", cluster.path().to_string()),
                    ("shard", shard.to_string()),
                    ("reason", "shed".to_string()),
                ]
            ),

            parse_errors: metrics::counter!("ws_source_parse_errors_total", &labels),
            max_connections: metrics::counter!("ws_source_max_connections_total", &labels),
            disconnects: metrics::counter!("ws_source_disconnects_total", &labels),
            subs_active: metrics::gauge!("ws_source_subs_active", &labels),
            connected: metrics::gauge!("ws_source_connected", &labels),
        }
    }
}

/// Per-feed batch numbering and pending drop counts.
#[derive(Default, Clone, Copy)]
struct FeedState {
    batch_seq: u64,
    dropped_pending: u64,
}

pub(crate) struct Runner {
    worker: WsWorker,
    io: WorkerIo,
    desired: BTreeSet<String>,
    backoff: Backoff,
    watermark: i64,
    feeds: [FeedState; 4],
    metrics: WorkerMetrics,
    consumer_gone: bool,
    shed_view: ShedView,
}

impl Runner {
    pub(crate) fn new(worker: WsWorker, io: WorkerIo) -> Runner {
        let backoff = Backoff::new(worker.backoff.clone(), worker.shard_id as u64);
        let metrics = WorkerMetrics::new(worker.cluster(), worker.shard_id);
        let desired = io.initial.clone();
        Runner {
            worker,
            io,
            desired,
            backoff,
            watermark: 0,
            feeds: [FeedState::default(); 4],
            metrics,
            consumer_gone: false,
            shed_view: ShedView::default(),
        }
    }

    fn event(&self, kind: ConnectionEventKind) {
        // No receivers is fine: events are for observers that may not exist.
        let _ = self.io.events.send(ConnectionEvent {
            cluster: self.worker.cluster(),
            shard: self.worker.shard_id,
            at: std::time::Instant::now(),
            kind,
        });
    }

    fn set_subs_gauge(&self) {
        let n = self.desired.len() as u64;
        self.io.stats.subs_active.store(n, Ordering::Relaxed);
        self.metrics.subs_active.set(n as f64);
    }

    /// Runs until shutdown, the consumer going away, or a fatal error.
    pub(crate) async fn run(mut self) -> Result<(), WsError> {
        let cluster = self.worker.cluster();
        let shard = self.worker.shard_id;
        self.set_subs_gauge();
        let mut first = true;
        loop {
            if !first {
                let delay = self.backoff.next_delay();
                let attempt = self.backoff.attempt();
                info!(%cluster, shard, attempt, delay_ms = delay.as_millis() as u64, "reconnecting after backoff");
                self.event(ConnectionEventKind::BackingOff { attempt, delay });
                if self.while_down(tokio::time::sleep(delay)).await.is_none() {
                    return self.stopped("shutdown");
                }
                WorkerStats::add(&self.io.stats.reconnects, 1);
                self.metrics.reconnects.increment(1);
            }
            self.event(ConnectionEventKind::Connecting {
                attempt: if first { 0 } else { self.backoff.attempt() },
            });
            first = false;
            let subs: Vec<String> = self.desired.iter().cloned().collect();
            let worker = self.worker.clone();
            let connected = match self.while_down(connect_and_subscribe(&worker, subs)).await {
                None => return self.stopped("shutdown"),
                Some(result) => result,
            };
            let ws = match connected {
                Ok(ws) => ws,
                Err(e) => {
                    if let Some(fatal) = self.failed(e) {
                        return Err(fatal);
                    }
                    continue;
                }
            };
            let channels = self.desired.len();
            info!(%cluster, shard, channels, "connected, authenticated and subscribed");
            WorkerStats::add(&self.io.stats.connects, 1);
            self.io.stats.connected.store(1, Ordering::Relaxed);
            self.metrics.connected.set(1.0);
            self.event(ConnectionEventKind::Connected { channels });
            let up_since = Instant::now();
            let end = self.read_loop(ws).await;
            self.io.stats.connected.store(0, Ordering::Relaxed);
            self.metrics.connected.set(0.0);
            self.backoff.connection_ended(up_since.elapsed());
            match end {
                End::Stop => return self.stopped("shutdown"),
                End::Failed(e) => {
                    if let Some(fatal) = self.failed(e) {
                        return Err(fatal);
                    }
                }
            }
        }
    }

    fn stopped(&self, why: &str) -> Result<(), WsError> {
        info!(cluster = %self.worker.cluster(), shard = self.worker.shard_id, why, "worker stopped");
        self.event(ConnectionEventKind::Stopped {
            message: why.to_string(),
        });
        Ok(())
    }

    /// Logs and reports a failed connection; returns the error if it is fatal.
    fn failed(&mut self, e: WsError) -> Option<WsError> {
        let cluster = self.worker.cluster();
        let shard = self.worker.shard_id;
        self.metrics.disconnects.increment(1);
        self.event(ConnectionEventKind::Disconnected {
            reason: e.reason(),
            message: e.to_string(),
        });
        match &e {
            WsError::AuthFailed { .. } => {
                error!(%cluster, shard, error = %e, "authentication failed: not retrying (fix the API key)");
                self.event(ConnectionEventKind::Stopped {
                    message: e.to_string(),
                });
                return Some(e);
            }
            WsError::MaxConnections { .. } => {
                WorkerStats::add(&self.io.stats.max_connections, 1);
                self.metrics.max_connections.increment(1);
                error!(
                    %cluster, shard, error = %e,
                    "ANOTHER CLIENT ON THIS ACCOUNT TOOK THE CONNECTION: backing off instead of fighting for it"
                );
            }
            WsError::SlowConsumer { .. } => {
                WorkerStats::add(&self.io.stats.slow_consumer, 1);
                warn!(%cluster, shard, error = %e, "dropped as a slow consumer; reconnecting");
            }
            _ => {
                warn!(%cluster, shard, reason = e.reason(), error = %e, "connection lost; reconnecting")
            }
        }
        None
    }

    /// Drives `fut` while disconnected: heartbeats keep flowing (watermark frozen) and commands
    /// update the desired set. `None` on shutdown.
    async fn while_down<F: Future>(&mut self, fut: F) -> Option<F::Output> {
        let period = Duration::from_millis(self.worker.connection.heartbeat_interval_ms);
        let mut heartbeat = interval_at(Instant::now() + period, period);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut fut = std::pin::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => return Some(out),
                _ = heartbeat.tick() => {
                    self.heartbeat(ConnectionState::Disconnected);
                    if self.consumer_gone {
                        return None;
                    }
                }
                cmd = self.io.commands.recv() => {
                    match cmd {
                        None | Some(WorkerCommand::Shutdown) => return None,
                        Some(cmd) => { self.apply(cmd); }
                    }
                }
            }
        }
    }

    /// Applies a command to the desired set; returns (unsubscribe, subscribe) actually changed.
    fn apply(&mut self, cmd: WorkerCommand) -> (Vec<String>, Vec<String>) {
        let (unsub, sub) = match cmd {
            WorkerCommand::Subscribe(s) => (Vec::new(), s),
            WorkerCommand::Unsubscribe(u) => (u, Vec::new()),
            WorkerCommand::Replace {
                unsubscribe,
                subscribe,
            } => (unsubscribe, subscribe),
            WorkerCommand::Shutdown => (Vec::new(), Vec::new()),
        };
        let unsub: Vec<String> = unsub
            .into_iter()
            .filter(|c| self.desired.remove(c))
            .collect();
        let sub: Vec<String> = sub
            .into_iter()
            .filter(|c| self.desired.insert(c.clone()))
            .collect();
        self.set_subs_gauge();
        (unsub, sub)
    }

    async fn read_loop(&mut self, mut ws: WebSocketStream) -> End {
        let c = &self.worker.connection;
        let ping_every = Duration::from_millis(c.ping_interval_ms);
        let silence_limit = ping_every + Duration::from_millis(c.pong_timeout_ms);
        let hb_every = Duration::from_millis(c.heartbeat_interval_ms);
        let check_every = (silence_limit / 8).max(Duration::from_millis(10));
        let now = Instant::now();
        let mut ping = interval_at(now + ping_every, ping_every);
        let mut heartbeat = interval_at(now + hb_every, hb_every);
        let mut liveness = interval_at(now + check_every, check_every);
        for t in [&mut ping, &mut heartbeat, &mut liveness] {
            t.set_missed_tick_behavior(MissedTickBehavior::Delay);
        }
        let mut last_rx = Instant::now();
        let mut data_since_heartbeat = false;
        loop {
            tokio::select! {
                msg = ws.next() => {
                    last_rx = Instant::now();
                    let msg = match msg {
                        Some(Ok(m)) => m,
                        Some(Err(e)) => return End::Failed(self.worker.closed_error(e.to_string())),
                        None => return End::Failed(self.worker.closed_error("stream ended".into())),
                    };
                    let step = match &msg {
                        Message::Text(t) => self.on_frame(t.as_bytes(), &mut data_since_heartbeat),
                        Message::Binary(b) => self.on_frame(b, &mut data_since_heartbeat),
                        Message::Ping(_) => {
                            // tungstenite queued the pong; push it out now.
                            if let Err(e) = ws.flush().await {
                                return End::Failed(self.worker.closed_error(e.to_string()));
                            }
                            Ok(())
                        }
                        Message::Close(frame) => {
                            let why = frame.as_ref().map_or_else(
                                || "close frame without reason".to_string(),
                                |f| format!("close code {} {:?}", u16::from(f.code), f.reason.as_str()),
                            );
                            return End::Failed(self.worker.closed_error(why));
                        }
                        Message::Pong(_) | Message::Frame(_) => Ok(()),
                    };
                    if let Err(end) = step {
                        let _ = ws.close(None).await;
                        return end;
                    }
                }
                cmd = self.io.commands.recv() => {
                    let cmd = match cmd {
                        None | Some(WorkerCommand::Shutdown) => {
                            let _ = ws.close(None).await;
                            return End::Stop;
                        }
                        Some(cmd) => cmd,
                    };
                    let (unsub, sub) = self.apply(cmd);
                    let worker = &self.worker;
                    let sent = async {
                        send_channels(worker, &mut ws, "unsubscribe", &unsub).await?;
                        send_channels(worker, &mut ws, "subscribe", &sub).await
                    };
                    if let Err(e) = sent.await {
                        return End::Failed(e);
                    }
                }
                _ = ping.tick() => {
                    if let Err(e) = ws.send(Message::Ping(Default::default())).await {
                        return End::Failed(self.worker.closed_error(e.to_string()));
                    }
                }
                _ = liveness.tick() => {
                    let silent = last_rx.elapsed();
                    if silent > silence_limit {
                        return End::Failed(WsError::Stalled {
                            cluster: self.worker.cluster(),
                            shard: self.worker.shard_id,
                            silent_ms: silent.as_millis() as u64,
                        });
                    }
                }
                _ = heartbeat.tick() => {
                    if !data_since_heartbeat {
                        let lateness = self.worker.connection.allowed_lateness_ms as i64 * NANOS_PER_MILLI;
                        self.watermark = self.watermark.max(now_ns() - lateness);
                        self.heartbeat(ConnectionState::Connected);
                    }
                    data_since_heartbeat = false;
                    if self.consumer_gone {
                        let _ = ws.close(None).await;
                        return End::Stop;
                    }
                }
            }
        }
    }

    /// Parses and delivers one frame; `Err` ends the connection.
    fn on_frame(&mut self, payload: &[u8], data_flag: &mut bool) -> Result<(), End> {
        WorkerStats::add(&self.io.stats.frames, 1);
        self.metrics.frames.increment(1);
        let ctx = FrameContext {
            received_at_ns: now_ns(),
            shard_id: self.worker.shard_id,
            max_future_skew_ns: Some(
                self.worker.connection.max_future_skew_ms as i64 * NANOS_PER_MILLI,
            ),
        };
        let frame = match parse_frame(payload, &ctx) {
            Ok(frame) => frame,
            Err(e) => {
                WorkerStats::add(&self.io.stats.parse_errors, 1);
                self.metrics.parse_errors.increment(1);
                error!(
                    cluster = %self.worker.cluster(), shard = self.worker.shard_id,
                    event_index = e.event_index, field = e.field.as_deref(), error = %e,
                    "rejected a frame; its events are not delivered"
                );
                return Ok(());
            }
        };
        if self.io.activity.is_some() {
            self.report_activity(&frame.batches);
        }
        for batch in frame.batches {
            *data_flag = true;
            let n = batch.rows.len() as u64;
            WorkerStats::add(&self.io.stats.events, n);
            self.metrics.events.increment(n);
            self.deliver(batch);
        }
        for status in frame.statuses {
            self.on_status(status)?;
        }
        if self.consumer_gone {
            return Err(End::Stop);
        }
        Ok(())
    }

    /// Sends the frame's option trades to the scheduler's activity tracker.
    ///
    /// Trades only: `T.*` shows every contract's trades, while quotes are only seen on the
    /// contracts already subscribed, so counting them would favour incumbents (measured: lower
    /// trade coverage).
    fn report_activity(&self, batches: &[DataBatch<TradeOrNbbo>]) {
        let Some(tx) = &self.io.activity else {
            return;
        };
        let Some(trades) = batches
            .iter()
            .find(|b| b.meta.resource_type == ResourceType::OptionsTrades)
        else {
            return;
        };
        let samples: ActivityBatch = trades
            .rows
            .iter()
            .filter_map(|row| match row {
                TradeOrNbbo::OptionTrade(t) => Some(ActivitySample {
                    symbol: t.symbol,
                    ts_ns: t.sip_ts_ns,
                    kind: ActivityKind::Trade {
                        size: t.size as f64,
                    },
                }),
                _ => None,
            })
            .collect();
        if tx.try_send(samples).is_err() {
            self.io.activity_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An `error` status that names one of our scheduled channels: the server did not subscribe
    /// it. It leaves the desired set (re-sending it on every reconnect would only be rejected
    /// again) and is reported to the rebalancer, which frees its slot. Statically configured
    /// channels stay desired (they are re-sent on reconnect, and the error was logged).
    fn on_rejected(&mut self, channel: &str, message: &str) {
        let Some(tx) = &self.io.rejections else {
            return;
        };
        let Some(contract) = channel.strip_prefix("Q.") else {
            return;
        };
        if self.io.initial.contains(channel) || !self.desired.remove(channel) {
            return;
        }
        if let Ok(symbol) = Symbol::new(contract) {
            let limit = message.starts_with("subscription limit exceeded");
            // Unbounded and rare: a lost rejection would leave a dead slot in the scheduler.
            if tx.send(Rejection { symbol, limit }).is_err() {
                warn!(
                    cluster = %self.worker.cluster(),
                    shard = self.worker.shard_id,
                    channel,
                    "rebalancer has stopped; rejected subscription not reported"
                );
            }
        }
    }

    fn on_status(&mut self, status: StatusMessage) -> Result<(), End> {
        let cluster = self.worker.cluster();
        let shard = self.worker.shard_id;
        if let Some(err) = self.worker.status_error(&status) {
            return Err(End::Failed(err));
        }
        match &status.kind {
            StatusKind::Subscribed { channel } => debug!(%cluster, shard, channel, "subscribed"),
            StatusKind::Unsubscribed { channel } => {
                debug!(%cluster, shard, channel, "unsubscribed")
            }
            StatusKind::Error => {
                WorkerStats::add(&self.io.stats.subscription_errors, 1);
                let channel = status.message.rsplit(": ").next().unwrap_or("");
                warn!(%cluster, shard, channel, message = %status.message, "server reported an error");
                self.on_rejected(channel, &status.message);
            }
            StatusKind::Other { status: raw } => {
                warn!(%cluster, shard, status = %raw, message = %status.message, "unknown status from the server");
            }
            _ => {
                debug!(%cluster, shard, status = ?status.kind, message = %status.message, "status")
            }
        }
        Ok(())
    }

    fn meta(&mut self, rt: ResourceType, state: ConnectionState, received_at_ns: i64) -> BatchMeta {
        let feed = &mut self.feeds[rt as usize];
        BatchMeta {
            source: Source::Ws,
            quality: Quality::Prelim,
            resource_type: rt,
            shard_id: self.worker.shard_id,
            watermark_ts_ns: self.watermark,
            received_at_ns,
            connection: state,
            dropped_since_last: feed.dropped_pending,
            batch_seq: feed.batch_seq,
        }
    }

    /// Hands a data batch to the consumer queue without waiting.
    fn deliver(&mut self, mut batch: DataBatch<TradeOrNbbo>) {
        let rt = batch.meta.resource_type;
        self.watermark = self.watermark.max(batch.meta.watermark_ts_ns);
        if rt == ResourceType::OptionsQuotes {
            let shed = self.shed_view.current(&self.io.shed);
            if !shed.is_empty() {
                let before = batch.rows.len();
                batch.rows.retain(|r| !shed.contains(r.symbol()));
                let dropped = (before - batch.rows.len()) as u64;
                if dropped > 0 {
                    self.feeds[rt as usize].dropped_pending += dropped;
                    WorkerStats::add(&self.io.stats.dropped_shed, dropped);
                    self.metrics.dropped_shed.increment(dropped);
                }
                if batch.rows.is_empty() {
                    return; // the count rides on the next batch of this feed
                }
            }
        }
        batch.meta = self.meta(rt, ConnectionState::Connected, batch.meta.received_at_ns);
        self.io
            .stats
            .watermark_ts_ns
            .store(self.watermark, Ordering::Relaxed);
        let n = batch.rows.len() as u64;
        if self.enqueue(batch) {
            WorkerStats::add(&self.io.stats.enqueued, n);
        } else if !self.consumer_gone {
            self.feeds[rt as usize].dropped_pending += n;
            WorkerStats::add(&self.io.stats.dropped_queue_full, n);
            self.metrics.dropped_queue_full.increment(n);
        }
    }

    /// Puts a batch in the consumer queue without waiting and numbers it. `false` if the queue
    /// was full (or the consumer is gone, which sets `consumer_gone`): the batch is dropped.
    fn enqueue(&mut self, batch: DataBatch<TradeOrNbbo>) -> bool {
        let rt = batch.meta.resource_type;
        // Count the batch in before sending: the consumer may take it (and count it out) before
        // `try_send` even returns.
        WorkerStats::add(&self.io.stats.queue_depth, 1);
        match self.io.output.try_send(batch) {
            Ok(()) => {
                let feed = &mut self.feeds[rt as usize];
                feed.batch_seq += 1;
                feed.dropped_pending = 0;
                true
            }
            Err(e) => {
                self.io.stats.queue_depth.fetch_sub(1, Ordering::Relaxed);
                if matches!(e, mpsc::error::TrySendError::Closed(_)) {
                    self.consumer_gone = true;
                }
                false
            }
        }
    }

    /// Sends an empty batch per feed (skipped, not blocked on, if the queue is full).
    fn heartbeat(&mut self, state: ConnectionState) {
        let now = now_ns();
        self.io
            .stats
            .watermark_ts_ns
            .store(self.watermark, Ordering::Relaxed);
        for i in 0..self.worker.feeds.len() {
            let rt = self.worker.feeds[i];
            let batch = DataBatch {
                rows: Vec::new(),
                meta: self.meta(rt, state, now),
            };
            if self.enqueue(batch) {
                WorkerStats::add(&self.io.stats.heartbeats, 1);
            }
        }
    }
}
