//! `massive-sim`: run the simulator by hand (see `massive-sim --help`).

use clap::Parser;
use massive_sim::{
    Cluster, DEMO_KEY, Fault, FaultAction, MarketConfig, Rates, SimConfig, SimServer, Target,
    faults::parse_duration,
};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

const CONSOLE_HELP: &str = "\
console commands (stdin, one per line):
  close | reset | stall | unstall | slow | force-disconnect | malformed | bad-event  [TARGET]
        apply a fault now; TARGET is a connection id, `stocks`, `options` or nothing (= all)
  restart [DOWNTIME]   whole server down (all connections drop), then up on the same port
  down | up            take the server down / bring it back
  fault SPEC           add a fault policy for future connections (same syntax as --fault)
  clear-faults         remove every fault policy
  rate TOTAL           set the total offered load (events/s, default proportions)
  stats                print the counters as JSON
  conns                list open connections
  help                 this text
  quit                 shut down";

/// A local server speaking Massive's (formerly Polygon.io) WebSocket protocol on `/stocks` and
/// `/options`, fed by a deterministic synthetic market, with fault injection.
///
/// Connect to ws://BIND:PORT/options or ws://BIND:PORT/stocks, send
/// {"action":"auth","params":"<KEY>"} then {"action":"subscribe","params":"T.*,Q.O:SPY..."}.
/// The default accepted key is the demo key `massive-sim-demo-key`.
///
/// Faults (--fault, repeatable): close-after=5s, reset-after=5s, stall-after=10s,
/// force-disconnect-after=5s, slow-consumer-after=5s, malformed-after=2s, reject-auth.
/// Durations: 250ms, 5s, 2m, 1h.
#[derive(Debug, Parser)]
#[command(name = "massive-sim", version, after_help = CONSOLE_HELP)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Market seed (same seed, same universe and the same market).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Accepted API key (repeatable). Default: the demo key `massive-sim-demo-key`.
    #[arg(long = "key")]
    keys: Vec<String>,
    /// Market scenario: default, stationary, drifting, bursty, new-listings.
    #[arg(long, default_value = "default")]
    scenario: String,
    /// Number of underlyings (600 gives ~230,000 option contracts).
    #[arg(long)]
    underlyings: Option<usize>,
    /// Total offered load in events/s, split in the default proportions (quotes 20x trades).
    /// Overrides the per-feed defaults; per-feed flags still override it.
    #[arg(long)]
    total_rate: Option<f64>,
    /// Option quotes per second (default 5000).
    #[arg(long)]
    option_quotes: Option<f64>,
    /// Option trades per second (default 250).
    #[arg(long)]
    option_trades: Option<f64>,
    /// Stock quotes per second (default 2500).
    #[arg(long)]
    stock_quotes: Option<f64>,
    /// Stock trades per second (default 250).
    #[arg(long)]
    stock_trades: Option<f64>,
    /// Maximum events per frame.
    #[arg(long, default_value_t = 100)]
    events_per_frame: usize,
    /// Time allowed to authenticate before auth_timeout.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    auth_timeout: Duration,
    /// Per-connection bound of unsent bytes before a slow_consumer disconnect.
    #[arg(long, default_value_t = 16 << 20)]
    send_buffer_bytes: usize,
    /// Maximum options quote subscriptions per connection.
    #[arg(long, default_value_t = 1000)]
    options_quote_limit: usize,
    /// Keep the scenario's fixed start date instead of the wall clock.
    #[arg(long)]
    fixed_clock: bool,
    /// Fault policy for every connection (repeatable), e.g. close-after=5s, reject-auth.
    #[arg(long = "fault")]
    faults: Vec<Fault>,
    /// Print counters every interval (0 = never).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    stats_every: Duration,
    /// Do not read console commands from stdin.
    #[arg(long)]
    no_console: bool,
    /// Server I/O threads.
    #[arg(long, default_value_t = 1)]
    io_threads: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let Some(mut market) = MarketConfig::preset(&args.scenario) else {
        eprintln!(
            "unknown scenario {:?} (default, stationary, drifting, bursty, new-listings)",
            args.scenario
        );
        return std::process::ExitCode::from(2);
    };
    if let Some(n) = args.underlyings {
        market.underlyings = n;
    }
    let mut rates = args.total_rate.map(Rates::with_total).unwrap_or_default();
    rates.option_quotes = args.option_quotes.unwrap_or(rates.option_quotes);
    rates.option_trades = args.option_trades.unwrap_or(rates.option_trades);
    rates.stock_quotes = args.stock_quotes.unwrap_or(rates.stock_quotes);
    rates.stock_trades = args.stock_trades.unwrap_or(rates.stock_trades);
    market.rates = rates;
    let cfg = SimConfig {
        bind: SocketAddr::new(args.bind, args.port),
        api_keys: if args.keys.is_empty() {
            vec![DEMO_KEY.to_string()]
        } else {
            args.keys.clone()
        },
        auth_timeout: args.auth_timeout,
        market,
        seed: args.seed,
        fixed_clock: args.fixed_clock,
        events_per_frame: args.events_per_frame,
        send_buffer_bytes: args.send_buffer_bytes,
        options_quote_limit: args.options_quote_limit,
        faults: args.faults.clone(),
        io_threads: args.io_threads,
        ..SimConfig::default()
    };
    let sim = match SimServer::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("massive-sim: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let contracts = sim.with_market(|m| m.contracts().len());
    // One plain line on stdout so scripts can find the port (logs go to stderr).
    println!(
        "massive-sim listening on ws://{} (paths /stocks, /options)",
        sim.addr()
    );
    tracing::info!(
        url_stocks = %sim.url("stocks"),
        url_options = %sim.url("options"),
        contracts,
        total_rate = rates.total(),
        scenario = %args.scenario,
        "ready"
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut console = !args.no_console;
    let mut stats = tokio::time::interval(if args.stats_every.is_zero() {
        Duration::from_secs(86_400 * 365)
    } else {
        args.stats_every
    });
    stats.tick().await;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = stats.tick(), if !args.stats_every.is_zero() => {
                let c = sim.counters();
                tracing::info!(
                    open_stocks = c.open[0], open_options = c.open[1], events_sent = c.events_sent,
                    frames_sent = c.frames_sent, bytes_sent = c.bytes_sent, evictions = c.evictions,
                    slow_consumers = c.slow_consumer_disconnects, "stats"
                );
            }
            line = lines.next_line(), if console => match line {
                Ok(Some(l)) => {
                    if !run_command(&sim, l.trim()).await {
                        break;
                    }
                }
                _ => console = false,
            }
        }
    }
    sim.shutdown().await;
    std::process::ExitCode::SUCCESS
}

fn target(arg: Option<&str>) -> Result<Target, String> {
    match arg {
        None | Some("all") => Ok(Target::All),
        Some("stocks") => Ok(Target::Cluster(Cluster::Stocks)),
        Some("options") => Ok(Target::Cluster(Cluster::Options)),
        Some(id) => id
            .parse()
            .map(Target::Conn)
            .map_err(|_| format!("bad target {id:?}")),
    }
}

/// Runs one console command; false means quit.
async fn run_command(sim: &massive_sim::SimHandle, line: &str) -> bool {
    let mut parts = line.split_whitespace();
    let Some(cmd) = parts.next() else {
        return true;
    };
    let arg = parts.next();
    match cmd {
        "quit" | "exit" => return false,
        "help" => println!("{CONSOLE_HELP}"),
        "stats" => match serde_json::to_string_pretty(&sim.counters()) {
            Ok(s) => println!("{s}"),
            Err(e) => println!("error: {e}"),
        },
        "conns" => {
            for c in sim.connections() {
                println!(
                    "#{} {} {} auth={} subs={} events={} queued={}B stalled={}",
                    c.id,
                    c.cluster,
                    c.peer,
                    c.authenticated,
                    c.subscriptions.len(),
                    c.events_sent,
                    c.queued_bytes,
                    c.stalled
                );
            }
        }
        "restart" => {
            let down = arg.map(parse_duration).transpose();
            match down {
                Ok(d) => match sim.restart_with_downtime(d.unwrap_or_default()).await {
                    Ok(()) => println!("restarted"),
                    Err(e) => println!("error: {e}"),
                },
                Err(e) => println!("error: {e}"),
            }
        }
        "down" => {
            sim.go_down().await;
            println!("down");
        }
        "up" => match sim.go_up().await {
            Ok(()) => println!("up"),
            Err(e) => println!("error: {e}"),
        },
        "fault" => match arg.map(str::parse::<Fault>) {
            Some(Ok(f)) => {
                sim.add_fault(f);
                println!("fault added: {f:?}");
            }
            Some(Err(e)) => println!("error: {e}"),
            None => println!("usage: fault SPEC"),
        },
        "clear-faults" => {
            sim.clear_faults();
            println!("faults cleared");
        }
        "rate" => match arg.map(str::parse::<f64>) {
            Some(Ok(r)) if r >= 0.0 => {
                sim.set_rates(Rates::with_total(r));
                println!("total rate {r} events/s");
            }
            _ => println!("usage: rate TOTAL_EVENTS_PER_S"),
        },
        other => match (other.parse::<FaultAction>(), target(arg)) {
            (Ok(action), Ok(t)) => {
                let n = sim.inject(action, t);
                println!("{action:?} -> {n} connection(s)");
            }
            (Err(e), _) => println!("{e} (try `help`)"),
            (_, Err(e)) => println!("{e}"),
        },
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_parses() {
        let a = Args::try_parse_from([
            "massive-sim",
            "--port",
            "0",
            "--key",
            "k1",
            "--key",
            "k2",
            "--fault",
            "close-after=5s",
            "--fault",
            "reject-auth",
            "--scenario",
            "bursty",
            "--total-rate",
            "1000000",
            "--auth-timeout",
            "200ms",
        ])
        .unwrap();
        assert_eq!(a.keys, ["k1", "k2"]);
        assert_eq!(
            a.faults,
            [Fault::CloseAfter(Duration::from_secs(5)), Fault::RejectAuth]
        );
        assert_eq!(a.auth_timeout, Duration::from_millis(200));
        assert!(Args::try_parse_from(["massive-sim", "--fault", "explode"]).is_err());
        assert_eq!(
            target(Some("options")),
            Ok(Target::Cluster(Cluster::Options))
        );
        assert_eq!(target(Some("7")), Ok(Target::Conn(7)));
    }
}
