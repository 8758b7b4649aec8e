//! End-to-end throughput and latency: massive-sim at full speed → ConnectionManager → a
//! consumer that drops batches.
//!
//! `cargo bench -p ws-source --bench e2e [-- SECONDS OFFERED_EVENTS_PER_S]`
//!
//! One connection (`/stocks`, `Q.*` + `T.*`). Reported in the same run:
//! - baseline: a plain WebSocket client that reads and discards frames without parsing: what
//!   the simulator and the loopback socket can deliver on this machine;
//! - ws-source: rows delivered per second, frame-received → consumer latency (p50/p99/max), and
//!   rows dropped (must be 0 for the figure to count);
//! - the ratio ws-source / baseline.
//!
//! The simulator and the client share the machine's two cores, so the absolute figures are a
//! floor for the client alone.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hdrhistogram::Histogram;
use massive_sim::{DEMO_KEY, MarketConfig, Rates, SimConfig, SimServer};
use ws_source::backoff::BackoffConfig;
use ws_source::timestamp::now_ns;
use ws_source::{
    ApiKey, ConnectionConfig, ConnectionManager, FeedConfig, ResourceType, WorkerStats, WsConfig,
    WsWorker, connect_and_subscribe,
};

fn rates(total: f64) -> Rates {
    Rates {
        option_quotes: 0.0,
        option_trades: 0.0,
        stock_quotes: total * 0.9,
        stock_trades: total * 0.1,
    }
}

async fn start(total: f64) -> massive_sim::SimHandle {
    SimServer::start(
        SimConfig {
            market: MarketConfig::small(),
            io_threads: 1,
            ..SimConfig::default()
        }
        .with_rates(rates(total)),
    )
    .await
    .expect("simulator")
}

/// Frames and bytes a non-parsing client reads: the ceiling the socket allows.
async fn baseline(total: f64, secs: u64) -> (f64, f64) {
    let sim = start(total).await;
    let worker = WsWorker::new(
        url::Url::parse(&sim.url("stocks")).unwrap(),
        0,
        vec![ResourceType::EquityQuotes, ResourceType::EquityTrades],
        ApiKey::new(DEMO_KEY),
        ConnectionConfig::default(),
        BackoffConfig::default(),
    )
    .unwrap();
    let mut ws = connect_and_subscribe(&worker, vec!["Q.*".into(), "T.*".into()])
        .await
        .unwrap();
    // Warm up while reading: a client that stops reading is dropped as a slow consumer.
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(500) {
        let _ = tokio::time::timeout(Duration::from_millis(100), ws.next()).await;
    }
    let before = sim.counters().events_sent;
    let start = Instant::now();
    let mut bytes = 0usize;
    while start.elapsed() < Duration::from_secs(secs) {
        if let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_millis(100), ws.next()).await {
            bytes += m.len();
        }
    }
    let events = sim.counters().events_sent - before;
    let elapsed = start.elapsed().as_secs_f64();
    sim.shutdown().await;
    (events as f64 / elapsed, bytes as f64 / elapsed)
}

async fn ws_source(total: f64, secs: u64) -> (f64, Histogram<u64>, u64, u64) {
    let sim = start(total).await;
    let mut config = WsConfig {
        api_keys: vec![ApiKey::new(DEMO_KEY)],
        base_url: format!("ws://{}", sim.addr()),
        ..WsConfig::default()
    };
    config.feeds.options_quotes.enabled = false;
    config.feeds.options_trades.enabled = false;
    config.feeds.equity_quotes = FeedConfig::all();
    config.feeds.equity_trades = FeedConfig::all();
    config.connection.queue_capacity = 16_384;
    let manager = ConnectionManager::try_new(&config).unwrap();
    let stats = manager.stats();
    let mut stream = manager.run().await;
    let mut latency_us = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).unwrap();
    // Warm up.
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(500) {
        let _ = tokio::time::timeout(Duration::from_millis(50), stream.next()).await;
    }
    let start = Instant::now();
    let mut rows = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        if let Ok(Some(batch)) =
            tokio::time::timeout(Duration::from_millis(100), stream.next()).await
            && !batch.rows.is_empty()
        {
            rows += batch.rows.len() as u64;
            let us = ((now_ns() - batch.meta.received_at_ns) / 1_000).max(1) as u64;
            let _ = latency_us.record(us.min(10_000_000));
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let dropped = WorkerStats::get(&stats[0].dropped_queue_full);
    manager.shutdown();
    sim.shutdown().await;
    (rows as f64 / elapsed, latency_us, dropped, rows)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let secs: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(5);
    let offered: f64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("e2e: offered {offered:.0} events/s on one /stocks connection, {secs} s per run");
        let (base_eps, base_bps) = baseline(offered, secs).await;
        println!(
            "baseline (read + discard, no parse): {:>10.0} events/s  {:>7.1} MB/s",
            base_eps,
            base_bps / 1e6
        );
        let (eps, lat, dropped, rows) = ws_source(offered, secs).await;
        println!(
            "ws-source (parse + batch + queue):   {:>10.0} events/s  ({} rows, {} dropped)",
            eps, rows, dropped
        );
        println!(
            "frame received -> consumer latency: p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
            lat.value_at_quantile(0.5) as f64 / 1e3,
            lat.value_at_quantile(0.99) as f64 / 1e3,
            lat.max() as f64 / 1e3
        );
        println!("ratio ws-source / baseline: {:.2}", eps / base_eps);
    });
}
