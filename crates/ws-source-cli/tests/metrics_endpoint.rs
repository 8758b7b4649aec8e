//! `ws-source demo` serves the named Prometheus metrics.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn scrape(addr: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

#[test]
fn demo_serves_the_named_metrics() {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-source"))
        .args([
            "demo",
            "--duration",
            "6",
            "--rate",
            "20000",
            "--rebalance-interval-s",
            "1",
            "--metrics-addr",
            &addr,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ws-source starts");
    // Wait for data to flow and a rebalance to happen, then scrape.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut body = String::new();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        if let Some(b) = scrape(&addr)
            && b.contains("ws_source_events_delivered_total")
            && b.contains("ws_source_scheduled_subs_active")
        {
            body = b;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for name in [
        "ws_source_subs_active",
        "ws_source_scheduled_subs_active",
        "ws_source_evictions_total",
        "ws_source_reconnects_total",
        "ws_source_events_received_total",
        "ws_source_events_delivered_total",
        "ws_source_events_dropped_total",
        "ws_source_parse_errors_total",
        "ws_source_queue_depth",
        "ws_source_staleness_seconds",
        "ws_source_connected",
    ] {
        assert!(body.contains(name), "{name} missing from:\n{body}");
    }
    assert!(
        !body.contains(massive_sim::DEMO_KEY),
        "the API key never appears in metrics"
    );
}
