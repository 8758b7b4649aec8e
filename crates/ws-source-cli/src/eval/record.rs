//! Recording a scenario once: the option trades of every rebalance interval and the oracle's
//! top-K at every decision time, so every policy is replayed on exactly the same market.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use massive_sim::{Feeds, Market, MarketConfig};

const NS_PER_MS: i64 = 1_000_000;

/// One option trade, as the policies and the metrics need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trade {
    /// Contract index (into [`Recording::symbols`]).
    pub contract: u32,
    /// SIP timestamp, Unix nanoseconds.
    pub ts_ns: i64,
    /// Size in contracts.
    pub size: u32,
    /// Premium in dollars: price × size × 100.
    pub premium: f64,
}

/// What a scenario produced, in virtual time.
///
/// Interval `r` starts at the decision time `start_ns + r × interval_ns`; the allocation decided
/// then applies to the trades of interval `r` (which no policy has seen when deciding).
#[derive(Debug)]
pub struct Recording {
    /// Simulated time of the first decision, Unix ns.
    pub start_ns: i64,
    /// Rebalance interval, ns.
    pub interval_ns: i64,
    /// Every contract listed by the end of the run (intraday listings included), by index.
    pub symbols: Vec<Arc<str>>,
    /// Symbol → contract index.
    pub index: HashMap<Arc<str>, u32>,
    /// Trades of all intervals, in time order.
    pub trades: Vec<Trade>,
    /// `trades[bounds[r]..bounds[r + 1]]` are the trades of interval `r`.
    pub bounds: Vec<usize>,
    /// Number of contracts listed at each decision time (contracts `0..listed[r]`).
    pub listed: Vec<u32>,
    /// The oracle's choice at each decision: the `slots` contracts with the highest true trade
    /// intensity at that moment (ties by index), sorted by index.
    pub oracle: Vec<Vec<u32>>,
}

impl Recording {
    /// Number of rebalance intervals.
    pub fn intervals(&self) -> usize {
        self.oracle.len()
    }

    /// Trades of interval `r`.
    pub fn trades_of(&self, r: usize) -> &[Trade] {
        let a = self.bounds.get(r).copied().unwrap_or(0);
        let b = self.bounds.get(r + 1).copied().unwrap_or(a);
        self.trades.get(a..b).unwrap_or(&[])
    }

    /// Decision time of interval `r`, Unix ns.
    pub fn decision_ns(&self, r: usize) -> i64 {
        self.start_ns
            .saturating_add(self.interval_ns.saturating_mul(r as i64))
    }
}

/// The `k` best `(index, rate)` pairs by rate (ties by index), returned sorted by index.
pub fn top_k_by_rate(mut v: Vec<(u32, f64)>, k: usize) -> Vec<u32> {
    let better = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if v.len() > k {
        if k == 0 {
            return Vec::new();
        }
        v.select_nth_unstable_by(k - 1, better);
        v.truncate(k);
    }
    let mut out: Vec<u32> = v.into_iter().map(|(i, _)| i).collect();
    out.sort_unstable();
    out
}

/// Runs the market for `intervals` rebalance intervals of `interval` each, generating only option
/// trades, and records them with the oracle's top-`slots` at every decision time.
pub fn record(
    cfg: MarketConfig,
    seed: u64,
    interval: Duration,
    intervals: usize,
    slots: usize,
) -> Recording {
    let mut market = Market::new(cfg, seed);
    let n_stocks = market.n_stocks() as u32;
    let start_ns = market.now_ns();
    let mut trades = Vec::new();
    let mut bounds = Vec::with_capacity(intervals + 1);
    let mut listed = Vec::with_capacity(intervals);
    let mut oracle = Vec::with_capacity(intervals);
    bounds.push(0);
    for _ in 0..intervals {
        listed.push(market.contracts().len() as u32);
        let truth: Vec<(u32, f64)> = market
            .option_trade_intensities()
            .into_iter()
            .filter_map(|(id, rate)| id.0.checked_sub(n_stocks).map(|c| (c, rate)))
            .collect();
        oracle.push(top_k_by_rate(truth, slots));
        market.advance_with(interval, Feeds::OPTION_TRADES, |e, _| {
            if let Some(contract) = e.instrument.0.checked_sub(n_stocks) {
                trades.push(Trade {
                    contract,
                    ts_ns: e.ts_ms.saturating_mul(NS_PER_MS),
                    size: e.size,
                    premium: e.notional(),
                });
            }
        });
        bounds.push(trades.len());
    }
    let symbols: Vec<Arc<str>> = market
        .contracts()
        .iter()
        .map(|c| c.symbol.clone())
        .collect();
    let index = symbols
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), i as u32))
        .collect();
    Recording {
        start_ns,
        interval_ns: interval.as_nanos().min(i64::MAX as u128) as i64,
        symbols,
        index,
        trades,
        bounds,
        listed,
        oracle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_breaks_ties_by_index_and_sorts() {
        let v = vec![(5, 1.0), (2, 3.0), (9, 3.0), (1, 0.5), (7, 2.0)];
        assert_eq!(top_k_by_rate(v.clone(), 2), vec![2, 9]);
        assert_eq!(top_k_by_rate(v.clone(), 3), vec![2, 7, 9]);
        assert_eq!(top_k_by_rate(v.clone(), 0), Vec::<u32>::new());
        assert_eq!(top_k_by_rate(v, 10), vec![1, 2, 5, 7, 9]);
    }
}
