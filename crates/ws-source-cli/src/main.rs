//! The `ws-source` command.
//!
//! Subcommands are one module each; `main` only parses arguments and dispatches.

mod consume;
mod demo;
mod eval;
mod metrics;
mod run;
mod sink;
mod summary;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Ingest Massive's real-time WebSocket market data (options and equities, trades and quotes).
#[derive(Debug, Parser)]
#[command(name = "ws-source", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the embedded simulator on loopback and ingest all four feeds (no key needed).
    Demo(demo::DemoArgs),
    /// Ingest the real feeds described by a configuration file.
    Run(run::RunArgs),
    /// Evaluate the subscription scheduler against an oracle and baselines on simulated markets.
    EvalScheduler(eval::EvalArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("warn,ws_source=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Run(args) => run::run(args).await,
        Command::EvalScheduler(args) => eval::run(args),
    }
}
