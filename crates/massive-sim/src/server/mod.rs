//! The WebSocket server: [`SimServer::start`] returns a [`SimHandle`] to inspect and drive it.
//!
//! The server runs on its own Tokio runtime (on its own threads) and its own generator thread, so it
//! behaves like an independent peer whatever runtime flavour the test uses.
//!
//! ```no_run
//! # async fn demo() -> Result<(), massive_sim::SimError> {
//! use massive_sim::{FaultAction, SimConfig, SimServer, Target};
//! let sim = SimServer::start(SimConfig::for_tests()).await?;
//! let url = sim.url("options"); // ws://127.0.0.1:PORT/options
//! // ... connect a client to `url`, auth with massive_sim::DEMO_KEY, subscribe ...
//! sim.inject(FaultAction::Reset, Target::All);
//! assert!(sim.wait_until(std::time::Duration::from_secs(1), |c| c.fault_resets == 1).await);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod connection;
mod generator;

use crate::config::SimConfig;
use crate::counters::{CounterSnapshot, Counters};
use crate::error::SimError;
use crate::faults::{Fault, FaultAction, Target};
use crate::market::{InstrumentId, Market, Rates};
use crate::protocol::{Channel, Cluster};
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc, watch};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shared between the generator (producer) and a connection task (writer).
pub(crate) struct Outbound {
    tx: mpsc::UnboundedSender<generator::DataFrame>,
    queued_bytes: AtomicUsize,
    stalled: AtomicBool,
    closed: AtomicBool,
    overflow: AtomicBool,
    kill: Notify,
    events_sent: AtomicU64,
    frames_sent: AtomicU64,
    bytes_sent: AtomicU64,
}

impl Outbound {
    fn new(tx: mpsc::UnboundedSender<generator::DataFrame>) -> Self {
        Outbound {
            tx,
            queued_bytes: AtomicUsize::new(0),
            stalled: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            overflow: AtomicBool::new(false),
            kill: Notify::new(),
            events_sent: AtomicU64::new(0),
            frames_sent: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
        }
    }
}

pub(crate) enum GenCtl {
    Register {
        id: u64,
        cluster: Cluster,
        delayed: bool,
        out: Arc<Outbound>,
    },
    Subscribe {
        id: u64,
        chans: Vec<Channel>,
        on: bool,
    },
    Unregister {
        id: u64,
    },
}

pub(crate) enum Ctl {
    Evict,
    Action(FaultAction),
}

impl Ctl {
    /// Whether handling it ends the connection.
    fn is_terminal(&self) -> bool {
        match self {
            Ctl::Evict => true,
            Ctl::Action(a) => matches!(
                a,
                FaultAction::Close
                    | FaultAction::Reset
                    | FaultAction::SlowConsumer
                    | FaultAction::ForceDisconnect
            ),
        }
    }
}

pub(crate) struct ConnEntry {
    cluster: Cluster,
    peer: SocketAddr,
    authenticated: bool,
    key: Option<String>,
    subscriptions: BTreeSet<String>,
    connected_at: Instant,
    ctl: mpsc::UnboundedSender<Ctl>,
    out: Arc<Outbound>,
}

#[derive(Default)]
pub(crate) struct Registry {
    conns: HashMap<u64, ConnEntry>,
    current: HashMap<(Cluster, String), u64>,
    open_auth: HashMap<(Cluster, String), u64>,
}

/// One open connection as the server sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectionInfo {
    /// Connection id (increasing from 1 over the server's life, across restarts).
    pub id: u64,
    /// Cluster.
    pub cluster: Cluster,
    /// Client address.
    pub peer: SocketAddr,
    /// Whether `auth_success` was sent.
    pub authenticated: bool,
    /// Current subscription set, as channels (`T.AAPL`, `Q.O:…`, `T.*`), sorted.
    pub subscriptions: Vec<String>,
    /// Events sent on this connection.
    pub events_sent: u64,
    /// Data frames sent.
    pub frames_sent: u64,
    /// Data bytes sent.
    pub bytes_sent: u64,
    /// Bytes queued but not yet written.
    pub queued_bytes: usize,
    /// Stalled by a fault.
    pub stalled: bool,
    /// Time since connect.
    pub age: Duration,
}

/// A client command as received (the `auth` key is redacted).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommandRecord {
    /// Connection id.
    pub conn_id: u64,
    /// Cluster of the connection.
    pub cluster: Cluster,
    /// `auth`, `subscribe` or `unsubscribe`.
    pub action: String,
    /// Params as sent (`<redacted>` for auth).
    pub params: String,
    /// When, since the server started.
    pub at: Duration,
}

/// Ground truth of what was written on one connection (needs [`SimConfig::record_sent`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentLog {
    /// `(symbol, q)` of every event written, in order.
    pub events: Vec<(String, u64)>,
}

impl SentLog {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// No events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

struct PolicyRule {
    fault: Fault,
    remaining: Option<u32>,
}

pub(crate) struct Shared {
    cfg: SimConfig,
    counters: Counters,
    registry: Mutex<Registry>,
    policy: Mutex<Vec<PolicyRule>>,
    market: Mutex<Market>,
    gen_tx: Mutex<std::sync::mpsc::Sender<GenCtl>>,
    log: Mutex<Vec<CommandRecord>>,
    sent: Mutex<HashMap<u64, Vec<(InstrumentId, u64)>>>,
    next_id: AtomicU64,
    started: Instant,
    stop: AtomicBool,
    down_tx: watch::Sender<u64>,
}

impl Shared {
    fn gen_send(&self, msg: GenCtl) {
        let _ = lock(&self.gen_tx).send(msg);
    }

    /// Timed faults for a new connection (consumes one-shot rules).
    fn take_timed_faults(&self) -> Vec<(Duration, FaultAction)> {
        let mut p = lock(&self.policy);
        let mut out = Vec::new();
        for r in p.iter_mut() {
            if let Some(t) = r.fault.timed() {
                match &mut r.remaining {
                    Some(0) => continue,
                    Some(n) => *n -= 1,
                    None => {}
                }
                out.push(t);
            }
        }
        p.retain(|r| r.remaining != Some(0));
        out
    }

    fn reject_auth(&self) -> bool {
        let mut p = lock(&self.policy);
        let mut hit = false;
        for r in p.iter_mut().filter(|r| r.fault == Fault::RejectAuth) {
            match &mut r.remaining {
                Some(0) => continue,
                Some(n) => *n -= 1,
                None => {}
            }
            hit = true;
            break;
        }
        p.retain(|r| r.remaining != Some(0));
        hit
    }
}

/// Starts simulators.
pub struct SimServer;

impl SimServer {
    /// Binds `config.bind`, builds the market and starts serving. Returns when the port is listening.
    ///
    /// With `fixed_clock == false` the market starts at the current wall-clock time, so event
    /// timestamps are "now" as on the real service.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let listener = bind(config.bind)?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.bind,
            source,
        })?;
        let mut mcfg = config.market.clone();
        if !config.fixed_clock {
            mcfg.start_unix_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(mcfg.start_unix_ms);
        }
        let seed = config.seed;
        let market = tokio::task::spawn_blocking(move || Market::new(mcfg, seed))
            .await
            .map_err(|e| SimError::Runtime(std::io::Error::other(e.to_string())))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.io_threads.max(1))
            .thread_name("massive-sim-io")
            .enable_all()
            .build()
            .map_err(SimError::Runtime)?;
        let (gen_tx, gen_rx) = std::sync::mpsc::channel();
        let (down_tx, _) = watch::channel(0u64);
        let policy = config
            .faults
            .iter()
            .map(|&fault| PolicyRule {
                fault,
                remaining: None,
            })
            .collect();
        let shared = Arc::new(Shared {
            cfg: config,
            counters: Counters::default(),
            registry: Mutex::new(Registry::default()),
            policy: Mutex::new(policy),
            market: Mutex::new(market),
            gen_tx: Mutex::new(gen_tx),
            log: Mutex::new(Vec::new()),
            sent: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            started: Instant::now(),
            stop: AtomicBool::new(false),
            down_tx,
        });
        let g = shared.clone();
        let gen_thread = std::thread::Builder::new()
            .name("massive-sim-gen".into())
            .spawn(move || generator::run(g, gen_rx))
            .map_err(SimError::Runtime)?;
        let accept = {
            let _enter = rt.enter();
            let l = tokio::net::TcpListener::from_std(listener)
                .map_err(|source| SimError::Bind { addr, source })?;
            rt.spawn(accept_loop(shared.clone(), l, shared.down_tx.subscribe()))
        };
        let rt_handle = rt.handle().clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("massive-sim-rt".into())
            .spawn(move || {
                rt.block_on(async {
                    let _ = stop_rx.await;
                });
                rt.shutdown_timeout(Duration::from_secs(1));
                let _ = done_tx.send(());
            })
            .map_err(SimError::Runtime)?;
        tracing::info!(%addr, "massive-sim listening");
        Ok(SimHandle {
            shared,
            addr,
            rt: rt_handle,
            accept: Mutex::new(Some(accept)),
            stop_tx: Mutex::new(Some(stop_tx)),
            done_rx: tokio::sync::Mutex::new(Some(done_rx)),
            gen_thread: Mutex::new(Some(gen_thread)),
        })
    }
}

fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, SimError> {
    let l = std::net::TcpListener::bind(addr).map_err(|source| SimError::Bind { addr, source })?;
    l.set_nonblocking(true)
        .map_err(|source| SimError::Bind { addr, source })?;
    Ok(l)
}

/// `down` must be subscribed before the task is spawned, so a `go_down` racing the spawn is seen.
async fn accept_loop(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    mut down: watch::Receiver<u64>,
) {
    loop {
        tokio::select! {
            _ = down.changed() => break,
            r = listener.accept() => match r {
                Ok((tcp, peer)) => {
                    tokio::spawn(connection::serve(shared.clone(), tcp, peer, down.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

/// A running simulator. Dropping it shuts the server down (without waiting).
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    rt: tokio::runtime::Handle,
    accept: Mutex<Option<tokio::task::JoinHandle<()>>>,
    stop_tx: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    done_rx: tokio::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
    gen_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish()
    }
}

impl SimHandle {
    /// The listening address (the same across restarts).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://127.0.0.1:PORT/{path}`, e.g. `url("options")`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.cfg
    }

    /// A snapshot of every counter.
    pub fn counters(&self) -> CounterSnapshot {
        self.shared.counters.snapshot()
    }

    /// Polls the counters every 5 ms until `pred` holds (true) or `timeout` passes (false).
    pub async fn wait_until(
        &self,
        timeout: Duration,
        pred: impl Fn(&CounterSnapshot) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.counters()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Open connections, by id.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        let reg = lock(&self.shared.registry);
        let mut v: Vec<ConnectionInfo> = reg
            .conns
            .iter()
            .map(|(&id, e)| ConnectionInfo {
                id,
                cluster: e.cluster,
                peer: e.peer,
                authenticated: e.authenticated,
                subscriptions: e.subscriptions.iter().cloned().collect(),
                events_sent: e.out.events_sent.load(Relaxed),
                frames_sent: e.out.frames_sent.load(Relaxed),
                bytes_sent: e.out.bytes_sent.load(Relaxed),
                queued_bytes: e.out.queued_bytes.load(Relaxed),
                stalled: e.out.stalled.load(Relaxed),
                age: e.connected_at.elapsed(),
            })
            .collect();
        v.sort_by_key(|c| c.id);
        v
    }

    /// Every auth/subscribe/unsubscribe command received so far, in order (auth keys redacted).
    pub fn command_log(&self) -> Vec<CommandRecord> {
        lock(&self.shared.log).clone()
    }

    /// Ground truth of what was written on a connection (open or closed), if `record_sent` is on.
    pub fn sent(&self, conn_id: u64) -> SentLog {
        let recs = lock(&self.shared.sent).get(&conn_id).cloned();
        let market = lock(&self.shared.market);
        SentLog {
            events: recs
                .unwrap_or_default()
                .into_iter()
                .map(|(id, q)| (market.symbol(id).to_string(), q))
                .collect(),
        }
    }

    /// Changes the offered load now.
    pub fn set_rates(&self, rates: Rates) {
        lock(&self.shared.market).set_rates(rates);
    }

    /// Runs `f` on the live market (e.g. the oracle: `m.option_trade_intensities()`). Holds the market
    /// lock: keep it short, the generator waits meanwhile.
    pub fn with_market<R>(&self, f: impl FnOnce(&mut Market) -> R) -> R {
        f(&mut lock(&self.shared.market))
    }

    /// Adds a fault policy for every future connection (or every future auth, for
    /// [`Fault::RejectAuth`]).
    pub fn add_fault(&self, fault: Fault) {
        lock(&self.shared.policy).push(PolicyRule {
            fault,
            remaining: None,
        });
    }

    /// Adds a fault policy that applies to the next connection only (next auth for `RejectAuth`).
    pub fn add_fault_once(&self, fault: Fault) {
        lock(&self.shared.policy).push(PolicyRule {
            fault,
            remaining: Some(1),
        });
    }

    /// Removes every fault policy.
    pub fn clear_faults(&self) {
        lock(&self.shared.policy).clear();
    }

    /// Applies an action to open connections now; returns how many were targeted.
    pub fn inject(&self, action: FaultAction, target: Target) -> usize {
        let reg = lock(&self.shared.registry);
        let mut n = 0;
        for (&id, e) in &reg.conns {
            let hit = match target {
                Target::All => true,
                Target::Cluster(c) => e.cluster == c,
                Target::Conn(x) => x == id,
            };
            if hit && e.ctl.send(Ctl::Action(action)).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// Takes the whole server down: the listener closes and every connection drops (no close frame).
    /// Waits until all connections are gone (at most 2 s).
    pub async fn go_down(&self) {
        self.shared.down_tx.send_modify(|e| *e += 1);
        let accept = lock(&self.accept).take();
        if let Some(a) = accept {
            let _ = a.await;
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while !lock(&self.shared.registry).conns.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Listens again on the same address after [`SimHandle::go_down`] (retries for up to 2 s).
    pub async fn go_up(&self) -> Result<(), SimError> {
        if self.shared.stop.load(SeqCst) {
            return Err(SimError::ShutDown);
        }
        if lock(&self.accept).is_some() {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        let listener = loop {
            match bind(self.addr) {
                Ok(l) => break l,
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let shared = self.shared.clone();
        let down = shared.down_tx.subscribe();
        let addr = self.addr;
        let task = {
            let _enter = self.rt.enter();
            let l = tokio::net::TcpListener::from_std(listener)
                .map_err(|source| SimError::Bind { addr, source })?;
            self.rt.spawn(accept_loop(shared, l, down))
        };
        *lock(&self.accept) = Some(task);
        Ok(())
    }

    /// Restart of the whole server: down (all connections drop), then listening again on the same
    /// port. Counted in `restarts`.
    pub async fn restart(&self) -> Result<(), SimError> {
        self.restart_with_downtime(Duration::ZERO).await
    }

    /// Like [`SimHandle::restart`], staying down for `downtime` (connection attempts are refused).
    pub async fn restart_with_downtime(&self, downtime: Duration) -> Result<(), SimError> {
        self.shared.counters.restarts.fetch_add(1, Relaxed);
        tracing::info!(?downtime, "restart");
        self.go_down().await;
        if !downtime.is_zero() {
            tokio::time::sleep(downtime).await;
        }
        self.go_up().await
    }

    /// Stops everything and waits for the server's threads to finish.
    pub async fn shutdown(&self) {
        self.go_down().await;
        self.stop_now();
        let rx = self.done_rx.lock().await.take();
        if let Some(rx) = rx {
            let _ = rx.await;
        }
        let t = lock(&self.gen_thread).take();
        if let Some(t) = t {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }

    fn stop_now(&self) {
        self.shared.stop.store(true, SeqCst);
        self.shared.down_tx.send_modify(|e| *e += 1);
        if let Some(tx) = lock(&self.stop_tx).take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}
