//! The instrument universe: underlyings (which are also the stock tickers) and their option chains.

use super::MarketConfig;
use crate::occ::{self, Right};
use crate::rng::Rng;
use std::collections::HashSet;
use std::sync::Arc;

/// An underlying (also traded as a stock).
#[derive(Debug, Clone)]
pub struct Underlying {
    /// Ticker, e.g. `AAPL`.
    pub symbol: Arc<str>,
    /// Popularity share (Zipf), summing to 1 over all underlyings.
    pub popularity: f64,
    /// Current spot price in dollars.
    pub spot: f64,
    /// Implied volatility used for option prices and the width of the active strike band.
    pub iv: f64,
    /// +1 or −1: the direction of this underlying's drift.
    pub drift_sign: f64,
    /// Tape (1, 2 or 3).
    pub tape: u8,
    /// Contract indices of its chain (grouped by expiry).
    pub chain: Vec<u32>,
}

/// A listed option contract.
#[derive(Debug, Clone)]
pub struct Contract {
    /// `O:` + OCC symbol.
    pub symbol: Arc<str>,
    /// Index of the underlying.
    pub underlying: u32,
    /// Expiry date (days since 1970-01-01).
    pub expiry_day: i64,
    /// Expiry instant, Unix ms (20:00 UTC of the expiry date).
    pub expiry_ms: i64,
    /// Strike × 1000.
    pub strike_milli: u64,
    /// Call or put.
    pub right: Right,
    /// Static per-contract liquidity factor (log-normal around 1).
    pub liquidity: f32,
    /// `ln(strike)`, cached for the intensity model.
    pub ln_strike: f32,
    /// When it was listed (Unix ms); the market start for the initial universe.
    pub listed_at_ms: i64,
}

impl Contract {
    /// Strike in dollars.
    pub fn strike(&self) -> f64 {
        self.strike_milli as f64 / 1000.0
    }
}

/// Expiry instant: 20:00 UTC (16:00 New York in summer) on the given day.
pub fn expiry_ms(day: i64) -> i64 {
    day * 86_400_000 + 20 * 3_600_000
}

const KNOWN: &[(&str, f64, f64, u8)] = &[
    ("SPY", 590.0, 0.15, 2),
    ("QQQ", 520.0, 0.19, 3),
    ("TSLA", 340.0, 0.60, 3),
    ("NVDA", 135.0, 0.50, 3),
    ("AAPL", 200.0, 0.28, 3),
    ("IWM", 205.0, 0.22, 2),
    ("AMZN", 205.0, 0.33, 3),
    ("META", 640.0, 0.38, 3),
    ("AMD", 115.0, 0.52, 3),
    ("MSFT", 460.0, 0.25, 3),
    ("PLTR", 130.0, 0.70, 3),
    ("GOOGL", 170.0, 0.30, 3),
    ("NFLX", 1200.0, 0.35, 3),
    ("MSTR", 380.0, 0.85, 3),
    ("COIN", 250.0, 0.75, 3),
    ("SMCI", 40.0, 0.80, 3),
    ("BAC", 44.0, 0.25, 1),
    ("SOFI", 14.0, 0.65, 3),
    ("INTC", 20.0, 0.45, 3),
    ("UBER", 85.0, 0.40, 1),
    ("BABA", 120.0, 0.45, 1),
    ("F", 10.0, 0.35, 1),
    ("GLD", 310.0, 0.16, 2),
    ("TLT", 86.0, 0.14, 3),
    ("XLF", 50.0, 0.18, 2),
    ("HYG", 80.0, 0.08, 2),
    ("SLV", 30.0, 0.30, 2),
    ("EEM", 45.0, 0.20, 2),
    ("ARKK", 58.0, 0.45, 2),
    ("DIS", 110.0, 0.28, 1),
];

/// Builds the underlyings (with empty chains).
pub fn build_underlyings(cfg: &MarketConfig, rng: &mut Rng) -> Vec<Underlying> {
    let n = cfg.underlyings.max(1);
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(n);
    let weights: Vec<f64> = (0..n)
        .map(|r| 1.0 / ((r + 1) as f64).powf(cfg.zipf_exponent))
        .collect();
    let total: f64 = weights.iter().sum();
    for (rank, w) in weights.iter().enumerate() {
        let (symbol, spot, iv, tape) = if let Some(&(s, p, v, t)) = KNOWN.get(rank) {
            (s.to_string(), p, v, t)
        } else {
            let sym = loop {
                let len = 2 + rng.below(3) as usize;
                let s: String = (0..len)
                    .map(|_| char::from(b'A' + rng.below(26) as u8))
                    .collect();
                if !seen.contains(&s) && !KNOWN.iter().any(|k| k.0 == s) {
                    break s;
                }
            };
            let spot = (5.0f64.ln() + rng.f64() * (500.0f64.ln() - 5.0f64.ln())).exp();
            let spot = (spot * 100.0).round() / 100.0;
            let iv = 0.2 + rng.f64() * 0.6;
            let tape = if rng.below(2) == 0 { 1 } else { 3 };
            (sym, spot, iv, tape)
        };
        seen.insert(symbol.clone());
        let drift_sign = if rng.below(2) == 0 { 1.0 } else { -1.0 };
        out.push(Underlying {
            symbol: Arc::from(symbol.as_str()),
            popularity: w / total,
            spot,
            iv,
            drift_sign,
            tape,
            chain: Vec::new(),
        });
    }
    out
}

/// A "nice" strike step at least `target` dollars.
pub fn strike_step(target: f64) -> f64 {
    const STEPS: [f64; 9] = [0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0];
    STEPS
        .iter()
        .copied()
        .find(|&s| s >= target)
        .unwrap_or(250.0)
}

fn trading_days_from(start_day: i64, count: usize) -> Vec<i64> {
    (start_day..)
        .filter(|&d| occ::weekday(d) < 5)
        .take(count)
        .collect()
}

fn fridays_from(start_day: i64, count: usize) -> Vec<i64> {
    (start_day..)
        .filter(|&d| occ::weekday(d) == 4)
        .take(count)
        .collect()
}

fn monthlies_from(start_day: i64, count: usize) -> Vec<i64> {
    // Third Friday of each month, from the start month on, not before start_day.
    let (mut y, mut m, _) = occ::civil_from_days(start_day);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let first = occ::days_from_civil(y, m, 1);
        let first_friday = first + i64::from((4 + 7 - occ::weekday(first)) % 7);
        let third = first_friday + 14;
        if third >= start_day {
            out.push(third);
        }
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

/// Expiry days and strikes-per-expiry (before scaling) and the relative strike spacing by rank tier.
pub(crate) fn chain_shape(rank: usize, start_day: i64) -> (Vec<i64>, usize, f64) {
    let mut days: Vec<i64> = if rank < 25 {
        let mut v = trading_days_from(start_day, 5);
        v.extend(fridays_from(start_day, 8));
        v.extend(monthlies_from(start_day, 6));
        v
    } else if rank < 150 {
        let mut v = fridays_from(start_day, 4);
        v.extend(monthlies_from(start_day, 4));
        v
    } else {
        let mut v = fridays_from(start_day, 1);
        v.extend(monthlies_from(start_day, 3));
        v
    };
    days.sort_unstable();
    days.dedup();
    let (strikes, spacing) = if rank < 25 {
        (60, 0.01)
    } else if rank < 150 {
        (40, 0.02)
    } else {
        (30, 0.025)
    };
    (days, strikes, spacing)
}

/// Appends one expiry's calls and puts around `spot` to `contracts` and the underlying's chain.
#[allow(clippy::too_many_arguments)]
pub fn list_expiry(
    contracts: &mut Vec<Contract>,
    und_idx: usize,
    und: &mut Underlying,
    day: i64,
    n_strikes: usize,
    rel_spacing: f64,
    listed_at_ms: i64,
    existing: &dyn Fn(&str) -> bool,
    rng: &mut Rng,
) {
    let step = strike_step(und.spot * rel_spacing);
    let center = (und.spot / step).round() * step;
    let n = n_strikes.max(2);
    let date = occ::civil_from_days(day);
    for i in 0..n {
        let k = center + (i as f64 - (n / 2) as f64) * step;
        if k <= 0.0 || k >= 99_999.0 {
            continue;
        }
        let strike_milli = (k * 1000.0).round() as u64;
        for right in [Right::Call, Right::Put] {
            let symbol = occ::format_occ(&und.symbol, date, right, strike_milli);
            if existing(&symbol) {
                continue;
            }
            let liquidity = (0.5 * rng.normal()).exp() as f32;
            und.chain.push(contracts.len() as u32);
            contracts.push(Contract {
                symbol: Arc::from(symbol.as_str()),
                underlying: und_idx as u32,
                expiry_day: day,
                expiry_ms: expiry_ms(day),
                strike_milli,
                right,
                liquidity,
                ln_strike: (k as f32).ln(),
                listed_at_ms,
            });
        }
    }
}

/// Builds every chain of the initial universe.
pub fn build_chains(cfg: &MarketConfig, unds: &mut [Underlying], rng: &mut Rng) -> Vec<Contract> {
    let start_day = cfg.start_unix_ms.div_euclid(86_400_000);
    let mut contracts = Vec::new();
    for (rank, und) in unds.iter_mut().enumerate() {
        let (days, strikes, spacing) = chain_shape(rank, start_day);
        let n = ((strikes as f64) * cfg.chain_scale).round().max(2.0) as usize;
        for day in days {
            list_expiry(
                &mut contracts,
                rank,
                und,
                day,
                n,
                spacing,
                cfg.start_unix_ms,
                &|_| false,
                rng,
            );
        }
    }
    contracts
}
