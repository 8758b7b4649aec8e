//! A plain WebSocket client for driving the simulator in tests.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use massive_sim::{DEMO_KEY, SimConfig, SimHandle, SimServer};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

pub const WAIT: Duration = Duration::from_secs(3);

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the next read produced.
#[derive(Debug)]
pub enum Read {
    Frame(Vec<Value>),
    Text(String),
    Pong,
    Closed,
    Error(String),
    Timeout,
}

pub async fn start(cfg: SimConfig) -> SimHandle {
    SimServer::start(cfg).await.unwrap()
}

impl Client {
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = connect_async(url).await.unwrap();
        Client { ws }
    }

    /// Connects, checks `connected`, authenticates with the demo key and checks `auth_success`.
    pub async fn authed(sim: &SimHandle, cluster: &str) -> Client {
        let mut c = Client::connect(&sim.url(cluster)).await;
        assert_eq!(
            c.status().await,
            ("connected".into(), "Connected Successfully".into())
        );
        c.send(json!({"action":"auth","params":DEMO_KEY})).await;
        assert_eq!(
            c.status().await,
            ("auth_success".into(), "authenticated".into())
        );
        c
    }

    pub async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    pub async fn read_for(&mut self, d: Duration) -> Read {
        match tokio::time::timeout(d, self.ws.next()).await {
            Err(_) => Read::Timeout,
            Ok(None) => Read::Closed,
            Ok(Some(Err(e))) => Read::Error(e.to_string()),
            Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<Value>(t.as_str()) {
                Ok(Value::Array(a)) => Read::Frame(a),
                _ => Read::Text(t.to_string()),
            },
            Ok(Some(Ok(Message::Pong(_)))) => Read::Pong,
            Ok(Some(Ok(Message::Close(_)))) => Read::Closed,
            Ok(Some(Ok(other))) => Read::Text(format!("{other:?}")),
        }
    }

    /// Next frame (skipping nothing); panics on anything else.
    pub async fn frame(&mut self) -> Vec<Value> {
        match self.read_for(WAIT).await {
            Read::Frame(f) => f,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// Reads until the next status object, skipping data events; returns (status, message).
    pub async fn status(&mut self) -> (String, String) {
        self.statuses(1).await.remove(0)
    }

    /// Reads until `n` status objects were seen, skipping data events.
    pub async fn statuses(&mut self, n: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while out.len() < n {
            for v in self.frame().await {
                if v["ev"] == "status" {
                    out.push((
                        v["status"].as_str().unwrap().to_string(),
                        v["message"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
        out
    }

    /// Reads until the connection ends (close frame, EOF or error); returns statuses seen.
    pub async fn until_closed(&mut self) -> (Vec<(String, String)>, Read) {
        let mut st = Vec::new();
        loop {
            match self.read_for(WAIT).await {
                Read::Frame(f) => {
                    for v in f {
                        if v["ev"] == "status" {
                            st.push((
                                v["status"].as_str().unwrap().to_string(),
                                v["message"].as_str().unwrap().to_string(),
                            ));
                        }
                    }
                }
                Read::Text(_) | Read::Pong => {}
                end => return (st, end),
            }
        }
    }

    pub async fn subscribe(&mut self, params: &str) {
        self.send(json!({"action":"subscribe","params":params}))
            .await;
    }

    pub async fn unsubscribe(&mut self, params: &str) {
        self.send(json!({"action":"unsubscribe","params":params}))
            .await;
    }
}
