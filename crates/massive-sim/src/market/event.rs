//! Typed market events as the market generates them (before JSON encoding).

/// Dense id of an instrument: stocks first (`0..n_stocks`), then option contracts in listing order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct InstrumentId(pub u32);

/// One of the four feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Feed {
    /// Option quotes (`Q` on the options cluster).
    OptionQuotes,
    /// Option trades (`T` on the options cluster).
    OptionTrades,
    /// Stock quotes (`Q` on the stocks cluster).
    StockQuotes,
    /// Stock trades (`T` on the stocks cluster).
    StockTrades,
}

impl Feed {
    /// All feeds, in index order.
    pub const ALL: [Feed; 4] = [
        Feed::OptionQuotes,
        Feed::OptionTrades,
        Feed::StockQuotes,
        Feed::StockTrades,
    ];

    /// 0..4, stable.
    pub fn index(self) -> usize {
        self as usize
    }

    /// True for trades.
    pub fn is_trade(self) -> bool {
        matches!(self, Feed::OptionTrades | Feed::StockTrades)
    }

    /// True for the options cluster.
    pub fn is_option(self) -> bool {
        matches!(self, Feed::OptionQuotes | Feed::OptionTrades)
    }
}

/// A set of feeds (bit mask), to generate only what is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Feeds(pub u8);

impl Feeds {
    /// Every feed.
    pub const ALL: Feeds = Feeds(0b1111);
    /// No feed (the market still moves: spots, bursts, listings).
    pub const NONE: Feeds = Feeds(0);
    /// Option quotes and trades.
    pub const OPTIONS: Feeds = Feeds(0b0011);
    /// Stock quotes and trades.
    pub const STOCKS: Feeds = Feeds(0b1100);
    /// Option trades only.
    pub const OPTION_TRADES: Feeds = Feeds(0b0010);

    /// The set holding one feed.
    pub fn only(feed: Feed) -> Feeds {
        Feeds(1 << feed.index())
    }

    /// Whether `feed` is in the set.
    pub fn contains(self, feed: Feed) -> bool {
        self.0 & (1 << feed.index()) != 0
    }

    /// Union.
    pub fn with(self, feed: Feed) -> Feeds {
        Feeds(self.0 | (1 << feed.index()))
    }
}

/// One generated event. Prices are in cents (all synthetic prices are whole cents).
///
/// For trades `price_cents`/`size`/`exchange` are the trade's; for quotes they are the bid side and
/// `ask_*` the ask side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Which feed.
    pub feed: Feed,
    /// Which instrument (see [`crate::Market::symbol`]).
    pub instrument: InstrumentId,
    /// SIP timestamp, Unix milliseconds.
    pub ts_ms: i64,
    /// Per-symbol sequence number (`q`), strictly increasing per symbol across its trades and quotes.
    pub seq: u64,
    /// Trade price or bid price, in cents.
    pub price_cents: u32,
    /// Ask price in cents (quotes only).
    pub ask_cents: u32,
    /// Trade size or bid size.
    pub size: u32,
    /// Ask size (quotes only).
    pub ask_size: u32,
    /// Trade exchange or bid exchange id.
    pub exchange: u16,
    /// Ask exchange id (quotes only).
    pub ask_exchange: u16,
    /// Condition codes; the first `n_conditions` are valid.
    pub conditions: [u16; 2],
    /// How many of `conditions` are set.
    pub n_conditions: u8,
    /// Tape (stocks: 1 NYSE, 2 AMEX/Arca, 3 Nasdaq); 0 for options.
    pub tape: u8,
    /// Stock trade id (`i`); 0 otherwise.
    pub trade_id: u64,
    /// Stock trade TRF id (`trfi`); 0 when absent.
    pub trf_id: u16,
    /// Stock trade TRF timestamp in ms (`trft`), valid when `trf_id != 0`.
    pub trf_ts_ms: i64,
    /// Stock quote indicator (`i: [..]`); 0 when absent.
    pub indicator: u16,
}

impl Event {
    /// Trade price (or bid) in dollars.
    pub fn price(&self) -> f64 {
        f64::from(self.price_cents) / 100.0
    }

    /// Ask in dollars (quotes).
    pub fn ask(&self) -> f64 {
        f64::from(self.ask_cents) / 100.0
    }

    /// Valid condition codes.
    pub fn conditions(&self) -> &[u16] {
        &self.conditions[..usize::from(self.n_conditions.min(2))]
    }

    /// Trade premium in dollars for option trades (price × size × 100), notional for stock trades.
    pub fn notional(&self) -> f64 {
        let mult = if self.feed == Feed::OptionTrades {
            100.0
        } else {
            1.0
        };
        self.price() * f64::from(self.size) * mult
    }
}
