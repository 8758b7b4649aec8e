//! Backpressure against massive-sim: a slow consumer makes ws-source shed the lowest-priority
//! option quotes, staleness stays bounded, and every event sent is either delivered or counted
//! as dropped, exactly. A consumer that keeps up loses nothing.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::sim::{config_for, init_tracing};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use massive_sim::{Rates, SimConfig, SimServer};
use ws_source::timestamp::now_ns;
use ws_source::{ConnectionManager, FeedConfig, WorkerStats, WsConfig};

struct Outcome {
    /// Events the simulator counts as written to the connection.
    sent: u64,
    /// Events the worker read and parsed.
    received: u64,
    delivered: u64,
    dropped_shed: u64,
    dropped_queue_full: u64,
    dropped_stale: u64,
    sheds: u64,
    min_capacity: u64,
    peak_rate: f64,
    staleness_us: Histogram<u64>,
}

/// Runs an options-only stream at `option_quotes` events/s (plus 2k trades/s) for `secs`,
/// consumed at most `consumer_rows_per_s` rows per second.
async fn run(option_quotes: f64, consumer_rows_per_s: f64, secs: u64) -> Outcome {
    // A compact universe, so that the 1,000 scheduled contracts carry most of the quote flow.
    let market = massive_sim::MarketConfig {
        underlyings: 6,
        chain_scale: 0.1,
        ..massive_sim::MarketConfig::small()
    };
    let sim = SimServer::start(
        SimConfig {
            market,
            ..SimConfig::for_tests()
        }
        .with_rates(Rates {
            option_quotes,
            option_trades: 2_000.0,
            stock_quotes: 0.0,
            stock_trades: 0.0,
        }),
    )
    .await
    .unwrap();
    eprintln!(
        "universe: {} contracts",
        sim.with_market(|m| m.contracts().len())
    );
    let mut config: WsConfig = config_for(&sim);
    config.feeds.equity_quotes.enabled = false;
    config.feeds.equity_trades.enabled = false;
    config.feeds.options_quotes = FeedConfig::scheduled();
    config.scheduler.rebalance_interval_s = 1;
    config.connection.queue_capacity = 256;
    config.backpressure = ws_source::backpressure::BackpressureConfig::default(); // 100 ms
    let manager = ConnectionManager::new(&config);
    let stats = manager.stats()[0].clone();
    let rebalance = manager.rebalance_stats();
    let mut stream = manager.run().await;

    let consumer = tokio::spawn(async move {
        let mut delivered = 0u64;
        let mut staleness_us = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        let mut debt = Duration::ZERO;
        let per_row = Duration::from_secs_f64(1.0 / consumer_rows_per_s);
        while let Some(batch) = stream.next().await {
            if batch.rows.is_empty() {
                continue;
            }
            let us = ((now_ns() - batch.meta.received_at_ns) / 1_000).max(1) as u64;
            staleness_us.record(us.min(60_000_000)).unwrap();
            delivered += batch.rows.len() as u64;
            // A deliberately slow consumer: `per_row` of work per row.
            debt += per_row * batch.rows.len() as u32;
            if debt >= Duration::from_millis(2) {
                tokio::time::sleep(debt).await;
                debt = Duration::ZERO;
            }
        }
        (delivered, staleness_us)
    });

    let sent_at_stop = |sim: &massive_sim::SimHandle| {
        sim.connections()
            .iter()
            .filter(|c| c.cluster == massive_sim::Cluster::Options)
            .map(|c| c.events_sent)
            .sum::<u64>()
    };
    let mut min_capacity = u64::MAX;
    let mut peak_rate = 0f64;
    let mut window = (tokio::time::Instant::now(), 0u64);
    let start = tokio::time::Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let c = rebalance.capacity.load(Ordering::Relaxed);
        if c > 0 || rebalance.rounds.load(Ordering::Relaxed) > 0 {
            min_capacity = min_capacity.min(c);
        }
        // The offered stream: events the server sent, per 200 ms window.
        let elapsed = window.0.elapsed();
        if std::env::var_os("BP_DEBUG").is_some() && elapsed >= Duration::from_millis(200) {
            let subs: usize = sim
                .connections()
                .iter()
                .map(|c| {
                    c.subscriptions
                        .iter()
                        .filter(|s| s.starts_with("Q."))
                        .count()
                })
                .sum();
            eprintln!(
                "t={:?} capacity {} server quote subs {} depth {} staleness {} ms sheds {}",
                start.elapsed(),
                rebalance.capacity.load(Ordering::Relaxed),
                subs,
                stats.queue_depth.load(Ordering::Relaxed),
                stats.consumer_staleness_ns.load(Ordering::Relaxed) / 1_000_000,
                rebalance.sheds.load(Ordering::Relaxed)
            );
        }
        if elapsed >= Duration::from_millis(200) {
            let sent = sent_at_stop(&sim);
            peak_rate = peak_rate.max((sent - window.1) as f64 / elapsed.as_secs_f64());
            window = (tokio::time::Instant::now(), sent);
        }
    }
    // Stop the market, let everything in flight arrive and the consumer drain the queue.
    sim.set_rates(Rates::zero());
    // Wait until nothing more arrives (the received count is stable for 500 ms).
    let mut received = WorkerStats::get(&stats.events);
    let mut stable_for = Duration::ZERO;
    while stable_for < Duration::from_millis(500) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = WorkerStats::get(&stats.events);
        stable_for = if now == received {
            stable_for + Duration::from_millis(50)
        } else {
            Duration::ZERO
        };
        received = now;
    }
    let sent = sent_at_stop(&sim);
    manager.shutdown();
    let (delivered, staleness_us) = consumer.await.unwrap();
    assert_eq!(WorkerStats::get(&stats.delivered), delivered);
    assert_eq!(WorkerStats::get(&stats.parse_errors), 0);
    Outcome {
        sent,
        received,
        delivered,
        dropped_shed: WorkerStats::get(&stats.dropped_shed),
        dropped_queue_full: WorkerStats::get(&stats.dropped_queue_full),
        dropped_stale: WorkerStats::get(&stats.dropped_stale),
        sheds: rebalance.sheds.load(Ordering::Relaxed),
        min_capacity,
        peak_rate,
        staleness_us,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_triggers_shedding_with_exact_accounting() {
    init_tracing();
    let o = run(150_000.0, 20_000.0, 8).await;
    eprintln!(
        "peak {:.0}/s sent {} received {} delivered {} shed {} queue_full {} stale {} sheds {} min capacity {} staleness p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
        o.peak_rate,
        o.sent,
        o.received,
        o.delivered,
        o.dropped_shed,
        o.dropped_queue_full,
        o.dropped_stale,
        o.sheds,
        o.min_capacity,
        o.staleness_us.value_at_quantile(0.5) as f64 / 1e3,
        o.staleness_us.value_at_quantile(0.99) as f64 / 1e3,
        o.staleness_us.max() as f64 / 1e3,
    );
    assert!(
        o.peak_rate > 100_000.0,
        "a 100k/s stream ({:.0}/s at its peak)",
        o.peak_rate
    );
    assert!(o.sheds > 0, "shedding started");
    assert!(o.min_capacity < 1_000, "capacity was lowered");
    assert!(o.dropped_shed > 0);
    // Exact on our side: every event read is delivered or counted as dropped, by reason.
    assert_eq!(
        o.received,
        o.delivered + o.dropped_shed + o.dropped_queue_full + o.dropped_stale,
        "every event received is delivered or counted as dropped"
    );
    // And what the server wrote is what we read. Equal in every run since the settle logic
    // waits for the received count to stop moving; an earlier version of this test (which
    // sampled while frames were still in flight) saw gaps of a frame or a few hundred events,
    // so a 0.5% tolerance guards CI against a residual race in reading the simulator's count.
    let gap = o.sent.abs_diff(o.received) as f64 / o.sent.max(1) as f64;
    assert!(
        gap < 0.005,
        "server sent {} but the worker read {}",
        o.sent,
        o.received
    );
    let p99_ms = o.staleness_us.value_at_quantile(0.99) as f64 / 1e3;
    assert!(p99_ms < 200.0, "staleness p99 {p99_ms:.1} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_keeps_up_loses_nothing() {
    init_tracing();
    let o = run(50_000.0, 10_000_000.0, 4).await;
    eprintln!("sent {} delivered {}", o.sent, o.delivered);
    assert!(o.sent > 10_000, "the stream ran ({} events)", o.sent);
    assert_eq!(o.sheds, 0);
    assert_eq!(o.dropped_shed + o.dropped_queue_full + o.dropped_stale, 0);
    assert_eq!(
        o.sent, o.received,
        "the server's count and ours agree exactly"
    );
    assert_eq!(o.received, o.delivered);
}
