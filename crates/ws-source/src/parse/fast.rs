//! The fast path: a strict, allocation-free reader for Massive's flat event objects.
//!
//! It accepts a strict subset of JSON (what Massive actually sends: flat objects, strings without
//! escapes, plain numbers) and fills the same [`WireEvent`] the serde path fills, then runs the
//! same validation. On anything outside that subset (an escape, a float where an integer is due,
//! a duplicate key, deep nesting, a validation failure) it gives up, and the caller re-reads the
//! frame with serde, which either accepts it or reports precisely what is wrong. So this module
//! decides speed, never correctness: unit tests check it agrees with serde on mutated frames.

use std::borrow::Cow;

use crate::model::Codes;
use crate::timestamp::FutureLimit;

use super::Sink;
use super::convert::{Converted, convert};
use super::wire::{Str, WireCodes, WireEvent, WireI};

/// The fast path declined the frame; re-read it with serde.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

type F<T> = Result<T, Bail>;

/// Deepest nesting skipped inside an unknown field before bailing.
const MAX_SKIP_DEPTH: u32 = 32;

/// Parses a whole frame into `sink`. On `Err(Bail)` the sink holds a partial result to discard.
pub(crate) fn parse_frame_fast(
    payload: &[u8],
    limit: Option<FutureLimit>,
    sink: &mut Sink,
) -> F<()> {
    let mut c = Cursor { b: payload, i: 0 };
    // One event struct at a time, filled in place (it is large: moving it around per event
    // costs more than resetting it).
    let mut wire;
    c.ws();
    c.expect(b'[')?;
    c.ws();
    if c.eat(b']') {
        return c.end();
    }
    loop {
        c.ws();
        wire = WireEvent::default();
        c.event(&mut wire)?;
        match convert(&mut wire, limit) {
            Ok(Converted::Row(row)) => sink.push(row),
            Ok(Converted::Status(s)) => sink.statuses.push(s),
            Err(_) => return Err(Bail),
        }
        c.ws();
        match c.next()? {
            b',' => continue,
            b']' => return c.end(),
            _ => return Err(Bail),
        }
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

// Bit per known key, to reject duplicates exactly as serde does.
const K_EV: u32 = 1 << 0;
const K_SYM: u32 = 1 << 1;
const K_X: u32 = 1 << 2;
const K_I: u32 = 1 << 3;
const K_Z: u32 = 1 << 4;
const K_P: u32 = 1 << 5;
const K_S: u32 = 1 << 6;
const K_DS: u32 = 1 << 7;
const K_C: u32 = 1 << 8;
const K_T: u32 = 1 << 9;
const K_Q: u32 = 1 << 10;
const K_TRFI: u32 = 1 << 11;
const K_TRFT: u32 = 1 << 12;
const K_BX: u32 = 1 << 13;
const K_AX: u32 = 1 << 14;
const K_BP: u32 = 1 << 15;
const K_AP: u32 = 1 << 16;
const K_BS: u32 = 1 << 17;
const K_AS: u32 = 1 << 18;
const K_STATUS: u32 = 1 << 19;
const K_MESSAGE: u32 = 1 << 20;

/// The bit of a known key, 0 for an unknown one: dispatch on length, then bytes.
#[inline]
fn key_id(key: &[u8]) -> u32 {
    match key {
        [a] => match a {
            b'x' => K_X,
            b'i' => K_I,
            b'z' => K_Z,
            b'p' => K_P,
            b's' => K_S,
            b'c' => K_C,
            b't' => K_T,
            b'q' => K_Q,
            _ => 0,
        },
        [a, b] => match (a, b) {
            (b'e', b'v') => K_EV,
            (b'd', b's') => K_DS,
            (b'b', b'x') => K_BX,
            (b'a', b'x') => K_AX,
            (b'b', b'p') => K_BP,
            (b'a', b'p') => K_AP,
            (b'b', b's') => K_BS,
            (b'a', b's') => K_AS,
            _ => 0,
        },
        b"sym" => K_SYM,
        b"trfi" => K_TRFI,
        b"trft" => K_TRFT,
        b"status" => K_STATUS,
        b"message" => K_MESSAGE,
        _ => 0,
    }
}

impl<'a> Cursor<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&b) = self.b.get(self.i) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&self) -> F<u8> {
        self.b.get(self.i).copied().ok_or(Bail)
    }

    #[inline]
    fn next(&mut self) -> F<u8> {
        let b = self.peek()?;
        self.i += 1;
        Ok(b)
    }

    #[inline]
    fn eat(&mut self, want: u8) -> bool {
        if self.b.get(self.i) == Some(&want) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    #[inline]
    fn expect(&mut self, want: u8) -> F<()> {
        if self.eat(want) { Ok(()) } else { Err(Bail) }
    }

    fn end(&mut self) -> F<()> {
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn literal(&mut self, word: &[u8]) -> F<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// The raw bytes of a string without escapes or control characters (not yet UTF-8 checked).
    #[inline]
    fn string_bytes(&mut self) -> F<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.i;
        let rest = &self.b[start..];
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .ok_or(Bail)?;
        if rest[len] != b'"' {
            return Err(Bail); // escape or control character: leave it to serde
        }
        self.i = start + len + 1;
        Ok(&rest[..len])
    }

    /// A string without escapes, borrowed.
    #[inline]
    fn string(&mut self) -> F<&'a str> {
        let bytes = self.string_bytes()?;
        std::str::from_utf8(bytes).map_err(|_| Bail)
    }

    /// Skips a number, checking JSON's grammar.
    fn skip_number(&mut self) -> F<()> {
        self.eat(b'-');
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return Err(Bail),
        }
        if self.eat(b'.') {
            if !self.peek()?.is_ascii_digit() {
                return Err(Bail);
            }
            self.digits();
        }
        self.skip_exponent()?;
        Ok(())
    }

    /// Skips an exponent (`e`/`E`, optional sign, digits) if one is at the cursor.
    fn skip_exponent(&mut self) -> F<()> {
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !self.peek()?.is_ascii_digit() {
                return Err(Bail);
            }
            self.digits();
        }
        Ok(())
    }

    #[inline]
    fn digits(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
    }

    /// Accumulates the digits at the cursor into `acc`; `None` on `u64` overflow.
    #[inline]
    fn accumulate(&mut self, mut acc: u64) -> F<(u64, u32)> {
        let mut count = 0u32;
        while let Some(&d) = self.b.get(self.i) {
            if !d.is_ascii_digit() {
                break;
            }
            acc = acc
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or(Bail)?;
            count += 1;
            self.i += 1;
        }
        Ok((acc, count))
    }

    /// A JSON integer (no fraction, no exponent): sign and magnitude, in one pass.
    #[inline]
    fn integer(&mut self) -> F<(bool, u64)> {
        let negative = self.eat(b'-');
        let magnitude = match self.next()? {
            // serde_json reads `-0` as the float -0.0, which is not an integer: leave it to serde.
            b'0' if negative => return Err(Bail),
            b'0' => 0,
            d @ b'1'..=b'9' => self.accumulate(u64::from(d - b'0'))?.0,
            _ => return Err(Bail),
        };
        if matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E')) {
            return Err(Bail); // a float where an integer is due: serde names the field
        }
        Ok((negative, magnitude))
    }

    #[inline]
    fn is_null(&mut self) -> F<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    #[inline]
    fn int<T: TryFrom<i128>>(&mut self) -> F<Option<T>> {
        if self.is_null()? {
            return Ok(None);
        }
        let (negative, magnitude) = self.integer()?;
        let v = i128::from(magnitude);
        T::try_from(if negative { -v } else { v })
            .map(Some)
            .map_err(|_| Bail)
    }

    /// A float. Plain decimals with at most 15 significant digits (every price Massive sends)
    /// convert exactly as `mantissa / 10^k` (both exact in f64, one correctly rounded
    /// division); anything else goes through the standard library's correct parser.
    #[inline]
    fn float(&mut self) -> F<Option<f64>> {
        if self.is_null()? {
            return Ok(None);
        }
        let start = self.i;
        let negative = self.eat(b'-');
        let int_part = match self.next()? {
            b'0' => (0, 0),
            d @ b'1'..=b'9' => self
                .accumulate(u64::from(d - b'0'))
                .map(|(v, n)| (v, n + 1))?,
            _ => return Err(Bail),
        };
        let (mut mantissa, mut digits) = int_part;
        let mut scale = 0u32;
        if self.eat(b'.') {
            if !self.peek()?.is_ascii_digit() {
                return Err(Bail);
            }
            let (m, n) = self.accumulate(mantissa)?;
            mantissa = m;
            digits += n;
            scale = n;
        }
        let v = if matches!(self.b.get(self.i), Some(b'e' | b'E')) || digits > 15 || scale > 22 {
            self.skip_exponent()?;
            let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| Bail)?;
            text.parse::<f64>().map_err(|_| Bail)?
        } else {
            const POW10: [f64; 23] = [
                1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
            ];
            let m = mantissa as f64; // < 10^15 < 2^53: exact
            let v = m / POW10[scale as usize];
            if negative { -v } else { v }
        };
        if v.is_finite() {
            Ok(Some(v))
        } else {
            Err(Bail)
        }
    }

    #[inline]
    fn str_field(&mut self) -> F<Option<Str<'a>>> {
        if self.is_null()? {
            return Ok(None);
        }
        Ok(Some(Str(Cow::Borrowed(self.string()?))))
    }

    fn code_list(&mut self) -> F<Codes> {
        self.expect(b'[')?;
        let mut codes = Codes::new();
        self.ws();
        if self.eat(b']') {
            return Ok(codes);
        }
        loop {
            self.ws();
            let code = self.int::<u16>()?.ok_or(Bail)?;
            codes.push(code);
            self.ws();
            match self.next()? {
                b',' => continue,
                b']' => return Ok(codes),
                _ => return Err(Bail),
            }
        }
    }

    fn codes(&mut self) -> F<Option<WireCodes>> {
        if self.is_null()? {
            return Ok(None);
        }
        if self.peek()? == b'[' {
            let codes = self.code_list()?;
            return Ok(Some(WireCodes {
                codes,
                was_list: true,
            }));
        }
        let code = self.int::<u16>()?.ok_or(Bail)?;
        let mut codes = Codes::new();
        codes.push(code);
        Ok(Some(WireCodes {
            codes,
            was_list: false,
        }))
    }

    fn id_or_list(&mut self) -> F<Option<WireI<'a>>> {
        if self.is_null()? {
            return Ok(None);
        }
        match self.peek()? {
            b'"' => Ok(Some(WireI::Id(Cow::Borrowed(self.string()?)))),
            b'[' => Ok(Some(WireI::List(self.code_list()?))),
            _ => Err(Bail),
        }
    }

    /// Skips any JSON value (an unknown field), checking its syntax.
    fn skip_value(&mut self, depth: u32) -> F<()> {
        if depth > MAX_SKIP_DEPTH {
            return Err(Bail);
        }
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'-' | b'0'..=b'9' => self.skip_number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'[' => {
                self.i += 1;
                self.ws();
                if self.eat(b']') {
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => continue,
                        b']' => return Ok(()),
                        _ => return Err(Bail),
                    }
                }
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.eat(b'}') {
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => continue,
                        b'}' => return Ok(()),
                        _ => return Err(Bail),
                    }
                }
            }
            _ => Err(Bail),
        }
    }

    /// One event object.
    fn event(&mut self, w: &mut WireEvent<'a>) -> F<()> {
        self.expect(b'{')?;
        let mut seen = 0u32;
        self.ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.ws();
            let key = self.string_bytes()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let bit = match key_id(key) {
                K_EV => {
                    w.ev = self.str_field()?;
                    K_EV
                }
                K_SYM => {
                    w.sym = self.str_field()?;
                    K_SYM
                }
                K_X => {
                    w.x = self.int()?;
                    K_X
                }
                K_I => {
                    w.i = self.id_or_list()?;
                    K_I
                }
                K_Z => {
                    w.z = self.int()?;
                    K_Z
                }
                K_P => {
                    w.p = self.float()?;
                    K_P
                }
                K_S => {
                    w.s = self.int()?;
                    K_S
                }
                K_DS => {
                    w.ds = self.str_field()?;
                    K_DS
                }
                K_C => {
                    w.c = self.codes()?;
                    K_C
                }
                K_T => {
                    w.t = self.int()?;
                    K_T
                }
                K_Q => {
                    w.q = self.int()?;
                    K_Q
                }
                K_TRFI => {
                    w.trfi = self.int()?;
                    K_TRFI
                }
                K_TRFT => {
                    w.trft = self.int()?;
                    K_TRFT
                }
                K_BX => {
                    w.bx = self.int()?;
                    K_BX
                }
                K_AX => {
                    w.ax = self.int()?;
                    K_AX
                }
                K_BP => {
                    w.bp = self.float()?;
                    K_BP
                }
                K_AP => {
                    w.ap = self.float()?;
                    K_AP
                }
                K_BS => {
                    w.bs = self.int()?;
                    K_BS
                }
                K_AS => {
                    w.as_ = self.int()?;
                    K_AS
                }
                K_STATUS => {
                    w.status = self.str_field()?;
                    K_STATUS
                }
                K_MESSAGE => {
                    w.message = self.str_field()?;
                    K_MESSAGE
                }
                _ => {
                    std::str::from_utf8(key).map_err(|_| Bail)?;
                    self.skip_value(0)?;
                    0
                }
            };
            if seen & bit != 0 {
                return Err(Bail); // duplicate key: serde reports it
            }
            seen |= bit;
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Ok(()),
                _ => return Err(Bail),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{FrameContext, ParsedFrame, Sink, parse_frame_serde};
    use super::*;

    const CORPUS: &[&str] = &[
        include_str!("../../tests/golden/valid/equity_trade_aapl.json"),
        include_str!("../../tests/golden/valid/equity_trade_trf_fractional.json"),
        include_str!("../../tests/golden/valid/equity_quote.json"),
        include_str!("../../tests/golden/valid/option_trade.json"),
        include_str!("../../tests/golden/valid/option_quote.json"),
        include_str!("../../tests/golden/valid/mixed_options_frame.json"),
        include_str!("../../tests/golden/valid/mixed_stocks_frame.json"),
        include_str!("../../tests/golden/valid/unknown_fields_ignored.json"),
        include_str!("../../tests/golden/valid/status_subscribed.json"),
        include_str!("../../tests/golden/invalid/bad_event_in_middle.json"),
    ];

    fn ctx() -> FrameContext {
        FrameContext {
            received_at_ns: 1_732_546_801_123_000_000,
            shard_id: 0,
            max_future_skew_ns: Some(FrameContext::DEFAULT_MAX_FUTURE_SKEW_NS),
        }
    }

    fn fast(bytes: &[u8]) -> Option<ParsedFrame> {
        let mut sink = Sink::new(bytes.len());
        parse_frame_fast(bytes, ctx().future_limit(), &mut sink).ok()?;
        Some(sink.finish(&ctx()))
    }

    fn serde(bytes: &[u8]) -> Option<ParsedFrame> {
        parse_frame_serde(bytes, &ctx(), Sink::new(bytes.len())).ok()
    }

    #[test]
    fn fast_path_takes_the_valid_golden_frames() {
        for (n, frame) in CORPUS.iter().enumerate().take(CORPUS.len() - 1) {
            let f = fast(frame.as_bytes());
            assert!(f.is_some(), "corpus frame {n} fell back to serde");
            assert_eq!(f, serde(frame.as_bytes()), "corpus frame {n}");
        }
    }

    #[test]
    fn fast_path_declines_escapes_and_duplicates() {
        assert!(fast(br#"[{"ev":"status","status":"error","message":"a \"b\""}]"#).is_none());
        assert!(fast(br#"[{"ev":"T","ev":"T"}]"#).is_none());
        assert!(fast(b"[01]").is_none());
        // `-0` is a float to serde_json, so not a valid size.
        assert!(fast(br#"[{"ev":"T","sym":"AAPL","x":4,"i":"1","p":1.5,"s":-0,"t":1732546800123,"q":7}]"#).is_none());
        assert!(fast(b"[{},]").is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        /// Whenever the fast path accepts a frame, serde accepts it too with the same result.
        #[test]
        fn fast_path_agrees_with_serde_on_mutated_frames(
            pick in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 0..4),
        ) {
            let mut bytes = CORPUS[pick.index(CORPUS.len())].as_bytes().to_vec();
            for (at, byte, op) in edits {
                if bytes.is_empty() { break; }
                let i = at.index(bytes.len());
                // Bias replacement bytes towards JSON punctuation and digits.
                const PICK: &[u8] = b"{}[],:\"-.0123456789eE nulltrfas\\";
                let byte = PICK[byte as usize % PICK.len()];
                match op {
                    0 => bytes[i] = byte,
                    1 => { bytes.remove(i); }
                    2 => bytes.insert(i, byte),
                    _ => bytes.truncate(i),
                }
            }
            if let Some(f) = fast(&bytes) {
                prop_assert_eq!(Some(f), serde(&bytes), "frame: {}", String::from_utf8_lossy(&bytes));
            }
        }
    }
}
