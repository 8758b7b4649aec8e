//! Typed rows: trades and NBBO quotes, as they arrive from the wire, validated.
//!
//! All timestamps are Unix nanoseconds (`i64`); the wire's milliseconds are converted exactly.

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::option_contract::OptionContract;
use super::resource::ResourceType;
use super::symbol::{Symbol, TradeId};

/// Condition or indicator codes. Up to four are stored inline; more spill to the heap (rare).
pub type Codes = SmallVec<[u16; 4]>;

/// An equity trade (`ev: "T"` on `/stocks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EquityTrade {
    /// Ticker (`sym`).
    pub symbol: Symbol,
    /// Exchange id (`x`).
    pub exchange: u16,
    /// Trade id (`i`), unique per exchange and day.
    pub trade_id: TradeId,
    /// Tape (`z`): 1 NYSE, 2 AMEX/regional, 3 Nasdaq. Kept raw so a new tape is not rejected.
    pub tape: Option<u8>,
    /// Price (`p`), finite and > 0.
    pub price: f64,
    /// Size in shares (`s`).
    pub size: u64,
    /// Fractional size (`ds`), when the feed sends one (it is a decimal string on the wire).
    pub fractional_size: Option<f64>,
    /// Trade condition ids (`c`).
    pub conditions: Codes,
    /// SIP timestamp (`t`), Unix ns.
    pub sip_ts_ns: i64,
    /// Sequence number (`q`), increasing per ticker.
    pub sequence: u64,
    /// Trade reporting facility id (`trfi`), for off-exchange trades.
    pub trf_id: Option<u16>,
    /// Trade reporting facility timestamp (`trft`), Unix ns.
    pub trf_ts_ns: Option<i64>,
}

/// An option trade (`ev: "T"` on `/options`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionTrade {
    /// `O:` + OCC symbol (`sym`).
    pub symbol: Symbol,
    /// The contract decoded from the symbol.
    pub contract: OptionContract,
    /// Exchange id (`x`).
    pub exchange: u16,
    /// Price per share of underlying (`p`), finite and > 0.
    pub price: f64,
    /// Size in contracts (`s`).
    pub size: u64,
    /// Trade condition ids (`c`).
    pub conditions: Codes,
    /// SIP timestamp (`t`), Unix ns.
    pub sip_ts_ns: i64,
    /// Sequence number (`q`).
    pub sequence: u64,
}

impl OptionTrade {
    /// Premium in dollars: price × size × 100 (standard contract multiplier).
    pub fn premium(&self) -> f64 {
        self.price * self.size as f64 * 100.0
    }
}

/// A national best bid and offer (`ev: "Q"`), for an equity or an option contract.
///
/// A price of `0` means that side is empty; crossed or locked quotes are passed through as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nbbo {
    /// Ticker or `O:` + OCC symbol (`sym`).
    pub symbol: Symbol,
    /// The contract, when the symbol is an option.
    pub contract: Option<OptionContract>,
    /// Bid exchange id (`bx`).
    pub bid_exchange: u16,
    /// Ask exchange id (`ax`).
    pub ask_exchange: u16,
    /// Bid price (`bp`), finite and ≥ 0.
    pub bid_price: f64,
    /// Ask price (`ap`), finite and ≥ 0.
    pub ask_price: f64,
    /// Bid size (`bs`): round lots for equities, contracts for options.
    pub bid_size: u64,
    /// Ask size (`as`).
    pub ask_size: u64,
    /// Quote condition (`c`, equities).
    pub condition: Option<u16>,
    /// Indicators (`i`, equities).
    pub indicators: Codes,
    /// SIP timestamp (`t`), Unix ns.
    pub sip_ts_ns: i64,
    /// Sequence number (`q`).
    pub sequence: u64,
    /// Tape (`z`, equities).
    pub tape: Option<u8>,
}

/// One typed row: the item type of [`DataBatch`](super::DataBatch) on the live path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum TradeOrNbbo {
    /// An option trade.
    OptionTrade(OptionTrade),
    /// An equity trade.
    EquityTrade(EquityTrade),
    /// A quote, equity or option.
    Nbbo(Nbbo),
}

impl TradeOrNbbo {
    /// The row's symbol.
    pub fn symbol(&self) -> &Symbol {
        match self {
            TradeOrNbbo::OptionTrade(t) => &t.symbol,
            TradeOrNbbo::EquityTrade(t) => &t.symbol,
            TradeOrNbbo::Nbbo(q) => &q.symbol,
        }
    }

    /// The SIP timestamp, Unix ns.
    pub fn sip_ts_ns(&self) -> i64 {
        match self {
            TradeOrNbbo::OptionTrade(t) => t.sip_ts_ns,
            TradeOrNbbo::EquityTrade(t) => t.sip_ts_ns,
            TradeOrNbbo::Nbbo(q) => q.sip_ts_ns,
        }
    }

    /// The wire sequence number.
    pub fn sequence(&self) -> u64 {
        match self {
            TradeOrNbbo::OptionTrade(t) => t.sequence,
            TradeOrNbbo::EquityTrade(t) => t.sequence,
            TradeOrNbbo::Nbbo(q) => q.sequence,
        }
    }

    /// The feed this row came from.
    pub fn resource_type(&self) -> ResourceType {
        match self {
            TradeOrNbbo::OptionTrade(_) => ResourceType::OptionsTrades,
            TradeOrNbbo::EquityTrade(_) => ResourceType::EquityTrades,
            TradeOrNbbo::Nbbo(q) if q.contract.is_some() => ResourceType::OptionsQuotes,
            TradeOrNbbo::Nbbo(_) => ResourceType::EquityQuotes,
        }
    }
}
