//! `ws-source run`: ingest the real feeds from a configuration file.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ws_source::{ConnectionManager, WsConfig};

use crate::consume::{ConsumeOptions, consume};

/// Arguments of `ws-source run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// TOML configuration (the API key comes from `MASSIVE_API_KEY` unless the file has one).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Stop after this many seconds.
    #[arg(long)]
    pub duration: Option<u64>,
    /// Write every batch as a JSON line to this file (`-` for stdout).
    #[arg(long)]
    pub jsonl: Option<PathBuf>,
    /// Serve Prometheus metrics on this address (`/metrics`); `off` to disable.
    #[arg(long, default_value = crate::metrics::DEFAULT_ADDR)]
    pub metrics_addr: String,
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    crate::metrics::install_from_arg(&args.metrics_addr)?;
    let config = WsConfig::load(&args.config)?;
    let manager = ConnectionManager::try_new(&config)?;
    consume(
        &manager,
        ConsumeOptions {
            duration: args.duration.map(Duration::from_secs),
            jsonl: args.jsonl,
            summary_every: Duration::from_secs(1),
        },
    )
    .await?;
    Ok(())
}
