//! Status events: the control messages Massive mixes into data frames.

use serde::{Deserialize, Serialize};

/// What a status event means, decoded from its `status` and `message` fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StatusKind {
    /// `connected`: the server greets a new connection; authenticate next.
    Connected,
    /// `auth_success`.
    AuthSuccess,
    /// `auth_failed`: the key was rejected. Fatal: retrying will not help.
    AuthFailed,
    /// `auth_timeout`: no auth message arrived in time; the server closes.
    AuthTimeout,
    /// `auth_required`: an action was sent before authenticating.
    AuthRequired,
    /// `success` with `subscribed to: <channel>`.
    Subscribed {
        /// The channel, e.g. `T.AAPL`.
        channel: String,
    },
    /// `success` with `unsubscribed to: <channel>`.
    Unsubscribed {
        /// The channel.
        channel: String,
    },
    /// `success` with any other message.
    Success,
    /// `error`, e.g. `not authorized` or a rejected subscription.
    Error,
    /// `max_connections`: another connection on the account took the slot; this one is closed.
    MaxConnections,
    /// `force_disconnect`: the server closes this connection.
    ForceDisconnect,
    /// `slow_consumer`: the client did not read fast enough; the server closes.
    SlowConsumer,
    /// A status this version does not know. Surfaced, never swallowed.
    Other {
        /// The raw `status` value.
        status: String,
    },
}

/// A decoded status event.
///
/// ```
/// use ws_source::{StatusKind, StatusMessage};
/// let s = StatusMessage::new("success", "subscribed to: Q.O:SPY251219C00650000");
/// assert_eq!(s.kind, StatusKind::Subscribed { channel: "Q.O:SPY251219C00650000".into() });
/// assert!(StatusMessage::new("max_connections", "").kind.is_disconnect());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMessage {
    /// The decoded meaning.
    pub kind: StatusKind,
    /// The raw `message` field (may be empty).
    pub message: String,
}

impl StatusMessage {
    /// Decodes a status from its wire `status` and `message`.
    pub fn new(status: &str, message: &str) -> StatusMessage {
        let kind = match status {
            "connected" => StatusKind::Connected,
            "auth_success" => StatusKind::AuthSuccess,
            "auth_failed" => StatusKind::AuthFailed,
            "auth_timeout" => StatusKind::AuthTimeout,
            "auth_required" => StatusKind::AuthRequired,
            "success" => {
                if let Some(ch) = message.strip_prefix("subscribed to: ") {
                    StatusKind::Subscribed {
                        channel: ch.trim().to_string(),
                    }
                } else if let Some(ch) = message.strip_prefix("unsubscribed to: ") {
                    StatusKind::Unsubscribed {
                        channel: ch.trim().to_string(),
                    }
                } else {
                    StatusKind::Success
                }
            }
            "error" => StatusKind::Error,
            "max_connections" => StatusKind::MaxConnections,
            "force_disconnect" => StatusKind::ForceDisconnect,
            "slow_consumer" => StatusKind::SlowConsumer,
            other => StatusKind::Other {
                status: other.to_string(),
            },
        };
        StatusMessage {
            kind,
            message: message.to_string(),
        }
    }
}

impl StatusKind {
    /// Whether the server closes the connection after this status.
    pub fn is_disconnect(&self) -> bool {
        matches!(
            self,
            StatusKind::AuthFailed
                | StatusKind::AuthTimeout
                | StatusKind::MaxConnections
                | StatusKind::ForceDisconnect
                | StatusKind::SlowConsumer
        )
    }
}
