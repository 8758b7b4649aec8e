//! Conformance: every fault, observable by the client and in the counters.

mod common;

use common::{Client, Read, WAIT, start};
use massive_sim::protocol::{FORCE_DISCONNECT_MESSAGE, SLOW_CONSUMER_MESSAGE};
use massive_sim::{Cluster, DEMO_KEY, Fault, FaultAction, Malformed, Rates, SimConfig, Target};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn quiet() -> SimConfig {
    SimConfig::for_tests().with_rates(Rates::zero())
}

fn flowing() -> SimConfig {
    SimConfig::for_tests().with_rates(Rates {
        stock_trades: 5_000.0,
        ..Rates::zero()
    })
}

/// Reads whatever is in flight until the line is quiet for 100 ms.
async fn drain(c: &mut Client) {
    while let Read::Frame(_) | Read::Text(_) = c.read_for(Duration::from_millis(100)).await {}
}

#[tokio::test]
async fn close_after_policy_closes_each_connection() {
    let sim = start(quiet().with_fault(Fault::CloseAfter(Duration::from_millis(150)))).await;
    let mut c = Client::authed(&sim, "stocks").await;
    let (_, end) = c.until_closed().await;
    assert!(matches!(end, Read::Closed), "{end:?}");
    assert_eq!(sim.counters().fault_closes, 1);
}

#[tokio::test]
async fn one_shot_fault_applies_to_the_next_connection_only() {
    let sim = start(quiet()).await;
    sim.add_fault_once(Fault::CloseAfter(Duration::from_millis(100)));
    let mut first = Client::authed(&sim, "options").await;
    let (_, end) = first.until_closed().await;
    assert!(matches!(end, Read::Closed), "{end:?}");
    let mut second = Client::authed(&sim, "options").await;
    assert!(matches!(
        second.read_for(Duration::from_millis(300)).await,
        Read::Timeout
    ));
    assert_eq!(sim.counters().fault_closes, 1);
}

#[tokio::test]
async fn close_now_targets_one_connection() {
    let sim = start(quiet()).await;
    let mut a = Client::authed(&sim, "stocks").await;
    let _b = Client::authed(&sim, "options").await;
    assert_eq!(
        sim.inject(FaultAction::Close, Target::Cluster(Cluster::Stocks)),
        1
    );
    let (_, end) = a.until_closed().await;
    assert!(matches!(end, Read::Closed), "{end:?}");
    assert!(sim.wait_until(WAIT, |c| c.open == [0, 1]).await);
    assert_eq!(sim.inject(FaultAction::Close, Target::Conn(999)), 0);
}

#[tokio::test]
async fn reset_sends_a_tcp_rst() {
    let sim = start(flowing()).await;
    let mut c = Client::authed(&sim, "stocks").await;
    c.subscribe("T.*").await;
    c.status().await;
    assert_eq!(sim.inject(FaultAction::Reset, Target::All), 1);
    let (_, end) = c.until_closed().await;
    match end {
        Read::Error(e) => assert!(
            e.contains("reset by peer") || e.contains("os error 104"),
            "expected ECONNRESET, got {e}"
        ),
        other => panic!("expected a reset, got {other:?}"),
    }
    assert_eq!(sim.counters().fault_resets, 1);
}

#[tokio::test]
async fn stall_stops_data_and_pongs_but_keeps_the_connection_open() {
    let sim = start(flowing()).await;
    let mut c = Client::authed(&sim, "stocks").await;
    c.subscribe("T.*").await;
    c.status().await;
    c.frame().await; // data flows
    sim.inject(FaultAction::Stall, Target::All);
    tokio::time::sleep(Duration::from_millis(50)).await;
    drain(&mut c).await;
    use futures_util::SinkExt;
    c.ws.send(Message::Ping(b"x".to_vec().into()))
        .await
        .unwrap();
    assert!(matches!(
        c.read_for(Duration::from_millis(300)).await,
        Read::Timeout
    ));
    let conns = sim.connections();
    assert_eq!(conns.len(), 1);
    assert!(conns[0].stalled);
    let n = sim.counters();
    assert_eq!(n.fault_stalls, 1);
    assert!(n.events_dropped_stalled > 0);
    sim.inject(FaultAction::Unstall, Target::All);
    // The queued ping is answered and data flows again.
    let mut pong = false;
    let mut data = false;
    while !(pong && data) {
        match c.read_for(WAIT).await {
            Read::Pong => pong = true,
            Read::Frame(_) => data = true,
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn stall_after_policy() {
    let sim = start(flowing().with_fault(Fault::StallAfter(Duration::from_millis(100)))).await;
    let mut c = Client::authed(&sim, "stocks").await;
    c.subscribe("T.*").await;
    assert!(sim.wait_until(WAIT, |n| n.fault_stalls == 1).await);
    tokio::time::sleep(Duration::from_millis(50)).await;
    drain(&mut c).await;
    assert!(matches!(
        c.read_for(Duration::from_millis(200)).await,
        Read::Timeout
    ));
    assert_eq!(sim.counters().open, [1, 0]);
}

#[tokio::test]
async fn slow_consumer_is_really_detected_and_disconnected() {
    let mut cfg = SimConfig::for_tests().with_rates(Rates {
        stock_quotes: 60_000.0,
        stock_trades: 20_000.0,
        ..Rates::zero()
    });
    cfg.send_buffer_bytes = 64 << 10;
    cfg.record_sent = false;
    let sim = start(cfg).await;
    let mut c = Client::authed(&sim, "stocks").await;
    c.subscribe("T.*,Q.*").await;
    // Stop reading: kernel buffers fill, then the server's per-connection bound trips.
    let tripped = sim
        .wait_until(Duration::from_secs(20), |n| {
            n.slow_consumer_disconnects == 1
        })
        .await;
    sim.set_rates(Rates::zero());
    assert!(tripped, "{:?}", sim.counters());
    let n = sim.counters();
    assert_eq!(n.send_buffer_overflows, 1);
    assert!(sim.wait_until(WAIT, |n| n.open == [0, 0]).await);
    let (_, end) = c.until_closed().await;
    assert!(!matches!(end, Read::Timeout));
}

#[tokio::test]
async fn forced_slow_consumer_status_then_close() {
    let sim = start(quiet()).await;
    let mut c = Client::authed(&sim, "options").await;
    sim.inject(FaultAction::SlowConsumer, Target::All);
    let (st, end) = c.until_closed().await;
    assert_eq!(st, [("slow_consumer".into(), SLOW_CONSUMER_MESSAGE.into())]);
    assert!(matches!(end, Read::Closed));
    assert_eq!(sim.counters().slow_consumer_disconnects, 1);
}

#[tokio::test]
async fn force_disconnect_status_then_close() {
    let sim = start(quiet()).await;
    let mut c = Client::authed(&sim, "options").await;
    sim.inject(FaultAction::ForceDisconnect, Target::All);
    let (st, end) = c.until_closed().await;
    assert_eq!(
        st,
        [("force_disconnect".into(), FORCE_DISCONNECT_MESSAGE.into())]
    );
    assert!(matches!(end, Read::Closed));
    assert_eq!(sim.counters().fault_force_disconnects, 1);
}

#[tokio::test]
async fn malformed_frames_keep_the_connection_open() {
    let sim = start(quiet()).await;
    let mut c = Client::authed(&sim, "stocks").await;
    sim.inject(FaultAction::Malformed(Malformed::InvalidJson), Target::All);
    match c.read_for(WAIT).await {
        Read::Text(t) => assert!(serde_json::from_str::<serde_json::Value>(&t).is_err()),
        other => panic!("{other:?}"),
    }
    sim.inject(FaultAction::Malformed(Malformed::BadEvent), Target::All);
    let f = c.frame().await;
    assert!(f[0]["p"].as_f64().unwrap() < 0.0);
    c.subscribe("T.AAPL").await;
    assert_eq!(c.status().await.0, "success");
    assert_eq!(sim.counters().fault_malformed_frames, 2);
}

#[tokio::test]
async fn reject_auth_fails_every_key() {
    let sim = start(quiet().with_fault(Fault::RejectAuth)).await;
    let mut c = Client::connect(&sim.url("stocks")).await;
    c.status().await;
    c.send(json!({"action":"auth","params":DEMO_KEY})).await;
    let (st, end) = c.until_closed().await;
    assert_eq!(st[0].0, "auth_failed");
    assert!(matches!(end, Read::Closed));
    let n = sim.counters();
    assert_eq!((n.auth_failed, n.fault_auth_rejections), (1, 1));
    sim.clear_faults();
    let _ok = Client::authed(&sim, "stocks").await;
}

#[tokio::test]
async fn restart_drops_everything_and_listens_on_the_same_port() {
    let sim = start(quiet()).await;
    let addr = sim.addr();
    let mut a = Client::authed(&sim, "stocks").await;
    let mut b = Client::authed(&sim, "options").await;
    sim.restart().await.unwrap();
    for c in [&mut a, &mut b] {
        let (_, end) = c.until_closed().await;
        assert!(!matches!(end, Read::Timeout));
    }
    assert_eq!(sim.addr(), addr);
    let _again = Client::authed(&sim, "stocks").await;
    let n = sim.counters();
    assert_eq!((n.restarts, n.connections_accepted, n.open), (1, 3, [1, 0]));
}

#[tokio::test]
async fn downtime_refuses_connections() {
    let sim = start(quiet()).await;
    let url = sim.url("stocks");
    sim.go_down().await;
    assert!(tokio_tungstenite::connect_async(&url).await.is_err());
    sim.go_up().await.unwrap();
    let _c = Client::authed(&sim, "stocks").await;
    sim.shutdown().await;
    assert!(tokio_tungstenite::connect_async(&url).await.is_err());
}

#[tokio::test]
async fn terminal_faults_reach_a_connection_blocked_on_a_client_that_does_not_read() {
    let mut cfg = SimConfig::for_tests().with_rates(Rates {
        stock_quotes: 60_000.0,
        ..Rates::zero()
    });
    cfg.record_sent = false;
    let sim = start(cfg).await;
    let c = Client::authed(&sim, "stocks").await;
    let mut c = c;
    c.subscribe("Q.*").await;
    // Do not read: wait until the server has a backlog for this connection.
    let backlog = async {
        loop {
            if sim.connections().iter().any(|x| x.queued_bytes > 512 << 10) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let blocked = tokio::time::timeout(Duration::from_secs(20), backlog)
        .await
        .is_ok();
    sim.inject(FaultAction::Reset, Target::All);
    let gone = sim.wait_until(WAIT, |n| n.open == [0, 0]).await;
    sim.set_rates(Rates::zero());
    assert!(blocked && gone, "{:?}", sim.counters());
    assert_eq!(sim.counters().fault_resets, 1);
}
