//! Errors of the connection layer.

use crate::model::Cluster;

/// Why a connection attempt or a live connection ended.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// TCP, TLS or WebSocket handshake failed (or timed out).
    #[error("{cluster} shard {shard}: cannot connect to {url}: {message}")]
    Connect {
        /// The cluster.
        cluster: Cluster,
        /// The shard.
        shard: usize,
        /// The URL (never contains the key: it is sent in a message, not the URL).
        url: String,
        /// What failed.
        message: String,
    },
    /// The server rejected the API key. Fatal: retrying would only repeat it.
    #[error("{cluster} shard {shard}: authentication failed: {message}")]
    AuthFailed {
        /// The cluster.
        cluster: Cluster,
        /// The shard.
        shard: usize,
        /// The server's message.
        message: String,
    },
    /// The server took another client's connection on this account over ours.
    #[error(
        "{cluster} shard {shard}: max_connections: another client on this account connected \
         to the cluster and the server closed this connection ({message})"
    )]
    MaxConnections {
        /// The cluster.
        cluster: Cluster,
        /// The shard.
        shard: usize,
        /// The server's message.
        message: String,
    },
    /// The server dropped us for reading too slowly.
    #[error(
        "{cluster} shard {shard}: slow_consumer: the server dropped the connection ({message})"
    )]
    SlowConsumer {
        /// The cluster.
        cluster: Cluster,
        /// The shard.
        shard: usize,
        /// The server's message.
        message: String,
    },
    /// The server forced a disconnect.
    #[error("{cluster} shard {shard}: force_disconnect ({message})")]
    ForceDisconnect {
        /// The cluster.
        cluster: Cluster,
        /// The shard.
        shard: usize,
        /// The server's message.
        message: String,
    },
    /// Nothing (no pong, no frame) arrived within ping interval + pong timeout: half-open.
    #[error("{cluster} shard {shard}: no data or pong for {silent_ms} ms: connection is half-open")]
    Stalled {
        /// The cluster.
        cluster: Cluster,
        /// The shard.
        shard: usize,
        /// How long the socket was silent.
        silent_ms: u64,
    },
    /// The socket closed or failed.
    #[error("{cluster} shard {shard}: connection closed: {message}")]
    Closed {
        /// The cluster.
        cluster: Cluster,
        /// The shard.
        shard: usize,
        /// Close code and reason, or the I/O error.
        message: String,
    },
    /// The server broke the protocol (e.g. no `connected` greeting, `auth_timeout`).
    #[error("{cluster} shard {shard}: protocol error: {message}")]
    Protocol {
        /// The cluster.
        cluster: Cluster,
        /// The shard.
        shard: usize,
        /// What happened.
        message: String,
    },
}

impl WsError {
    /// Whether reconnecting cannot help (a rejected key).
    pub fn is_fatal(&self) -> bool {
        matches!(self, WsError::AuthFailed { .. })
    }

    /// A short stable label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            WsError::Connect { .. } => "connect",
            WsError::AuthFailed { .. } => "auth_failed",
            WsError::MaxConnections { .. } => "max_connections",
            WsError::SlowConsumer { .. } => "slow_consumer",
            WsError::ForceDisconnect { .. } => "force_disconnect",
            WsError::Stalled { .. } => "stalled",
            WsError::Closed { .. } => "closed",
            WsError::Protocol { .. } => "protocol",
        }
    }
}
