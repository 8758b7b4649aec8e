//! `ws-source demo`: the embedded simulator on loopback, all four feeds, a live summary.

use clap::Args;
use massive_sim::{DEMO_KEY, MarketConfig, Rates, SimConfig, SimServer};
use ws_source::{ApiKey, ConnectionManager, FeedConfig, WsConfig};

use crate::consume::{ConsumeArgs, consume};

/// Arguments of `ws-source demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub consume: ConsumeArgs,
    /// Offered load of the simulator, events/s over all four feeds.
    #[arg(long, default_value_t = 200_000.0)]
    pub rate: f64,
    /// Market seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Market scenario: default, stationary, drifting, bursty, new_listings.
    #[arg(long, default_value = "default")]
    pub scenario: String,
    /// Seconds between rebalances of the option-quote subscriptions.
    #[arg(long, default_value_t = 5)]
    pub rebalance_interval_s: u64,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    crate::metrics::install_from_arg(&args.consume.metrics_addr)?;
    let market = match args.scenario.as_str() {
        "default" => MarketConfig::default(),
        name => MarketConfig::preset(name)
            .ok_or_else(|| anyhow::anyhow!("unknown scenario {name:?}"))?,
    };
    let rates = Rates::with_total(args.rate);
    let sim = SimServer::start(
        SimConfig {
            market,
            seed: args.seed,
            ..SimConfig::default()
        }
        .with_rates(rates),
    )
    .await?;
    eprintln!(
        "massive-sim listening on ws://{} (demo key, {} events/s offered); Ctrl-C to stop",
        sim.addr(),
        args.rate
    );
    let mut config = WsConfig {
        api_keys: vec![ApiKey::new(DEMO_KEY)],
        base_url: format!("ws://{}", sim.addr()),
        ..WsConfig::default()
    };
    // The scheduler picks the 1,000 option contracts whose quotes are subscribed.
    config.feeds.options_quotes = FeedConfig::scheduled();
    config.scheduler.rebalance_interval_s = args.rebalance_interval_s;
    config.feeds.options_trades = FeedConfig::all();
    config.feeds.equity_quotes = FeedConfig::all();
    config.feeds.equity_trades = FeedConfig::all();
    let manager = ConnectionManager::try_new(&config)?;
    consume(&manager, &args.consume).await?;
    sim.shutdown().await;
    Ok(())
}
