//! The connection layer against massive-sim on loopback: reconnection, resumption, heartbeats,
//! watermark, exactly-once delivery, connection limits and every disconnect status.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::sim::{config_for, eventually, init_tracing, some_contracts, start_sim};
use futures_util::StreamExt;
use massive_sim::{Cluster as SimCluster, Fault, FaultAction, Rates, Target};
use ws_source::{
    ConnectionEventKind, ConnectionManager, ConnectionState, ResourceType, ShardAware, TradeOrNbbo,
    WorkerStats,
};

/// `config` without the equity feeds: one socket, on `/options`.
fn options_only(mut config: ws_source::WsConfig) -> ws_source::WsConfig {
    config.feeds.equity_quotes.enabled = false;
    config.feeds.equity_trades.enabled = false;
    config
}

/// Runs the manager with a consumer that keeps up and discards everything.
async fn run_drained(manager: &ConnectionManager) -> tokio::task::JoinHandle<()> {
    let mut stream = manager.run().await;
    tokio::spawn(async move { while stream.next().await.is_some() {} })
}

fn quiet() -> Rates {
    Rates {
        option_quotes: 2_000.0,
        option_trades: 200.0,
        stock_quotes: 1_000.0,
        stock_trades: 100.0,
    }
}

/// The spec's vector: the server drops the connection after 5 s and stays down; reconnect
/// attempts back off 1 s, 2 s, 4 s; the subscriptions are resumed (checked on the server);
/// empty batches keep flowing during the downtime with the watermark frozen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_with_1_2_4_second_backoff_and_resumes_subscriptions() {
    init_tracing();
    let sim = start_sim(quiet()).await;
    let mut config = config_for(&sim);
    config.backoff.initial_ms = 1_000;
    config.backoff.max_ms = 60_000;
    config.feeds.equity_quotes.enabled = false;
    config.feeds.equity_trades.enabled = false;
    config.feeds.options_quotes.symbols = some_contracts(&sim, 5);
    let manager = ConnectionManager::new(&config);
    let mut events = manager.events();
    let mut stream = manager.run().await;

    // Connected and streaming.
    assert!(
        sim.wait_until(Duration::from_secs(3), |c| c.auth_success == 1)
            .await
    );
    let subscribed_first = sim.connections()[0].subscriptions.clone();
    assert_eq!(subscribed_first.len(), 6, "{subscribed_first:?}"); // T.* + 5 quotes

    // Collect batches in the background.
    let collector = tokio::spawn(async move {
        let mut batches = Vec::new();
        while let Some(b) = stream.next().await {
            batches.push((std::time::Instant::now(), b));
        }
        batches
    });

    // After 5 s the server goes away; it stays down long enough that the attempts after 1 s
    // and 2 s more are refused and the one after 4 s more succeeds.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let down_at = std::time::Instant::now();
    let sim = std::sync::Arc::new(sim);
    let restart = {
        let sim = sim.clone();
        tokio::spawn(async move {
            sim.restart_with_downtime(Duration::from_millis(4_500))
                .await
        })
    };

    let mut backoffs = Vec::new();
    let mut connecting_at = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        let ev = tokio::time::timeout(Duration::from_secs(15), events.recv())
            .await
            .expect("events keep coming")
            .expect("event channel open");
        if ev.at < down_at {
            continue; // the initial connection
        }
        match ev.kind {
            ConnectionEventKind::BackingOff { delay, .. } => backoffs.push(delay),
            ConnectionEventKind::Connecting { attempt } if attempt > 0 => {
                connecting_at.push(ev.at.duration_since(down_at))
            }
            ConnectionEventKind::Connected { .. } => break,
            _ => {}
        }
    }
    restart.await.unwrap().unwrap();
    assert_eq!(
        backoffs,
        [1, 2, 4].map(Duration::from_secs),
        "backoff delays"
    );
    // Attempt times after the drop: ~1 s, ~3 s, ~7 s.
    let expected = [1_000u128, 3_000, 7_000];
    assert_eq!(connecting_at.len(), 3, "{connecting_at:?}");
    for (got, want) in connecting_at.iter().zip(expected) {
        let got = got.as_millis();
        assert!(
            got + 50 >= want && got <= want + 400,
            "attempt at {got} ms, expected ~{want} ms"
        );
    }

    // Subscriptions resumed: the new server-side connection has exactly the same channels.
    assert!(
        eventually(Duration::from_secs(3), || sim
            .connections()
            .first()
            .is_some_and(|c| c.subscriptions.len() == 6))
        .await
    );
    let mut again = sim.connections()[0].subscriptions.clone();
    let mut first = subscribed_first.clone();
    again.sort();
    first.sort();
    assert_eq!(again, first);

    tokio::time::sleep(Duration::from_millis(500)).await;
    manager.shutdown();
    let batches = collector.await.unwrap();

    // During the downtime: heartbeats only, marked disconnected, watermark frozen.
    let reconnected_at = down_at + Duration::from_millis(7_000);
    let during: Vec<_> = batches
        .iter()
        .filter(|(at, b)| {
            *at > down_at + Duration::from_millis(300)
                && *at < reconnected_at
                && b.meta.connection == ConnectionState::Disconnected
        })
        .collect();
    assert!(
        during.len() >= 20,
        "only {} batches while down",
        during.len()
    );
    assert!(during.iter().all(|(_, b)| b.rows.is_empty()));
    let frozen = during[0].1.meta.watermark_ts_ns;
    assert!(frozen > 0);
    assert!(during.iter().all(|(_, b)| b.meta.watermark_ts_ns == frozen));
    // Data resumed after the reconnect, with the watermark moving again.
    let after: Vec<_> = batches
        .iter()
        .filter(|(at, _)| *at > reconnected_at)
        .collect();
    assert!(after.iter().any(|(_, b)| !b.rows.is_empty()));
    assert!(after.iter().all(|(_, b)| b.meta.watermark_ts_ns >= frozen));
    assert!(after.iter().any(|(_, b)| b.meta.watermark_ts_ns > frozen));
}

/// Every event the simulator sent is delivered exactly once, in order, per connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_run_delivers_every_event_exactly_once() {
    init_tracing();
    let sim = start_sim(Rates {
        option_quotes: 20_000.0,
        option_trades: 5_000.0,
        stock_quotes: 20_000.0,
        stock_trades: 5_000.0,
    })
    .await;
    let mut config = config_for(&sim);
    let contracts = some_contracts(&sim, 200);
    config.feeds.options_quotes.symbols = contracts;
    let manager = ConnectionManager::new(&config);
    let mut stream = manager.run().await;
    let collector = tokio::spawn(async move {
        let mut rows: Vec<(String, u64, ResourceType)> = Vec::new();
        let mut batch_seqs: HashMap<(ResourceType, usize), u64> = HashMap::new();
        while let Some(b) = stream.next().await {
            let key = (b.meta.resource_type, b.meta.shard_id);
            let expected = batch_seqs.entry(key).or_insert(0);
            assert_eq!(b.meta.batch_seq, *expected, "batch_seq has no gaps");
            *expected += 1;
            assert_eq!(b.meta.dropped_since_last, 0);
            for r in &b.rows {
                rows.push((r.symbol().to_string(), r.sequence(), r.resource_type()));
            }
        }
        rows
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    sim.set_rates(Rates::zero());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    manager.shutdown();
    let rows = collector.await.unwrap();

    let mut total_sent = 0;
    for conn in conns {
        let mut sent = sim.sent(conn.id).events;
        total_sent += sent.len();
        let cluster_is_options = conn.cluster == SimCluster::Options;
        let ours: Vec<&(String, u64, ResourceType)> = rows
            .iter()
            .filter(|(sym, _, _)| sym.starts_with("O:") == cluster_is_options)
            .collect();
        assert_eq!(ours.len(), sent.len(), "{:?}: count", conn.cluster);
        // Per feed and symbol, sequence numbers arrive strictly increasing (in order, once).
        let mut last: HashMap<(&str, ResourceType), u64> = HashMap::new();
        for (sym, q, rt) in &ours {
            if let Some(prev) = last.insert((sym.as_str(), *rt), *q) {
                assert!(*q > prev, "{sym} {rt}: {q} after {prev}");
            }
        }
        let mut got: Vec<(String, u64)> = ours.iter().map(|(s, q, _)| (s.clone(), *q)).collect();
        // And the multiset is exactly what was sent (rows are grouped by feed within a frame,
        // so the interleaving of trades and quotes differs from the wire).
        got.sort();
        sent.sort();
        let same = got == sent;
        assert!(
            same,
            "{:?}: delivered events differ from the events sent",
            conn.cluster
        );
    }
    assert!(total_sent > 20_000, "only {total_sent} events sent");
    let stats: Vec<_> = manager.stats();
    let dropped: u64 = stats
        .iter()
        .map(|s| WorkerStats::get(&s.dropped_queue_full))
        .sum();
    assert_eq!(dropped, 0);
}

/// Never more than `shard_count` sockets per cluster, even under repeated faults.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_sockets_than_shards_under_repeated_faults() {
    init_tracing();
    let sim = start_sim(quiet()).await;
    let config = config_for(&sim);
    let manager = ConnectionManager::new(&config);
    assert_eq!(manager.shard_count(), 1);
    let drain = run_drained(&manager).await;
    assert!(
        sim.wait_until(Duration::from_secs(3), |c| c.auth_success == 2)
            .await
    );
    let actions = [
        FaultAction::Close,
        FaultAction::Reset,
        FaultAction::ForceDisconnect,
        FaultAction::SlowConsumer,
        FaultAction::Close,
        FaultAction::Reset,
    ];
    for (round, action) in actions.into_iter().enumerate() {
        sim.inject(action, Target::All);
        let want = 2 * (round as u64 + 2);
        let mut max_open = [0u64; 2];
        let ok = eventually(Duration::from_secs(5), || {
            let c = sim.counters();
            max_open[0] = max_open[0].max(c.open[0]);
            max_open[1] = max_open[1].max(c.open[1]);
            c.auth_success >= want
        })
        .await;
        assert!(ok, "round {round}: both clusters reconnected");
        assert!(
            max_open.iter().all(|&n| n <= 1),
            "open sockets {max_open:?}"
        );
    }
    let c = sim.counters();
    assert_eq!(c.max_concurrent_per_key, [1, 1]);
    assert_eq!(c.evictions, 0);
    manager.shutdown();
    drain.await.unwrap();
}

/// A stalled (half-open) connection is detected within ping interval + pong timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connection_is_detected_and_replaced() {
    init_tracing();
    let sim = start_sim(quiet()).await;
    let mut config = options_only(config_for(&sim));
    config.connection.ping_interval_ms = 200;
    config.connection.pong_timeout_ms = 300;
    let manager = ConnectionManager::new(&config);
    let mut events = manager.events();
    let drain = run_drained(&manager).await;
    assert!(
        sim.wait_until(Duration::from_secs(3), |c| c.auth_success == 1)
            .await
    );
    let stalled_at = std::time::Instant::now();
    assert_eq!(sim.inject(FaultAction::Stall, Target::All), 1);
    let detected = loop {
        let ev = tokio::time::timeout(Duration::from_secs(3), events.recv())
            .await
            .expect("detected in time")
            .unwrap();
        if let ConnectionEventKind::Disconnected { reason, .. } = ev.kind {
            break (reason, ev.at.duration_since(stalled_at));
        }
    };
    assert_eq!(detected.0, "stalled");
    // ping interval + pong timeout = 500 ms, plus one liveness check period (~62 ms) and slack.
    assert!(
        detected.1 <= Duration::from_millis(800),
        "took {:?}",
        detected.1
    );
    assert!(
        sim.wait_until(Duration::from_secs(3), |c| c.auth_success == 2)
            .await
    );
    manager.shutdown();
    drain.await.unwrap();
}

/// A rejected key is fatal: one attempt, a clear error, the stream ends; no retry storm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failure_is_fatal_without_retries() {
    init_tracing();
    let sim = start_sim(quiet()).await;
    sim.add_fault(Fault::RejectAuth);
    let config = config_for(&sim);
    let manager = ConnectionManager::new(&config);
    let mut events = manager.events();
    let mut stream = manager.run().await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.next().await.is_some() {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the stream ends once every worker has stopped"
    );
    let mut reasons = Vec::new();
    while let Ok(ev) = events.try_recv() {
        if let ConnectionEventKind::Disconnected { reason, message } = ev.kind {
            assert!(!message.contains(massive_sim::DEMO_KEY), "{message}");
            reasons.push(reason);
        }
    }
    assert_eq!(reasons, ["auth_failed", "auth_failed"]); // one per cluster
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sim.counters().auth_failed, 2, "no second attempt");
}

/// Another client on the account takes the slot: the worker reports `max_connections`
/// loudly, counts it, and backs off before trying again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_eviction_is_counted_and_backed_off() {
    init_tracing();
    let sim = start_sim(quiet()).await;
    let mut config = options_only(config_for(&sim));
    config.backoff.initial_ms = 700;
    let manager = ConnectionManager::new(&config);
    let mut events = manager.events();
    let drain = run_drained(&manager).await;
    assert!(
        sim.wait_until(Duration::from_secs(3), |c| c.auth_success == 1)
            .await
    );

    // A second client authenticates with the same key on the same cluster.
    let (mut other, _) = tokio_tungstenite::connect_async(sim.url("options"))
        .await
        .unwrap();
    use futures_util::SinkExt;
    other
        .send(tokio_tungstenite::tungstenite::Message::text(format!(
            r#"{{"action":"auth","params":"{}"}}"#,
            massive_sim::DEMO_KEY
        )))
        .await
        .unwrap();

    let mut evicted_at = None;
    let mut backoff = None;
    let mut reconnect_at = None;
    while reconnect_at.is_none() {
        let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("events")
            .unwrap();
        match ev.kind {
            ConnectionEventKind::Disconnected { reason, .. } => {
                assert_eq!(reason, "max_connections");
                evicted_at = Some(ev.at);
            }
            ConnectionEventKind::BackingOff { delay, .. } => backoff = Some(delay),
            ConnectionEventKind::Connecting { .. } if evicted_at.is_some() => {
                reconnect_at = Some(ev.at)
            }
            _ => {}
        }
    }
    let waited = reconnect_at.unwrap().duration_since(evicted_at.unwrap());
    assert_eq!(backoff, Some(Duration::from_millis(700)));
    assert!(
        waited >= Duration::from_millis(690),
        "reconnected after {waited:?}"
    );
    assert_eq!(WorkerStats::get(&manager.stats()[0].max_connections), 1);
    assert!(sim.counters().evictions >= 1);
    manager.shutdown();
    drain.await.unwrap();
}

/// `slow_consumer` from the server: reconnect and resume the same subscriptions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_disconnect_reconnects_and_resumes() {
    init_tracing();
    let sim = start_sim(quiet()).await;
    let mut config = options_only(config_for(&sim));
    config.feeds.options_quotes.symbols = some_contracts(&sim, 3);
    let manager = ConnectionManager::new(&config);
    let drain = run_drained(&manager).await;
    assert!(
        sim.wait_until(Duration::from_secs(3), |c| c.channels_subscribed == 4)
            .await
    );
    sim.inject(FaultAction::SlowConsumer, Target::All);
    assert!(
        sim.wait_until(Duration::from_secs(3), |c| c.channels_subscribed == 8)
            .await
    );
    assert_eq!(WorkerStats::get(&manager.stats()[0].slow_consumer), 1);
    assert_eq!(sim.connections()[0].subscriptions.len(), 4);
    manager.shutdown();
    drain.await.unwrap();
}

/// A consumer that stops reading does not stop the socket being read: rows are dropped and
/// counted on our side, and the server never sees a slow consumer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_consumer_never_makes_us_a_slow_consumer() {
    init_tracing();
    let sim = start_sim(Rates {
        option_quotes: 0.0,
        option_trades: 0.0,
        stock_quotes: 50_000.0,
        stock_trades: 10_000.0,
    })
    .await;
    let mut config = config_for(&sim);
    config.feeds.options_trades.enabled = false;
    config.feeds.options_quotes.enabled = false;
    config.connection.queue_capacity = 8;
    let manager = ConnectionManager::new(&config);
    let stream = manager.run().await; // never polled
    tokio::time::sleep(Duration::from_secs(2)).await;
    sim.set_rates(Rates::zero()); // let the counters settle
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stocks = manager
        .workers()
        .iter()
        .position(|w| w.cluster() == ws_source::Cluster::Stocks)
        .unwrap();
    let stats = &manager.stats()[stocks];
    let received = WorkerStats::get(&stats.events);
    let enqueued = WorkerStats::get(&stats.enqueued);
    let dropped = WorkerStats::get(&stats.dropped_queue_full);
    assert!(received > 50_000, "received {received}");
    assert_eq!(
        received,
        enqueued + dropped,
        "every row queued or counted as dropped"
    );
    assert_eq!(
        WorkerStats::get(&stats.delivered),
        0,
        "the consumer took nothing"
    );
    assert!(dropped > 0);
    let c = sim.counters();
    assert_eq!(c.slow_consumer_disconnects, 0);
    assert_eq!(c.auth_success, 1, "never disconnected");
    drop(stream);
    manager.shutdown();
}

/// Parse errors are counted and logged; the connection and the following frames survive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_frame_is_counted_and_the_stream_goes_on() {
    init_tracing();
    let sim = start_sim(quiet()).await;
    let config = options_only(config_for(&sim));
    let manager = ConnectionManager::new(&config);
    let mut stream = manager.run().await;
    let collector = tokio::spawn(async move {
        let mut rows = 0usize;
        while let Some(b) = stream.next().await {
            rows += b.rows.len();
            for r in &b.rows {
                assert!(matches!(r, TradeOrNbbo::OptionTrade(_)));
            }
        }
        rows
    });
    assert!(
        sim.wait_until(Duration::from_secs(3), |c| c.auth_success == 1)
            .await
    );
    sim.inject(
        FaultAction::Malformed(massive_sim::Malformed::InvalidJson),
        Target::All,
    );
    sim.inject(
        FaultAction::Malformed(massive_sim::Malformed::BadEvent),
        Target::All,
    );
    let stats = manager.stats()[0].clone();
    assert!(
        eventually(Duration::from_secs(3), || WorkerStats::get(
            &stats.parse_errors
        ) == 2)
        .await
    );
    let before = WorkerStats::get(&stats.events);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        WorkerStats::get(&stats.events) > before,
        "events keep flowing"
    );
    assert_eq!(sim.counters().auth_success, 1, "same connection");
    manager.shutdown();
    assert!(collector.await.unwrap() > 0);
}
