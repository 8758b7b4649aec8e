//! `WsConfig`: plain data, loaded from TOML plus `MASSIVE_API_KEY`, with defaults and validation
//! errors that name the bad field.
//!
//! ```toml
//! base_url = "wss://socket.massive.com"   # the cluster path (/options, /stocks) is appended
//! shard_count = 1                         # sockets per cluster; needs one API key per shard
//!
//! [feeds.options_trades]
//! symbols = ["*"]
//! [feeds.options_quotes]
//! symbols = ["O:SPY251219C00650000"]      # at most 1,000 per shard
//! [feeds.equity_quotes]
//! enabled = false
//!
//! [connection]
//! ping_interval_ms = 20000
//!
//! [backoff]
//! max_ms = 60000
//! ```
//!
//! Massive allows **one connection per cluster per account**: option quotes and option trades
//! share the `/options` socket, equity quotes and trades share `/stocks`. Opening a second socket
//! on the same account evicts the first (`max_connections`), so `shard_count > 1` requires one
//! API key (account) per shard, and validation says so.

use std::path::Path;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::backoff::BackoffConfig;
use crate::backpressure::BackpressureConfig;
use crate::model::{Cluster, ResourceType};
use crate::scheduler::SchedulerConfig;
use crate::secret::ApiKey;

/// Environment variable holding the API key (used for shard 0 when the file names none).
pub const API_KEY_ENV: &str = "MASSIVE_API_KEY";

/// Everything the connection layer needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WsConfig {
    /// API keys, one per shard (shard `i` authenticates with key `i`). Usually left out of the
    /// file and taken from `MASSIVE_API_KEY`.
    pub api_keys: Vec<ApiKey>,
    /// Base URL; `/{cluster}` is appended. `ws://` is accepted only for loopback hosts.
    pub base_url: String,
    /// Connections per cluster (default 1, what one Massive account allows).
    pub shard_count: usize,
    /// What to subscribe on each feed.
    pub feeds: FeedsConfig,
    /// Socket, heartbeat and queue settings.
    pub connection: ConnectionConfig,
    /// Reconnect policy.
    pub backoff: BackoffConfig,
    /// Subscription scheduler (option quotes).
    pub scheduler: SchedulerConfig,
    /// Staleness limit and load shedding.
    pub backpressure: BackpressureConfig,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            api_keys: Vec::new(),
            base_url: "wss://socket.massive.com".to_string(),
            shard_count: 1,
            feeds: FeedsConfig::default(),
            connection: ConnectionConfig::default(),
            backoff: BackoffConfig::default(),
            scheduler: SchedulerConfig::default(),
            backpressure: BackpressureConfig::default(),
        }
    }
}

/// The four feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedsConfig {
    /// Option NBBO quotes (no wildcard; at most 1,000 contracts per shard).
    pub options_quotes: FeedConfig,
    /// Option trades (`*` for all contracts).
    pub options_trades: FeedConfig,
    /// Equity NBBO quotes.
    pub equity_quotes: FeedConfig,
    /// Equity trades.
    pub equity_trades: FeedConfig,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        FeedsConfig {
            options_quotes: FeedConfig::scheduled(),
            options_trades: FeedConfig::all(),
            equity_quotes: FeedConfig::default(),
            equity_trades: FeedConfig::all(),
        }
    }
}

impl FeedsConfig {
    /// The settings of one feed.
    pub fn get(&self, rt: ResourceType) -> &FeedConfig {
        match rt {
            ResourceType::OptionsQuotes => &self.options_quotes,
            ResourceType::OptionsTrades => &self.options_trades,
            ResourceType::EquityQuotes => &self.equity_quotes,
            ResourceType::EquityTrades => &self.equity_trades,
        }
    }

    /// Mutable settings of one feed.
    pub fn get_mut(&mut self, rt: ResourceType) -> &mut FeedConfig {
        match rt {
            ResourceType::OptionsQuotes => &mut self.options_quotes,
            ResourceType::OptionsTrades => &mut self.options_trades,
            ResourceType::EquityQuotes => &mut self.equity_quotes,
            ResourceType::EquityTrades => &mut self.equity_trades,
        }
    }

    /// Enabled feeds carried by `cluster`.
    pub fn enabled_on(&self, cluster: Cluster) -> Vec<ResourceType> {
        ResourceType::ALL
            .into_iter()
            .filter(|rt| rt.cluster() == cluster && self.get(*rt).enabled)
            .collect()
    }
}

/// One feed's subscriptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// Whether the feed is ingested.
    pub enabled: bool,
    /// Symbols to subscribe (`AAPL`, `O:SPY251219C00650000`, or `*` where the feed allows it).
    /// On a scheduled feed these are pinned and the scheduler fills the remaining slots.
    pub symbols: Vec<String>,
    /// Let the subscription scheduler choose the subscriptions (option quotes only): the most
    /// active contracts by decayed activity, with exploration and hysteresis.
    pub scheduled: bool,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            enabled: true,
            symbols: Vec::new(),
            scheduled: false,
        }
    }
}

impl FeedConfig {
    /// Enabled, subscribed to `*`.
    pub fn all() -> FeedConfig {
        FeedConfig {
            enabled: true,
            symbols: vec!["*".to_string()],
            scheduled: false,
        }
    }

    /// Enabled, subscriptions chosen by the scheduler.
    pub fn scheduled() -> FeedConfig {
        FeedConfig {
            enabled: true,
            symbols: Vec::new(),
            scheduled: true,
        }
    }
}

/// Socket, heartbeat and queue settings (milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionConfig {
    /// TCP + TLS + WebSocket handshake timeout.
    pub connect_timeout_ms: u64,
    /// Time allowed for `connected` and `auth_success` after the handshake.
    pub auth_timeout_ms: u64,
    /// WebSocket ping period.
    pub ping_interval_ms: u64,
    /// A connection with nothing received (no pong, no frame) for this long after a ping is
    /// declared half-open and replaced.
    pub pong_timeout_ms: u64,
    /// Period of heartbeat (empty) batches while no data flows.
    pub heartbeat_interval_ms: u64,
    /// While connected and idle, the watermark advances to `now − allowed_lateness`.
    pub allowed_lateness_ms: u64,
    /// Batches buffered between a read loop and the consumer.
    pub queue_capacity: usize,
    /// Channels per subscribe/unsubscribe message.
    pub subscribe_chunk_size: usize,
    /// How far a SIP timestamp may lie ahead of the local clock before it is rejected.
    pub max_future_skew_ms: u64,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            connect_timeout_ms: 10_000,
            auth_timeout_ms: 10_000,
            ping_interval_ms: 20_000,
            pong_timeout_ms: 15_000,
            heartbeat_interval_ms: 250,
            allowed_lateness_ms: 500,
            queue_capacity: 4_096,
            subscribe_chunk_size: 500,
            max_future_skew_ms: 60_000,
        }
    }
}

/// What is wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has an unknown field (no source excerpt: it could hold a key).
    #[error("config file is not valid: {message} (line {line})")]
    Toml {
        /// What the TOML parser said.
        message: String,
        /// 1-based line of the problem.
        line: usize,
    },
    /// A field has a bad value.
    #[error("config field `{field}`: {reason}")]
    Invalid {
        /// Dotted path of the field, e.g. `connection.queue_capacity`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

impl WsConfig {
    /// Parses TOML (without reading the environment) and validates it.
    pub fn from_toml_str(text: &str) -> Result<WsConfig, ConfigError> {
        let config: WsConfig = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            ConfigError::Toml {
                message: e.message().to_string(),
                line,
            }
        })?;
        Ok(config)
    }

    /// Reads a TOML file, fills the API key from `MASSIVE_API_KEY` if the file has none, and
    /// validates.
    pub fn load(path: &Path) -> Result<WsConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut config = WsConfig::from_toml_str(&text)?;
        config.apply_env();
        config.validate()?;
        Ok(config)
    }

    /// Takes the API key from `MASSIVE_API_KEY` when no key is configured.
    pub fn apply_env(&mut self) {
        if self.api_keys.is_empty()
            && let Ok(key) = std::env::var(API_KEY_ENV)
            && !key.trim().is_empty()
        {
            self.api_keys.push(ApiKey::new(key.trim()));
        }
    }

    /// The URL of a cluster: `{base_url}/{cluster}`.
    pub fn cluster_url(&self, cluster: Cluster) -> Result<Url, ConfigError> {
        let base = self.base_url.trim_end_matches('/');
        Url::parse(&format!("{base}/{}", cluster.path()))
            .map_err(|e| invalid("base_url", format!("not a URL: {e}")))
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = self.cluster_url(Cluster::Stocks)?;
        match url.scheme() {
            "wss" => {}
            "ws" if is_loopback(&url) => {}
            "ws" => {
                return Err(invalid(
                    "base_url",
                    "plain ws:// is only allowed for loopback hosts; use wss://",
                ));
            }
            other => return Err(invalid("base_url", format!("unsupported scheme {other:?}"))),
        }
        if self.shard_count == 0 {
            return Err(invalid("shard_count", "must be at least 1"));
        }
        if self.api_keys.is_empty() {
            return Err(invalid(
                "api_keys",
                format!("no API key: set {API_KEY_ENV} or `api_keys` in the config file"),
            ));
        }
        if let Some(i) = self.api_keys.iter().position(ApiKey::is_empty) {
            return Err(invalid(format!("api_keys[{i}]"), "is empty"));
        }
        if self.api_keys.len() < self.shard_count {
            return Err(invalid(
                "shard_count",
                format!(
                    "{} shards need {} API keys (Massive allows one connection per cluster per \
                     account), but {} configured",
                    self.shard_count,
                    self.shard_count,
                    self.api_keys.len()
                ),
            ));
        }
        for rt in ResourceType::ALL {
            let feed = self.feeds.get(rt);
            if feed.scheduled && rt != ResourceType::OptionsQuotes {
                return Err(invalid(
                    format!("feeds.{rt}.scheduled"),
                    "only option quotes are scheduled (the other feeds have wildcards)",
                ));
            }
            let field = format!("feeds.{rt}.symbols");
            for (i, s) in feed.symbols.iter().enumerate() {
                if s == "*" {
                    if !rt.supports_wildcard() {
                        return Err(invalid(
                            format!("{field}[{i}]"),
                            "option quotes have no wildcard; list contracts or let the scheduler pick",
                        ));
                    }
                    continue;
                }
                crate::model::Symbol::new(s)
                    .map_err(|e| invalid(format!("{field}[{i}]"), format!("{s:?}: {e}")))?;
                if rt.cluster() == Cluster::Options {
                    crate::model::OptionContract::parse(s)
                        .map_err(|e| invalid(format!("{field}[{i}]"), format!("{s:?}: {e}")))?;
                }
            }
            if let Some(limit) = rt.subscription_limit()
                && feed.symbols.len() > limit * self.shard_count
            {
                return Err(invalid(
                    field,
                    format!(
                        "{} symbols exceed {limit} per connection × {} shards",
                        feed.symbols.len(),
                        self.shard_count
                    ),
                ));
            }
        }
        let c = &self.connection;
        let positive = [
            ("connection.connect_timeout_ms", c.connect_timeout_ms),
            ("connection.auth_timeout_ms", c.auth_timeout_ms),
            ("connection.ping_interval_ms", c.ping_interval_ms),
            ("connection.pong_timeout_ms", c.pong_timeout_ms),
            ("connection.heartbeat_interval_ms", c.heartbeat_interval_ms),
            ("connection.queue_capacity", c.queue_capacity as u64),
            (
                "connection.subscribe_chunk_size",
                c.subscribe_chunk_size as u64,
            ),
            ("backoff.initial_ms", self.backoff.initial_ms),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(invalid(*field, "must be greater than 0"));
        }
        let b = &self.backoff;
        if b.max_ms < b.initial_ms {
            return Err(invalid(
                "backoff.max_ms",
                "must be at least backoff.initial_ms",
            ));
        }
        if !(b.multiplier.is_finite() && b.multiplier >= 1.0) {
            return Err(invalid(
                "backoff.multiplier",
                "must be a finite number >= 1",
            ));
        }
        if !(0.0..=0.5).contains(&b.jitter) {
            return Err(invalid("backoff.jitter", "must be within [0, 0.5]"));
        }
        let bp = &self.backpressure;
        for (field, v) in [
            ("backpressure.max_staleness_ms", bp.max_staleness_ms),
            ("backpressure.check_interval_ms", bp.check_interval_ms),
        ] {
            if v == 0 {
                return Err(invalid(field, "must be greater than 0"));
            }
        }
        for (field, v) in [
            ("backpressure.queue_high_ratio", bp.queue_high_ratio),
            ("backpressure.shed_fraction", bp.shed_fraction),
            ("backpressure.restore_step", bp.restore_step),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(invalid(field, "must be within (0, 1]"));
            }
        }
        self.scheduler
            .validate()
            .map_err(|e| invalid(format!("scheduler.{}", e.field()), e.to_string()))?;
        Ok(())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_key(mut c: WsConfig) -> WsConfig {
        c.api_keys = vec![ApiKey::new("k")];
        c
    }

    fn field_of(e: ConfigError) -> String {
        match e {
            ConfigError::Invalid { field, .. } => field,
            other => panic!("expected Invalid, got {other}"),
        }
    }

    #[test]
    fn defaults_validate_once_a_key_is_set() {
        assert_eq!(
            field_of(WsConfig::default().validate().unwrap_err()),
            "api_keys"
        );
        with_key(WsConfig::default()).validate().unwrap();
    }

    #[test]
    fn errors_name_the_field() {
        let c = WsConfig::from_toml_str("shard_count = 2\napi_keys = [\"a\"]").unwrap();
        assert_eq!(field_of(c.validate().unwrap_err()), "shard_count");

        let c =
            with_key(WsConfig::from_toml_str("[feeds.options_quotes]\nsymbols = [\"*\"]").unwrap());
        assert_eq!(
            field_of(c.validate().unwrap_err()),
            "feeds.options_quotes.symbols[0]"
        );

        let c = with_key(
            WsConfig::from_toml_str("[feeds.options_quotes]\nsymbols = [\"O:SPY251319C00650000\"]")
                .unwrap(),
        );
        assert_eq!(
            field_of(c.validate().unwrap_err()),
            "feeds.options_quotes.symbols[0]"
        );

        let c = with_key(WsConfig::from_toml_str("[connection]\nqueue_capacity = 0").unwrap());
        assert_eq!(
            field_of(c.validate().unwrap_err()),
            "connection.queue_capacity"
        );

        let c = with_key(WsConfig::from_toml_str("base_url = \"ws://example.com\"").unwrap());
        assert_eq!(field_of(c.validate().unwrap_err()), "base_url");
        let c = with_key(WsConfig::from_toml_str("base_url = \"ws://127.0.0.1:9\"").unwrap());
        c.validate().unwrap();
    }

    #[test]
    fn unknown_fields_are_rejected_with_a_line_and_without_the_source_text() {
        let err = WsConfig::from_toml_str("api_keys = [\"SECRET\"]\n\n[connection]\npingg = 3")
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("pingg"), "{text}");
        assert!(text.contains("line 4"), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn the_key_never_appears_in_debug_or_serialized_output() {
        let c = WsConfig::from_toml_str("api_keys = [\"SECRET-KEY-123\"]").unwrap();
        assert!(!format!("{c:?}").contains("SECRET-KEY-123"));
        assert!(!toml::to_string(&c).unwrap().contains("SECRET-KEY-123"));
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    #[test]
    fn the_example_config_in_the_repository_is_valid() {
        let text = include_str!("../../../ws-source.example.toml");
        let mut config = WsConfig::from_toml_str(text).unwrap();
        config.api_keys = vec![ApiKey::new("k")];
        config.validate().unwrap();
        assert!(config.feeds.options_quotes.scheduled);
    }
}
