//! Fault injection: policies applied to future connections ([`Fault`]) and actions on open
//! connections ([`FaultAction`] + [`Target`]).
//!
//! Faults never touch the per-event hot path: actions travel on a per-connection control channel and
//! the generator only reads per-connection flags once per frame.

use crate::protocol::Cluster;
use std::str::FromStr;
use std::time::Duration;

/// A policy for connections accepted from now on (scriptable from a test or with `--fault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Close each connection (WebSocket close frame) this long after it connected.
    CloseAfter(Duration),
    /// Reset (TCP RST) each connection this long after it connected.
    ResetAfter(Duration),
    /// Stall each connection this long after it connected: nothing sent, pings unanswered, left open.
    StallAfter(Duration),
    /// Send `force_disconnect` then close, this long after connect.
    ForceDisconnectAfter(Duration),
    /// Send `slow_consumer` then close, this long after connect.
    SlowConsumerAfter(Duration),
    /// Send one malformed frame (invalid JSON) this long after connect; the connection stays open.
    MalformedAfter(Duration),
    /// Every authentication fails (`auth_failed`, then close), whatever the key.
    RejectAuth,
}

impl Fault {
    /// The delay and the action, for timed faults.
    pub fn timed(&self) -> Option<(Duration, FaultAction)> {
        match *self {
            Fault::CloseAfter(d) => Some((d, FaultAction::Close)),
            Fault::ResetAfter(d) => Some((d, FaultAction::Reset)),
            Fault::StallAfter(d) => Some((d, FaultAction::Stall)),
            Fault::ForceDisconnectAfter(d) => Some((d, FaultAction::ForceDisconnect)),
            Fault::SlowConsumerAfter(d) => Some((d, FaultAction::SlowConsumer)),
            Fault::MalformedAfter(d) => Some((d, FaultAction::Malformed(Malformed::InvalidJson))),
            Fault::RejectAuth => None,
        }
    }
}

/// Which malformed frame to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Truncated JSON: `[{"ev":"T","sym":"AAPL","p":1`.
    InvalidJson,
    /// Valid JSON, bad event: negative price, string size, timestamp in seconds, missing `q`.
    BadEvent,
}

impl Malformed {
    /// The frame text.
    pub fn frame(self) -> &'static str {
        match self {
            Malformed::InvalidJson => r#"[{"ev":"T","sym":"AAPL","p":1"#,
            Malformed::BadEvent => {
                r#"[{"ev":"T","sym":"AAPL","x":4,"p":-1.5,"s":"ten","t":1700000000}]"#
            }
        }
    }
}

/// An action on open connections, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Close with a WebSocket close frame.
    Close,
    /// TCP reset: `SO_LINGER` 0 then drop the socket.
    Reset,
    /// Stop sending and stop reading (so pings go unanswered); the connection stays open.
    Stall,
    /// End a stall.
    Unstall,
    /// Send `slow_consumer` then close (the same path a real overflow takes).
    SlowConsumer,
    /// Send `force_disconnect` then close.
    ForceDisconnect,
    /// Send a malformed frame; the connection stays open.
    Malformed(Malformed),
}

/// Which open connections an action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every open connection.
    All,
    /// Every connection of one cluster.
    Cluster(Cluster),
    /// One connection by id.
    Conn(u64),
}

/// A fault or duration could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseFaultError(pub String);

/// Parses `250ms`, `5s`, `2m`, `1h` or a bare number of seconds (`1.5`).
pub fn parse_duration(s: &str) -> Result<Duration, ParseFaultError> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| ParseFaultError(format!("bad duration: {s}")))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" | "min" => v * 60.0,
        "h" => v * 3600.0,
        _ => return Err(ParseFaultError(format!("bad duration unit: {s}"))),
    };
    // At most ~10 years: anything longer means "never" and must not overflow an Instant.
    if !secs.is_finite() || !(0.0..=3.2e8).contains(&secs) {
        return Err(ParseFaultError(format!("bad duration: {s}")));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| ParseFaultError(format!("bad duration: {s}")))
}

impl FromStr for Fault {
    type Err = ParseFaultError;

    /// `close-after=5s`, `reset-after=5s`, `stall-after=10s`, `force-disconnect-after=3s`,
    /// `slow-consumer-after=3s`, `malformed-after=2s`, `reject-auth`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match s.split_once('=') {
            Some((n, a)) => (n.trim(), Some(a)),
            None => (s.trim(), None),
        };
        let dur = || {
            arg.ok_or_else(|| ParseFaultError(format!("{name} needs a duration, e.g. {name}=5s")))
                .and_then(parse_duration)
        };
        Ok(match name {
            "close-after" => Fault::CloseAfter(dur()?),
            "reset-after" => Fault::ResetAfter(dur()?),
            "stall-after" => Fault::StallAfter(dur()?),
            "force-disconnect-after" => Fault::ForceDisconnectAfter(dur()?),
            "slow-consumer-after" => Fault::SlowConsumerAfter(dur()?),
            "malformed-after" => Fault::MalformedAfter(dur()?),
            "reject-auth" => Fault::RejectAuth,
            _ => return Err(ParseFaultError(format!("unknown fault: {s}"))),
        })
    }
}

impl FromStr for FaultAction {
    type Err = ParseFaultError;

    /// Console words: `close`, `reset`, `stall`, `unstall`, `slow`, `force-disconnect`, `malformed`,
    /// `bad-event`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "close" => FaultAction::Close,
            "reset" => FaultAction::Reset,
            "stall" => FaultAction::Stall,
            "unstall" => FaultAction::Unstall,
            "slow" | "slow-consumer" => FaultAction::SlowConsumer,
            "force-disconnect" | "force" => FaultAction::ForceDisconnect,
            "malformed" => FaultAction::Malformed(Malformed::InvalidJson),
            "bad-event" => FaultAction::Malformed(Malformed::BadEvent),
            other => return Err(ParseFaultError(format!("unknown action: {other}"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_faults() {
        assert_eq!(
            "close-after=5s".parse::<Fault>(),
            Ok(Fault::CloseAfter(Duration::from_secs(5)))
        );
        assert_eq!(
            "stall-after=250ms".parse::<Fault>(),
            Ok(Fault::StallAfter(Duration::from_millis(250)))
        );
        assert_eq!("reject-auth".parse::<Fault>(), Ok(Fault::RejectAuth));
        assert!("close-after".parse::<Fault>().is_err());
        assert!("explode".parse::<Fault>().is_err());
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1e30s").is_err());
        assert!(parse_duration("NaN").is_err());
        assert_eq!("slow".parse::<FaultAction>(), Ok(FaultAction::SlowConsumer));
    }
}
