//! Throughput of the simulator (not a unit test: run it and read the figures).
//!
//! `cargo bench -p massive-sim --bench throughput` prints:
//! 1. market generation + JSON encoding in virtual time (one core, no sockets);
//! 2. one simulated hour of option trades for a scheduler evaluation (trades only + oracle);
//! 3. end to end: the server generating, encoding and sending to a real WebSocket client on
//!    loopback that counts every event (the client runs in this process on another thread).

use futures_util::{SinkExt, StreamExt};
use massive_sim::{DEMO_KEY, Feeds, Market, MarketConfig, Rates, SimConfig, SimServer};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

fn virtual_time() {
    let cfg = MarketConfig {
        rates: Rates::with_total(1_000_000.0),
        ..MarketConfig::default()
    };
    let t0 = Instant::now();
    let mut m = Market::new(cfg, 1);
    let build = t0.elapsed();
    let mut buf = Vec::with_capacity(1 << 20);
    let mut n = 0u64;
    let mut bytes = 0usize;
    let t0 = Instant::now();
    for _ in 0..5_000 {
        m.advance_with(Duration::from_millis(1), Feeds::ALL, |ev, sym| {
            massive_sim::wire::write_event(&mut buf, ev, sym);
            buf.push(b',');
            n += 1;
        });
        bytes += buf.len();
        buf.clear();
    }
    let el = t0.elapsed().as_secs_f64();
    println!(
        "virtual time: universe of {} contracts built in {:.0} ms; generated+encoded {} events in {:.2} s = {:.0} events/s ({:.0} MB/s JSON, {:.1}x real time at 1M events/s)",
        m.contracts().len(),
        build.as_secs_f64() * 1e3,
        n,
        el,
        n as f64 / el,
        bytes as f64 / el / 1e6,
        5.0 / el
    );
}

fn evaluation_hour() {
    let cfg = MarketConfig {
        rates: Rates::option_trades_only(2_000.0),
        ..MarketConfig::drifting()
    };
    let mut m = Market::new(cfg, 7);
    let t0 = Instant::now();
    let mut n = 0usize;
    for _minute in 0..60 {
        n += m
            .advance_feeds(Duration::from_secs(60), Feeds::OPTION_TRADES)
            .len();
        let _oracle = m.option_trade_intensities();
    }
    println!(
        "evaluation: 1 simulated hour of option trades ({n} trades at 2,000/s, drifting market, oracle read every minute) in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
}

async fn client(url: String, subscribe: &'static str, secs: f64) -> u64 {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::text(format!(
        r#"{{"action":"auth","params":"{DEMO_KEY}"}}"#
    )))
    .await
    .unwrap();
    ws.send(Message::text(format!(
        r#"{{"action":"subscribe","params":"{subscribe}"}}"#
    )))
    .await
    .unwrap();
    let mut events = 0u64;
    let warm = Instant::now() + Duration::from_millis(500);
    let mut start = None;
    while let Some(Ok(msg)) = ws.next().await {
        if let Message::Text(t) = msg {
            let now = Instant::now();
            if now < warm {
                continue;
            }
            let s = *start.get_or_insert(now);
            events += t.as_str().matches("\"ev\":\"").count() as u64;
            if (now - s).as_secs_f64() >= secs {
                return (events as f64 / (now - s).as_secs_f64()) as u64;
            }
        }
    }
    0
}

fn end_to_end(total: f64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Everything offered is subscribed: stocks T.* + Q.*, options T.*.
        let rates = Rates {
            stock_quotes: total * 0.8,
            stock_trades: total * 0.1,
            option_trades: total * 0.1,
            option_quotes: 0.0,
        };
        let cfg = SimConfig {
            market: MarketConfig {
                rates,
                ..MarketConfig::default()
            },
            send_buffer_bytes: 256 << 20,
            ..SimConfig::default()
        };
        let sim = SimServer::start(cfg).await.unwrap();
        let c0 = sim.counters();
        let t0 = Instant::now();
        let (s, o) = tokio::join!(
            client(sim.url("stocks"), "T.*,Q.*", 5.0),
            client(sim.url("options"), "T.*", 5.0)
        );
        let c1 = sim.counters();
        let el = t0.elapsed().as_secs_f64();
        println!(
            "end to end @ {:.0} offered events/s: client received {} events/s (stocks {s} + options {o}); server sent {:.0} events/s, {:.0} frames/s, {:.1} MB/s; slow consumers {}",
            total,
            s + o,
            (c1.events_sent - c0.events_sent) as f64 / el,
            (c1.frames_sent - c0.frames_sent) as f64 / el,
            (c1.bytes_sent - c0.bytes_sent) as f64 / el / 1e6,
            c1.slow_consumer_disconnects
        );
        sim.shutdown().await;
    });
}

fn main() {
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let want = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if want("virtual") {
        virtual_time();
    }
    if want("evaluation") {
        evaluation_hour();
    }
    if want("end_to_end") {
        end_to_end(100_000.0);
        end_to_end(1_000_000.0);
    }
}
