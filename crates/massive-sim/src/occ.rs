//! OCC option symbols as Massive spells them (`O:` + root + `YYMMDD` + `C`/`P` + strike × 1000 in
//! 8 digits), plus the small civil-calendar helpers the market needs for expiries.

use std::fmt::Write as _;

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Right {
    /// A call (`C`).
    Call,
    /// A put (`P`).
    Put,
}

/// The parts of an OCC option symbol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OccSymbol {
    /// Root, 1–6 characters (letters or digits, e.g. adjusted roots like `SPY1`).
    pub root: String,
    /// Expiry date as (year, month, day).
    pub expiry: (i32, u32, u32),
    /// Call or put.
    pub right: Right,
    /// Strike × 1000 (e.g. 650.0 → 650_000).
    pub strike_milli: u64,
}

/// Why a string is not an OCC option symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OccError {
    /// The symbol does not start with `O:`.
    #[error("option symbol must start with `O:`")]
    MissingPrefix,
    /// Wrong length or characters.
    #[error("malformed OCC symbol: {0}")]
    Malformed(&'static str),
}

impl OccSymbol {
    /// Formats as `O:ROOTYYMMDDCSSSSSSSS`.
    ///
    /// ```
    /// use massive_sim::occ::{OccSymbol, Right};
    /// let s = OccSymbol { root: "SPY".into(), expiry: (2025, 12, 19), right: Right::Call, strike_milli: 650_000 };
    /// assert_eq!(s.to_massive(), "O:SPY251219C00650000");
    /// ```
    pub fn to_massive(&self) -> String {
        format_occ(&self.root, self.expiry, self.right, self.strike_milli)
    }

    /// Parses `O:SPY251219C00650000`.
    ///
    /// ```
    /// use massive_sim::occ::{OccSymbol, Right};
    /// let s = OccSymbol::parse("O:SPY251219C00650000").unwrap();
    /// assert_eq!((s.root.as_str(), s.expiry, s.right, s.strike_milli), ("SPY", (2025, 12, 19), Right::Call, 650_000));
    /// ```
    pub fn parse(sym: &str) -> Result<Self, OccError> {
        let body = sym.strip_prefix("O:").ok_or(OccError::MissingPrefix)?;
        let b = body.as_bytes();
        if b.len() < 16 || b.len() > 21 {
            return Err(OccError::Malformed("length"));
        }
        let root_len = b.len() - 15;
        let root = &body[..root_len];
        if !root
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(OccError::Malformed("root"));
        }
        let date = &b[root_len..root_len + 6];
        let right = match b[root_len + 6] {
            b'C' => Right::Call,
            b'P' => Right::Put,
            _ => return Err(OccError::Malformed("right")),
        };
        let strike = &b[root_len + 7..];
        if !date.iter().chain(strike.iter()).all(u8::is_ascii_digit) {
            return Err(OccError::Malformed("digits"));
        }
        let num = |s: &[u8]| s.iter().fold(0u64, |a, d| a * 10 + u64::from(d - b'0'));
        let (yy, mm, dd) = (num(&date[0..2]), num(&date[2..4]), num(&date[4..6]));
        if !(1..=12).contains(&mm) || !(1..=31).contains(&dd) {
            return Err(OccError::Malformed("date"));
        }
        Ok(OccSymbol {
            root: root.to_string(),
            expiry: (2000 + yy as i32, mm as u32, dd as u32),
            right,
            strike_milli: num(strike),
        })
    }
}

/// Formats an OCC symbol with the `O:` prefix. Strikes above 99,999.999 are clamped to 8 digits.
pub fn format_occ(
    root: &str,
    (y, m, d): (i32, u32, u32),
    right: Right,
    strike_milli: u64,
) -> String {
    let mut s = String::with_capacity(2 + root.len() + 15);
    s.push_str("O:");
    s.push_str(root);
    let r = match right {
        Right::Call => 'C',
        Right::Put => 'P',
    };
    let _ = write!(
        s,
        "{:02}{:02}{:02}{}{:08}",
        y.rem_euclid(100),
        m,
        d,
        r,
        strike_milli.min(99_999_999)
    );
    s
}

/// Days since 1970-01-01 for a civil date (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date for days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

/// Day of week for days since 1970-01-01: 0 = Monday … 6 = Sunday.
pub fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_parse_round_trip() {
        let s = format_occ("SPY", (2025, 12, 19), Right::Call, 650_000);
        assert_eq!(s, "O:SPY251219C00650000");
        let p = OccSymbol::parse(&s).unwrap();
        assert_eq!(p.to_massive(), s);
        let s = format_occ("BRKB1", (2026, 1, 2), Right::Put, 2_500);
        assert_eq!(s, "O:BRKB1260102P00002500");
        assert_eq!(OccSymbol::parse(&s).unwrap().root, "BRKB1");
        assert!(OccSymbol::parse("SPY251219C00650000").is_err());
        assert!(OccSymbol::parse("O:SPY251319C00650000").is_err());
        assert!(OccSymbol::parse("O:SPY251219X00650000").is_err());
        assert!(OccSymbol::parse("O:TOOLONGR251219C00650000").is_err());
    }

    #[test]
    fn calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2025, 6, 2)), (2025, 6, 2));
        assert_eq!(weekday(days_from_civil(2025, 6, 2)), 0); // a Monday
        assert_eq!(weekday(days_from_civil(2025, 12, 19)), 4); // a Friday
        for d in -1000..100_000 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
