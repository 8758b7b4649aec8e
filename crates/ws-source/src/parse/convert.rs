//! Validation and conversion of one wire event into a typed row or status.

use crate::model::{
    EquityTrade, InlineStr, Nbbo, OptionContract, OptionTrade, StatusMessage, Symbol, TradeOrNbbo,
};
use crate::timestamp::{FutureLimit, ms_to_ns};

use super::error::ParseErrorKind;
use super::wire::{Str, WireCodes, WireEvent, WireI};

/// A converted event.
pub(crate) enum Converted {
    Row(TradeOrNbbo),
    Status(StatusMessage),
}

/// Why one event was rejected, before the frame-level context (index, excerpt) is added.
#[derive(Debug)]
pub(crate) struct EventError {
    pub kind: ParseErrorKind,
    pub field: Option<&'static str>,
    pub ev: Option<String>,
    pub sym: Option<String>,
}

type R<T> = Result<T, (ParseErrorKind, Option<&'static str>)>;

#[inline]
fn required<T>(v: Option<T>, field: &'static str) -> R<T> {
    match v {
        Some(v) => Ok(v),
        None => Err((ParseErrorKind::MissingField, Some(field))),
    }
}

fn positive_price(v: Option<f64>, field: &'static str) -> R<f64> {
    let p = required(v, field)?;
    if p.is_finite() && p > 0.0 {
        Ok(p)
    } else {
        Err((ParseErrorKind::InvalidPrice { value: p }, Some(field)))
    }
}

fn quote_price(v: Option<f64>, field: &'static str) -> R<f64> {
    let p = required(v, field)?;
    if p.is_finite() && p >= 0.0 {
        Ok(p)
    } else {
        Err((ParseErrorKind::InvalidPrice { value: p }, Some(field)))
    }
}

fn size(v: Option<i64>, field: &'static str) -> R<u64> {
    let s = required(v, field)?;
    u64::try_from(s).map_err(|_| (ParseErrorKind::NegativeSize { value: s }, Some(field)))
}

fn timestamp(v: Option<i64>, field: &'static str, limit: Option<FutureLimit>) -> R<i64> {
    let ms = required(v, field)?;
    ms_to_ns(ms, limit).map_err(|e| (ParseErrorKind::Timestamp(e), Some(field)))
}

fn symbol(v: &Option<Str<'_>>) -> R<(Symbol, Option<OptionContract>)> {
    let s = required(v.as_ref(), "sym")?.0.as_ref();
    let sym = Symbol::new(s).map_err(|reason| {
        (
            ParseErrorKind::InvalidSymbol {
                value: s.into(),
                reason,
            },
            Some("sym"),
        )
    })?;
    if s.starts_with("O:") {
        let contract = OptionContract::parse(s).map_err(|reason| {
            (
                ParseErrorKind::InvalidOccSymbol {
                    value: s.into(),
                    reason,
                },
                Some("sym"),
            )
        })?;
        Ok((sym, Some(contract)))
    } else {
        Ok((sym, None))
    }
}

fn trade_codes(c: Option<WireCodes>) -> crate::model::Codes {
    c.map(|c| c.codes).unwrap_or_default()
}

fn wrong_type(field: &'static str, message: &str) -> (ParseErrorKind, Option<&'static str>) {
    (
        ParseErrorKind::WrongType {
            message: message.into(),
        },
        Some(field),
    )
}

/// Validates and converts one event.
pub(crate) fn convert(
    w: &mut WireEvent<'_>,
    limit: Option<FutureLimit>,
) -> Result<Converted, EventError> {
    let ev_field = w.ev.take();
    let ev = match &ev_field {
        Some(ev) => ev.0.as_ref(),
        None => {
            return Err(EventError {
                kind: ParseErrorKind::MissingField,
                field: Some("ev"),
                ev: None,
                sym: w.sym.as_ref().map(|s| s.0.to_string()),
            });
        }
    };
    let result = match ev {
        "T" => trade(w, limit).map(Converted::Row),
        "Q" => quote(w, limit).map(Converted::Row),
        "status" => Ok(Converted::Status(StatusMessage::new(
            w.status.as_ref().map(|s| s.0.as_ref()).unwrap_or(""),
            w.message.as_ref().map(|s| s.0.as_ref()).unwrap_or(""),
        ))),
        other => Err((
            ParseErrorKind::UnknownEventType { ev: other.into() },
            Some("ev"),
        )),
    };
    result.map_err(|(kind, field)| EventError {
        kind,
        field,
        ev: Some(ev.to_string()),
        sym: w.sym.as_ref().map(|s| s.0.to_string()),
    })
}

fn trade(w: &mut WireEvent<'_>, limit: Option<FutureLimit>) -> R<TradeOrNbbo> {
    let (symbol, contract) = symbol(&w.sym)?;
    let exchange = required(w.x, "x")?;
    let price = positive_price(w.p, "p")?;
    let size = size(w.s, "s")?;
    let sip_ts_ns = timestamp(w.t, "t", limit)?;
    let sequence = required(w.q, "q")?;
    if let Some(contract) = contract {
        return Ok(TradeOrNbbo::OptionTrade(OptionTrade {
            symbol,
            contract,
            exchange,
            price,
            size,
            conditions: trade_codes(w.c.take()),
            sip_ts_ns,
            sequence,
        }));
    }
    let trade_id = match required(w.i.as_ref(), "i")? {
        WireI::Id(id) => InlineStr::new(id).map_err(|reason| {
            (
                ParseErrorKind::InvalidSymbol {
                    value: id.as_ref().into(),
                    reason,
                },
                Some("i"),
            )
        })?,
        WireI::List(_) => {
            return Err(wrong_type(
                "i",
                "expected a trade id string, found an array",
            ));
        }
    };
    let fractional_size = match &w.ds {
        None => None,
        Some(ds) => {
            let text = ds.0.as_ref();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
                _ => {
                    return Err((
                        ParseErrorKind::InvalidFractionalSize { value: text.into() },
                        Some("ds"),
                    ));
                }
            }
        }
    };
    let trf_ts_ns = match w.trft {
        None => None,
        Some(_) => Some(timestamp(w.trft, "trft", limit)?),
    };
    Ok(TradeOrNbbo::EquityTrade(EquityTrade {
        symbol,
        exchange,
        trade_id,
        tape: w.z,
        price,
        size,
        fractional_size,
        conditions: trade_codes(w.c.take()),
        sip_ts_ns,
        sequence,
        trf_id: w.trfi,
        trf_ts_ns,
    }))
}

fn quote(w: &mut WireEvent<'_>, limit: Option<FutureLimit>) -> R<TradeOrNbbo> {
    let (symbol, contract) = symbol(&w.sym)?;
    let bid_exchange = required(w.bx, "bx")?;
    let ask_exchange = required(w.ax, "ax")?;
    let bid_price = quote_price(w.bp, "bp")?;
    let ask_price = quote_price(w.ap, "ap")?;
    let bid_size = size(w.bs, "bs")?;
    let ask_size = size(w.as_, "as")?;
    let sip_ts_ns = timestamp(w.t, "t", limit)?;
    let sequence = required(w.q, "q")?;
    let condition = match &w.c {
        None => None,
        Some(c) if !c.was_list => c.codes.first().copied(),
        Some(c) if c.codes.len() <= 1 => c.codes.first().copied(),
        Some(_) => {
            return Err(wrong_type(
                "c",
                "expected one quote condition, found an array of several",
            ));
        }
    };
    let indicators = match w.i.take() {
        None => Default::default(),
        Some(WireI::List(codes)) => codes,
        Some(WireI::Id(_)) => {
            return Err(wrong_type(
                "i",
                "expected an array of indicator codes, found a string",
            ));
        }
    };
    Ok(TradeOrNbbo::Nbbo(Nbbo {
        symbol,
        contract,
        bid_exchange,
        ask_exchange,
        bid_price,
        ask_price,
        bid_size,
        ask_size,
        condition,
        indicators,
        sip_ts_ns,
        sequence,
        tape: w.z,
    }))
}
