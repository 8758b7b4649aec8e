//! The deterministic synthetic market, usable without any socket ("virtual time").
//!
//! ```
//! use massive_sim::{Feeds, Market, MarketConfig, Rates};
//! use std::time::Duration;
//!
//! let mut cfg = MarketConfig::small();
//! cfg.rates = Rates::option_trades_only(2_000.0);
//! let mut m = Market::new(cfg, 42);
//! let trades = m.advance_feeds(Duration::from_secs(1), Feeds::OPTION_TRADES);
//! assert_eq!(trades.len(), 2_000);
//! // The oracle: expected option trades per second of every contract right now.
//! let truth = m.option_trade_intensities();
//! let total: f64 = truth.iter().map(|(_, r)| r).sum();
//! assert!((total - 2_000.0).abs() < 1e-6);
//! println!("{} traded at {}", m.symbol(trades[0].instrument), trades[0].price());
//! ```

mod config;
mod event;
pub mod pricing;
pub mod universe;

pub use config::{MarketConfig, Rates};
pub use event::{Event, Feed, Feeds, InstrumentId};
pub use universe::{Contract, Underlying};

use crate::rng::Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const NS_PER_MS: i64 = 1_000_000;
const NS_PER_S: f64 = 1e9;
const OPTION_EXCHANGES: [u16; 16] = [
    300, 301, 302, 303, 304, 307, 308, 309, 312, 313, 315, 316, 319, 322, 323, 325,
];
const STOCK_EXCHANGES: [u16; 16] = [1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 15, 17, 18, 19, 20, 21];
const OPTION_CONDITIONS: [u16; 8] = [209, 209, 209, 209, 219, 227, 228, 229];

/// Expected events per second of one instrument right now (the oracle).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Intensity {
    /// Quotes per second.
    pub quotes: f64,
    /// Trades per second.
    pub trades: f64,
}

/// A single-contract burst currently in force.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burst {
    /// The contract.
    pub instrument: InstrumentId,
    /// Share of each option feed this burst takes (after capping all bursts to 50 %).
    pub share: f64,
    /// When it ends (Unix ms).
    pub end_ms: i64,
    raw_share: f64,
}

/// The state a chain's intensities are computed from. Refreshed eagerly at ticks (cheap checks, no
/// rebuild), so tables are a pure function of the tick-time state whenever they are built: oracle
/// calls cannot change the market's course.
#[derive(Debug, Clone, Default)]
struct ChainRef {
    version: u64,
    ln_spot: f64,
    tick_ms: i64,
    next_expiry_ms: i64,
    chain_len: usize,
}

#[derive(Debug, Clone, Default)]
struct ChainTable {
    version: u64,
    built: bool,
    /// Static per-contract data copied contiguously (rebuilt only when the chain grows).
    static_len: usize,
    ln_k: Vec<f64>,
    liq: Vec<f64>,
    /// (end index, expiry ms) of each run of contracts sharing an expiry.
    groups: Vec<(usize, i64)>,
    cum_q: Vec<f64>,
    cum_t: Vec<f64>,
}

/// The synthetic market. Deterministic: the same config, seed and sequence of `advance*` calls (with
/// the same durations and feed sets) give the same events. Oracle calls never change the outcome.
#[derive(Debug, Clone)]
pub struct Market {
    cfg: MarketConfig,
    now_ns: i64,
    next_tick_ns: i64,
    tick_ms: i64,
    refs: Vec<ChainRef>,
    /// Distinct expiry instants of each chain, sorted.
    expiries: Vec<Vec<i64>>,
    underlyings: Vec<Underlying>,
    contracts: Vec<Contract>,
    chains: Vec<ChainTable>,
    last_expiry_ms: Vec<i64>,
    seqs: Vec<u64>,
    by_symbol: HashMap<Arc<str>, InstrumentId>,
    opt_cum: Vec<f64>,
    stock_cum: Vec<f64>,
    bursts: Vec<Burst>,
    burst_cum: Vec<f64>,
    burst_total: f64,
    carry: [f64; 4],
    next_listing_ns: Option<i64>,
    next_trade_id: u64,
    rng_events: Rng,
    rng_spot: Rng,
    rng_burst: Rng,
    rng_listing: Rng,
}

fn tick_ns(cfg: &MarketConfig) -> i64 {
    (cfg.tick.as_nanos() as i64).max(NS_PER_MS)
}

fn cum_sum(v: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    v.map(|x| {
        acc += x;
        acc
    })
    .collect()
}

/// Index drawn from a cumulative table with total `cum.last()`; `None` when empty or all zero.
#[inline]
fn draw(cum: &[f64], u01: f64) -> Option<usize> {
    let total = *cum.last()?;
    if total <= 0.0 {
        return None;
    }
    let x = u01 * total;
    Some(cum.partition_point(|&c| c <= x).min(cum.len() - 1))
}

/// Rebuilds the weights of one chain from its reference state if needed (no randomness involved).
fn ensure_built(
    cfg: &MarketConfig,
    r: &ChainRef,
    und: &Underlying,
    contracts: &[Contract],
    table: &mut ChainTable,
) {
    if table.built && table.version == r.version {
        return;
    }
    let (ln_spot, tick_ms) = (r.ln_spot, r.tick_ms);
    if table.static_len != und.chain.len() {
        table.ln_k.clear();
        table.liq.clear();
        table.groups.clear();
        for (i, c) in und
            .chain
            .iter()
            .filter_map(|&ci| contracts.get(ci as usize))
            .enumerate()
        {
            if let Some(last) = table.groups.last_mut()
                && last.1 == c.expiry_ms
            {
                last.0 = i + 1;
            } else {
                table.groups.push((i + 1, c.expiry_ms));
            }
            table.ln_k.push(f64::from(c.ln_strike));
            table.liq.push(f64::from(c.liquidity));
        }
        table.static_len = und.chain.len();
    }
    table.cum_q.clear();
    table.cum_t.clear();
    let (mut aq, mut at) = (0.0, 0.0);
    let mut begin = 0;
    for &(end, expiry_ms) in &table.groups {
        let days = (expiry_ms - tick_ms) as f64 / 86_400_000.0;
        let f = pricing::expiry_factors(days, und.iv, cfg.tte_decay);
        let live = f.tte_q > 0.0;
        for i in begin..end {
            if live {
                let (q, t) = pricing::weights(
                    table.ln_k[i],
                    ln_spot,
                    table.liq[i],
                    &f,
                    cfg.moneyness_floor,
                );
                aq += q;
                at += t;
            }
            table.cum_q.push(aq);
            table.cum_t.push(at);
        }
        begin = end;
    }
    table.version = r.version;
    table.built = true;
}

impl Market {
    /// Builds the universe and the initial state from `cfg` and `seed`.
    pub fn new(cfg: MarketConfig, seed: u64) -> Self {
        let mut rng_universe = Rng::new(seed, 1);
        let mut underlyings = universe::build_underlyings(&cfg, &mut rng_universe);
        let contracts = universe::build_chains(&cfg, &mut underlyings, &mut rng_universe);
        let n_stocks = underlyings.len();
        let mut by_symbol = HashMap::with_capacity(n_stocks + contracts.len());
        for (i, u) in underlyings.iter().enumerate() {
            by_symbol.insert(u.symbol.clone(), InstrumentId(i as u32));
        }
        for (i, c) in contracts.iter().enumerate() {
            by_symbol.insert(c.symbol.clone(), InstrumentId((n_stocks + i) as u32));
        }
        let last_expiry_ms = underlyings
            .iter()
            .map(|u| {
                u.chain
                    .iter()
                    .filter_map(|&ci| contracts.get(ci as usize))
                    .map(|c| c.expiry_ms)
                    .max()
                    .unwrap_or(i64::MIN)
            })
            .collect();
        let stock_cum = cum_sum(underlyings.iter().map(|u| u.popularity));
        let expiries: Vec<Vec<i64>> = underlyings
            .iter()
            .map(|u| {
                let mut e: Vec<i64> = u
                    .chain
                    .iter()
                    .filter_map(|&ci| contracts.get(ci as usize))
                    .map(|c| c.expiry_ms)
                    .collect();
                e.sort_unstable();
                e.dedup();
                e
            })
            .collect();
        let now_ns = cfg.start_unix_ms.saturating_mul(NS_PER_MS);
        let mut m = Market {
            now_ns,
            next_tick_ns: now_ns + tick_ns(&cfg),
            tick_ms: cfg.start_unix_ms,
            refs: vec![ChainRef::default(); underlyings.len()],
            expiries,
            chains: vec![ChainTable::default(); underlyings.len()],
            seqs: vec![0; n_stocks + contracts.len()],
            underlyings,
            contracts,
            last_expiry_ms,
            by_symbol,
            opt_cum: Vec::new(),
            stock_cum,
            bursts: Vec::new(),
            burst_cum: Vec::new(),
            burst_total: 0.0,
            carry: [0.0; 4],
            next_listing_ns: cfg
                .listing_interval
                .map(|d| now_ns + (d.as_nanos() as i64).max(NS_PER_MS)),
            next_trade_id: 52_983_525_000_000,
            rng_events: Rng::new(seed, 2),
            rng_spot: Rng::new(seed, 3),
            rng_burst: Rng::new(seed, 4),
            rng_listing: Rng::new(seed, 5),
            cfg,
        };
        m.refresh_refs();
        m.refresh_option_weights();
        m
    }

    /// The configuration.
    pub fn config(&self) -> &MarketConfig {
        &self.cfg
    }

    /// Current offered load.
    pub fn rates(&self) -> Rates {
        self.cfg.rates
    }

    /// Changes the offered load from now on.
    pub fn set_rates(&mut self, rates: Rates) {
        self.cfg.rates = rates;
    }

    /// Simulated time, Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.now_ns.div_euclid(NS_PER_MS)
    }

    /// Simulated time, Unix nanoseconds.
    pub fn now_ns(&self) -> i64 {
        self.now_ns
    }

    /// Underlyings, by popularity rank (index = stock [`InstrumentId`]).
    pub fn underlyings(&self) -> &[Underlying] {
        &self.underlyings
    }

    /// Listed contracts (contract `i` has id `n_stocks() + i`), including intraday listings.
    pub fn contracts(&self) -> &[Contract] {
        &self.contracts
    }

    /// Number of stocks (= underlyings); option ids start here.
    pub fn n_stocks(&self) -> usize {
        self.underlyings.len()
    }

    /// Number of instruments (stocks + contracts).
    pub fn instrument_count(&self) -> usize {
        self.underlyings.len() + self.contracts.len()
    }

    /// Symbol of an instrument (`AAPL` or `O:…`); empty for an unknown id.
    pub fn symbol(&self, id: InstrumentId) -> &str {
        self.symbol_arc(id).map(|s| &**s).unwrap_or("")
    }

    /// Shared symbol string of an instrument.
    pub fn symbol_arc(&self, id: InstrumentId) -> Option<&Arc<str>> {
        let i = id.0 as usize;
        match i.checked_sub(self.underlyings.len()) {
            None => self.underlyings.get(i).map(|u| &u.symbol),
            Some(ci) => self.contracts.get(ci).map(|c| &c.symbol),
        }
    }

    /// Id of a symbol, if listed.
    pub fn lookup(&self, symbol: &str) -> Option<InstrumentId> {
        self.by_symbol.get(symbol).copied()
    }

    /// Whether an id is an option contract.
    pub fn is_option(&self, id: InstrumentId) -> bool {
        id.0 as usize >= self.underlyings.len()
    }

    /// The contract behind an option id.
    pub fn contract(&self, id: InstrumentId) -> Option<&Contract> {
        (id.0 as usize)
            .checked_sub(self.underlyings.len())
            .and_then(|ci| self.contracts.get(ci))
    }

    /// Current spot of an underlying ticker.
    pub fn spot(&self, ticker: &str) -> Option<f64> {
        let id = self.lookup(ticker)?;
        self.underlyings.get(id.0 as usize).map(|u| u.spot)
    }

    /// Last sequence number issued for an instrument (0 = none yet).
    pub fn last_seq(&self, id: InstrumentId) -> u64 {
        self.seqs.get(id.0 as usize).copied().unwrap_or(0)
    }

    /// Bursts in force.
    pub fn active_bursts(&self) -> &[Burst] {
        &self.bursts
    }

    /// Advances simulated time by `dt`, generating every feed; returns the events in time order.
    pub fn advance(&mut self, dt: Duration) -> Vec<Event> {
        self.advance_feeds(dt, Feeds::ALL)
    }

    /// Advances by `dt`, generating only `feeds` (the others are not drawn at all, which is faster).
    pub fn advance_feeds(&mut self, dt: Duration, feeds: Feeds) -> Vec<Event> {
        let mut out = Vec::new();
        self.advance_with(dt, feeds, |e, _| out.push(*e));
        out
    }

    /// Advances by `dt`, calling `f(event, symbol)` for each generated event of `feeds`, in time order.
    /// No allocation per event: this is what the server's generator uses.
    pub fn advance_with(&mut self, dt: Duration, feeds: Feeds, mut f: impl FnMut(&Event, &str)) {
        let end = self
            .now_ns
            .saturating_add(dt.as_nanos().min(i64::MAX as u128) as i64);
        while self.now_ns < end {
            let seg_end = end.min(self.next_tick_ns);
            self.generate(self.now_ns, seg_end, feeds, &mut f);
            self.now_ns = seg_end;
            if self.now_ns >= self.next_tick_ns {
                self.on_tick();
                self.next_tick_ns += tick_ns(&self.cfg);
            }
        }
    }

    fn on_tick(&mut self) {
        let tick_s = tick_ns(&self.cfg) as f64 / NS_PER_S;
        let dt_h = tick_s / 3600.0;
        let vol = self.cfg.spot_vol_per_sqrt_hour * dt_h.sqrt();
        let drift = self.cfg.spot_drift_per_hour * dt_h;
        for u in &mut self.underlyings {
            let z = self.rng_spot.normal();
            let r = drift * u.drift_sign + vol * z;
            let s = u.spot * r.exp();
            if s.is_finite() {
                u.spot = s.clamp(0.5, 99_000.0);
            }
        }
        self.tick_ms = self.now_ms();
        if let Some(next) = self.next_listing_ns
            && self.now_ns >= next
        {
            self.list_new_expiries();
            let every = self
                .cfg
                .listing_interval
                .map(|d| (d.as_nanos() as i64).max(NS_PER_MS))
                .unwrap_or(i64::MAX);
            self.next_listing_ns = Some(next.saturating_add(every));
        }
        self.refresh_refs();
        self.refresh_option_weights();
        self.update_bursts(tick_s);
    }

    /// Marks chains whose intensities must be recomputed: the spot moved more than
    /// `refresh_spot_move`, a contract expired, the chain grew, or they are `refresh_max_age` old.
    fn refresh_refs(&mut self) {
        let tick_ms = self.tick_ms;
        let max_age = self.cfg.refresh_max_age.as_millis() as i64;
        for ((r, u), exp) in self
            .refs
            .iter_mut()
            .zip(&self.underlyings)
            .zip(&self.expiries)
        {
            let ln_s = u.spot.ln();
            let stale = r.version == 0
                || r.chain_len != u.chain.len()
                || (ln_s - r.ln_spot).abs() > self.cfg.refresh_spot_move
                || tick_ms - r.tick_ms >= max_age
                || tick_ms >= r.next_expiry_ms;
            if stale {
                r.version += 1;
                r.ln_spot = ln_s;
                r.tick_ms = tick_ms;
                r.chain_len = u.chain.len();
                r.next_expiry_ms = exp
                    .iter()
                    .copied()
                    .find(|&e| e > tick_ms)
                    .unwrap_or(i64::MAX);
            }
        }
    }

    /// Top-level option activity per underlying: popularity, zero once its whole chain expired.
    fn refresh_option_weights(&mut self) {
        let tick_ms = self.tick_ms;
        self.opt_cum = cum_sum(
            self.underlyings
                .iter()
                .zip(&self.last_expiry_ms)
                .map(|(u, &le)| if le > tick_ms { u.popularity } else { 0.0 }),
        );
    }

    fn update_bursts(&mut self, tick_s: f64) {
        let now_ms = self.now_ms();
        self.bursts.retain(|b| b.end_ms > now_ms);
        // Poisson arrivals (Knuth) for the tick.
        let lambda = (self.cfg.burst_rate_per_s * tick_s).max(0.0);
        let mut arrivals = 0;
        if lambda > 0.0 {
            let limit = (-lambda).exp();
            let mut p = self.rng_burst.f64_open();
            while p > limit && arrivals < 1000 {
                arrivals += 1;
                p *= self.rng_burst.f64_open();
            }
        }
        let mean_ms = self.cfg.burst_mean_duration.as_secs_f64() * 1000.0;
        for _ in 0..arrivals {
            let u01 = self.rng_burst.f64();
            let pick = self.rng_burst.f64();
            let share = self
                .rng_burst
                .pareto(
                    self.cfg.burst_min_share.max(1e-9),
                    self.cfg.burst_alpha.max(0.1),
                )
                .min(self.cfg.burst_max_share);
            let dur = self
                .rng_burst
                .pareto(mean_ms / 3.0, 1.5)
                .min(20.0 * mean_ms);
            let Some(u) = draw(&self.opt_cum, u01) else {
                continue;
            };
            ensure_built(
                &self.cfg,
                &self.refs[u],
                &self.underlyings[u],
                &self.contracts,
                &mut self.chains[u],
            );
            let Some(k) = draw(&self.chains[u].cum_t, pick) else {
                continue;
            };
            let ci = self.underlyings[u].chain[k] as usize;
            self.bursts.push(Burst {
                instrument: InstrumentId((self.underlyings.len() + ci) as u32),
                share,
                end_ms: now_ms + dur.max(1.0) as i64,
                raw_share: share,
            });
        }
        let raw: f64 = self.bursts.iter().map(|b| b.raw_share).sum();
        let scale = if raw > 0.5 { 0.5 / raw } else { 1.0 };
        for b in &mut self.bursts {
            b.share = b.raw_share * scale;
        }
        self.burst_cum = cum_sum(self.bursts.iter().map(|b| b.share));
        self.burst_total = self.burst_cum.last().copied().unwrap_or(0.0);
    }

    fn list_new_expiries(&mut self) {
        let n = self.cfg.listing_underlyings;
        let pop_cum = cum_sum(self.underlyings.iter().map(|u| u.popularity));
        let today = self.now_ms().div_euclid(86_400_000);
        let now_ms = self.now_ms();
        for _ in 0..n {
            let Some(u) = draw(&pop_cum, self.rng_listing.f64()) else {
                return;
            };
            let listed: std::collections::HashSet<i64> = self.underlyings[u]
                .chain
                .iter()
                .filter_map(|&ci| self.contracts.get(ci as usize))
                .map(|c| c.expiry_day)
                .collect();
            let Some(day) = (today..today + 400).find(|&d| {
                crate::occ::weekday(d) < 5
                    && universe::expiry_ms(d) > now_ms
                    && !listed.contains(&d)
            }) else {
                continue;
            };
            let (_, strikes, spacing) = universe::chain_shape(u, today);
            let n_strikes = ((strikes as f64) * self.cfg.chain_scale).round().max(2.0) as usize;
            let before = self.contracts.len();
            let by_symbol = &self.by_symbol;
            universe::list_expiry(
                &mut self.contracts,
                u,
                &mut self.underlyings[u],
                day,
                n_strikes,
                spacing,
                now_ms,
                &|s| by_symbol.contains_key(s),
                &mut self.rng_listing,
            );
            let n_stocks = self.underlyings.len();
            for ci in before..self.contracts.len() {
                let c = &self.contracts[ci];
                self.by_symbol
                    .insert(c.symbol.clone(), InstrumentId((n_stocks + ci) as u32));
                self.last_expiry_ms[u] = self.last_expiry_ms[u].max(c.expiry_ms);
            }
            self.seqs.resize(n_stocks + self.contracts.len(), 0);
            let e = &mut self.expiries[u];
            e.push(universe::expiry_ms(day));
            e.sort_unstable();
            e.dedup();
        }
    }

    fn generate(&mut self, a: i64, b: i64, feeds: Feeds, f: &mut impl FnMut(&Event, &str)) {
        let dt_s = (b - a) as f64 / NS_PER_S;
        let mut counts = [0u64; 4];
        for feed in Feed::ALL {
            if !feeds.contains(feed) {
                continue;
            }
            let expected = self.cfg.rates.get(feed).max(0.0) * dt_s + self.carry[feed.index()];
            let n = expected.floor();
            self.carry[feed.index()] = expected - n;
            counts[feed.index()] = n as u64;
        }
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return;
        }
        let Market {
            cfg,
            refs,
            underlyings,
            contracts,
            chains,
            seqs,
            opt_cum,
            stock_cum,
            bursts,
            burst_cum,
            burst_total,
            next_trade_id,
            rng_events: rng,
            ..
        } = self;
        let n_stocks = underlyings.len();
        let span = (b - a) as i128;
        let mut remaining = counts;
        for k in 0..total {
            let rem_total = total - k;
            // Pick the feed with probability proportional to its remaining count.
            let mut r = rng.below(rem_total);
            let mut fi = 0;
            while fi < 3 && r >= remaining[fi] {
                r -= remaining[fi];
                fi += 1;
            }
            remaining[fi] = remaining[fi].saturating_sub(1);
            let feed = Feed::ALL[fi];
            let ts_ns = a + (span * i128::from(k) / i128::from(total)) as i64;
            let ts_ms = ts_ns.div_euclid(NS_PER_MS);
            let bits = rng.next_u64();
            let mut ev = Event {
                feed,
                instrument: InstrumentId(0),
                ts_ms,
                seq: 0,
                price_cents: 0,
                ask_cents: 0,
                size: 0,
                ask_size: 0,
                exchange: 0,
                ask_exchange: 0,
                conditions: [0; 2],
                n_conditions: 0,
                tape: 0,
                trade_id: 0,
                trf_id: 0,
                trf_ts_ms: 0,
                indicator: 0,
            };
            let symbol: &str;
            if feed.is_option() {
                let is_trade = feed == Feed::OptionTrades;
                let u01 = rng.f64();
                let ci = if u01 < *burst_total {
                    let i = burst_cum
                        .partition_point(|&c| c <= u01)
                        .min(bursts.len() - 1);
                    bursts[i].instrument.0 as usize - n_stocks
                } else {
                    let Some(u) = draw(opt_cum, rng.f64()) else {
                        continue;
                    };
                    ensure_built(cfg, &refs[u], &underlyings[u], contracts, &mut chains[u]);
                    let table = &chains[u];
                    let cum = if is_trade { &table.cum_t } else { &table.cum_q };
                    let Some(i) = draw(cum, rng.f64()) else {
                        continue;
                    };
                    underlyings[u].chain[i] as usize
                };
                let Some(c) = contracts.get(ci) else {
                    continue;
                };
                let und = &underlyings[c.underlying as usize];
                let years = ((c.expiry_ms - ts_ms) as f64 / (365.0 * 86_400_000.0)).max(0.0);
                let fair = pricing::theo(und.spot, c.strike(), years, und.iv, c.right);
                let theo_c = (fair * 100.0).round().clamp(1.0, 1e9);
                let spread = (theo_c * 0.03).round().clamp(1.0, 500.0);
                let jitter = (bits & 3) as f64 - 1.5;
                let bid = (theo_c - spread / 2.0 + jitter.round()).max(1.0);
                let ask = bid + spread;
                ev.instrument = InstrumentId((n_stocks + ci) as u32);
                if is_trade {
                    ev.price_cents = match (bits >> 2) & 3 {
                        0 => bid,
                        1 => ask,
                        _ => ((bid + ask) / 2.0).round(),
                    } as u32;
                    ev.size = rng.pareto(1.0, 1.2).min(5_000.0) as u32;
                    ev.exchange = OPTION_EXCHANGES[((bits >> 4) & 15) as usize];
                    ev.conditions[0] = OPTION_CONDITIONS[((bits >> 8) & 7) as usize];
                    ev.n_conditions = 1;
                } else {
                    ev.price_cents = bid as u32;
                    ev.ask_cents = ask as u32;
                    ev.size = 1 + ((bits >> 8) % 200) as u32;
                    ev.ask_size = 1 + ((bits >> 16) % 200) as u32;
                    ev.exchange = OPTION_EXCHANGES[((bits >> 24) & 15) as usize];
                    ev.ask_exchange = OPTION_EXCHANGES[((bits >> 28) & 15) as usize];
                }
                symbol = &c.symbol;
            } else {
                let Some(u) = draw(stock_cum, rng.f64()) else {
                    continue;
                };
                let und = &underlyings[u];
                let mid = (und.spot * 100.0).max(1.0);
                let half = (mid * 0.00005).max(0.5);
                let bid = ((mid - half).floor() - ((bits & 1) as f64)).max(1.0);
                let ask = (mid + half).ceil().max(bid + 1.0);
                ev.instrument = InstrumentId(u as u32);
                ev.tape = und.tape;
                if feed == Feed::StockTrades {
                    ev.price_cents = match (bits >> 2) & 3 {
                        0 => bid,
                        1 => ask,
                        _ => ((bid + ask) / 2.0).round(),
                    } as u32;
                    let odd = (bits >> 4) % 10 < 3;
                    ev.size = if odd {
                        1 + ((bits >> 8) % 99) as u32
                    } else {
                        100 * (1 + ((bits >> 8) % 10) as u32)
                    };
                    ev.exchange = STOCK_EXCHANGES[((bits >> 16) & 15) as usize];
                    if odd {
                        ev.conditions = [37, 0];
                        ev.n_conditions = 1;
                    } else if (bits >> 20) % 8 == 0 {
                        ev.conditions = [12, 37];
                        ev.n_conditions = 2;
                    }
                    *next_trade_id += 1 + ((bits >> 24) & 7);
                    ev.trade_id = *next_trade_id;
                    if (bits >> 28) % 7 == 0 {
                        ev.exchange = 4;
                        ev.trf_id = 201 + ((bits >> 32) % 3) as u16;
                        ev.trf_ts_ms = ts_ms - ((bits >> 36) % 5) as i64;
                    }
                } else {
                    ev.price_cents = bid as u32;
                    ev.ask_cents = ask as u32;
                    ev.size = 1 + ((bits >> 8) % 20) as u32;
                    ev.ask_size = 1 + ((bits >> 16) % 20) as u32;
                    ev.exchange = STOCK_EXCHANGES[((bits >> 24) & 15) as usize];
                    ev.ask_exchange = STOCK_EXCHANGES[((bits >> 28) & 15) as usize];
                    if (bits >> 32) % 8 == 0 {
                        ev.indicator = 604;
                    }
                }
                symbol = &und.symbol;
            }
            let Some(seq) = seqs.get_mut(ev.instrument.0 as usize) else {
                continue;
            };
            *seq += 1 + u64::from((bits >> 40) & 7 == 0);
            ev.seq = *seq;
            f(&ev, symbol);
        }
    }

    /// Expected events/s of every instrument of `feed` right now, indexed by contract index for
    /// option feeds (id − [`Market::n_stocks`]) and by stock index for stock feeds.
    pub fn feed_intensities(&mut self, feed: Feed) -> Vec<f64> {
        let rate = self.cfg.rates.get(feed).max(0.0);
        if !feed.is_option() {
            return self
                .underlyings
                .iter()
                .map(|u| rate * u.popularity)
                .collect();
        }
        let mut out = vec![0.0; self.contracts.len()];
        let top_total = self.opt_cum.last().copied().unwrap_or(0.0);
        let base = rate * (1.0 - self.burst_total);
        if top_total > 0.0 {
            let mut prev = 0.0;
            for u in 0..self.underlyings.len() {
                let top_w = self.opt_cum[u] - prev;
                prev = self.opt_cum[u];
                if top_w <= 0.0 {
                    continue;
                }
                ensure_built(
                    &self.cfg,
                    &self.refs[u],
                    &self.underlyings[u],
                    &self.contracts,
                    &mut self.chains[u],
                );
                let t = &self.chains[u];
                let cum = if feed == Feed::OptionTrades {
                    &t.cum_t
                } else {
                    &t.cum_q
                };
                let Some(&chain_total) = cum.last() else {
                    continue;
                };
                if chain_total <= 0.0 {
                    continue;
                }
                let k = base * top_w / top_total / chain_total;
                let mut p = 0.0;
                for (i, &c) in cum.iter().enumerate() {
                    if let Some(slot) = out.get_mut(self.underlyings[u].chain[i] as usize) {
                        *slot = k * (c - p);
                    }
                    p = c;
                }
            }
        }
        let n_stocks = self.underlyings.len();
        for b in &self.bursts {
            if let Some(slot) = out.get_mut(b.instrument.0 as usize - n_stocks) {
                *slot += rate * b.share;
            }
        }
        out
    }

    fn nonzero(&mut self, feed: Feed) -> Vec<(InstrumentId, f64)> {
        let n = self.underlyings.len() as u32;
        self.feed_intensities(feed)
            .into_iter()
            .enumerate()
            .filter(|(_, r)| *r > 0.0)
            .map(|(i, r)| (InstrumentId(n + i as u32), r))
            .collect()
    }

    /// Oracle: expected option trades/s of every contract with non-zero activity right now.
    pub fn option_trade_intensities(&mut self) -> Vec<(InstrumentId, f64)> {
        self.nonzero(Feed::OptionTrades)
    }

    /// Oracle: expected option quotes/s of every contract with non-zero activity right now.
    pub fn option_quote_intensities(&mut self) -> Vec<(InstrumentId, f64)> {
        self.nonzero(Feed::OptionQuotes)
    }

    /// Oracle: expected quotes/s and trades/s of one symbol right now (`None` if not listed).
    /// Costs a chain rebuild at most; for many symbols use [`Market::feed_intensities`].
    pub fn intensity(&mut self, symbol: &str) -> Option<Intensity> {
        let id = self.lookup(symbol)?;
        Some(self.intensity_of(id))
    }

    /// Oracle for one instrument id.
    pub fn intensity_of(&mut self, id: InstrumentId) -> Intensity {
        let n_stocks = self.underlyings.len();
        let i = id.0 as usize;
        if i < n_stocks {
            let p = self.underlyings[i].popularity;
            return Intensity {
                quotes: self.cfg.rates.stock_quotes * p,
                trades: self.cfg.rates.stock_trades * p,
            };
        }
        let ci = i - n_stocks;
        let Some(c) = self.contracts.get(ci) else {
            return Intensity::default();
        };
        let u = c.underlying as usize;
        let mut out = Intensity::default();
        let top_total = self.opt_cum.last().copied().unwrap_or(0.0);
        let top_w = self.opt_cum[u] - if u > 0 { self.opt_cum[u - 1] } else { 0.0 };
        if top_total > 0.0 && top_w > 0.0 {
            ensure_built(
                &self.cfg,
                &self.refs[u],
                &self.underlyings[u],
                &self.contracts,
                &mut self.chains[u],
            );
            let t = &self.chains[u];
            if let Some(k) = self.underlyings[u]
                .chain
                .iter()
                .position(|&x| x as usize == ci)
            {
                let w = |cum: &[f64]| {
                    let total = cum.last().copied().unwrap_or(0.0);
                    if total <= 0.0 {
                        return 0.0;
                    }
                    (cum[k] - if k > 0 { cum[k - 1] } else { 0.0 }) / total
                };
                let share = (1.0 - self.burst_total) * top_w / top_total;
                out.quotes = self.cfg.rates.option_quotes * share * w(&t.cum_q);
                out.trades = self.cfg.rates.option_trades * share * w(&t.cum_t);
            }
        }
        for b in self.bursts.iter().filter(|b| b.instrument == id) {
            out.quotes += self.cfg.rates.option_quotes * b.share;
            out.trades += self.cfg.rates.option_trades * b.share;
        }
        out
    }
}

#[cfg(test)]
mod tests;
