//! `ws-source run`: ingest the real feeds from a configuration file.

use std::path::PathBuf;

use clap::Args;
use ws_source::{ConnectionManager, WsConfig};

use crate::consume::{ConsumeArgs, consume};

/// Arguments of `ws-source run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// TOML configuration (the API key comes from `MASSIVE_API_KEY` unless the file has one).
    #[arg(long, short)]
    pub config: PathBuf,
    #[command(flatten)]
    pub consume: ConsumeArgs,
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    crate::metrics::install_from_arg(&args.consume.metrics_addr)?;
    let config = WsConfig::load(&args.config)?;
    let manager = ConnectionManager::try_new(&config)?;
    consume(&manager, &args.consume).await?;
    Ok(())
}
