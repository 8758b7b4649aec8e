//! Proptest strategies for valid rows.

use proptest::prelude::*;
use ws_source::{
    Codes, EquityTrade, Nbbo, OptionContract, OptionTrade, Symbol, TradeId, TradeOrNbbo,
    timestamp::{MAX_PLAUSIBLE_MS, MIN_PLAUSIBLE_MS},
};

fn ts_ns() -> impl Strategy<Value = i64> {
    (MIN_PLAUSIBLE_MS..MAX_PLAUSIBLE_MS).prop_map(|ms| ms * 1_000_000)
}

fn price() -> impl Strategy<Value = f64> {
    (1u64..10_000_000_000).prop_map(|v| v as f64 / 10_000.0)
}

fn codes() -> impl Strategy<Value = Codes> {
    prop::collection::vec(any::<u16>(), 0..7).prop_map(Codes::from_vec)
}

fn stock_symbol() -> impl Strategy<Value = Symbol> {
    "[A-Z]{1,5}(\\.[A-Z])?".prop_map(|s| Symbol::new(&s).unwrap())
}

fn option_symbol() -> impl Strategy<Value = (Symbol, OptionContract)> {
    (
        "[A-Z]{1,5}[0-9]?",
        0u32..100,
        1u32..=12,
        1u32..=28,
        prop::bool::ANY,
        0u32..100_000_000,
    )
        .prop_map(|(root, yy, mm, dd, call, strike)| {
            let s = format!(
                "O:{root}{yy:02}{mm:02}{dd:02}{}{strike:08}",
                if call { 'C' } else { 'P' }
            );
            let c = OptionContract::parse(&s).unwrap();
            (Symbol::new(&s).unwrap(), c)
        })
}

/// Any valid equity trade.
pub fn equity_trade() -> impl Strategy<Value = TradeOrNbbo> {
    (
        stock_symbol(),
        any::<u16>(),
        "[0-9A-Za-z]{1,31}",
        prop::option::of(1u8..=3),
        price(),
        any::<u32>(),
        prop::option::of((0u32..1_000_000).prop_map(|v| v as f64 / 1000.0)),
        codes(),
        ts_ns(),
        any::<u64>(),
        prop::option::of((any::<u16>(), ts_ns())),
    )
        .prop_map(|(symbol, x, id, tape, p, s, ds, c, t, q, trf)| {
            TradeOrNbbo::EquityTrade(EquityTrade {
                symbol,
                exchange: x,
                trade_id: TradeId::new(&id).unwrap(),
                tape,
                price: p,
                size: s as u64,
                fractional_size: ds,
                conditions: c,
                sip_ts_ns: t,
                sequence: q,
                trf_id: trf.map(|f| f.0),
                trf_ts_ns: trf.map(|f| f.1),
            })
        })
}

/// Any valid option trade.
pub fn option_trade() -> impl Strategy<Value = TradeOrNbbo> {
    (
        option_symbol(),
        any::<u16>(),
        price(),
        any::<u32>(),
        codes(),
        ts_ns(),
        any::<u64>(),
    )
        .prop_map(|((symbol, contract), x, p, s, c, t, q)| {
            TradeOrNbbo::OptionTrade(OptionTrade {
                symbol,
                contract,
                exchange: x,
                price: p,
                size: s as u64,
                conditions: c,
                sip_ts_ns: t,
                sequence: q,
            })
        })
}

/// Any valid quote, equity or option.
pub fn nbbo() -> impl Strategy<Value = TradeOrNbbo> {
    let equity = (
        stock_symbol(),
        prop::option::of(any::<u16>()),
        codes(),
        prop::option::of(1u8..=3),
    )
        .prop_map(|(s, c, i, z)| (s, None, c, i, z));
    let option = option_symbol().prop_map(|(s, k)| (s, Some(k), None, Codes::new(), None));
    (
        prop_oneof![equity, option],
        any::<u16>(),
        any::<u16>(),
        prop_oneof![Just(0.0), price()],
        prop_oneof![Just(0.0), price()],
        any::<u32>(),
        any::<u32>(),
        ts_ns(),
        any::<u64>(),
    )
        .prop_map(
            |((symbol, contract, condition, indicators, tape), bx, ax, bp, ap, bs, as_, t, q)| {
                TradeOrNbbo::Nbbo(Nbbo {
                    symbol,
                    contract,
                    bid_exchange: bx,
                    ask_exchange: ax,
                    bid_price: bp,
                    ask_price: ap,
                    bid_size: bs as u64,
                    ask_size: as_ as u64,
                    condition,
                    indicators,
                    sip_ts_ns: t,
                    sequence: q,
                    tape,
                })
            },
        )
}

/// Any valid row.
pub fn row() -> impl Strategy<Value = TradeOrNbbo> {
    prop_oneof![equity_trade(), option_trade(), nbbo()]
}
