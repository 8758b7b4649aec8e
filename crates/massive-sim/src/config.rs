//! [`SimConfig`]: everything the server needs, as plain data.

use crate::faults::Fault;
use crate::market::{MarketConfig, Rates};
use std::net::SocketAddr;
use std::time::Duration;

/// The documented demo key accepted by default (`massive-sim --help` shows it too).
pub const DEMO_KEY: &str = "massive-sim-demo-key";

/// Server configuration. `SimConfig::default()` is a full-size market on `127.0.0.1:0` (an ephemeral
/// port) accepting [`DEMO_KEY`]; [`SimConfig::for_tests`] is small and quick.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to listen on. Default `127.0.0.1:0` (ephemeral port; read it from the handle).
    pub bind: SocketAddr,
    /// Accepted API keys (each key is one "account": one connection per cluster per key).
    pub api_keys: Vec<String>,
    /// Clusters the keys are entitled to. Subscribing on another cluster answers one
    /// `{"status":"error","message":"not authorized"}` per channel. Default: both.
    pub entitled: Vec<crate::protocol::Cluster>,
    /// Time a client has to authenticate before `auth_timeout`. Default 10 s.
    pub auth_timeout: Duration,
    /// The market (universe, scenario, offered load in `market.rates`).
    pub market: MarketConfig,
    /// Market seed.
    pub seed: u64,
    /// Keep the market's configured start time instead of starting at the wall clock. Default false:
    /// event timestamps then track real time, as the real service's do.
    pub fixed_clock: bool,
    /// Maximum events per data frame. Default 100.
    pub events_per_frame: usize,
    /// Per-connection bound of queued, unsent bytes; past it the connection gets `slow_consumer` and
    /// is closed. Default 16 MiB.
    pub send_buffer_bytes: usize,
    /// Maximum options quote (`Q.O:…`) subscriptions per connection. Default 1,000.
    pub options_quote_limit: usize,
    /// Record `(symbol, sequence)` of every event sent on every connection (see
    /// [`crate::SimHandle::sent`]). Default false.
    pub record_sent: bool,
    /// Fault policies in force from the start.
    pub faults: Vec<Fault>,
    /// Generator step: how often the market is advanced and frames are flushed. Default 1 ms.
    pub step: Duration,
    /// Worker threads of the server's own Tokio runtime. Default 1.
    pub io_threads: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_keys: vec![DEMO_KEY.to_string()],
            entitled: crate::protocol::Cluster::ALL.to_vec(),
            auth_timeout: Duration::from_secs(10),
            market: MarketConfig::default(),
            seed: 1,
            fixed_clock: false,
            events_per_frame: 100,
            send_buffer_bytes: 16 << 20,
            options_quote_limit: 1000,
            record_sent: false,
            faults: Vec::new(),
            step: Duration::from_millis(1),
            io_threads: 1,
        }
    }
}

impl SimConfig {
    /// Small market (40 underlyings), auth timeout 200 ms, `record_sent` on, key [`DEMO_KEY`]:
    /// what a conformance or client test wants.
    pub fn for_tests() -> Self {
        SimConfig {
            auth_timeout: Duration::from_millis(200),
            market: MarketConfig::small(),
            record_sent: true,
            ..Self::default()
        }
    }

    /// Sets the offered load (builder style).
    pub fn with_rates(mut self, rates: Rates) -> Self {
        self.market.rates = rates;
        self
    }

    /// Adds a fault policy (builder style).
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }
}
