//! The `ws-source` command.
//!
//! Subcommands are added one module each; `main` only parses arguments and dispatches.

use clap::{Parser, Subcommand};

/// Ingest Massive's real-time WebSocket market data.
#[derive(Debug, Parser)]
#[command(name = "ws-source", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {}
}
