//! `ws-source eval-scheduler`: the subscription scheduler against an oracle and baselines on
//! simulated markets, in virtual time (DESIGN.md section 7).
//!
//! For each scenario the market is generated once (option trades only, plus the oracle's top-K at
//! every decision time, see [`record`]) and replayed to every policy (see [`policies`]); the
//! metrics (see [`metrics`]) are trade coverage by count and by premium, its ratio to the oracle,
//! and churn. The allocation decided at a rebalance covers the trades until the next one, and a
//! policy sees those trades only after they were scored.

mod metrics;
mod plot;
mod policies;
mod record;
mod table;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::{Args, ValueEnum};
use massive_sim::{MarketConfig, Rates};
use ws_source::SchedulerConfig;
use ws_source::scheduler::ExplorationWeighting;

use metrics::{PolicyResult, evaluate};
use policies::{Oracle, Policy, SchedulerPolicy, StaticTopK, UniformRandom};

/// Which market scenario to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScenarioArg {
    /// Every scenario below, in this order.
    All,
    /// No spot movement, no bursts.
    Stationary,
    /// Strong spot moves: the active strikes drift.
    Drifting,
    /// Frequent heavy-tailed single-contract bursts.
    Bursty,
    /// New near-dated expiries listed intraday every 10 minutes.
    NewListings,
}

impl ScenarioArg {
    const EACH: [ScenarioArg; 4] = [
        ScenarioArg::Stationary,
        ScenarioArg::Drifting,
        ScenarioArg::Bursty,
        ScenarioArg::NewListings,
    ];

    fn name(self) -> &'static str {
        match self {
            ScenarioArg::All => "all",
            ScenarioArg::Stationary => "stationary",
            ScenarioArg::Drifting => "drifting",
            ScenarioArg::Bursty => "bursty",
            ScenarioArg::NewListings => "new-listings",
        }
    }

    fn market(self) -> MarketConfig {
        match self {
            ScenarioArg::All | ScenarioArg::Stationary => MarketConfig::stationary(),
            ScenarioArg::Drifting => MarketConfig::drifting(),
            ScenarioArg::Bursty => MarketConfig::bursty(),
            ScenarioArg::NewListings => MarketConfig::new_listings(),
        }
    }

    fn selected(self) -> Vec<ScenarioArg> {
        match self {
            ScenarioArg::All => Self::EACH.to_vec(),
            one => vec![one],
        }
    }
}

/// `--exploration-weighting` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Weighting {
    /// Every candidate is equally likely.
    Uniform,
    /// Candidates are drawn in proportion to their priority.
    Priority,
    /// Thompson sampling on the decayed counts.
    Posterior,
}

impl Weighting {
    fn to_config(self) -> ExplorationWeighting {
        match self {
            Weighting::Uniform => ExplorationWeighting::Uniform,
            Weighting::Priority => ExplorationWeighting::Priority,
            Weighting::Posterior => ExplorationWeighting::Posterior,
        }
    }
}

/// Arguments of `ws-source eval-scheduler`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Seed of the simulated market, the scheduler's exploration and the random baseline.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of seeds to run: `--seed`, `--seed`+1, …; each gets its own tables, then a summary
    /// of ours against greedy and the oracle across seeds (the chart shows the first seed).
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// Simulated duration per scenario, hours (warm-up included).
    #[arg(long, default_value_t = 1.0)]
    pub hours: f64,
    /// Quote-subscription slots (Massive allows 1,000 option contracts per connection).
    #[arg(long, default_value_t = 1000)]
    pub slots: usize,
    /// Scenario to run.
    #[arg(long, value_enum, default_value_t = ScenarioArg::All)]
    pub scenario: ScenarioArg,
    /// Seconds between rebalances (every policy decides at the same times).
    #[arg(long, default_value_t = SchedulerConfig::default().rebalance_interval_s)]
    pub rebalance_interval_s: u64,
    /// Offered option trades per simulated second, market-wide.
    #[arg(long, default_value_t = 250.0)]
    pub trade_rate: f64,
    /// Simulated minutes before measuring: every policy learns from the trades, nothing is
    /// scored, and the static baseline picks its set at the end.
    #[arg(long, default_value_t = 5.0)]
    pub warmup_min: f64,
    /// Reserved slots of our scheduler [default: the library default (500) scaled to --slots
    /// out of 1,000].
    #[arg(long)]
    pub top_n: Option<usize>,
    /// Share of the slots spent on exploration [default: the library default].
    #[arg(long)]
    pub exploration_fraction: Option<f64>,
    /// Hysteresis factor [default: the library default].
    #[arg(long)]
    pub hysteresis: Option<f64>,
    /// Half-life of the decayed activity rates, seconds (also used by the greedy baseline)
    /// [default: the library default].
    #[arg(long)]
    pub half_life_s: Option<f64>,
    /// Rebalance intervals an exploration pick keeps its slot [default: the library default].
    #[arg(long)]
    pub exploration_hold_intervals: Option<u64>,
    /// Rebalance epochs an exploration pick is remembered (and so tried again last)
    /// [default: the library default].
    #[arg(long)]
    pub exploration_memory_epochs: Option<u64>,
    /// How exploration picks are drawn: by posterior (Thompson) sampling, uniformly, or in
    /// proportion to priority [default: the library default, posterior].
    #[arg(long, value_enum)]
    pub exploration_weighting: Option<Weighting>,
    /// Weight of traded volume in the priority (also used by the greedy baseline)
    /// [default: the library default].
    #[arg(long)]
    pub volume_weight: Option<f64>,
    /// Share of each option trade credited to its put-call pair (ours and greedy+pool; the
    /// greedy baseline uses plain rates) [default: the library default].
    #[arg(long)]
    pub put_call_pooling: Option<f64>,
    /// Write a chart of coverage over simulated time per policy (one panel per scenario); the
    /// format follows the extension: `.png` or `.svg`. Text needs a TrueType font: DejaVu Sans
    /// or Liberation Sans from the usual system paths, or the file named by
    /// `WS_SOURCE_PLOT_FONT`.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Minutes of simulated time per point of the chart.
    #[arg(long, default_value_t = 1.0)]
    pub plot_bucket_min: f64,
    /// Number of underlyings of the simulated market [default: the simulator's, 600].
    #[arg(long)]
    pub underlyings: Option<usize>,
    /// Scale of the option chains (1.0 gives ~230,000 contracts with 600 underlyings).
    #[arg(long)]
    pub chain_scale: Option<f64>,
}

impl Default for EvalArgs {
    fn default() -> Self {
        Self {
            seed: 1,
            seeds: 1,
            hours: 1.0,
            slots: 1000,
            scenario: ScenarioArg::All,
            rebalance_interval_s: SchedulerConfig::default().rebalance_interval_s,
            trade_rate: 250.0,
            warmup_min: 5.0,
            top_n: None,
            exploration_fraction: None,
            hysteresis: None,
            half_life_s: None,
            exploration_hold_intervals: None,
            exploration_memory_epochs: None,
            volume_weight: None,
            put_call_pooling: None,
            exploration_weighting: None,
            plot: None,
            plot_bucket_min: 1.0,
            underlyings: None,
            chain_scale: None,
        }
    }
}

/// The run's shape, derived from the arguments.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Our scheduler's configuration.
    pub config: SchedulerConfig,
    /// Rebalance intervals per scenario.
    pub intervals: usize,
    /// Unmeasured leading intervals.
    pub warmup: usize,
    /// Intervals per chart point.
    pub bucket: usize,
}

/// One scenario's outcome.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: &'static str,
    /// Contracts listed by the end.
    pub contracts: usize,
    /// Rows in policy order: oracle, ours, greedy, greedy+pool, static, random.
    pub policies: Vec<PolicyResult>,
}

impl ScenarioResult {
    /// The row of a policy.
    pub fn get(&self, name: &str) -> Option<&PolicyResult> {
        self.policies.iter().find(|p| p.name == name)
    }
}

impl EvalArgs {
    /// Validates the arguments and derives the scheduler config and the interval counts.
    pub fn setup(&self) -> anyhow::Result<Setup> {
        ensure!(
            self.hours.is_finite() && self.hours > 0.0,
            "--hours must be > 0"
        );
        ensure!(self.slots > 0, "--slots must be > 0");
        ensure!(self.seeds > 0, "--seeds must be >= 1");
        ensure!(
            self.rebalance_interval_s > 0,
            "--rebalance-interval-s must be >= 1"
        );
        ensure!(
            self.trade_rate.is_finite() && self.trade_rate > 0.0,
            "--trade-rate must be > 0"
        );
        ensure!(
            self.warmup_min.is_finite() && self.warmup_min >= 0.0,
            "--warmup-min must be >= 0"
        );
        ensure!(
            self.plot_bucket_min.is_finite() && self.plot_bucket_min > 0.0,
            "--plot-bucket-min must be > 0"
        );
        let d = SchedulerConfig::default();
        let top_n = self.top_n.unwrap_or_else(|| {
            ((d.top_n as f64 * self.slots as f64 / 1000.0).round() as usize).min(self.slots)
        });
        let config = SchedulerConfig {
            top_n,
            exploration_fraction: self.exploration_fraction.unwrap_or(d.exploration_fraction),
            hysteresis: self.hysteresis.unwrap_or(d.hysteresis),
            half_life_s: self.half_life_s.unwrap_or(d.half_life_s),
            exploration_hold_intervals: self
                .exploration_hold_intervals
                .unwrap_or(d.exploration_hold_intervals),
            exploration_memory_epochs: self
                .exploration_memory_epochs
                .unwrap_or(d.exploration_memory_epochs),
            volume_weight: self.volume_weight.unwrap_or(d.volume_weight),
            put_call_pooling: self.put_call_pooling.unwrap_or(d.put_call_pooling),
            exploration_weighting: self
                .exploration_weighting
                .map_or(d.exploration_weighting, Weighting::to_config),
            rebalance_interval_s: self.rebalance_interval_s,
            seed: d.seed ^ self.seed,
        };
        config
            .validate()
            .context("invalid scheduler parameters on the command line")?;
        let interval_s = self.rebalance_interval_s as f64;
        let intervals = (self.hours * 3600.0 / interval_s).round() as usize;
        let warmup = (self.warmup_min * 60.0 / interval_s).ceil() as usize;
        if intervals <= warmup {
            bail!(
                "--hours {} gives {intervals} rebalance intervals, not more than the {warmup} of \
                 the {} min warm-up",
                self.hours,
                self.warmup_min
            );
        }
        let bucket = ((self.plot_bucket_min * 60.0 / interval_s).round() as usize).max(1);
        Ok(Setup {
            config,
            intervals,
            warmup,
            bucket,
        })
    }

    fn market(&self, scenario: ScenarioArg) -> MarketConfig {
        let mut m = scenario.market();
        m.rates = Rates::option_trades_only(self.trade_rate);
        if let Some(u) = self.underlyings {
            m.underlyings = u;
        }
        if let Some(c) = self.chain_scale {
            m.chain_scale = c;
        }
        m
    }
}

/// Records one scenario and replays it to every policy.
fn run_scenario(
    args: &EvalArgs,
    setup: &Setup,
    scenario: ScenarioArg,
) -> anyhow::Result<ScenarioResult> {
    let rec = record::record(
        args.market(scenario),
        args.seed,
        Duration::from_secs(args.rebalance_interval_s),
        setup.intervals,
        args.slots,
    );
    let mut policies: Vec<Box<dyn Policy>> = vec![
        Box::new(Oracle),
        Box::new(SchedulerPolicy::new("ours", &setup.config)?),
        Box::new(SchedulerPolicy::greedy(&setup.config, args.slots)?),
        Box::new(SchedulerPolicy::greedy_pooled(&setup.config, args.slots)?),
        Box::new(StaticTopK::default()),
        Box::new(UniformRandom::new(args.seed)),
    ];
    let mut rows = Vec::with_capacity(policies.len());
    for p in &mut policies {
        let row = evaluate(p.as_mut(), &rec, args.slots, setup.warmup, setup.bucket)
            .with_context(|| format!("scenario {}", scenario.name()))?;
        rows.push(row);
    }
    Ok(ScenarioResult {
        name: scenario.name(),
        contracts: rec.symbols.len(),
        policies: rows,
    })
}

/// Runs the selected scenarios (in parallel, one thread each; the results do not depend on it).
pub fn evaluate_all(args: &EvalArgs, setup: &Setup) -> anyhow::Result<Vec<ScenarioResult>> {
    let scenarios = args.scenario.selected();
    std::thread::scope(|s| {
        let handles: Vec<_> = scenarios
            .iter()
            .map(|&sc| s.spawn(move || run_scenario(args, setup, sc)))
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(r) => r,
                Err(_) => Err(anyhow::anyhow!("a scenario thread panicked")),
            })
            .collect()
    })
}

/// `ws-source eval-scheduler`: prints one table per scenario (per seed), a summary across seeds
/// when there are several, and optionally writes the chart (first seed).
pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    args.setup()?;
    let started = Instant::now();
    let mut runs = Vec::with_capacity(usize::try_from(args.seeds).unwrap_or(1));
    for i in 0..args.seeds {
        let one = EvalArgs {
            seed: args.seed.wrapping_add(i),
            ..args.clone()
        };
        let setup = one.setup()?;
        let results = evaluate_all(&one, &setup)?;
        if i > 0 {
            println!();
        }
        print!("{}", table::render(&one, &setup, &results));
        runs.push((one.seed, results));
    }
    if runs.len() > 1 {
        print!("{}", table::summary(&runs));
    }
    eprintln!(
        "evaluated in {:.1} s of wall time",
        started.elapsed().as_secs_f64()
    );
    if let (Some(path), Some((_, first))) = (&args.plot, runs.first()) {
        plot::write(path, first)
            .with_context(|| format!("writing the chart to {}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
