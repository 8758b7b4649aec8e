//! Live rebalancing against massive-sim: the option-quote subscriptions follow trading
//! activity, and the server never sees more than 1,000 of them on the connection.

mod common;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::sim::{config_for, init_tracing};
use futures_util::StreamExt;
use massive_sim::{MarketConfig, Rates, SimConfig, SimServer};
use ws_source::{ConnectionManager, FeedConfig, WsConfig};

/// The share of the simulator's true option-trade intensity that falls on `subscribed`.
fn coverage(sim: &massive_sim::SimHandle, subscribed: &HashSet<String>) -> f64 {
    sim.with_market(|m| {
        let intensities = m.option_trade_intensities();
        let total: f64 = intensities.iter().map(|(_, r)| r).sum();
        let covered: f64 = intensities
            .iter()
            .filter(|(id, _)| subscribed.contains(m.symbol(*id)))
            .map(|(_, r)| r)
            .sum();
        covered / total.max(f64::MIN_POSITIVE)
    })
}

/// The oracle: the share covered by the 1,000 contracts with the highest true intensity.
fn oracle_coverage(sim: &massive_sim::SimHandle, slots: usize) -> f64 {
    sim.with_market(|m| {
        let mut rates: Vec<f64> = m
            .option_trade_intensities()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        let total: f64 = rates.iter().sum();
        rates.sort_by(|a, b| b.total_cmp(a));
        rates.iter().take(slots).sum::<f64>() / total.max(f64::MIN_POSITIVE)
    })
}

fn quote_subscriptions(sim: &massive_sim::SimHandle) -> HashSet<String> {
    sim.connections()
        .iter()
        .filter(|c| c.cluster == massive_sim::Cluster::Options)
        .flat_map(|c| c.subscriptions.iter())
        .filter_map(|s| s.strip_prefix("Q.").map(str::to_string))
        .collect()
}

/// Options only, quotes scheduled, rebalancing every second on a 3 s half-life.
fn scheduled_options_config(sim: &massive_sim::SimHandle) -> WsConfig {
    let mut config = config_for(sim);
    config.feeds.equity_quotes.enabled = false;
    config.feeds.equity_trades.enabled = false;
    config.feeds.options_quotes = FeedConfig::scheduled();
    config.scheduler.rebalance_interval_s = 1;
    config.scheduler.half_life_s = 3.0;
    // These tests are about rebalancing: keep load shedding (tested in backpressure.rs) out of
    // them, so a busy CI machine cannot lower the capacity (config_for relaxes staleness).
    config.backpressure.queue_high_ratio = 1.0;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_quotes_follow_activity_within_the_limit() {
    init_tracing();
    let sim = SimServer::start(
        SimConfig {
            market: MarketConfig::drifting(),
            ..SimConfig::for_tests()
        }
        .with_rates(Rates {
            option_quotes: 20_000.0,
            option_trades: 20_000.0,
            stock_quotes: 0.0,
            stock_trades: 0.0,
        }),
    )
    .await
    .unwrap();
    let universe = sim.with_market(|m| m.contracts().len());
    assert!(universe > 2_000, "universe of {universe} contracts");

    let manager = ConnectionManager::new(&scheduled_options_config(&sim));
    let rebalance = manager.rebalance_stats();
    let mut stream = manager.run().await;
    let drain = tokio::spawn(async move { while stream.next().await.is_some() {} });

    // Sample the server's view every 20 ms for 8 s.
    let mut max_seen = 0usize;
    let mut sets = Vec::new();
    let start = tokio::time::Instant::now();
    while start.elapsed() < Duration::from_secs(8) {
        let subs = quote_subscriptions(&sim);
        max_seen = max_seen.max(subs.len());
        if sets.len() < (start.elapsed().as_secs() as usize) {
            sets.push(subs);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A rebalance unsubscribes before it subscribes: take the fullest of a few samples, so one
    // caught between the two messages does not count as an idle slot.
    let mut last = HashSet::new();
    for _ in 0..10 {
        let subs = quote_subscriptions(&sim);
        if subs.len() > last.len() {
            last = subs;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let counters = sim.counters();
    manager.shutdown();
    drain.await.unwrap();

    assert!(
        max_seen <= 1_000,
        "server saw {max_seen} quote subscriptions"
    );
    assert_eq!(counters.subscribe_errors, 0, "no subscription was rejected");
    assert_eq!(last.len(), 1_000, "every slot is used");
    assert!(rebalance.rounds.load(Ordering::Relaxed) >= 6);

    // The set follows activity: far better than chance, and it keeps changing as activity moves.
    let ours = coverage(&sim, &last);
    let oracle = oracle_coverage(&sim, 1_000);
    let chance = 1_000.0 / universe as f64;
    eprintln!(
        "coverage of true trade intensity: ours {ours:.3}, oracle {oracle:.3}, random {chance:.3}"
    );
    // After 8 s of live data (a few hundred trades per second on a 3 s half-life), the
    // estimate is noisy; the offline evaluation (`ws-source eval-scheduler`) measures the
    // policy properly. Here: most of the oracle's coverage, and far above chance.
    assert!(
        ours > 0.75 * oracle && ours > 20.0 * chance,
        "scheduled set covers {ours:.3} of trade intensity (oracle {oracle:.3}, random {chance:.3})"
    );
    let changed = sets.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        changed >= 3,
        "the subscribed set changed in only {changed} of the seconds"
    );
    assert!(rebalance.evictions.load(Ordering::Relaxed) > 0);
}

/// The server's option-quote limit (950) is below our configured capacity (1,000): the first
/// rebalance's last 50 subscriptions are rejected. Each rejection frees its slot in the scheduler
/// and lowers the shard's ceiling to what the server holds, so the rejections stop and the
/// scheduler's count matches the server's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_server_limit_is_learned_from_rejections() {
    init_tracing();
    let sim = SimServer::start(
        SimConfig {
            options_quote_limit: 950,
            ..SimConfig::for_tests()
        }
        .with_rates(Rates {
            option_quotes: 10_000.0,
            option_trades: 10_000.0,
            stock_quotes: 0.0,
            stock_trades: 0.0,
        }),
    )
    .await
    .unwrap();
    let manager = ConnectionManager::new(&scheduled_options_config(&sim));
    let rebalance = manager.rebalance_stats();
    let mut stream = manager.run().await;
    let drain = tokio::spawn(async move { while stream.next().await.is_some() {} });

    // Wait for the first rejections, then for three more rebalances.
    let start = tokio::time::Instant::now();
    while sim.counters().subscribe_errors == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no subscription was ever rejected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wait_rounds = |n: u64| {
        let target = rebalance.rounds.load(Ordering::Relaxed) + n;
        let rebalance = &rebalance;
        async move {
            let start = tokio::time::Instant::now();
            while rebalance.rounds.load(Ordering::Relaxed) < target {
                assert!(
                    start.elapsed() < Duration::from_secs(10 * n),
                    "rebalances stopped"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_rounds(3).await;
    let errors_settled = sim.counters().subscribe_errors;
    // Four more rebalances: they must not be rejected again.
    wait_rounds(4).await;
    let mut server = 0;
    for _ in 0..10 {
        server = server.max(quote_subscriptions(&sim).len());
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let errors_end = sim.counters().subscribe_errors;
    let ours = rebalance.subs_active.load(Ordering::Relaxed);
    let capacity = rebalance.capacity.load(Ordering::Relaxed);
    manager.shutdown();
    drain.await.unwrap();

    assert!(
        (50..=100).contains(&errors_settled),
        "{errors_settled} rejections before settling (the first rebalance overshoots by 50)"
    );
    assert_eq!(
        errors_end, errors_settled,
        "rejections went on after the ceiling was learned"
    );
    assert_eq!(server, 950, "the server's slots are all used");
    assert_eq!(ours, 950, "the scheduler counts what the server holds");
    assert_eq!(
        capacity, 950,
        "the ceiling was lowered to the server's limit"
    );
}
