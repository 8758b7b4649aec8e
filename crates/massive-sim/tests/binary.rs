//! The `massive-sim` binary: start it, talk to it, drive the console, quit.

mod common;

use common::{Client, Read};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Kills the child if the test fails half-way.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_and_obeys_the_console() {
    let child = Command::new(env!("CARGO_BIN_EXE_massive-sim"))
        .args([
            "--port",
            "0",
            "--underlyings",
            "40",
            "--key",
            "k1",
            "--stats-every",
            "0",
            "--auth-timeout",
            "2s",
        ])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = KillOnDrop(child);
    let child = &mut guard.0;
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("ws://"))
        .unwrap()
        .to_string();

    let mut c = Client::connect(&format!("{url}/options")).await;
    assert_eq!(c.status().await.0, "connected");
    c.send(json!({"action":"auth","params":"k1"})).await;
    assert_eq!(c.status().await.0, "auth_success");
    c.subscribe("T.*").await;
    assert_eq!(c.status().await.0, "success");

    writeln!(stdin, "force-disconnect options").unwrap();
    let (st, end) = c.until_closed().await;
    assert_eq!(st.last().unwrap().0, "force_disconnect");
    assert!(matches!(end, Read::Closed));
    let mut out = String::new();
    stdout.read_line(&mut out).unwrap();
    assert!(out.contains("ForceDisconnect -> 1"), "{out}");

    writeln!(stdin, "quit").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "did not quit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
