//! The consumer loop shared by `demo` and `run`: drain the stream, print the summary each
//! interval, write the optional sink, stop on Ctrl-C or after a duration.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use tracing::info;
use ws_source::ConnectionManager;

use crate::sink::JsonLines;
use crate::summary::Summary;

/// The consumer options shared by `demo` and `run`.
#[derive(Debug, clap::Args)]
pub struct ConsumeArgs {
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Write every batch as a JSON line to this file (`-` for stdout).
    #[arg(long)]
    pub jsonl: Option<PathBuf>,
    /// Serve Prometheus metrics on this address (`/metrics`); `off` to disable.
    #[arg(long, default_value = crate::metrics::DEFAULT_ADDR)]
    pub metrics_addr: String,
}

/// How often the summary line is printed.
const SUMMARY_EVERY: Duration = Duration::from_secs(1);

/// Runs the manager until Ctrl-C, the duration, or the stream's end; returns rows per feed.
pub async fn consume(manager: &ConnectionManager, opts: &ConsumeArgs) -> anyhow::Result<[u64; 4]> {
    let mut sink = match &opts.jsonl {
        Some(path) => Some(JsonLines::create(path)?),
        None => None,
    };
    let stats = manager.stats();
    let rebalance = manager.rebalance_stats();
    let evictions = || {
        rebalance
            .evictions
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let mut stream = manager.run().await;
    let mut summary = Summary::new();
    let mut tick = tokio::time::interval(SUMMARY_EVERY);
    tick.tick().await;
    let deadline = async {
        match opts.duration {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            batch = stream.next() => {
                let Some(batch) = batch else {
                    info!("stream ended");
                    break;
                };
                summary.record(&batch);
                if let Some(sink) = sink.as_mut() {
                    sink.write(&batch)?;
                }
            }
            _ = tick.tick() => eprintln!("{}", summary.line(&stats, evictions())),
            _ = &mut deadline => break,
            _ = &mut ctrl_c => { info!("interrupted"); break; }
        }
    }
    manager.shutdown();
    if let Some(mut sink) = sink {
        sink.flush()?;
    }
    let totals = summary.totals();
    eprintln!(
        "total rows: options quotes {}, options trades {}, equity quotes {}, equity trades {}",
        totals[0], totals[1], totals[2], totals[3]
    );
    Ok(totals)
}
