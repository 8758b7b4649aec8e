//! Test-only encoder: typed rows → Massive wire JSON, the inverse of `parse_frame`.

use std::fmt::Write;

use ws_source::{Codes, TradeOrNbbo};

fn codes(out: &mut String, key: &str, codes: &Codes) {
    if codes.is_empty() {
        return;
    }
    let list: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    let _ = write!(out, r#","{key}":[{}]"#, list.join(","));
}

fn ms(ns: i64) -> i64 {
    assert_eq!(ns % 1_000_000, 0, "wire timestamps are whole milliseconds");
    ns / 1_000_000
}

/// Encodes one row as a wire event object.
pub fn encode_event(row: &TradeOrNbbo) -> String {
    let mut o = String::new();
    match row {
        TradeOrNbbo::EquityTrade(t) => {
            let _ = write!(
                o,
                r#"{{"ev":"T","sym":"{}","x":{},"i":"{}","p":{:?},"s":{}"#,
                t.symbol, t.exchange, t.trade_id, t.price, t.size
            );
            if let Some(z) = t.tape {
                let _ = write!(o, r#","z":{z}"#);
            }
            if let Some(ds) = t.fractional_size {
                let _ = write!(o, r#","ds":"{ds}""#);
            }
            codes(&mut o, "c", &t.conditions);
            let _ = write!(o, r#","t":{},"q":{}"#, ms(t.sip_ts_ns), t.sequence);
            if let Some(f) = t.trf_id {
                let _ = write!(o, r#","trfi":{f}"#);
            }
            if let Some(f) = t.trf_ts_ns {
                let _ = write!(o, r#","trft":{}"#, ms(f));
            }
        }
        TradeOrNbbo::OptionTrade(t) => {
            let _ = write!(
                o,
                r#"{{"ev":"T","sym":"{}","x":{},"p":{:?},"s":{}"#,
                t.symbol, t.exchange, t.price, t.size
            );
            codes(&mut o, "c", &t.conditions);
            let _ = write!(o, r#","t":{},"q":{}"#, ms(t.sip_ts_ns), t.sequence);
        }
        TradeOrNbbo::Nbbo(q) => {
            let _ = write!(
                o,
                r#"{{"ev":"Q","sym":"{}","bx":{},"ax":{},"bp":{:?},"ap":{:?},"bs":{},"as":{}"#,
                q.symbol,
                q.bid_exchange,
                q.ask_exchange,
                q.bid_price,
                q.ask_price,
                q.bid_size,
                q.ask_size
            );
            if let Some(c) = q.condition {
                let _ = write!(o, r#","c":{c}"#);
            }
            codes(&mut o, "i", &q.indicators);
            if let Some(z) = q.tape {
                let _ = write!(o, r#","z":{z}"#);
            }
            let _ = write!(o, r#","t":{},"q":{}"#, ms(q.sip_ts_ns), q.sequence);
        }
    }
    o.push('}');
    o
}

/// Encodes rows as one wire frame (a JSON array).
pub fn encode_frame<'a>(rows: impl IntoIterator<Item = &'a TradeOrNbbo>) -> String {
    let events: Vec<String> = rows.into_iter().map(encode_event).collect();
    format!("[{}]", events.join(","))
}
