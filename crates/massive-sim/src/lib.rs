//! massive-sim: a local server that speaks Massive's (formerly Polygon.io) WebSocket protocol, fed by a
//! deterministic synthetic market, with fault injection. It is the real test peer of ws-source.
//!
//! * [`Market`]: the synthetic market in virtual time (no sockets, no sleeping), with the oracle of true
//!   per-contract intensities.
//! * [`SimServer`] / [`SimHandle`]: the WebSocket server on loopback, with counters, connection
//!   introspection, ground truth of what was sent, and faults.

pub mod market;
pub mod occ;
pub mod rng;

pub use market::{
    Burst, Contract, Event, Feed, Feeds, InstrumentId, Intensity, Market, MarketConfig, Rates,
    Underlying,
};
pub mod config;
pub mod counters;
pub mod error;
pub mod faults;
pub mod protocol;
pub mod server;
pub mod wire;

pub use config::{DEMO_KEY, SimConfig};
pub use counters::{CounterSnapshot, Counters};
pub use error::SimError;
pub use faults::{Fault, FaultAction, Malformed, Target};
pub use protocol::Cluster;
pub use server::{CommandRecord, ConnectionInfo, SentLog, SimHandle, SimServer};
