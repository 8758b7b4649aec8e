//! Option contracts parsed from OCC symbols.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::symbol::{InlineStr, Symbol};

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OptionRight {
    /// A call (`C`).
    Call,
    /// A put (`P`).
    Put,
}

/// A calendar date (expiry), without a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Date {
    /// Four-digit year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of month, 1–31 (valid for the month).
    pub day: u8,
}

impl Date {
    /// A validated date.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap { 29 } else { 28 }
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An option root (underlying symbol as used in the OCC code): 1–6 characters.
pub type OptionRoot = InlineStr<6>;

/// An option contract decoded from its OCC symbol.
///
/// ```
/// use ws_source::{OptionContract, OptionRight};
/// let c = OptionContract::parse("O:SPY251219C00650000").unwrap();
/// assert_eq!(c.root.as_str(), "SPY");
/// assert_eq!(c.expiry.to_string(), "2025-12-19");
/// assert_eq!(c.right, OptionRight::Call);
/// assert_eq!(c.strike_milli, 650_000); // 650.000
/// assert_eq!(c.strike(), 650.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OptionContract {
    /// The root (e.g. `SPY`, or an adjusted root such as `SPY1`).
    pub root: OptionRoot,
    /// Expiration date.
    pub expiry: Date,
    /// Call or put.
    pub right: OptionRight,
    /// Strike price in thousandths of a dollar (exact; `650000` = 650.000).
    pub strike_milli: u32,
}

/// Why an OCC symbol was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OccError {
    /// The `O:` prefix is missing.
    #[error("missing `O:` prefix")]
    MissingPrefix,
    /// Too short or too long to be `root(1-6) YYMMDD C|P strike(8)`.
    #[error("length {0} is not 16 to 21 characters after `O:`")]
    BadLength(usize),
    /// The root has a character other than `A-Z`, `0-9`.
    #[error("invalid root")]
    BadRoot,
    /// The expiry is not a valid `YYMMDD` date.
    #[error("invalid expiry date")]
    BadExpiry,
    /// The right is neither `C` nor `P`.
    #[error("right is neither C nor P")]
    BadRight,
    /// The strike is not 8 digits.
    #[error("strike is not 8 digits")]
    BadStrike,
}

impl OptionContract {
    /// Parses `O:` + OCC symbol: root (1–6 of `A-Z0-9`), `YYMMDD`, `C`/`P`, strike × 1000 as 8
    /// digits. Years are 2000 + `YY`.
    pub fn parse(symbol: &str) -> Result<OptionContract, OccError> {
        let occ = symbol
            .strip_prefix("O:")
            .ok_or(OccError::MissingPrefix)?
            .as_bytes();
        // root(1..=6) + 6 + 1 + 8
        if occ.len() < 16 || occ.len() > 21 {
            return Err(OccError::BadLength(occ.len()));
        }
        let (root, tail) = occ.split_at(occ.len() - 15);
        if !matches!(tail[6], b'C' | b'P') {
            // Tell a short or long strike apart from a bad right: find the last C/P followed
            // only by digits.
            let strike_like = occ
                .iter()
                .rposition(|&b| b == b'C' || b == b'P')
                .is_some_and(|at| occ[at + 1..].iter().all(u8::is_ascii_digit));
            return Err(if strike_like {
                OccError::BadStrike
            } else {
                OccError::BadRight
            });
        }
        if !root
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(OccError::BadRoot);
        }
        let yy = digits(&tail[0..2]).ok_or(OccError::BadExpiry)?;
        let mm = digits(&tail[2..4]).ok_or(OccError::BadExpiry)?;
        let dd = digits(&tail[4..6]).ok_or(OccError::BadExpiry)?;
        let expiry = Date::new(2000 + yy as u16, mm as u8, dd as u8).ok_or(OccError::BadExpiry)?;
        let right = match tail[6] {
            b'C' => OptionRight::Call,
            b'P' => OptionRight::Put,
            _ => return Err(OccError::BadRight),
        };
        let strike_milli = digits(&tail[7..15]).ok_or(OccError::BadStrike)?;
        // `root` is ASCII uppercase/digits, 1..=6 bytes: always a valid OptionRoot.
        let root = std::str::from_utf8(root)
            .ok()
            .and_then(|r| OptionRoot::new(r).ok())
            .ok_or(OccError::BadRoot)?;
        Ok(OptionContract {
            root,
            expiry,
            right,
            strike_milli,
        })
    }

    /// Strike in dollars (for display; use [`strike_milli`](Self::strike_milli) for exact math).
    pub fn strike(&self) -> f64 {
        self.strike_milli as f64 / 1000.0
    }

    /// The wire symbol, `O:` + OCC.
    pub fn to_symbol(&self) -> String {
        format!(
            "O:{}{:02}{:02}{:02}{}{:08}",
            self.root,
            self.expiry.year % 100,
            self.expiry.month,
            self.expiry.day,
            match self.right {
                OptionRight::Call => 'C',
                OptionRight::Put => 'P',
            },
            self.strike_milli
        )
    }
}

/// The contract with the same root, expiry and strike as the option `symbol` and the other right
/// (`C` ↔ `P`), or `None` if `symbol` is not shaped like `O:` + OCC (root 1–6, `YYMMDD`, right, 8
/// strike digits). A cheap shape check and a one-byte flip: no allocation, no full validation.
///
/// ```
/// use ws_source::model::put_call_pair;
/// assert_eq!(put_call_pair("O:SPY251219C00650000").unwrap(), "O:SPY251219P00650000");
/// assert_eq!(put_call_pair("O:SPY251219P00650000").unwrap(), "O:SPY251219C00650000");
/// assert!(put_call_pair("AAPL").is_none());
/// ```
pub fn put_call_pair(symbol: &str) -> Option<Symbol> {
    let b = symbol.as_bytes();
    let occ_len = b.len().checked_sub(2)?;
    if !symbol.starts_with("O:") || !(16..=21).contains(&occ_len) {
        return None;
    }
    let right = b.len() - 9;
    if !b[right + 1..].iter().all(u8::is_ascii_digit)
        || !b[right - 6..right].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let flipped = match b[right] {
        b'C' => b'P',
        b'P' => b'C',
        _ => return None,
    };
    let mut buf = [0u8; 23];
    let out = buf.get_mut(..b.len())?;
    out.copy_from_slice(b);
    out[right] = flipped;
    Symbol::new(std::str::from_utf8(out).ok()?).ok()
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_call_pair_flips_only_valid_shapes() {
        assert_eq!(
            put_call_pair("O:A251219C00001000").unwrap(),
            "O:A251219P00001000"
        );
        assert_eq!(
            put_call_pair("O:SPXW25121P06500000").map(|s| s.to_string()),
            None // 5-digit date: the right is not where OCC puts it
        );
        for bad in [
            "",
            "O:",
            "X:SPY251219C00650000",
            "O:SPY251219X00650000",
            "O:SPY251219C0065000A",
            "O:SPY2512A9C00650000",
            "O:TOOLONGR251219C00650000",
        ] {
            assert!(put_call_pair(bad).is_none(), "{bad}");
        }
        let s = "O:SPY251219C00650000";
        assert_eq!(put_call_pair(&put_call_pair(s).unwrap()).unwrap(), s);
    }

    #[test]
    fn parses_and_round_trips() {
        for s in [
            "O:SPY251219C00650000",
            "O:A240119P00001500",
            "O:SPY1251219C00650000",
            "O:BRKB260116C00500000",
            "O:ABCDEF280229P99999999",
        ] {
            let c = OptionContract::parse(s).unwrap();
            assert_eq!(c.to_symbol(), s);
        }
    }

    #[test]
    fn rejects_malformed() {
        use OccError::*;
        let cases = [
            ("SPY251219C00650000", MissingPrefix),
            ("O:251219C00650000", BadLength(15)),
            ("O:ABCDEFG251219C00650000", BadLength(22)),
            ("O:spy251219C00650000", BadRoot),
            ("O:SPY251319C00650000", BadExpiry),
            ("O:SPY250230C00650000", BadExpiry),
            ("O:SPY251219X00650000", BadRight),
            ("O:SPY251219C0065000", BadStrike),
            ("O:SPY251219C006500000", BadStrike),
            ("O:SPY251219C0065000A", BadStrike),
        ];
        for (s, want) in cases {
            assert_eq!(OptionContract::parse(s), Err(want), "{s}");
        }
        assert!(OptionContract::parse("O:SPY270229C00650000").is_err()); // 2027 not leap
    }
}
