//! Market scenario knobs ([`MarketConfig`]) and offered load per feed ([`Rates`]).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Offered load per feed, in events per second of simulated time.
///
/// The market emits exactly these totals (fractional remainders carry over between steps); the
/// split across instruments follows the market's activity model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Option quotes (`Q.O:…`), events/s.
    pub option_quotes: f64,
    /// Option trades (`T.O:…`), events/s.
    pub option_trades: f64,
    /// Stock quotes (`Q.AAPL`), events/s.
    pub stock_quotes: f64,
    /// Stock trades (`T.AAPL`), events/s.
    pub stock_trades: f64,
}

impl Default for Rates {
    /// A light load (about 8,000 events/s in total) suitable for tests running in parallel.
    fn default() -> Self {
        Rates {
            option_quotes: 5_000.0,
            option_trades: 250.0,
            stock_quotes: 2_500.0,
            stock_trades: 250.0,
        }
    }
}

impl Rates {
    /// No events at all.
    pub fn zero() -> Self {
        Rates {
            option_quotes: 0.0,
            option_trades: 0.0,
            stock_quotes: 0.0,
            stock_trades: 0.0,
        }
    }

    /// The default proportions (quotes 20× trades, options 2× stocks) scaled to `total` events/s.
    ///
    /// ```
    /// let r = massive_sim::Rates::with_total(1_000_000.0);
    /// assert!((r.total() - 1_000_000.0).abs() < 1e-6);
    /// ```
    pub fn with_total(total: f64) -> Self {
        let d = Rates::default();
        let k = total / d.total();
        Rates {
            option_quotes: d.option_quotes * k,
            option_trades: d.option_trades * k,
            stock_quotes: d.stock_quotes * k,
            stock_trades: d.stock_trades * k,
        }
    }

    /// Only option trades, at `per_s` events/s (what a scheduler evaluation needs).
    pub fn option_trades_only(per_s: f64) -> Self {
        Rates {
            option_trades: per_s,
            ..Rates::zero()
        }
    }

    /// Sum over the four feeds.
    pub fn total(&self) -> f64 {
        self.option_quotes + self.option_trades + self.stock_quotes + self.stock_trades
    }

    /// Rate of one feed.
    pub fn get(&self, feed: super::Feed) -> f64 {
        match feed {
            super::Feed::OptionQuotes => self.option_quotes,
            super::Feed::OptionTrades => self.option_trades,
            super::Feed::StockQuotes => self.stock_quotes,
            super::Feed::StockTrades => self.stock_trades,
        }
    }
}

/// Everything that shapes the synthetic market. Plain data: build one with a preset
/// ([`MarketConfig::stationary`], [`MarketConfig::drifting`], [`MarketConfig::bursty`],
/// [`MarketConfig::new_listings`]) or [`Default`], then adjust fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketConfig {
    /// Number of underlyings (each is also a stock ticker). Default 600.
    pub underlyings: usize,
    /// Zipf exponent of underlying popularity (rank r gets weight `1/(r+1)^s`). Default 1.1.
    pub zipf_exponent: f64,
    /// Multiplies the number of strikes per expiry (1.0 gives ~230,000 contracts with 600 underlyings).
    pub chain_scale: f64,
    /// Simulated clock at construction, Unix milliseconds. Default 2025-06-02T13:30:00Z (09:30 New York,
    /// a Monday). Expiries are laid out from this date. The server replaces it with the wall clock
    /// unless [`crate::SimConfig::fixed_clock`] is set.
    pub start_unix_ms: i64,
    /// Market tick: spot moves, bursts start/end, listings appear and per-contract intensities are
    /// recomputed once per tick. Default 1 s. Larger ticks make offline evaluation faster.
    pub tick: Duration,
    /// A chain's intensities are recomputed at a tick only if its spot moved by more than this
    /// (relative), a contract expired, it got new listings, or they are older than
    /// `refresh_max_age`. Default 0.0005 (5 bp). 0 recomputes every tick.
    pub refresh_spot_move: f64,
    /// Maximum age of a chain's intensities (time to expiry keeps moving). Default 60 s.
    pub refresh_max_age: Duration,
    /// Spot volatility per √hour (log-return standard deviation). Default 0.004.
    pub spot_vol_per_sqrt_hour: f64,
    /// Spot drift per hour (log-return); each underlying gets a random sign. Default 0.
    pub spot_drift_per_hour: f64,
    /// Exponent of the time-to-expiry activity factor `1/(days + 0.5)^k`. Default 1.0.
    pub tte_decay: f64,
    /// Activity floor for far-from-the-money contracts, relative to at-the-money. Default 0.002.
    pub moneyness_floor: f64,
    /// Expected new single-contract bursts per simulated second (market-wide). Default 0.02.
    pub burst_rate_per_s: f64,
    /// Pareto tail index of a burst's share of its feed (smaller = heavier tail). Default 1.3.
    pub burst_alpha: f64,
    /// Minimum share of the feed one burst takes. Default 0.0005.
    pub burst_min_share: f64,
    /// Maximum share of the feed one burst takes. Default 0.1. All bursts together never exceed 0.5.
    pub burst_max_share: f64,
    /// Mean burst duration (heavy-tailed, Pareto with α = 1.5). Default 15 s.
    pub burst_mean_duration: Duration,
    /// When set, every interval some underlyings list a new near-dated expiry (and strikes around
    /// the current spot) that immediately becomes active. Default `None`.
    pub listing_interval: Option<Duration>,
    /// How many underlyings list a new expiry at each listing time. Default 10.
    pub listing_underlyings: usize,
    /// Offered load per feed.
    pub rates: Rates,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            underlyings: 600,
            zipf_exponent: 1.1,
            chain_scale: 1.0,
            start_unix_ms: 1_748_871_000_000,
            tick: Duration::from_secs(1),
            refresh_spot_move: 0.0005,
            refresh_max_age: Duration::from_secs(60),
            spot_vol_per_sqrt_hour: 0.004,
            spot_drift_per_hour: 0.0,
            tte_decay: 1.0,
            moneyness_floor: 0.002,
            burst_rate_per_s: 0.02,
            burst_alpha: 1.3,
            burst_min_share: 0.0005,
            burst_max_share: 0.1,
            burst_mean_duration: Duration::from_secs(15),
            listing_interval: None,
            listing_underlyings: 10,
            rates: Rates::default(),
        }
    }
}

impl MarketConfig {
    /// No spot movement and no bursts: intensities only change through time to expiry.
    pub fn stationary() -> Self {
        MarketConfig {
            spot_vol_per_sqrt_hour: 0.0,
            spot_drift_per_hour: 0.0,
            burst_rate_per_s: 0.0,
            ..Self::default()
        }
    }

    /// Strong spot moves (3 % per √hour plus a 2 %/hour trend) so the active strikes move.
    pub fn drifting() -> Self {
        MarketConfig {
            spot_vol_per_sqrt_hour: 0.03,
            spot_drift_per_hour: 0.02,
            ..Self::default()
        }
    }

    /// Frequent heavy-tailed single-contract bursts (one every 2 s on average, tail index 1.1).
    pub fn bursty() -> Self {
        MarketConfig {
            burst_rate_per_s: 0.5,
            burst_alpha: 1.1,
            burst_max_share: 0.3,
            ..Self::default()
        }
    }

    /// New expiries listed intraday every 10 simulated minutes on 20 underlyings.
    pub fn new_listings() -> Self {
        MarketConfig {
            listing_interval: Some(Duration::from_secs(600)),
            listing_underlyings: 20,
            ..Self::default()
        }
    }

    /// A preset by name: `default`, `stationary`, `drifting`, `bursty`, `new-listings`.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "default" => Some(Self::default()),
            "stationary" => Some(Self::stationary()),
            "drifting" => Some(Self::drifting()),
            "bursty" => Some(Self::bursty()),
            "new-listings" | "new_listings" => Some(Self::new_listings()),
            _ => None,
        }
    }

    /// A small universe (40 underlyings, fewer strikes) for fast unit tests.
    pub fn small() -> Self {
        MarketConfig {
            underlyings: 40,
            chain_scale: 0.25,
            ..Self::default()
        }
    }
}
