//! Timestamp conversion and plausibility checks.
//!
//! Massive sends SIP timestamps in Unix **milliseconds** on the trade and quote feeds, but its own
//! documentation has feeds that document milliseconds and send micro- or nanoseconds. A value of
//! the wrong unit is rejected, never rescaled: guessing would invent precision or dates.

use std::time::{SystemTime, UNIX_EPOCH};

/// Smallest plausible millisecond timestamp: 2000-01-01T00:00:00Z. A value in seconds lands below.
pub const MIN_PLAUSIBLE_MS: i64 = 946_684_800_000;
/// Largest plausible millisecond timestamp: 2100-01-01T00:00:00Z. A value in µs or ns lands above.
pub const MAX_PLAUSIBLE_MS: i64 = 4_102_444_800_000;
/// Nanoseconds per millisecond.
pub const NANOS_PER_MILLI: i64 = 1_000_000;

/// Why a wire timestamp was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Zero or negative.
    #[error("{0} is not a positive Unix millisecond timestamp")]
    NotPositive(i64),
    /// Below 2000-01-01 in milliseconds: probably seconds.
    #[error("{0} is before 2000-01-01 in milliseconds (seconds sent as milliseconds?)")]
    TooSmall(i64),
    /// Above 2100-01-01 in milliseconds: probably micro- or nanoseconds.
    #[error(
        "{0} is after 2100-01-01 in milliseconds (micro- or nanoseconds sent as milliseconds?)"
    )]
    TooLarge(i64),
    /// Later than the receive time plus the allowed clock skew.
    #[error("{value_ms} is {ahead_ms} ms ahead of the receive time, more than the allowed skew")]
    InFuture {
        /// The value.
        value_ms: i64,
        /// How far ahead of the receive time it is.
        ahead_ms: i64,
    },
}

/// Converts a wire millisecond timestamp to Unix nanoseconds, exactly, after checking its
/// magnitude; with `received_at_ns` and `max_future_skew_ns`, also rejects values too far ahead.
///
/// ```
/// use ws_source::timestamp::{ms_to_ns, TimestampError};
/// assert_eq!(ms_to_ns(1_700_000_000_123, None), Ok(1_700_000_000_123_000_000));
/// assert!(matches!(ms_to_ns(1_700_000_000_123_000, None), Err(TimestampError::TooLarge(_))));
/// assert!(matches!(ms_to_ns(1_700_000_000, None), Err(TimestampError::TooSmall(_))));
/// ```
#[inline]
pub fn ms_to_ns(ms: i64, future_limit: Option<FutureLimit>) -> Result<i64, TimestampError> {
    if ms <= 0 {
        return Err(TimestampError::NotPositive(ms));
    }
    if ms < MIN_PLAUSIBLE_MS {
        return Err(TimestampError::TooSmall(ms));
    }
    if ms >= MAX_PLAUSIBLE_MS {
        return Err(TimestampError::TooLarge(ms));
    }
    let ns = ms * NANOS_PER_MILLI; // cannot overflow below MAX_PLAUSIBLE_MS
    if let Some(limit) = future_limit
        && ns > limit.received_at_ns.saturating_add(limit.max_skew_ns)
    {
        return Err(TimestampError::InFuture {
            value_ms: ms,
            ahead_ms: (ns - limit.received_at_ns) / NANOS_PER_MILLI,
        });
    }
    Ok(ns)
}

/// The "far future" bound: a timestamp may be at most `max_skew_ns` after `received_at_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FutureLimit {
    /// When the frame was received, Unix ns.
    pub received_at_ns: i64,
    /// Allowed clock skew, ns.
    pub max_skew_ns: i64,
}

/// The current wall-clock time in Unix nanoseconds (0 if the clock is before 1970).
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_conversion_at_bounds() {
        assert_eq!(
            ms_to_ns(MIN_PLAUSIBLE_MS, None),
            Ok(MIN_PLAUSIBLE_MS * 1_000_000)
        );
        assert_eq!(
            ms_to_ns(MAX_PLAUSIBLE_MS - 1, None),
            Ok((MAX_PLAUSIBLE_MS - 1) * 1_000_000)
        );
        assert_eq!(
            ms_to_ns(MAX_PLAUSIBLE_MS, None),
            Err(TimestampError::TooLarge(MAX_PLAUSIBLE_MS))
        );
        assert_eq!(ms_to_ns(0, None), Err(TimestampError::NotPositive(0)));
        assert_eq!(ms_to_ns(-5, None), Err(TimestampError::NotPositive(-5)));
    }

    #[test]
    fn future_limit() {
        let limit = FutureLimit {
            received_at_ns: 1_700_000_000_000 * NANOS_PER_MILLI,
            max_skew_ns: 1_000 * NANOS_PER_MILLI,
        };
        assert!(ms_to_ns(1_700_000_001_000, Some(limit)).is_ok());
        assert_eq!(
            ms_to_ns(1_700_000_001_001, Some(limit)),
            Err(TimestampError::InFuture {
                value_ms: 1_700_000_001_001,
                ahead_ms: 1_001
            })
        );
    }
}
