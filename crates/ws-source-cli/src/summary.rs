//! The live one-line summary: events/s per feed, subscriptions, reconnects, drops, watermark lag
//! and staleness (frame received → handed to the consumer), once per interval.

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use ws_source::{DataBatch, ResourceType, TradeOrNbbo, WorkerStats, timestamp::now_ns};

/// Accumulates what the consumer saw during one interval.
pub struct Summary {
    started: Instant,
    interval_start: Instant,
    rows: [u64; 4],
    total_rows: [u64; 4],
    /// `None` only if hdrhistogram rejected the fixed bounds (it does not).
    staleness_us: Option<Histogram<u64>>,
    /// Latest watermark per (feed, shard): the lag reported is the worst connection's.
    watermarks: std::collections::HashMap<(ResourceType, usize), i64>,
}

impl Summary {
    pub fn new() -> Summary {
        Summary {
            started: Instant::now(),
            interval_start: Instant::now(),
            rows: [0; 4],
            total_rows: [0; 4],
            // 1 µs .. 60 s, 3 significant digits.
            staleness_us: Histogram::new_with_bounds(1, 60_000_000, 3).ok(),
            watermarks: Default::default(),
        }
    }

    /// Records one batch as it reaches the consumer.
    pub fn record(&mut self, batch: &DataBatch<TradeOrNbbo>) {
        let now = now_ns();
        let rt = batch.meta.resource_type as usize;
        self.rows[rt] += batch.rows.len() as u64;
        self.total_rows[rt] += batch.rows.len() as u64;
        if !batch.rows.is_empty() {
            let us = ((now - batch.meta.received_at_ns) / 1_000).max(1) as u64;
            if let Some(h) = self.staleness_us.as_mut() {
                let _ = h.record(us.min(60_000_000));
            }
        }
        let wm = self
            .watermarks
            .entry((batch.meta.resource_type, batch.meta.shard_id))
            .or_insert(0);
        *wm = (*wm).max(batch.meta.watermark_ts_ns);
    }

    /// Total rows per feed since the start.
    pub fn totals(&self) -> [u64; 4] {
        self.total_rows
    }

    /// Formats the line for the interval that just ended and starts a new one.
    pub fn line(&mut self, stats: &[Arc<WorkerStats>], evictions: u64) -> String {
        let secs = self.interval_start.elapsed().as_secs_f64().max(1e-9);
        let rate = |rt: ResourceType| fmt_rate(self.rows[rt as usize] as f64 / secs);
        let sum = |f: fn(&WorkerStats) -> u64| stats.iter().map(|s| f(s)).sum::<u64>();
        let subs = sum(|s| WorkerStats::get(&s.subs_active));
        let reconnects = sum(|s| WorkerStats::get(&s.reconnects));
        let dropped = sum(|s| WorkerStats::get(&s.dropped_queue_full));
        let parse_errors = sum(|s| WorkerStats::get(&s.parse_errors));
        let connected = sum(|s| WorkerStats::get(&s.connected));
        let oldest = self.watermarks.values().copied().filter(|&w| w > 0).min();
        let lag_ms = match oldest {
            Some(w) => format!("{}", (now_ns() - w) / 1_000_000),
            None => "-".to_string(),
        };
        let p99 = match &self.staleness_us {
            Some(h) if !h.is_empty() => {
                format!("{:.2}", h.value_at_quantile(0.99) as f64 / 1_000.0)
            }
            _ => "-".to_string(),
        };
        let line = format!(
            "t={:>4.0}s | opt_q {} opt_t {} eq_q {} eq_t {} | sockets {}/{} | subs {} | evictions {} | reconnects {} | dropped {} | parse_err {} | wm lag {} ms | staleness p99 {} ms",
            self.started.elapsed().as_secs_f64(),
            rate(ResourceType::OptionsQuotes),
            rate(ResourceType::OptionsTrades),
            rate(ResourceType::EquityQuotes),
            rate(ResourceType::EquityTrades),
            connected,
            stats.len(),
            subs,
            evictions,
            reconnects,
            dropped,
            parse_errors,
            lag_ms,
            p99,
        );
        self.rows = [0; 4];
        if let Some(h) = self.staleness_us.as_mut() {
            h.reset();
        }
        self.interval_start = Instant::now();
        line
    }
}

fn fmt_rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:>6.2}M/s", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:>6.1}k/s", per_s / 1e3)
    } else {
        format!("{:>6.0}/s ", per_s)
    }
}
