//! Conformance: every protocol path of the simulator, driven by a plain WebSocket client.

mod common;

use common::{Client, Read, WAIT, start};
use massive_sim::protocol::MAX_CONNECTIONS_MESSAGE;
use massive_sim::{Cluster, DEMO_KEY, Rates, SimConfig};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn quiet() -> SimConfig {
    SimConfig::for_tests().with_rates(Rates::zero())
}

#[tokio::test]
async fn connected_then_auth_success() {
    let sim = start(quiet()).await;
    let _c = Client::authed(&sim, "stocks").await;
    let n = sim.counters();
    assert_eq!(n.auth_success, 1);
    assert_eq!(n.open, [1, 0]);
    let conns = sim.connections();
    assert_eq!(conns.len(), 1);
    assert!(conns[0].authenticated);
    assert_eq!(conns[0].cluster, Cluster::Stocks);
}

#[tokio::test]
async fn bad_key_gets_auth_failed_and_close() {
    let sim = start(quiet()).await;
    let mut c = Client::connect(&sim.url("options")).await;
    assert_eq!(c.status().await.0, "connected");
    c.send(json!({"action":"auth","params":"wrong"})).await;
    let (st, end) = c.until_closed().await;
    assert_eq!(st, [("auth_failed".into(), "authentication failed".into())]);
    assert!(matches!(end, Read::Closed), "{end:?}");
    assert_eq!(sim.counters().auth_failed, 1);
}

#[tokio::test]
async fn no_auth_gets_auth_timeout_and_close() {
    let sim = start(quiet()).await; // auth timeout 200 ms
    let mut c = Client::connect(&sim.url("stocks")).await;
    assert_eq!(c.status().await.0, "connected");
    let (st, end) = c.until_closed().await;
    assert_eq!(st[0].0, "auth_timeout");
    assert!(matches!(end, Read::Closed), "{end:?}");
    assert_eq!(sim.counters().auth_timeouts, 1);
}

#[tokio::test]
async fn subscribe_before_auth_gets_auth_required() {
    let sim = start(quiet()).await;
    let mut c = Client::connect(&sim.url("stocks")).await;
    c.status().await;
    c.subscribe("T.AAPL").await;
    assert_eq!(
        c.status().await,
        ("auth_required".into(), "authentication required".into())
    );
    c.unsubscribe("T.AAPL").await;
    assert_eq!(c.status().await.0, "auth_required");
    assert_eq!(sim.counters().auth_required, 2);
    assert!(sim.connections()[0].subscriptions.is_empty());
}

#[tokio::test]
async fn unknown_path_is_rejected_and_unknown_commands_get_errors() {
    let sim = start(quiet()).await;
    assert!(
        tokio_tungstenite::connect_async(sim.url("crypto"))
            .await
            .is_err()
    );
    let mut c = Client::authed(&sim, "stocks").await;
    c.ws.send_text("not json").await;
    assert_eq!(c.status().await, ("error".into(), "invalid message".into()));
    c.send(json!({"action":"dance","params":""})).await;
    assert_eq!(
        c.status().await,
        ("error".into(), "unknown action: dance".into())
    );
    c.send(json!({"action":"auth","params":DEMO_KEY})).await;
    assert_eq!(
        c.status().await,
        ("error".into(), "already authenticated".into())
    );
    assert_eq!(sim.counters().handshakes_rejected, 1);
}

trait SendText {
    async fn send_text(&mut self, t: &str);
}

impl SendText
    for tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
{
    async fn send_text(&mut self, t: &str) {
        use futures_util::SinkExt;
        self.send(Message::text(t)).await.unwrap();
    }
}

#[tokio::test]
async fn stock_subscribe_acks_then_data_with_the_real_schema() {
    let sim = start(SimConfig::for_tests().with_rates(Rates {
        stock_quotes: 20_000.0,
        stock_trades: 5_000.0,
        ..Rates::zero()
    }))
    .await;
    let mut c = Client::authed(&sim, "stocks").await;
    c.subscribe("T.*, Q.*,T.AAPL").await;
    assert_eq!(
        c.statuses(3).await,
        [
            ("success".into(), "subscribed to: T.*".into()),
            ("success".into(), "subscribed to: Q.*".into()),
            ("success".into(), "subscribed to: T.AAPL".into()),
        ]
    );
    let (mut t, mut q) = (0, 0);
    let mut multi = false;
    while t < 20 || q < 20 {
        let f = c.frame().await;
        multi |= f.len() > 1;
        for e in f {
            match e["ev"].as_str().unwrap() {
                "T" => {
                    t += 1;
                    assert!(e["sym"].is_string() && !e["sym"].as_str().unwrap().starts_with("O:"));
                    assert!(e["x"].is_u64() && e["i"].is_string() && e["z"].is_u64());
                    assert!(e["p"].as_f64().unwrap() > 0.0 && e["s"].is_u64());
                    let ts = e["t"].as_i64().unwrap();
                    assert!(ts > 1_600_000_000_000 && ts < 4_000_000_000_000, "ms: {ts}");
                    assert!(e["q"].is_u64());
                }
                "Q" => {
                    q += 1;
                    let (bp, ap) = (e["bp"].as_f64().unwrap(), e["ap"].as_f64().unwrap());
                    assert!(bp > 0.0 && bp <= ap);
                    assert!(e["bx"].is_u64() && e["ax"].is_u64() && e["bs"].is_u64());
                    assert!(e["as"].is_u64() && e["c"].is_u64() && e["z"].is_u64());
                }
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert!(multi, "frames carry several events");
    let n = sim.counters();
    assert_eq!(n.subscribe_commands, 1);
    assert_eq!(n.channels_subscribed, 3);
    assert!(n.events_sent >= 40 && n.frames_sent >= 1);
    let subs = &sim.connections()[0].subscriptions;
    assert_eq!(subs, &["Q.*", "T.*", "T.AAPL"]);
}

#[tokio::test]
async fn unsubscribe_acks_and_the_log_keeps_every_command() {
    let sim = start(quiet()).await;
    let mut c = Client::authed(&sim, "options").await;
    c.subscribe("T.O:SPY251219C00650000,Q.O:SPY251219C00650000")
        .await;
    c.statuses(2).await;
    c.unsubscribe("Q.O:SPY251219C00650000,T.NOTSUBBED").await;
    assert_eq!(
        c.statuses(2).await,
        [
            (
                "success".into(),
                "unsubscribed to: Q.O:SPY251219C00650000".into()
            ),
            ("success".into(), "unsubscribed to: T.NOTSUBBED".into()),
        ]
    );
    assert_eq!(
        sim.connections()[0].subscriptions,
        ["T.O:SPY251219C00650000"]
    );
    let log = sim.command_log();
    let actions: Vec<_> = log.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["auth", "subscribe", "unsubscribe"]);
    assert_eq!(log[0].params, "<redacted>");
    assert_eq!(log[2].params, "Q.O:SPY251219C00650000,T.NOTSUBBED");
    assert_eq!(sim.counters().unsubscribe_commands, 1);
}

#[tokio::test]
async fn options_trade_wildcard_ok_quote_wildcard_rejected() {
    let sim = start(quiet()).await;
    let mut c = Client::authed(&sim, "options").await;
    c.subscribe("T.*,Q.*,bogus").await;
    assert_eq!(
        c.statuses(3).await,
        [
            ("success".into(), "subscribed to: T.*".into()),
            (
                "error".into(),
                "wildcard subscriptions are not allowed for options quotes: Q.*".into()
            ),
            ("error".into(), "invalid subscription: bogus".into()),
        ]
    );
    assert_eq!(sim.counters().subscribe_errors, 2);
}

#[tokio::test]
async fn options_quote_limit_rejects_each_channel_past_the_limit() {
    let mut cfg = quiet();
    cfg.options_quote_limit = 3;
    let sim = start(cfg).await;
    let mut c = Client::authed(&sim, "options").await;
    let syms: Vec<String> = (1..=5)
        .map(|i| format!("Q.O:SPY251219C00{i}00000"))
        .collect();
    c.subscribe(&syms[..2].join(",")).await;
    c.statuses(2).await;
    // Re-subscribing an existing channel does not count twice.
    c.subscribe(&format!("{},{}", syms[0], syms[2..].join(",")))
        .await;
    let st = c.statuses(4).await;
    assert_eq!(st[0].0, "success");
    assert_eq!(
        st[1],
        ("success".into(), format!("subscribed to: {}", syms[2]))
    );
    assert_eq!(
        st[2],
        (
            "error".into(),
            format!("subscription limit exceeded: {}", syms[3])
        )
    );
    assert_eq!(
        st[3],
        (
            "error".into(),
            format!("subscription limit exceeded: {}", syms[4])
        )
    );
    // Trades are not limited.
    c.subscribe("T.O:SPY251219C00400000").await;
    assert_eq!(c.status().await.0, "success");
    // Freeing a slot allows one more.
    c.unsubscribe(&syms[0]).await;
    c.status().await;
    c.subscribe(&syms[3]).await;
    assert_eq!(c.status().await.0, "success");
}

#[tokio::test]
async fn newer_connection_evicts_the_older_with_max_connections() {
    let sim = start(quiet()).await;
    let mut old = Client::authed(&sim, "options").await;
    let _stocks = Client::authed(&sim, "stocks").await; // other cluster: no eviction
    let _new = Client::authed(&sim, "options").await;
    let (st, end) = old.until_closed().await;
    assert_eq!(
        st,
        [("max_connections".into(), MAX_CONNECTIONS_MESSAGE.into())]
    );
    assert!(matches!(end, Read::Closed), "{end:?}");
    assert!(sim.wait_until(WAIT, |c| c.open == [1, 1]).await);
    let n = sim.counters();
    assert_eq!(n.evictions, 1);
    assert_eq!(n.max_concurrent_per_key, [1, 2]);
}

#[tokio::test]
async fn ping_is_answered_with_pong() {
    let sim = start(quiet()).await;
    let mut c = Client::authed(&sim, "stocks").await;
    use futures_util::SinkExt;
    c.ws.send(Message::Ping(b"hi".to_vec().into()))
        .await
        .unwrap();
    loop {
        match c.read_for(WAIT).await {
            Read::Pong => break,
            Read::Frame(_) => {}
            other => panic!("expected pong, got {other:?}"),
        }
    }
    assert_eq!(sim.counters().pings_received, 1);
}

#[tokio::test]
async fn sent_ground_truth_matches_what_the_client_received() {
    let sim = start(SimConfig::for_tests().with_rates(Rates {
        option_trades: 5_000.0,
        option_quotes: 20_000.0,
        ..Rates::zero()
    }))
    .await;
    let mut c = Client::authed(&sim, "options").await;
    // Subscribe the most active contracts' quotes by asking the oracle, plus all trades.
    let top: Vec<String> = sim.with_market(|m| {
        let mut q = m.option_quote_intensities();
        q.sort_by(|a, b| b.1.total_cmp(&a.1));
        q.iter()
            .take(50)
            .map(|(id, _)| format!("Q.{}", m.symbol(*id)))
            .collect()
    });
    c.subscribe(&format!("T.*,{}", top.join(","))).await;
    let mut got: Vec<(String, u64)> = Vec::new();
    let mut acks = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(400);
    let mut unsubscribed = false;
    loop {
        if !unsubscribed && tokio::time::Instant::now() > deadline {
            c.unsubscribe(&format!("T.*,{}", top.join(","))).await;
            unsubscribed = true;
        }
        match c.read_for(Duration::from_millis(300)).await {
            Read::Frame(f) => {
                for e in f {
                    if e["ev"] == "status" {
                        acks += 1;
                    } else {
                        got.push((e["sym"].as_str().unwrap().into(), e["q"].as_u64().unwrap()));
                    }
                }
            }
            Read::Timeout if unsubscribed => break,
            Read::Timeout => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(acks, 2 * 51);
    assert!(got.len() > 500, "{}", got.len());
    let id = sim.connections()[0].id;
    let truth = sim.sent(id);
    assert_eq!(
        truth.events, got,
        "nothing lost, nothing duplicated, same order"
    );
    let mut last: HashMap<&str, u64> = HashMap::new();
    for (s, q) in &got {
        assert!(
            *q > last.insert(s, *q).unwrap_or(0),
            "q increases per symbol"
        );
    }
    assert!(got.iter().any(|(s, _)| top.contains(&format!("Q.{s}"))));
}

#[tokio::test]
async fn frames_respect_events_per_frame() {
    let mut cfg = SimConfig::for_tests().with_rates(Rates {
        stock_quotes: 20_000.0,
        ..Rates::zero()
    });
    cfg.events_per_frame = 7;
    let sim = start(cfg).await;
    let mut c = Client::authed(&sim, "stocks").await;
    c.subscribe("Q.*").await;
    c.status().await;
    let mut full = 0;
    for _ in 0..30 {
        let f = c.frame().await;
        assert!(f.len() <= 7, "{}", f.len());
        full += usize::from(f.len() == 7);
    }
    assert!(full > 0);
}

#[tokio::test]
async fn unentitled_cluster_answers_not_authorized() {
    let mut cfg = quiet();
    cfg.entitled = vec![Cluster::Stocks];
    let sim = start(cfg).await;
    let mut c = Client::authed(&sim, "options").await;
    c.subscribe("T.*,T.O:SPY251219C00650000").await;
    assert_eq!(
        c.statuses(2).await,
        [
            ("error".into(), "not authorized".into()),
            ("error".into(), "not authorized".into())
        ]
    );
    assert!(sim.connections()[0].subscriptions.is_empty());
}

#[tokio::test]
async fn delayed_path_serves_the_same_market_15_minutes_late() {
    let sim = start(SimConfig::for_tests().with_rates(Rates {
        stock_trades: 2_000.0,
        ..Rates::zero()
    }))
    .await;
    let mut c = Client::authed(&sim, "delayed/stocks").await;
    c.subscribe("T.*").await;
    c.status().await;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let f = c.frame().await;
    let t = f[0]["t"].as_i64().unwrap();
    let lag = now_ms - t;
    assert!((14 * 60_000..16 * 60_000).contains(&lag), "lag {lag} ms");
}

#[tokio::test]
async fn subscriptions_to_contracts_listed_later_start_flowing_once_listed() {
    use massive_sim::{Feeds, Market, MarketConfig};
    let mut cfg = SimConfig::for_tests().with_rates(Rates {
        option_quotes: 20_000.0,
        ..Rates::zero()
    });
    cfg.fixed_clock = true;
    cfg.market = MarketConfig {
        listing_interval: Some(Duration::from_secs(2)),
        burst_rate_per_s: 0.0,
        rates: cfg.market.rates,
        ..MarketConfig::small()
    };
    // The market is deterministic: a twin tells which contracts the server will list.
    let mut twin = Market::new(cfg.market.clone(), cfg.seed);
    let before = twin.contracts().len();
    twin.advance_feeds(Duration::from_millis(2100), Feeds::NONE);
    let n_stocks = twin.n_stocks() as u32;
    let newest = (before..twin.contracts().len())
        .map(|i| massive_sim::InstrumentId(n_stocks + i as u32))
        .max_by(|a, b| {
            let (x, y) = (twin.intensity_of(*a).quotes, twin.intensity_of(*b).quotes);
            x.total_cmp(&y)
        })
        .unwrap();
    let symbol = twin.symbol(newest).to_string();

    let sim = start(cfg).await;
    let mut c = Client::authed(&sim, "options").await;
    let listed_at_subscribe = sim.with_market(|m| m.lookup(&symbol).is_some());
    c.subscribe(&format!("Q.{symbol}")).await;
    assert_eq!(c.status().await.0, "success");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    'outer: loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no quote for {symbol}"
        );
        for e in c.frame().await {
            if e["sym"] == symbol.as_str() {
                break 'outer;
            }
        }
    }
    if listed_at_subscribe {
        // Only on a badly overloaded machine: the pending path was not exercised this time.
        eprintln!("warning: {symbol} was already listed when subscribed");
    }
}

/// Event timestamps are "now", as on the real service: the market clock does not trail the wall
/// clock by the time it took to build the universe (the full ~223,000-contract one here).
#[tokio::test]
async fn market_clock_tracks_the_wall_clock_from_the_start() {
    let sim = start(SimConfig::default().with_rates(Rates::zero())).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The best of a few samples: a generator thread descheduled on a busy machine lags for a
    // moment, a late start lags for good.
    let mut behind_ms = f64::INFINITY;
    for _ in 0..5 {
        let wall_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        let market_ns = sim.with_market(|m| m.now_ns());
        let b = (wall_ns - market_ns) as f64 / 1e6;
        if b.abs() < behind_ms.abs() {
            behind_ms = b;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The generator advances the market every millisecond; before the catch-up at start the
    // clock trailed by the universe's build time (~80 ms in release builds) for the whole run.
    assert!(
        behind_ms.abs() < 30.0,
        "market clock is {behind_ms:.1} ms behind the wall clock"
    );
}
