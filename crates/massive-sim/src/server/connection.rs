//! One client connection: handshake, the status flow, auth, (un)subscribe, writing data frames,
//! ping/pong, and every fault action.

use super::{CommandRecord, ConnEntry, Ctl, GenCtl, Outbound, Shared, lock};
use crate::faults::FaultAction;
use crate::protocol::{
    Channel, ChannelKind, ClientCommand, Cluster, FORCE_DISCONNECT_MESSAGE,
    MAX_CONNECTIONS_MESSAGE, SLOW_CONSUMER_MESSAGE, split_params,
};
use crate::wire;
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

type Ws = WebSocketStream<TcpStream>;

/// How long a status sent on the way out (close paths) may wait for a client that does not read.
const STATUS_SEND_TIMEOUT: Duration = Duration::from_millis(250);
/// How long an acknowledgement or a ping answer may wait for a client that reads slowly.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
const FAR: Duration = Duration::from_secs(86_400 * 365);

/// Why the loop ended, for the log.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // fields are read through `Debug` in the log
enum End {
    ClientClosed,
    ReadError,
    Closed(&'static str),
    Reset,
    ServerDown,
}

enum WriteOutcome {
    Done,
    Failed,
    Kill,
    Down,
    Ctl(Ctl),
}

struct Conn {
    shared: Arc<Shared>,
    id: u64,
    cluster: Cluster,
    out: Arc<Outbound>,
    authenticated: bool,
    key: Option<String>,
    subs: BTreeSet<String>,
    quote_contracts: usize,
    stalled: bool,
}

/// Serves one accepted TCP connection until it ends.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    mut down: watch::Receiver<u64>,
) {
    shared.counters.connections_accepted.fetch_add(1, Relaxed);
    let _ = tcp.set_nodelay(true);
    let mut path = String::new();
    // The callback type is tungstenite's; its error type is large by design.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let p = req.uri().path();
        if Cluster::from_path(p).is_some() {
            path = p.to_string();
            Ok(resp)
        } else {
            let mut r = ErrorResponse::new(Some(format!("unknown cluster path: {p}")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            Err(r)
        }
    };
    let ws = match timeout(
        Duration::from_secs(5),
        tokio_tungstenite::accept_hdr_async(tcp, callback),
    )
    .await
    {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            shared.counters.handshakes_rejected.fetch_add(1, Relaxed);
            tracing::debug!(%peer, error = %e, "handshake rejected");
            return;
        }
        Err(_) => {
            shared.counters.handshakes_rejected.fetch_add(1, Relaxed);
            return;
        }
    };
    let Some((cluster, delayed)) = Cluster::parse_path(&path) else {
        return;
    };
    let id = shared.next_id.fetch_add(1, Relaxed);
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let out = Arc::new(Outbound::new(out_tx));
    {
        let mut reg = lock(&shared.registry);
        reg.conns.insert(
            id,
            ConnEntry {
                cluster,
                peer,
                authenticated: false,
                key: None,
                subscriptions: BTreeSet::new(),
                connected_at: std::time::Instant::now(),
                ctl: ctl_tx,
                out: out.clone(),
            },
        );
    }
    shared.counters.open[cluster.index()].fetch_add(1, Relaxed);
    shared.gen_send(GenCtl::Register {
        id,
        cluster,
        delayed,
        out: out.clone(),
    });
    tracing::info!(conn = id, %peer, %cluster, delayed, "connection opened");
    let mut conn = Conn {
        shared: shared.clone(),
        id,
        cluster,
        out,
        authenticated: false,
        key: None,
        subs: BTreeSet::new(),
        quote_contracts: 0,
        stalled: false,
    };
    let end = conn.run(ws, ctl_rx, out_rx, &mut down).await;
    conn.cleanup();
    tracing::info!(conn = id, %cluster, reason = ?end, "connection closed");
}

impl Conn {
    async fn run(
        &mut self,
        mut ws: Ws,
        mut ctl_rx: mpsc::UnboundedReceiver<Ctl>,
        mut out_rx: mpsc::UnboundedReceiver<super::generator::DataFrame>,
        down: &mut watch::Receiver<u64>,
    ) -> End {
        let shared = self.shared.clone();
        let start = Instant::now();
        let after = |d: Duration| start.checked_add(d).unwrap_or(start + FAR);
        let auth_deadline = after(shared.cfg.auth_timeout);
        let mut timed: Vec<(Instant, FaultAction)> = shared
            .take_timed_faults()
            .into_iter()
            .map(|(d, a)| (after(d), a))
            .collect();
        timed.sort_by_key(|t| std::cmp::Reverse(t.0));
        if !self
            .send_status(&mut ws, "connected", "Connected Successfully")
            .await
        {
            return End::ReadError;
        }
        loop {
            let next_timed = timed.last().map(|t| t.0).unwrap_or(start + FAR);
            tokio::select! {
                _ = down.changed() => return End::ServerDown,
                ctl = ctl_rx.recv() => {
                    let Some(ctl) = ctl else { continue };
                    if let Some(end) = self.control(&mut ws, ctl).await {
                        return end;
                    }
                }
                _ = self.out.kill.notified() => {
                    return self.slow_consumer(&mut ws).await;
                }
                _ = sleep_until(next_timed), if !timed.is_empty() => {
                    if let Some((_, action)) = timed.pop()
                        && let Some(end) = self.act(&mut ws, action).await
                    {
                        return end;
                    }
                }
                _ = sleep_until(auth_deadline), if !self.authenticated && !self.stalled => {
                    shared.counters.auth_timeouts.fetch_add(1, Relaxed);
                    self.close_with(&mut ws, "auth_timeout", "authentication timeout").await;
                    return End::Closed("auth_timeout");
                }
                msg = ws.next(), if !self.stalled => {
                    match msg {
                        None => return End::ClientClosed,
                        Some(Err(_)) => return End::ReadError,
                        Some(Ok(Message::Text(t))) => {
                            if let Some(end) = self.on_command(&mut ws, t.as_str()).await {
                                return end;
                            }
                        }
                        Some(Ok(Message::Ping(_))) => {
                            shared.counters.pings_received.fetch_add(1, Relaxed);
                            // tungstenite queued the pong; push it out now.
                            let _ = timeout(SEND_TIMEOUT, ws.flush()).await;
                        }
                        Some(Ok(Message::Close(_))) => return End::ClientClosed,
                        Some(Ok(_)) => {}
                    }
                }
                frame = out_rx.recv(), if !self.stalled => {
                    let Some(frame) = frame else { continue };
                    // A write can block on a client that does not read. Meanwhile a slow-consumer
                    // kill, a server restart or a terminal fault aborts it; other control messages
                    // wait until the write is done.
                    let mut deferred = Vec::new();
                    let outcome = {
                        let write = self.write_frames(&mut ws, frame, &mut out_rx);
                        tokio::pin!(write);
                        loop {
                            tokio::select! {
                                ok = &mut write => break if ok { WriteOutcome::Done } else { WriteOutcome::Failed },
                                _ = self.out.kill.notified() => break WriteOutcome::Kill,
                                _ = down.changed() => break WriteOutcome::Down,
                                ctl = ctl_rx.recv() => match ctl {
                                    Some(c) if c.is_terminal() => break WriteOutcome::Ctl(c),
                                    Some(c) => deferred.push(c),
                                    None => {}
                                },
                            }
                        }
                    };
                    match outcome {
                        WriteOutcome::Done => {}
                        WriteOutcome::Failed => return End::ReadError,
                        WriteOutcome::Kill => return self.slow_consumer(&mut ws).await,
                        WriteOutcome::Down => return End::ServerDown,
                        WriteOutcome::Ctl(c) => deferred.insert(0, c),
                    }
                    for c in deferred {
                        if let Some(end) = self.control(&mut ws, c).await {
                            return end;
                        }
                    }
                }
            }
        }
    }

    /// Handles one control message; `Some` when the connection must end.
    async fn control(&mut self, ws: &mut Ws, ctl: Ctl) -> Option<End> {
        match ctl {
            Ctl::Evict => {
                self.shared.counters.evictions.fetch_add(1, Relaxed);
                tracing::info!(conn = self.id, "evicted: max_connections");
                self.close_with(ws, "max_connections", MAX_CONNECTIONS_MESSAGE)
                    .await;
                Some(End::Closed("max_connections"))
            }
            Ctl::Action(a) => self.act(ws, a).await,
        }
    }

    /// Writes `first` and whatever else is queued (bounded batch), then flushes once.
    async fn write_frames(
        &self,
        ws: &mut Ws,
        first: super::generator::DataFrame,
        out_rx: &mut mpsc::UnboundedReceiver<super::generator::DataFrame>,
    ) -> bool {
        let mut batch = vec![first];
        while batch.len() < 32 {
            match out_rx.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        let mut bytes = 0usize;
        let mut events = 0u64;
        let mut records = Vec::new();
        let n = batch.len() as u64;
        for f in batch {
            bytes += f.text.len();
            events += u64::from(f.events);
            if self.shared.cfg.record_sent {
                records.push(f.records);
            }
            if ws
                .feed(Message::Text(Utf8Bytes::from(f.text)))
                .await
                .is_err()
            {
                return false;
            }
        }
        if ws.flush().await.is_err() {
            return false;
        }
        self.out.queued_bytes.fetch_sub(bytes, SeqCst);
        let c = &self.shared.counters;
        c.events_sent.fetch_add(events, Relaxed);
        c.frames_sent.fetch_add(n, Relaxed);
        c.bytes_sent.fetch_add(bytes as u64, Relaxed);
        self.out.events_sent.fetch_add(events, Relaxed);
        self.out.frames_sent.fetch_add(n, Relaxed);
        self.out.bytes_sent.fetch_add(bytes as u64, Relaxed);
        if self.shared.cfg.record_sent {
            let mut sent = lock(&self.shared.sent);
            let log = sent.entry(self.id).or_default();
            for r in records {
                log.extend(r);
            }
        }
        true
    }

    async fn slow_consumer(&mut self, ws: &mut Ws) -> End {
        self.shared
            .counters
            .slow_consumer_disconnects
            .fetch_add(1, Relaxed);
        tracing::warn!(conn = self.id, "closing slow consumer");
        self.close_with(ws, "slow_consumer", SLOW_CONSUMER_MESSAGE)
            .await;
        End::Closed("slow_consumer")
    }

    async fn act(&mut self, ws: &mut Ws, action: FaultAction) -> Option<End> {
        let c = &self.shared.counters;
        tracing::info!(conn = self.id, ?action, "fault");
        match action {
            FaultAction::Close => {
                c.fault_closes.fetch_add(1, Relaxed);
                let _ = timeout(
                    STATUS_SEND_TIMEOUT,
                    ws.close(Some(CloseFrame {
                        code: CloseCode::Away,
                        reason: "closed by fault injection".into(),
                    })),
                )
                .await;
                Some(End::Closed("fault close"))
            }
            FaultAction::Reset => {
                c.fault_resets.fetch_add(1, Relaxed);
                let _ = ws.get_ref().set_zero_linger();
                Some(End::Reset)
            }
            FaultAction::Stall => {
                if !self.stalled {
                    c.fault_stalls.fetch_add(1, Relaxed);
                }
                self.stalled = true;
                self.out.stalled.store(true, SeqCst);
                None
            }
            FaultAction::Unstall => {
                self.stalled = false;
                self.out.stalled.store(false, SeqCst);
                None
            }
            FaultAction::SlowConsumer => Some(self.slow_consumer(ws).await),
            FaultAction::ForceDisconnect => {
                c.fault_force_disconnects.fetch_add(1, Relaxed);
                self.close_with(ws, "force_disconnect", FORCE_DISCONNECT_MESSAGE)
                    .await;
                Some(End::Closed("force_disconnect"))
            }
            FaultAction::Malformed(kind) => {
                c.fault_malformed_frames.fetch_add(1, Relaxed);
                if timeout(SEND_TIMEOUT, ws.send(Message::text(kind.frame())))
                    .await
                    .is_err()
                {
                    return Some(End::ReadError);
                }
                None
            }
        }
    }

    async fn send_frame_within(&self, ws: &mut Ws, frame: String, limit: Duration) -> bool {
        self.shared
            .counters
            .status_frames_sent
            .fetch_add(1, Relaxed);
        matches!(
            timeout(limit, ws.send(Message::text(frame))).await,
            Ok(Ok(()))
        )
    }

    async fn send_frame(&self, ws: &mut Ws, frame: String) -> bool {
        self.send_frame_within(ws, frame, SEND_TIMEOUT).await
    }

    async fn send_status(&self, ws: &mut Ws, status: &str, message: &str) -> bool {
        self.send_frame(ws, wire::status_frame(status, message))
            .await
    }

    /// Sends a status (if the client reads), then a close frame, then drops the socket.
    async fn close_with(&self, ws: &mut Ws, status: &str, message: &str) {
        let _ = self
            .send_frame_within(ws, wire::status_frame(status, message), STATUS_SEND_TIMEOUT)
            .await;
        let _ = timeout(
            STATUS_SEND_TIMEOUT,
            ws.close(Some(CloseFrame {
                code: CloseCode::Policy,
                reason: status.to_string().into(),
            })),
        )
        .await;
    }

    fn log(&self, action: &str, params: &str) {
        lock(&self.shared.log).push(CommandRecord {
            conn_id: self.id,
            cluster: self.cluster,
            action: action.to_string(),
            params: params.to_string(),
            at: self.shared.started.elapsed(),
        });
    }

    async fn on_command(&mut self, ws: &mut Ws, text: &str) -> Option<End> {
        let c = &self.shared.counters;
        let Ok(cmd) = ClientCommand::parse(text) else {
            c.invalid_messages.fetch_add(1, Relaxed);
            return (!self.send_status(ws, "error", "invalid message").await)
                .then_some(End::ReadError);
        };
        match cmd.action.as_str() {
            "auth" => self.on_auth(ws, &cmd.params).await,
            "subscribe" | "unsubscribe" => {
                let subscribe = cmd.action == "subscribe";
                if !self.authenticated {
                    c.auth_required.fetch_add(1, Relaxed);
                    self.log(&cmd.action, &cmd.params);
                    return (!self
                        .send_status(ws, "auth_required", "authentication required")
                        .await)
                        .then_some(End::ReadError);
                }
                self.log(&cmd.action, &cmd.params);
                let frame = if subscribe {
                    c.subscribe_commands.fetch_add(1, Relaxed);
                    self.subscribe(&cmd.params)
                } else {
                    c.unsubscribe_commands.fetch_add(1, Relaxed);
                    self.unsubscribe(&cmd.params)
                };
                (!self.send_frame(ws, frame).await).then_some(End::ReadError)
            }
            other => {
                c.invalid_messages.fetch_add(1, Relaxed);
                let msg = format!("unknown action: {other}");
                (!self.send_status(ws, "error", &msg).await).then_some(End::ReadError)
            }
        }
    }

    async fn on_auth(&mut self, ws: &mut Ws, key: &str) -> Option<End> {
        let shared = self.shared.clone();
        let c = &shared.counters;
        self.log("auth", "<redacted>");
        if self.authenticated {
            return (!self.send_status(ws, "error", "already authenticated").await)
                .then_some(End::ReadError);
        }
        let rejected_by_fault = shared.reject_auth();
        if rejected_by_fault || !shared.cfg.api_keys.iter().any(|k| k == key) {
            c.auth_failed.fetch_add(1, Relaxed);
            if rejected_by_fault {
                c.fault_auth_rejections.fetch_add(1, Relaxed);
            }
            tracing::info!(conn = self.id, "auth failed");
            self.close_with(ws, "auth_failed", "authentication failed")
                .await;
            return Some(End::Closed("auth_failed"));
        }
        self.authenticated = true;
        self.key = Some(key.to_string());
        c.auth_success.fetch_add(1, Relaxed);
        let evict = {
            let mut reg = lock(&shared.registry);
            if let Some(e) = reg.conns.get_mut(&self.id) {
                e.authenticated = true;
                e.key = Some(key.to_string());
            }
            let slot = (self.cluster, key.to_string());
            let open = reg.open_auth.entry(slot.clone()).or_insert(0);
            *open += 1;
            c.max_concurrent_per_key[self.cluster.index()].fetch_max(*open, Relaxed);
            let old = reg.current.insert(slot, self.id);
            old.filter(|o| *o != self.id)
                .and_then(|o| reg.conns.get(&o).map(|e| e.ctl.clone()))
        };
        if !self.send_status(ws, "auth_success", "authenticated").await {
            return Some(End::ReadError);
        }
        if let Some(old) = evict {
            let _ = old.send(Ctl::Evict);
        }
        None
    }

    fn subscribe(&mut self, params: &str) -> String {
        let c = &self.shared.counters;
        let limit = self.shared.cfg.options_quote_limit;
        let mut acks: Vec<(&'static str, String)> = Vec::new();
        let mut accepted = Vec::new();
        let entitled = self.shared.cfg.entitled.contains(&self.cluster);
        for raw in split_params(params) {
            if !entitled {
                c.subscribe_errors.fetch_add(1, Relaxed);
                acks.push(("error", "not authorized".to_string()));
                continue;
            }
            let Some(ch) = Channel::parse(raw) else {
                c.subscribe_errors.fetch_add(1, Relaxed);
                acks.push(("error", format!("invalid subscription: {raw}")));
                continue;
            };
            let is_opt_quote = self.cluster == Cluster::Options && ch.kind == ChannelKind::Quotes;
            if is_opt_quote && ch.is_wildcard() {
                c.subscribe_errors.fetch_add(1, Relaxed);
                acks.push((
                    "error",
                    format!("wildcard subscriptions are not allowed for options quotes: {raw}"),
                ));
                continue;
            }
            if !self.subs.contains(raw) {
                if is_opt_quote {
                    if self.quote_contracts >= limit {
                        c.subscribe_errors.fetch_add(1, Relaxed);
                        acks.push(("error", format!("subscription limit exceeded: {raw}")));
                        continue;
                    }
                    self.quote_contracts += 1;
                }
                self.subs.insert(raw.to_string());
                accepted.push(ch);
            }
            c.channels_subscribed.fetch_add(1, Relaxed);
            acks.push(("success", format!("subscribed to: {raw}")));
        }
        self.sync_subs(accepted, true);
        wire::status_frame_many(acks.iter().map(|(s, m)| (*s, m.as_str())))
    }

    fn unsubscribe(&mut self, params: &str) -> String {
        let c = &self.shared.counters;
        let mut acks = Vec::new();
        let mut removed = Vec::new();
        for raw in split_params(params) {
            if self.subs.remove(raw)
                && let Some(ch) = Channel::parse(raw)
            {
                if self.cluster == Cluster::Options && ch.kind == ChannelKind::Quotes {
                    self.quote_contracts = self.quote_contracts.saturating_sub(1);
                }
                removed.push(ch);
            }
            c.channels_unsubscribed.fetch_add(1, Relaxed);
            acks.push(format!("unsubscribed to: {raw}"));
        }
        self.sync_subs(removed, false);
        wire::status_frame_many(acks.iter().map(|m| ("success", m.as_str())))
    }

    fn sync_subs(&self, chans: Vec<Channel>, on: bool) {
        if let Some(e) = lock(&self.shared.registry).conns.get_mut(&self.id) {
            e.subscriptions = self.subs.clone();
        }
        if !chans.is_empty() {
            self.shared.gen_send(GenCtl::Subscribe {
                id: self.id,
                chans,
                on,
            });
        }
    }

    fn cleanup(&self) {
        self.out.closed.store(true, SeqCst);
        self.shared.gen_send(GenCtl::Unregister { id: self.id });
        let mut reg = lock(&self.shared.registry);
        reg.conns.remove(&self.id);
        if let Some(key) = &self.key {
            let slot = (self.cluster, key.clone());
            if let Some(n) = reg.open_auth.get_mut(&slot) {
                *n = n.saturating_sub(1);
            }
            if reg.current.get(&slot) == Some(&self.id) {
                reg.current.remove(&slot);
            }
        }
        self.shared.counters.open[self.cluster.index()].fetch_sub(1, Relaxed);
    }
}
