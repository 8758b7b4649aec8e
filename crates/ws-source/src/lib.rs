//! # ws-source
//!
//! Real-time ingestion of Massive's (formerly Polygon.io) WebSocket market data: options quotes,
//! options trades, equity quotes and equity trades, turned into typed, validated rows in
//! [`DataBatch`]es that carry a watermark.
//!
//! Data flows one way, from the socket to the consumer; control flows the other way, from the
//! subscription scheduler to the sockets:
//!
//! ```text
//!  Massive ws ──frame──▶ parse (parse_frame) ──DataBatch──▶ bounded queue ──▶ consumer stream
//!      ▲                         │ statuses                                      (and sinks)
//!      │                         ▼
//!  subscribe / unsubscribe ◀── connection layer ◀── subscription diff ◀── scheduler ◀── activity
//! ```
//!
//! Modules:
//! - [`model`]: symbols (inline, no allocation), feeds, option contracts, rows and batches;
//! - [`parse`]: the wire format → batches, with errors that name the event and field;
//! - [`scheduler`]: which instruments get the limited subscription slots, from decayed activity;
//! - [`timestamp`]: exact millisecond → nanosecond conversion with plausibility checks.

pub mod backoff;
pub mod backpressure;
pub mod config;
pub mod connection;
pub mod error;
pub mod manager;
pub mod model;
pub mod parse;
pub mod rebalance;
pub mod scheduler;
pub mod secret;
pub mod stats;
pub mod timestamp;
pub mod worker;

pub use config::{ConfigError, ConnectionConfig, FeedConfig, FeedsConfig, WsConfig};
pub use connection::{WebSocketStream, connect_and_subscribe};
pub use error::WsError;
pub use manager::{ConnectionManager, ShardAware};
pub use model::{
    BatchMeta, Cluster, Codes, ConnectionState, DataBatch, Date, EquityTrade, InlineStr,
    InlineStrError, Nbbo, OccError, OptionContract, OptionRight, OptionRoot, OptionTrade, Quality,
    ResourceType, Source, StatusKind, StatusMessage, Symbol, TradeId, TradeOrNbbo,
};
pub use parse::{
    FrameContext, ParseError, ParseErrorKind, ParsedFrame, parse_frame, parse_payload,
};
pub use scheduler::{
    ActivityTracker, Allocation, SchedulerConfig, SlotRole, SubscriptionScheduler,
};
pub use secret::ApiKey;
pub use stats::{ConnectionEvent, ConnectionEventKind, WorkerStats};
pub use worker::{WorkerCommand, WsWorker};
