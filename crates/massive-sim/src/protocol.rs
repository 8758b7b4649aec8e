//! Massive's WebSocket protocol as the simulator speaks it: clusters, client commands, channels and the
//! exact status texts.
//!
//! Status messages (the `message` field) sent by the simulator:
//!
//! | when | `status` | `message` |
//! | --- | --- | --- |
//! Paths: `/stocks`, `/options` (real time) and `/delayed/stocks`, `/delayed/options` (the same
//! market with timestamps 15 minutes in the past).
//!
//! | on connect | `connected` | `Connected Successfully` |
//! | good key | `auth_success` | `authenticated` |
//! | bad key (then close) | `auth_failed` | `authentication failed` |
//! | no auth in time (then close) | `auth_timeout` | `authentication timeout` |
//! | subscribe/unsubscribe before auth | `auth_required` | `authentication required` |
//! | second auth | `error` | `already authenticated` |
//! | per subscribed channel | `success` | `subscribed to: T.AAPL` |
//! | per unsubscribed channel | `success` | `unsubscribed to: T.AAPL` |
//! | `Q.*` on options | `error` | `wildcard subscriptions are not allowed for options quotes: Q.*` |
//! | past the options-quote limit | `error` | `subscription limit exceeded: Q.O:SPY251219C00650000` |
//! | per channel on a cluster the key is not entitled to | `error` | `not authorized` |
//! | channel without `EV.` prefix | `error` | `invalid subscription: X` |
//! | unparseable client message | `error` | `invalid message` |
//! | unknown action | `error` | `unknown action: X` |
//! | evicted by a newer connection | `max_connections` | [`MAX_CONNECTIONS_MESSAGE`] |
//! | forced close | `force_disconnect` | [`FORCE_DISCONNECT_MESSAGE`] |
//! | send buffer overflow | `slow_consumer` | [`SLOW_CONSUMER_MESSAGE`] |

use serde::{Deserialize, Serialize};

/// Message sent with `max_connections` to the evicted (older) connection.
pub const MAX_CONNECTIONS_MESSAGE: &str =
    "Maximum number of websocket connections exceeded. You have been disconnected from the socket.";
/// Message sent with `force_disconnect`.
pub const FORCE_DISCONNECT_MESSAGE: &str = "The server has forced this connection to close.";
/// Message sent with `slow_consumer`.
pub const SLOW_CONSUMER_MESSAGE: &str =
    "Slow consumer: the client did not read fast enough and the send buffer is full.";

/// A cluster (URL path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Cluster {
    /// `/stocks`: stock trades and quotes.
    Stocks,
    /// `/options`: option trades and quotes.
    Options,
}

impl Cluster {
    /// Both clusters.
    pub const ALL: [Cluster; 2] = [Cluster::Stocks, Cluster::Options];

    /// Cluster for a request path: `/stocks`, `/options`, or the same under `/delayed/`.
    pub fn from_path(path: &str) -> Option<Cluster> {
        Self::parse_path(path).map(|(c, _)| c)
    }

    /// Cluster and whether the path is the delayed variant (`/delayed/stocks`: the same market with
    /// every timestamp 15 minutes in the past, as the 15-minute delayed service sends it).
    pub fn parse_path(path: &str) -> Option<(Cluster, bool)> {
        let delayed = path.starts_with("/delayed/");
        Self::parse_realtime(path).map(|c| (c, delayed))
    }

    fn parse_realtime(path: &str) -> Option<Cluster> {
        let p = path.trim_end_matches('/');
        let p = p.strip_prefix("/delayed").unwrap_or(p);
        match p {
            "/stocks" => Some(Cluster::Stocks),
            "/options" => Some(Cluster::Options),
            _ => None,
        }
    }

    /// `stocks` or `options`.
    pub fn name(self) -> &'static str {
        match self {
            Cluster::Stocks => "stocks",
            Cluster::Options => "options",
        }
    }

    /// 0 for stocks, 1 for options.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A client command: `{"action":"auth"|"subscribe"|"unsubscribe","params":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClientCommand {
    /// The action.
    pub action: String,
    /// Key for `auth`; comma-separated channels for (un)subscribe.
    #[serde(default)]
    pub params: String,
}

impl ClientCommand {
    /// Parses one client text message.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// What a channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// `T`: trades.
    Trades,
    /// `Q`: quotes.
    Quotes,
    /// Any other prefix (`A`, `AM`, `LULD`, …): acknowledged but never fed by the simulator.
    Other,
}

/// A parsed subscription channel such as `T.AAPL`, `Q.O:SPY251219C00650000` or `T.*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Channel {
    /// Kind.
    pub kind: ChannelKind,
    /// Symbol, or `*`.
    pub symbol: String,
}

impl Channel {
    /// Parses `EV.SYMBOL`; `None` without a dot or with an empty part.
    pub fn parse(s: &str) -> Option<Channel> {
        let (ev, sym) = s.split_once('.')?;
        if ev.is_empty() || sym.is_empty() {
            return None;
        }
        let kind = match ev {
            "T" => ChannelKind::Trades,
            "Q" => ChannelKind::Quotes,
            _ => ChannelKind::Other,
        };
        Some(Channel {
            kind,
            symbol: sym.to_string(),
        })
    }

    /// Whether it is a wildcard (`*`).
    pub fn is_wildcard(&self) -> bool {
        self.symbol == "*"
    }
}

/// Splits the comma-separated `params` of a (un)subscribe command, trimming blanks.
pub fn split_params(params: &str) -> impl Iterator<Item = &str> {
    params.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_commands_and_channels() {
        let c =
            ClientCommand::parse(r#"{"action":"subscribe","params":"T.AAPL, Q.AAPL"}"#).unwrap();
        assert_eq!(c.action, "subscribe");
        let chans: Vec<_> = split_params(&c.params).collect();
        assert_eq!(chans, ["T.AAPL", "Q.AAPL"]);
        let ch = Channel::parse("Q.O:SPY251219C00650000").unwrap();
        assert_eq!(ch.kind, ChannelKind::Quotes);
        assert_eq!(ch.symbol, "O:SPY251219C00650000");
        assert!(Channel::parse("T.*").unwrap().is_wildcard());
        assert_eq!(Channel::parse("AM.X").unwrap().kind, ChannelKind::Other);
        assert!(Channel::parse("AAPL").is_none());
        assert_eq!(Cluster::from_path("/options"), Some(Cluster::Options));
        assert_eq!(Cluster::from_path("/delayed/stocks"), Some(Cluster::Stocks));
        assert_eq!(Cluster::from_path("/crypto"), None);
        assert_eq!(
            Cluster::parse_path("/delayed/options"),
            Some((Cluster::Options, true))
        );
        assert_eq!(
            Cluster::parse_path("/options"),
            Some((Cluster::Options, false))
        );
    }
}
