//! Batches of rows with the metadata a consumer needs to trust them.

use serde::{Deserialize, Serialize};

use super::resource::ResourceType;

/// Where rows came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Source {
    /// Massive's real-time WebSocket feed.
    Ws,
}

/// How final the rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Quality {
    /// Preliminary: as sent in real time, before any end-of-day correction.
    Prelim,
}

/// The state of the connection that produced a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnectionState {
    /// Connected, authenticated and subscribed: rows are flowing.
    Connected,
    /// Not connected (connecting, backing off, or failed). The watermark does not advance.
    Disconnected,
}

/// Metadata carried by every [`DataBatch`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchMeta {
    /// Always [`Source::Ws`] on the live path.
    pub source: Source,
    /// Always [`Quality::Prelim`] on the live path.
    pub quality: Quality,
    /// The feed.
    pub resource_type: ResourceType,
    /// The connection shard within the feed (0-based).
    pub shard_id: usize,
    /// Event-time completeness claim, Unix ns: this connection has delivered every event it
    /// will ever deliver with a SIP timestamp at or before this. Never advances while
    /// disconnected.
    pub watermark_ts_ns: i64,
    /// When the frame was read from the socket (or, for an empty heartbeat batch, when it was
    /// made), Unix ns.
    pub received_at_ns: i64,
    /// State of the connection when the batch was made.
    pub connection: ConnectionState,
    /// Rows dropped (shed or otherwise) on this connection since the previous batch.
    pub dropped_since_last: u64,
    /// Batch number on this connection's stream, starting at 0, without gaps.
    pub batch_seq: u64,
}

/// Rows of one feed plus their metadata.
///
/// ```
/// use ws_source::{parse_payload, Quality, Source, TradeOrNbbo};
/// let frame = br#"[{"ev":"T","sym":"AAPL","x":4,"i":"1","z":3,"p":190.5,"s":100,"t":1700000000123,"q":7}]"#;
/// let batches = parse_payload(frame).unwrap();
/// assert_eq!(batches.len(), 1);
/// assert_eq!(batches[0].meta.source, Source::Ws);
/// assert_eq!(batches[0].meta.quality, Quality::Prelim);
/// assert!(matches!(batches[0].rows[0], TradeOrNbbo::EquityTrade(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataBatch<T> {
    /// The rows, in wire order.
    pub rows: Vec<T>,
    /// Metadata.
    pub meta: BatchMeta,
}

impl<T> DataBatch<T> {
    /// Whether this batch carries no rows (a heartbeat).
    pub fn is_heartbeat(&self) -> bool {
        self.rows.is_empty()
    }
}
