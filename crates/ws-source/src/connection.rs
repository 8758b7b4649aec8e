//! One socket's life from TCP connect to "subscribed": the Massive handshake.
//!
//! `connect` → wait for the `connected` status → send `auth` → wait for `auth_success` → send
//! the subscriptions in chunks. Acknowledgements arrive later, interleaved with data, and are
//! handled by the worker's read loop.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream as TungsteniteStream};

use crate::error::WsError;
use crate::model::{StatusKind, StatusMessage};
use crate::parse::{FrameContext, parse_frame};
use crate::worker::WsWorker;

/// The socket type of a live connection.
pub type WebSocketStream = TungsteniteStream<MaybeTlsStream<TcpStream>>;

/// Connects, authenticates and subscribes to `subs` (channels such as `T.*` or
/// `Q.O:SPY251219C00650000`), sent in chunks of the worker's `subscribe_chunk_size`.
///
/// Errors: [`WsError::Connect`] (network, TLS, handshake, timeout), [`WsError::AuthFailed`]
/// (fatal), [`WsError::MaxConnections`] and the other disconnect statuses, or
/// [`WsError::Protocol`] when the server does not follow the expected flow.
pub async fn connect_and_subscribe(
    worker: &WsWorker,
    subs: Vec<String>,
) -> Result<WebSocketStream, WsError> {
    let timeout = Duration::from_millis(worker.connection.connect_timeout_ms);
    let connect = tokio_tungstenite::connect_async(worker.url.as_str());
    let (mut ws, _response) = match tokio::time::timeout(timeout, connect).await {
        Ok(Ok(ok)) => ok,
        Ok(Err(e)) => return Err(worker.connect_error(e.to_string())),
        Err(_) => return Err(worker.connect_error(format!("timed out after {timeout:?}"))),
    };
    let auth_timeout = Duration::from_millis(worker.connection.auth_timeout_ms);
    let handshake = async {
        wait_for(worker, &mut ws, |k| matches!(k, StatusKind::Connected)).await?;
        let auth = serde_json::json!({"action": "auth", "params": worker.api_key.expose()});
        send(worker, &mut ws, auth.to_string()).await?;
        wait_for(worker, &mut ws, |k| matches!(k, StatusKind::AuthSuccess)).await
    };
    match tokio::time::timeout(auth_timeout, handshake).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(worker.protocol_error(format!(
                "no `connected` + `auth_success` within {auth_timeout:?}"
            )));
        }
    }
    send_channels(worker, &mut ws, "subscribe", &subs).await?;
    Ok(ws)
}

/// Sends `action` (`subscribe` / `unsubscribe`) for `channels` in chunks.
pub(crate) async fn send_channels(
    worker: &WsWorker,
    ws: &mut WebSocketStream,
    action: &str,
    channels: &[String],
) -> Result<(), WsError> {
    for chunk in channels.chunks(worker.connection.subscribe_chunk_size.max(1)) {
        let msg = serde_json::json!({"action": action, "params": chunk.join(",")});
        send(worker, ws, msg.to_string()).await?;
    }
    Ok(())
}

async fn send(worker: &WsWorker, ws: &mut WebSocketStream, text: String) -> Result<(), WsError> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| worker.closed_error(e.to_string()))
}

/// Reads frames until a status satisfying `done` arrives; disconnect statuses become errors.
async fn wait_for(
    worker: &WsWorker,
    ws: &mut WebSocketStream,
    done: impl Fn(&StatusKind) -> bool,
) -> Result<(), WsError> {
    loop {
        let msg = match ws.next().await {
            Some(Ok(msg)) => msg,
            Some(Err(e)) => return Err(worker.closed_error(e.to_string())),
            None => return Err(worker.closed_error("closed during the handshake".into())),
        };
        let payload = match &msg {
            Message::Text(t) => t.as_bytes(),
            Message::Binary(b) => b.as_ref(),
            Message::Close(frame) => {
                return Err(worker.closed_error(format!("closed during the handshake: {frame:?}")));
            }
            _ => continue,
        };
        let frame = parse_frame(payload, &FrameContext::now())
            .map_err(|e| worker.protocol_error(format!("bad frame during the handshake: {e}")))?;
        for status in frame.statuses {
            if done(&status.kind) {
                return Ok(());
            }
            if let Some(err) = worker.status_error(&status) {
                return Err(err);
            }
        }
    }
}

impl WsWorker {
    fn connect_error(&self, message: String) -> WsError {
        WsError::Connect {
            cluster: self.cluster(),
            shard: self.shard_id,
            url: self.url.to_string(),
            message,
        }
    }

    pub(crate) fn closed_error(&self, message: String) -> WsError {
        WsError::Closed {
            cluster: self.cluster(),
            shard: self.shard_id,
            message,
        }
    }

    pub(crate) fn protocol_error(&self, message: String) -> WsError {
        WsError::Protocol {
            cluster: self.cluster(),
            shard: self.shard_id,
            message,
        }
    }

    /// The error a disconnect status means, if it is one.
    pub(crate) fn status_error(&self, status: &StatusMessage) -> Option<WsError> {
        let (cluster, shard, message) = (self.cluster(), self.shard_id, status.message.clone());
        Some(match status.kind {
            StatusKind::AuthFailed => WsError::AuthFailed {
                cluster,
                shard,
                message,
            },
            StatusKind::AuthTimeout => WsError::Protocol {
                cluster,
                shard,
                message: format!("auth_timeout: {message}"),
            },
            StatusKind::MaxConnections => WsError::MaxConnections {
                cluster,
                shard,
                message,
            },
            StatusKind::SlowConsumer => WsError::SlowConsumer {
                cluster,
                shard,
                message,
            },
            StatusKind::ForceDisconnect => WsError::ForceDisconnect {
                cluster,
                shard,
                message,
            },
            _ => return None,
        })
    }
}
