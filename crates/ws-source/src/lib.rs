//! # ws-source
//!
//! Real-time ingestion of Massive's (formerly Polygon.io) WebSocket market data: options quotes,
//! options trades, equity quotes and equity trades, turned into typed, validated rows in
//! [`DataBatch`]es that carry a watermark.
//!
//! Data flows one way, from the socket to the consumer; control flows the other way, from the
//! subscription scheduler to the sockets. A [`ConnectionManager`] runs one [`WsWorker`] per
//! cluster × shard (Massive allows one connection per cluster per account, so the quote and
//! trade feeds of a cluster share a socket). Each worker reads its socket without ever waiting
//! for the consumer, parses frames into [`DataBatch`]es and hands them to a bounded queue; the
//! consumer side of each queue measures staleness and drops (and counts) rows of shed
//! instruments. Option trades feed the activity tracker; every `rebalance_interval_s` the
//! rebalancer turns the scheduler's decision into unsubscribe-then-subscribe commands, and the
//! backpressure governor lowers the option-quote capacity when the consumer falls behind.
//!
//! ```text
//!             +-------------------- ConnectionManager ----------------------+
//! Massive ws  |  WsWorker (cluster x shard): read loop                       |
//! ----------->|   frame -> parse_frame -> DataBatch --try_send--> queue ------+--> Stream<DataBatch<TradeOrNbbo>>
//!             |   statuses, ping/pong, backoff, resubscribe on reconnect     |    (consumer side: staleness,
//!             |        ^ Replace{unsubscribe, subscribe}    option trades    |     shed/stale drops counted)
//!             |   rebalancer: ActivityTracker -> SubscriptionScheduler <-----+
//!             |   backpressure Governor (queue depth, staleness) -> shed     |
//!             +--------------------------------------------------------------+
//! ```
//!
//! Modules:
//! - [`model`]: symbols (inline, no allocation), feeds, option contracts, rows, batches, statuses;
//! - [`parse`]: the wire format → batches, with errors that name the event and field;
//! - [`timestamp`]: exact millisecond → nanosecond conversion with plausibility checks;
//! - [`config`] and [`secret`]: `WsConfig` (TOML + `MASSIVE_API_KEY`) and the redacted key;
//! - [`connection`]: the Massive handshake (`connect_and_subscribe`);
//! - [`worker`], [`backoff`], [`manager`]: sockets kept alive, the reconnect policy, sharding;
//! - [`scheduler`] and [`rebalance`]: which option contracts get quote slots, applied live;
//! - [`backpressure`]: the shedding governor and the shed set;
//! - [`stats`] and [`error`]: counters, connection events, errors.

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
