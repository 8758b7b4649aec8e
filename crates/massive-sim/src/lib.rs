//! massive-sim: a local server that speaks Massive's (formerly Polygon.io) WebSocket protocol, fed by a
//! deterministic synthetic market, with fault injection. It is the real test peer of ws-source: every
//! test, the demo and every benchmark talk to it over loopback.
//!
//! * [`Market`]: the synthetic market in virtual time (no sockets, no sleeping), with the oracle of
//!   true per-contract intensities ([`Market::option_trade_intensities`], [`Market::intensity`]).
//! * [`SimServer`] / [`SimHandle`]: the WebSocket server (`/stocks`, `/options`), with
//!   [counters](CounterSnapshot), [connections](SimHandle::connections), the
//!   [command log](SimHandle::command_log), the [ground truth of what was sent](SimHandle::sent),
//!   runtime [rates](SimHandle::set_rates), [faults](SimHandle::inject) and
//!   [restart](SimHandle::restart).
//! * [`protocol`] documents every status message the server sends.
//!
//! # A test against the server
//!
//! ```
//! use futures_util::{SinkExt, StreamExt};
//! use massive_sim::{DEMO_KEY, Fault, FaultAction, Rates, SimConfig, SimServer, Target};
//! use std::time::Duration;
//! use tokio_tungstenite::tungstenite::Message;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! // Small market, auth timeout 200 ms, ground truth recording on; 1,000 option trades/s.
//! let cfg = SimConfig::for_tests().with_rates(Rates::option_trades_only(1_000.0));
//! let sim = SimServer::start(cfg).await.unwrap();
//! let (mut ws, _) = tokio_tungstenite::connect_async(sim.url("options")).await.unwrap();
//! ws.send(Message::text(format!(r#"{{"action":"auth","params":"{DEMO_KEY}"}}"#))).await.unwrap();
//! ws.send(Message::text(r#"{"action":"subscribe","params":"T.*"}"#)).await.unwrap();
//! // connected, auth_success, "subscribed to: T.*", then frames of option trades.
//! let mut frames = 0;
//! while let Some(Ok(Message::Text(t))) = ws.next().await {
//!     frames += 1;
//!     if t.as_str().contains(r#""ev":"T""#) { break; }
//! }
//! assert!(frames >= 3);
//!
//! // Faults: now on open connections, or as a policy for future ones.
//! sim.add_fault(Fault::CloseAfter(Duration::from_secs(5)));
//! assert_eq!(sim.inject(FaultAction::ForceDisconnect, Target::All), 1);
//! assert!(sim.wait_until(Duration::from_secs(2), |c| c.fault_force_disconnects == 1 && c.open == [0, 0]).await);
//! let c = sim.counters();
//! assert_eq!((c.auth_success, c.subscribe_commands), (1, 1));
//! sim.shutdown().await;
//! # }
//! ```
//!
//! # The market in virtual time, with the oracle
//!
//! ```
//! use massive_sim::{Feeds, Market, MarketConfig, Rates};
//! use std::time::Duration;
//!
//! let mut m = Market::new(
//!     MarketConfig { rates: Rates::option_trades_only(2_000.0), ..MarketConfig::drifting() },
//!     42,
//! );
//! for _minute in 0..2 {
//!     for ev in m.advance_feeds(Duration::from_secs(60), Feeds::OPTION_TRADES) {
//!         let _ = (m.symbol(ev.instrument), ev.price(), ev.size, ev.ts_ms);
//!     }
//!     // True expected trades/s of every active contract right now.
//!     let truth = m.option_trade_intensities();
//!     assert!(!truth.is_empty());
//! }
//! ```

#![warn(missing_docs)]

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
