//! Per-worker counters and connection events, readable without locks.
//!
//! Each worker owns an `Arc<WorkerStats>` of relaxed atomics that it bumps on its own task; the
//! demo summary, tests and the metrics exporter read them. The same counts go to the `metrics`
//! facade (`ws_source_*`), labelled by cluster and shard.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::model::Cluster;

/// Counters of one worker (one socket of one cluster shard).
#[derive(Debug, Default)]
pub struct WorkerStats {
    /// 1 while connected, authenticated and subscribed; 0 otherwise.
    pub connected: AtomicU64,
    /// Successful connections (the first one included).
    pub connects: AtomicU64,
    /// Connection attempts after the first (each counted, successful or not).
    pub reconnects: AtomicU64,
    /// Frames read.
    pub frames: AtomicU64,
    /// Rows parsed.
    pub events: AtomicU64,
    /// Rows put into the consumer queue.
    pub enqueued: AtomicU64,
    /// Rows handed to the consumer (taken from the queue).
    pub delivered: AtomicU64,
    /// Rows dropped because the consumer queue was full.
    pub dropped_queue_full: AtomicU64,
    /// Rows of shed instruments dropped (in the read loop or still queued).
    pub dropped_shed: AtomicU64,
    /// Option quotes dropped because they were older than the staleness limit when the
    /// consumer reached them.
    pub dropped_stale: AtomicU64,
    /// Batches in the consumer queue now.
    pub queue_depth: AtomicU64,
    /// Staleness of the last batch the consumer took (received → taken), ns.
    pub consumer_staleness_ns: AtomicI64,
    /// When the consumer last took a batch, Unix ns.
    pub last_take_ns: AtomicI64,
    /// Frames rejected by the parser (each logged with its context).
    pub parse_errors: AtomicU64,
    /// Heartbeat (empty) batches sent.
    pub heartbeats: AtomicU64,
    /// `max_connections` evictions.
    pub max_connections: AtomicU64,
    /// `slow_consumer` disconnects.
    pub slow_consumer: AtomicU64,
    /// Subscription error statuses.
    pub subscription_errors: AtomicU64,
    /// Channels currently desired on this socket.
    pub subs_active: AtomicU64,
    /// The connection's watermark, Unix ns.
    pub watermark_ts_ns: AtomicI64,
}

impl WorkerStats {
    /// Adds `n` to a counter.
    #[inline]
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads a counter.
    #[inline]
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// What happened to a connection, broadcast to observers (tests, the demo).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionEvent {
    /// The cluster.
    pub cluster: Cluster,
    /// The shard.
    pub shard: usize,
    /// When.
    pub at: Instant,
    /// What.
    pub kind: ConnectionEventKind,
}

/// The kinds of [`ConnectionEvent`].
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionEventKind {
    /// Waiting `delay` before attempt `attempt` (1-based, since the last healthy connection).
    BackingOff {
        /// Attempt number.
        attempt: u32,
        /// The wait.
        delay: Duration,
    },
    /// Opening a socket.
    Connecting {
        /// Attempt number (0 for the very first connection).
        attempt: u32,
    },
    /// Connected, authenticated, and the whole desired set re-sent.
    Connected {
        /// Channels subscribed.
        channels: usize,
    },
    /// The connection ended or an attempt failed.
    Disconnected {
        /// Stable reason label (see [`WsError::reason`](crate::WsError::reason)).
        reason: &'static str,
        /// The full error text.
        message: String,
    },
    /// The worker stopped for good (fatal error or shutdown).
    Stopped {
        /// Why.
        message: String,
    },
}
