//! Fast JSON encoding of events and status messages, exactly as Massive sends them.
//!
//! Events are written by hand into a reused buffer (integers through `itoa`, prices as whole cents
//! formatted without a float round trip), so encoding costs tens of nanoseconds per event.

use crate::market::{Event, Feed};

/// Appends a price given in cents as a JSON number (`150.25`, `12.5`, `3`).
#[inline]
pub fn write_cents(buf: &mut Vec<u8>, cents: u32) {
    let mut ib = itoa::Buffer::new();
    buf.extend_from_slice(ib.format(cents / 100).as_bytes());
    let frac = cents % 100;
    if frac != 0 {
        buf.push(b'.');
        buf.push(b'0' + (frac / 10) as u8);
        if frac % 10 != 0 {
            buf.push(b'0' + (frac % 10) as u8);
        }
    }
}

#[inline]
fn int(buf: &mut Vec<u8>, ib: &mut itoa::Buffer, v: impl itoa::Integer) {
    buf.extend_from_slice(ib.format(v).as_bytes());
}

/// Appends one event object (no surrounding array, no separator).
///
/// `symbol` must be plain ASCII without quotes or backslashes (all market symbols are).
///
/// ```
/// use massive_sim::{Market, MarketConfig, Rates, Feeds, Feed};
/// let mut m = Market::new(MarketConfig { rates: Rates::option_trades_only(10.0), ..MarketConfig::small() }, 1);
/// let ev = m.advance_feeds(std::time::Duration::from_secs(1), Feeds::OPTION_TRADES)[0];
/// let mut buf = Vec::new();
/// massive_sim::wire::write_event(&mut buf, &ev, m.symbol(ev.instrument));
/// let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
/// assert_eq!(v["ev"], "T");
/// assert!(v["sym"].as_str().unwrap().starts_with("O:"));
/// ```
pub fn write_event(buf: &mut Vec<u8>, ev: &Event, symbol: &str) {
    let mut ib = itoa::Buffer::new();
    let ib = &mut ib;
    match ev.feed {
        Feed::StockTrades => {
            buf.extend_from_slice(b"{\"ev\":\"T\",\"sym\":\"");
            buf.extend_from_slice(symbol.as_bytes());
            buf.extend_from_slice(b"\",\"x\":");
            int(buf, ib, ev.exchange);
            buf.extend_from_slice(b",\"i\":\"");
            int(buf, ib, ev.trade_id);
            buf.extend_from_slice(b"\",\"z\":");
            int(buf, ib, ev.tape);
            buf.extend_from_slice(b",\"p\":");
            write_cents(buf, ev.price_cents);
            buf.extend_from_slice(b",\"s\":");
            int(buf, ib, ev.size);
            write_conditions(buf, ib, ev);
            buf.extend_from_slice(b",\"t\":");
            int(buf, ib, ev.ts_ms);
            buf.extend_from_slice(b",\"q\":");
            int(buf, ib, ev.seq);
            if ev.trf_id != 0 {
                buf.extend_from_slice(b",\"trfi\":");
                int(buf, ib, ev.trf_id);
                buf.extend_from_slice(b",\"trft\":");
                int(buf, ib, ev.trf_ts_ms);
            }
            buf.push(b'}');
        }
        Feed::StockQuotes => {
            buf.extend_from_slice(b"{\"ev\":\"Q\",\"sym\":\"");
            buf.extend_from_slice(symbol.as_bytes());
            write_quote_common(buf, ib, ev);
            buf.extend_from_slice(b",\"c\":0");
            if ev.indicator != 0 {
                buf.extend_from_slice(b",\"i\":[");
                int(buf, ib, ev.indicator);
                buf.push(b']');
            }
            buf.extend_from_slice(b",\"t\":");
            int(buf, ib, ev.ts_ms);
            buf.extend_from_slice(b",\"q\":");
            int(buf, ib, ev.seq);
            buf.extend_from_slice(b",\"z\":");
            int(buf, ib, ev.tape);
            buf.push(b'}');
        }
        Feed::OptionTrades => {
            buf.extend_from_slice(b"{\"ev\":\"T\",\"sym\":\"");
            buf.extend_from_slice(symbol.as_bytes());
            buf.extend_from_slice(b"\",\"x\":");
            int(buf, ib, ev.exchange);
            buf.extend_from_slice(b",\"p\":");
            write_cents(buf, ev.price_cents);
            buf.extend_from_slice(b",\"s\":");
            int(buf, ib, ev.size);
            write_conditions(buf, ib, ev);
            buf.extend_from_slice(b",\"t\":");
            int(buf, ib, ev.ts_ms);
            buf.extend_from_slice(b",\"q\":");
            int(buf, ib, ev.seq);
            buf.push(b'}');
        }
        Feed::OptionQuotes => {
            buf.extend_from_slice(b"{\"ev\":\"Q\",\"sym\":\"");
            buf.extend_from_slice(symbol.as_bytes());
            write_quote_common(buf, ib, ev);
            buf.extend_from_slice(b",\"t\":");
            int(buf, ib, ev.ts_ms);
            buf.extend_from_slice(b",\"q\":");
            int(buf, ib, ev.seq);
            buf.push(b'}');
        }
    }
}

fn write_conditions(buf: &mut Vec<u8>, ib: &mut itoa::Buffer, ev: &Event) {
    let conds = ev.conditions();
    if conds.is_empty() {
        return;
    }
    buf.extend_from_slice(b",\"c\":[");
    for (i, c) in conds.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        int(buf, ib, *c);
    }
    buf.push(b']');
}

fn write_quote_common(buf: &mut Vec<u8>, ib: &mut itoa::Buffer, ev: &Event) {
    buf.extend_from_slice(b"\",\"bx\":");
    int(buf, ib, ev.exchange);
    buf.extend_from_slice(b",\"ax\":");
    int(buf, ib, ev.ask_exchange);
    buf.extend_from_slice(b",\"bp\":");
    write_cents(buf, ev.price_cents);
    buf.extend_from_slice(b",\"ap\":");
    write_cents(buf, ev.ask_cents);
    buf.extend_from_slice(b",\"bs\":");
    int(buf, ib, ev.size);
    buf.extend_from_slice(b",\"as\":");
    int(buf, ib, ev.ask_size);
}

/// Appends one status object `{"ev":"status","status":…,"message":…}` (message JSON-escaped).
pub fn write_status(buf: &mut Vec<u8>, status: &str, message: &str) {
    buf.extend_from_slice(b"{\"ev\":\"status\",\"status\":");
    push_json_str(buf, status);
    buf.extend_from_slice(b",\"message\":");
    push_json_str(buf, message);
    buf.push(b'}');
}

/// A whole frame holding one status: `[{"ev":"status",…}]`.
///
/// ```
/// assert_eq!(
///     massive_sim::wire::status_frame("connected", "Connected Successfully"),
///     r#"[{"ev":"status","status":"connected","message":"Connected Successfully"}]"#
/// );
/// ```
pub fn status_frame(status: &str, message: &str) -> String {
    status_frame_many(std::iter::once((status, message)))
}

/// A frame holding several statuses.
pub fn status_frame_many<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut buf = vec![b'['];
    for (i, (s, m)) in items.into_iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_status(&mut buf, s, m);
    }
    buf.push(b']');
    String::from_utf8(buf).unwrap_or_default()
}

fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    match serde_json::to_vec(s) {
        Ok(v) => buf.extend_from_slice(&v),
        Err(_) => buf.extend_from_slice(b"\"\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::InstrumentId;

    fn ev(feed: Feed) -> Event {
        Event {
            feed,
            instrument: InstrumentId(0),
            ts_ms: 1_700_000_000_123,
            seq: 1234,
            price_cents: 15_025,
            ask_cents: 15_026,
            size: 100,
            ask_size: 2,
            exchange: 4,
            ask_exchange: 7,
            conditions: [12, 37],
            n_conditions: 2,
            tape: 3,
            trade_id: 52_983_525_034_825,
            trf_id: 202,
            trf_ts_ms: 1_700_000_000_120,
            indicator: 604,
        }
    }

    fn enc(e: &Event, sym: &str) -> String {
        let mut b = Vec::new();
        write_event(&mut b, e, sym);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn stock_trade_matches_the_documented_example() {
        assert_eq!(
            enc(&ev(Feed::StockTrades), "AAPL"),
            r#"{"ev":"T","sym":"AAPL","x":4,"i":"52983525034825","z":3,"p":150.25,"s":100,"c":[12,37],"t":1700000000123,"q":1234,"trfi":202,"trft":1700000000120}"#
        );
    }

    #[test]
    fn quotes_and_option_trades() {
        assert_eq!(
            enc(&ev(Feed::StockQuotes), "AAPL"),
            r#"{"ev":"Q","sym":"AAPL","bx":4,"ax":7,"bp":150.25,"ap":150.26,"bs":100,"as":2,"c":0,"i":[604],"t":1700000000123,"q":1234,"z":3}"#
        );
        let mut o = ev(Feed::OptionTrades);
        o.price_cents = 1250;
        o.n_conditions = 1;
        o.conditions = [209, 0];
        assert_eq!(
            enc(&o, "O:SPY251219C00650000"),
            r#"{"ev":"T","sym":"O:SPY251219C00650000","x":4,"p":12.5,"s":100,"c":[209],"t":1700000000123,"q":1234}"#
        );
        let mut q = ev(Feed::OptionQuotes);
        q.price_cents = 1240;
        q.ask_cents = 1300;
        let s = enc(&q, "O:SPY251219C00650000");
        assert!(s.contains(r#""bp":12.4,"ap":13,"#), "{s}");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["as"], 2);
    }

    #[test]
    fn cents_formatting() {
        for (c, s) in [
            (1, "0.01"),
            (10, "0.1"),
            (100, "1"),
            (15_025, "150.25"),
            (0, "0"),
        ] {
            let mut b = Vec::new();
            write_cents(&mut b, c);
            assert_eq!(String::from_utf8(b).unwrap(), s);
        }
    }

    #[test]
    fn status_is_escaped() {
        let f = status_frame("error", "bad \"x\"");
        let v: serde_json::Value = serde_json::from_str(&f).unwrap();
        assert_eq!(v[0]["message"], "bad \"x\"");
    }
}
