//! The consumer loop shared by `demo` and `run`: drain the stream, print the summary each
//! interval, write the optional sink, stop on Ctrl-C or after a duration.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use tracing::info;
use ws_source::ConnectionManager;

use crate::sink::JsonLines;
use crate::summary::Summary;

/// How to consume.
pub struct ConsumeOptions {
    pub duration: Option<Duration>,
    pub jsonl: Option<PathBuf>,
    pub summary_every: Duration,
}

/// Runs the manager until Ctrl-C, the duration, or the stream's end; returns rows per feed.
pub async fn consume(
    manager: &ConnectionManager,
    opts: ConsumeOptions,
) -> anyhow::Result<[u64; 4]> {
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
    let mut tick = tokio::time::interval(opts.summary_every);
    tick.tick().await;
    let deadline = async {
        match opts.duration {
            Some(d) => tokio::time::sleep(d).await,
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
