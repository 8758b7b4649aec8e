//! Parse throughput on realistic frames of 1, 10 and 100 events.
//!
//! `cargo bench -p ws-source --bench parse`
//!
//! Frames mimic what Massive sends: option quotes (the bulk of the options feed), option trades
//! with conditions, equity quotes with indicators and equity trades with trade ids, several
//! events per frame. Throughput is reported in events (criterion "elements") per second.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ws_source::FrameContext;
use ws_source::parse::{parse_frame, parse_frame_reference};

const T0: i64 = 1_732_546_800_123;

fn option_quote(i: usize) -> String {
    let strike = 400_000 + (i % 40) * 5_000;
    let bp = 1.0 + (i % 97) as f64 * 0.05;
    format!(
        r#"{{"ev":"Q","sym":"O:SPY251219{}{strike:08}","bx":{},"ax":{},"bp":{bp:.2},"ap":{:.2},"bs":{},"as":{},"t":{},"q":{}}}"#,
        if i % 2 == 0 { 'C' } else { 'P' },
        300 + i % 20,
        300 + (i * 7) % 20,
        bp + 0.05,
        1 + i % 50,
        2 + i % 70,
        T0 + i as i64,
        1_000_000 + i
    )
}

fn option_trade(i: usize) -> String {
    format!(
        r#"{{"ev":"T","sym":"O:TSLA250117C00{:03}000","x":{},"p":{:.2},"s":{},"c":[{}],"t":{},"q":{}}}"#,
        300 + i % 100,
        60 + i % 10,
        3.0 + (i % 13) as f64 * 0.1,
        1 + i % 25,
        209 + i % 20,
        T0 + i as i64,
        500 + i
    )
}

fn equity_quote(i: usize) -> String {
    let bp = 229.0 + (i % 50) as f64 * 0.01;
    format!(
        r#"{{"ev":"Q","sym":"{}","bx":{},"ax":{},"bp":{bp:.2},"ap":{:.2},"bs":{},"as":{},"c":1,"i":[604],"t":{},"q":{},"z":3}}"#,
        ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN"][i % 5],
        i % 20,
        (i * 3) % 20,
        bp + 0.02,
        1 + i % 9,
        1 + i % 11,
        T0 + i as i64,
        80_000_000 + i
    )
}

fn equity_trade(i: usize) -> String {
    format!(
        r#"{{"ev":"T","sym":"{}","x":{},"i":"{}","z":3,"p":{:.2},"s":{},"c":[12,37],"t":{},"q":{}}}"#,
        ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN"][i % 5],
        i % 20,
        52_983_525_034_825u64 + i as u64,
        229.0 + (i % 50) as f64 * 0.01,
        1 + i % 300,
        T0 + i as i64,
        90_000_000 + i
    )
}

fn frame(n: usize, event: fn(usize) -> String) -> Vec<u8> {
    let events: Vec<String> = (0..n).map(event).collect();
    format!("[{}]", events.join(",")).into_bytes()
}

fn bench_parse(c: &mut Criterion) {
    let ctx = FrameContext::at((T0 + 1_000) * 1_000_000);
    type MakeEvent = fn(usize) -> String;
    let feeds: [(&str, MakeEvent); 4] = [
        ("option_quotes", option_quote),
        ("option_trades", option_trade),
        ("equity_quotes", equity_quote),
        ("equity_trades", equity_trade),
    ];
    for (name, event) in feeds {
        let mut group = c.benchmark_group(format!("parse/{name}"));
        for n in [1usize, 10, 100] {
            let payload = frame(n, event);
            assert_eq!(parse_frame(&payload, &ctx).unwrap().row_count(), n);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("fast", n), &payload, |b, p| {
                b.iter(|| parse_frame(black_box(p), &ctx))
            });
            group.bench_with_input(BenchmarkId::new("serde_reference", n), &payload, |b, p| {
                b.iter(|| parse_frame_reference(black_box(p), &ctx))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
