//! Wiring ws-source to a massive-sim server on loopback.

use std::time::Duration;

use massive_sim::{DEMO_KEY, Rates, SimConfig, SimHandle, SimServer};
use ws_source::{ApiKey, FeedConfig, WsConfig};

/// Starts a small simulated market with the given offered load.
pub async fn start_sim(rates: Rates) -> SimHandle {
    SimServer::start(SimConfig::for_tests().with_rates(rates))
        .await
        .expect("simulator starts")
}

/// A config pointing at `sim`, with quick timings for tests and no jitter.
pub fn config_for(sim: &SimHandle) -> WsConfig {
    let mut c = WsConfig {
        api_keys: vec![ApiKey::new(DEMO_KEY)],
        base_url: format!("ws://{}", sim.addr()),
        ..WsConfig::default()
    };
    c.connection.ping_interval_ms = 500;
    c.connection.pong_timeout_ms = 500;
    c.connection.heartbeat_interval_ms = 100;
    c.connection.connect_timeout_ms = 2_000;
    c.connection.auth_timeout_ms = 2_000;
    c.backoff.initial_ms = 100;
    c.backoff.max_ms = 1_000;
    c.backoff.jitter = 0.0;
    // Only tests/backpressure.rs tests shedding; elsewhere a stall of a busy CI machine must
    // not drop stale quotes or shed subscriptions.
    c.backpressure.max_staleness_ms = 10_000;
    c.feeds.options_quotes = FeedConfig::default();
    c.feeds.options_trades = FeedConfig::all();
    c.feeds.equity_quotes = FeedConfig::all();
    c.feeds.equity_trades = FeedConfig::all();
    c
}

/// The first `n` option contracts of the simulated universe, as wire symbols.
pub fn some_contracts(sim: &SimHandle, n: usize) -> Vec<String> {
    sim.with_market(|m| {
        m.contracts()
            .iter()
            .take(n)
            .map(|c| c.symbol.to_string())
            .collect()
    })
}

/// Logs to the test output when `RUST_LOG` is set.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Polls `pred` every 10 ms until it holds or `timeout` passes.
pub async fn eventually(timeout: Duration, mut pred: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if pred() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
