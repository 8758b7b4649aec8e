//! The four feeds ws-source ingests and how they map onto Massive's clusters and channels.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of Massive's WebSocket clusters (the last path segment of the feed URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cluster {
    /// `/stocks`: equity trades and quotes.
    Stocks,
    /// `/options`: option trades and quotes.
    Options,
}

impl Cluster {
    /// The URL path segment, e.g. `"options"` in `wss://socket.massive.com/options`.
    pub fn path(self) -> &'static str {
        match self {
            Cluster::Stocks => "stocks",
            Cluster::Options => "options",
        }
    }
}

impl fmt::Display for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// A feed: what kind of rows a connection produces.
///
/// ```
/// use ws_source::{Cluster, ResourceType};
/// let r = ResourceType::OptionsQuotes;
/// assert_eq!(r.cluster(), Cluster::Options);
/// assert_eq!(r.channel_prefix(), "Q");
/// assert_eq!(r.channel("O:SPY251219C00650000"), "Q.O:SPY251219C00650000");
/// assert!(!r.supports_wildcard());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResourceType {
    /// Option NBBO quotes (`Q.O:…` on `/options`); no wildcard, at most 1,000 contracts per connection.
    OptionsQuotes,
    /// Option trades (`T.O:…` or `T.*` on `/options`).
    OptionsTrades,
    /// Equity NBBO quotes (`Q.…` or `Q.*` on `/stocks`).
    EquityQuotes,
    /// Equity trades (`T.…` or `T.*` on `/stocks`).
    EquityTrades,
}

impl ResourceType {
    /// All four feeds, in a fixed order.
    pub const ALL: [ResourceType; 4] = [
        ResourceType::OptionsQuotes,
        ResourceType::OptionsTrades,
        ResourceType::EquityQuotes,
        ResourceType::EquityTrades,
    ];

    /// The cluster that carries this feed.
    pub fn cluster(self) -> Cluster {
        match self {
            ResourceType::OptionsQuotes | ResourceType::OptionsTrades => Cluster::Options,
            ResourceType::EquityQuotes | ResourceType::EquityTrades => Cluster::Stocks,
        }
    }

    /// The channel prefix (`"T"` for trades, `"Q"` for quotes); also the wire `ev` value.
    pub fn channel_prefix(self) -> &'static str {
        match self {
            ResourceType::OptionsQuotes | ResourceType::EquityQuotes => "Q",
            ResourceType::OptionsTrades | ResourceType::EquityTrades => "T",
        }
    }

    /// The subscription channel for `symbol`, e.g. `T.AAPL` or `Q.O:SPY251219C00650000`.
    pub fn channel(self, symbol: &str) -> String {
        format!("{}.{}", self.channel_prefix(), symbol)
    }

    /// Whether the server accepts `<prefix>.*` for this feed (everything but option quotes).
    pub fn supports_wildcard(self) -> bool {
        !matches!(self, ResourceType::OptionsQuotes)
    }

    /// Documented per-connection subscription limit, if any (1,000 contracts for option quotes).
    pub fn subscription_limit(self) -> Option<usize> {
        match self {
            ResourceType::OptionsQuotes => Some(1_000),
            _ => None,
        }
    }

    /// Whether the feed carries quotes (NBBO rows) rather than trades.
    pub fn is_quotes(self) -> bool {
        matches!(
            self,
            ResourceType::OptionsQuotes | ResourceType::EquityQuotes
        )
    }

    /// A short stable name for logs and metrics labels: `options_quotes`, …
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::OptionsQuotes => "options_quotes",
            ResourceType::OptionsTrades => "options_trades",
            ResourceType::EquityQuotes => "equity_quotes",
            ResourceType::EquityTrades => "equity_trades",
        }
    }

    /// The feed a wire event belongs to, from its `ev` and whether its symbol is an option.
    pub fn of_event(is_quote: bool, is_option: bool) -> ResourceType {
        match (is_quote, is_option) {
            (true, true) => ResourceType::OptionsQuotes,
            (false, true) => ResourceType::OptionsTrades,
            (true, false) => ResourceType::EquityQuotes,
            (false, false) => ResourceType::EquityTrades,
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
