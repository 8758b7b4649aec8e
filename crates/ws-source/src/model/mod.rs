//! The data model: symbols, feeds, contracts, rows and batches.

mod batch;
mod event;
mod option_contract;
mod resource;
mod status;
mod symbol;

pub use batch::{BatchMeta, ConnectionState, DataBatch, Quality, Source};
pub use event::{Codes, EquityTrade, Nbbo, OptionTrade, TradeOrNbbo};
pub use option_contract::{Date, OccError, OptionContract, OptionRight, OptionRoot, put_call_pair};
pub use resource::{Cluster, ResourceType};
pub use status::{StatusKind, StatusMessage};
pub use symbol::{InlineStr, InlineStrError, Symbol, TradeId};
