//! Parses a 100-event option-quote frame in a loop and prints events/s. A profiling aid:
//! `cargo run --release -p ws-source --example parse_loop [iterations]`.
//! For timing claims use the criterion bench (`cargo bench -p ws-source --bench parse`).

use std::time::Instant;

use ws_source::{FrameContext, parse_frame};

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let t0: i64 = 1_732_546_800_123;
    let events: Vec<String> = (0..100)
        .map(|i| {
            format!(
                r#"{{"ev":"Q","sym":"O:SPY251219C{:08}","bx":{},"ax":{},"bp":{:.2},"ap":{:.2},"bs":{},"as":{},"t":{},"q":{}}}"#,
                400_000 + (i % 40) * 5_000,
                300 + i % 20,
                301 + i % 20,
                1.0 + (i % 97) as f64 * 0.05,
                1.05 + (i % 97) as f64 * 0.05,
                1 + i % 50,
                2 + i % 70,
                t0 + i as i64,
                1_000_000 + i
            )
        })
        .collect();
    let frame = format!("[{}]", events.join(","));
    let ctx = FrameContext::at((t0 + 1_000) * 1_000_000);
    let start = Instant::now();
    let mut rows = 0usize;
    for _ in 0..iterations {
        match parse_frame(frame.as_bytes(), &ctx) {
            Ok(parsed) => rows += parsed.row_count(),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{rows} events in {secs:.3} s: {:.2} M events/s ({} bytes/frame)",
        rows as f64 / secs / 1e6,
        frame.len()
    );
}
