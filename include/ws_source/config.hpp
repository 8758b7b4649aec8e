// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `WsConfig` and its parts: plain data with the defaults of the Rust prototype, read from TOML
/// (plus `MASSIVE_API_KEY`) and validated with errors that name the bad field.
///
/// ```toml
/// base_url = "wss://socket.massive.com"   # the cluster path (/options, /stocks) is appended
/// shard_count = 1                         # sockets per cluster; needs one API key per shard
///
/// [feeds.options_quotes]
/// symbols = ["O:SPY251219C00650000"]      # pinned; at most 1,000 per shard
/// [feeds.equity_quotes]
/// enabled = false
///
/// [connection]
/// ping_interval_ms = 20000
/// ```
///
/// Massive allows **one connection per cluster per account**: option quotes and option trades
/// share the `/options` socket, equity quotes and trades share `/stocks`. A second socket on the
/// same account evicts the first (`max_connections`), so `shard_count > 1` needs one API key
/// (account) per shard, and validation says so.
///
/// Every function here may be called from any thread; they share no state (`apply_env` and
/// `load_config` read the environment, which must not be modified concurrently). Errors are
/// values (`ConfigError`); nothing throws except `std::bad_alloc`.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/resource_type.hpp"
#include "ws_source/result.hpp"
#include "ws_source/secret.hpp"

namespace ws_source {

/// The environment variable holding the API key (used when the configuration names none).
inline constexpr std::string_view kApiKeyEnv = "MASSIVE_API_KEY";
/// Massive's real-time endpoint; `/stocks` and `/options` are appended.
inline constexpr std::string_view kDefaultBaseUrl = "wss://socket.massive.com";
/// Upper bound of every duration field in milliseconds (one day): durations become `int64`
/// nanoseconds and deadlines `now + duration`, which must not overflow.
inline constexpr std::uint64_t kMaxDurationMs = 86'400'000;
/// Upper bound of `connection.queue_capacity` (batches per connection).
inline constexpr std::size_t kMaxQueueCapacity = std::size_t{1} << 20;
/// Option-quote channels one connection may hold (Massive's documented limit).
inline constexpr std::size_t kOptionQuotesPerConnection = 1000;

/// One feed's subscriptions.
struct FeedConfig {
  /// Whether the feed is ingested.
  bool enabled{true};
  /// Symbols to subscribe (`AAPL`, `O:SPY251219C00650000`, or `*` where the feed allows it). On
  /// a scheduled feed these are pinned and the scheduler fills the remaining slots.
  std::vector<std::string> symbols;
  /// Let the subscription scheduler choose the subscriptions (option quotes only).
  bool scheduled{false};

  /// Enabled, subscribed to `*`.
  [[nodiscard]] static FeedConfig all() { return {true, {"*"}, false}; }
  /// Enabled, subscriptions chosen by the scheduler (the prototype's `FeedConfig::scheduled()`).
  [[nodiscard]] static FeedConfig by_scheduler() { return {true, {}, true}; }
  friend bool operator==(const FeedConfig&, const FeedConfig&) = default;
};

/// The four feeds. Defaults: option quotes scheduled, option and equity trades `*`, equity
/// quotes enabled with no symbols (subscribes nothing until symbols are listed).
struct FeedsConfig {
  FeedConfig options_quotes{FeedConfig::by_scheduler()};
  FeedConfig options_trades{FeedConfig::all()};
  FeedConfig equity_quotes{};
  FeedConfig equity_trades{FeedConfig::all()};

  /// The settings of one feed.
  [[nodiscard]] const FeedConfig& get(ResourceType rt) const noexcept;
  [[nodiscard]] FeedConfig& get(ResourceType rt) noexcept;
  /// The enabled feeds `cluster` carries, in `kAllResourceTypes` order.
  [[nodiscard]] std::vector<ResourceType> enabled_on(Cluster cluster) const;
  friend bool operator==(const FeedsConfig&, const FeedsConfig&) = default;
};

/// Socket, heartbeat and queue settings (durations in milliseconds, at most `kMaxDurationMs`).
struct ConnectionConfig {
  std::uint64_t connect_timeout_ms{10'000};  ///< TCP + TLS + WebSocket handshake (> 0)
  std::uint64_t auth_timeout_ms{10'000};     ///< `connected` + `auth_success` after it (> 0)
  std::uint64_t ping_interval_ms{20'000};    ///< WebSocket ping period (> 0)
  /// Nothing received for ping interval + this long: the connection is half-open (> 0).
  std::uint64_t pong_timeout_ms{15'000};
  std::uint64_t heartbeat_interval_ms{250};  ///< empty batches while no data flows (> 0)
  std::uint64_t allowed_lateness_ms{500};    ///< idle watermark = now - this (>= 0)
  std::size_t queue_capacity{4'096};         ///< batches between a socket and the consumer (> 0)
  std::size_t subscribe_chunk_size{500};     ///< channels per (un)subscribe message (> 0)
  std::uint64_t max_future_skew_ms{60'000};  ///< SIP times further ahead are rejected (>= 0)
  friend bool operator==(const ConnectionConfig&, const ConnectionConfig&) = default;
};

/// Reconnect policy (see `src/net/backoff.hpp`): 1 s, 2 s, 4 s, … capped, ±jitter.
struct BackoffConfig {
  std::uint64_t initial_ms{1'000};  ///< first delay (> 0)
  std::uint64_t max_ms{60'000};     ///< cap (>= initial_ms)
  double multiplier{2.0};           ///< growth per attempt (finite, >= 1)
  double jitter{0.1};               ///< ± share of the delay, in [0, 0.5]
  /// A connection that stayed up this long resets the attempt counter (> 0).
  std::uint64_t reset_after_healthy_ms{30'000};
  friend bool operator==(const BackoffConfig&, const BackoffConfig&) = default;
};

/// Staleness limit and load shedding of scheduled option quotes.
struct BackpressureConfig {
  std::uint64_t max_staleness_ms{100};    ///< frame received -> consumer; above it shedding starts (> 0)
  double queue_high_ratio{0.5};           ///< queue fill above which shedding starts, in (0, 1]
  std::uint64_t check_interval_ms{20};    ///< how often the governor looks (> 0)
  double shed_fraction{0.25};             ///< share of the capacity cut per overload, in (0, 1]
  std::uint64_t shed_cooldown_ms{100};    ///< wait after a cut before judging again (>= 0)
  std::uint64_t restore_after_ms{2'000};  ///< healthy this long before a restore step (>= 0)
  double restore_step{0.25};              ///< growth per healthy step, share of the capacity, in (0, 1]
  friend bool operator==(const BackpressureConfig&, const BackpressureConfig&) = default;
};

/// How exploration picks are drawn among the candidates.
enum class ExplorationWeighting : std::uint8_t {
  Uniform,    ///< every candidate equally likely
  Priority,   ///< weighted by priority (sampling without replacement)
  Posterior,  ///< Thompson sampling of each candidate's rate (the default)
};

/// "uniform", "priority", "posterior": the configuration file's spelling.
[[nodiscard]] std::string_view to_string(ExplorationWeighting w) noexcept;
std::ostream& operator<<(std::ostream& os, ExplorationWeighting w);

/// The subscription scheduler and the activity tracker that feeds it (option quotes).
struct SchedulerConfig {
  std::size_t top_n{500};                 ///< reserved slots (<= 1000, one connection's limit)
  double exploration_fraction{0.01};      ///< share of capacity explored, in [0, 1]
  std::uint64_t rebalance_interval_s{5};  ///< seconds between rebalances, in [1, 86400]
  double hysteresis{0.5};                 ///< incumbent margin factor (finite, >= 0)
  ExplorationWeighting exploration_weighting{ExplorationWeighting::Posterior};
  std::uint64_t seed{0x5EED};                   ///< exploration randomness (with the epoch)
  std::uint64_t exploration_hold_intervals{2};  ///< rebalances a pick keeps its slot (>= 1)
  std::uint64_t exploration_memory_epochs{12};  ///< epochs an exploration is remembered (>= 1)
  double half_life_s{120.0};                    ///< decay half-life, in [0.001, 1e9] seconds
  double volume_weight{0.0};                    ///< priority = rate + this × volume rate (>= 0)
  double put_call_pooling{0.15};                ///< share credited to the put-call pair, in [0, 1]
  friend bool operator==(const SchedulerConfig&, const SchedulerConfig&) = default;
};

/// `[tls]`: TLS of the connections. Peer and host-name verification are always on.
struct TlsConfig {
  /// PEM file of extra certificate authorities to trust (a private CA); empty: the system's
  /// trust store only.
  std::string ca_file;
  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

/// Everything the connection layer needs.
struct WsConfig {
  /// One key per shard: shard `i` authenticates with `api_keys[i]`. Usually left out of the file
  /// and taken from `MASSIVE_API_KEY` (`apply_env`).
  std::vector<ApiKey> api_keys;
  /// `/{cluster}` is appended (`cluster_url`). `ws://` only for loopback hosts.
  std::string base_url{kDefaultBaseUrl};
  /// Connections per cluster (1 = what one Massive account allows).
  std::size_t shard_count{1};
  FeedsConfig feeds;
  ConnectionConfig connection;
  BackoffConfig backoff;
  SchedulerConfig scheduler;
  BackpressureConfig backpressure;
  TlsConfig tls;
  friend bool operator==(const WsConfig&, const WsConfig&) = default;
};

/// What is wrong with a configuration. Never contains an API key or source text of the file.
struct ConfigError {
  enum class Kind : std::uint8_t {
    Io,       ///< the file cannot be read (`path`, `message`)
    Syntax,   ///< the text is not TOML (`message`, `line`)
    Schema,   ///< an unknown key or a value of the wrong type (`field`, `message`, `line`)
    Invalid,  ///< a value breaks a rule of `validate` (`field`, `message`)
  };
  Kind kind{Kind::Invalid};
  std::string field;    ///< dotted path of the field, e.g. `connection.queue_capacity`, `api_keys[1]`
  std::string message;  ///< what is wrong, e.g. "must be greater than 0"
  std::size_t line{0};  ///< 1-based line in the TOML text (Syntax, Schema); 0 when unknown
  std::string path;     ///< the file (set by `load_config`), empty for text

  /// One line: ``config field `{field}`: {message}`` (Invalid; Schema adds ` (line {line})`),
  /// "config file is not valid: {message} (line {line})" (Syntax), "cannot read config file
  /// {path}: {message}" (Io). With `path` set, Invalid and Schema start with "{path}: " and
  /// Syntax says "config file {path} is not valid: …".
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

std::ostream& operator<<(std::ostream& os, const ConfigError& e);

/// Parses TOML text into a `WsConfig`; absent keys keep their defaults. Does not read the
/// environment and does not `validate`. Errors: Syntax (with its line; the parser's message
/// never quotes the text, which may hold a key), Schema for an unknown key (naming it, e.g.
/// `connection.pingg`) or a value of the wrong type or sign.
[[nodiscard]] Result<WsConfig, ConfigError> parse_config(std::string_view toml);

/// Reads the file at `path`, `parse_config`s it, `apply_env`s and `validate`s the result.
/// Errors: Io (naming the path), then those of `parse_config` and `validate` (with `path` set).
[[nodiscard]] Result<WsConfig, ConfigError> load_config(const std::filesystem::path& path);

/// When `config.api_keys` is empty and `MASSIVE_API_KEY` holds a non-blank value, sets
/// `api_keys` to that value, trimmed. Otherwise leaves `config` unchanged.
void apply_env(WsConfig& config);

/// Checks every field, in the order base_url, shard_count, api_keys, feeds, connection,
/// backoff, backpressure, scheduler; the error (Kind::Invalid) names the first bad one.
/// Beyond the prototype it also checks the durations it left unchecked (each at most
/// `kMaxDurationMs`; `backoff.reset_after_healthy_ms` > 0), `scheduler.top_n` (at most 1000),
/// and pinned option quotes per shard after hashing (at most 1000 on any one shard).
[[nodiscard]] Result<void, ConfigError> validate(const WsConfig& config);

/// The scheduler's own rules (finite values, ranges), fields named `scheduler.{name}`, messages
/// "scheduler config: `{name}` must be finite, got {v}" / "… = {v} is out of range: {expected}".
/// `validate(const WsConfig&)` runs it and then checks `top_n` against one connection's limit.
[[nodiscard]] Result<void, ConfigError> validate(const SchedulerConfig& config);

/// `{base_url without trailing '/'}/{stocks|options}`, e.g. "wss://socket.massive.com/options".
[[nodiscard]] std::string cluster_url(const WsConfig& config, Cluster cluster);

/// The configuration as TOML that `parse_config` reads back to an equal `WsConfig`, except that
/// every API key is written as `"***"` (and that TOML cannot hold an integer above 2^63 - 1, e.g.
/// a `scheduler.seed` set that high in code). For logging the effective configuration.
[[nodiscard]] std::string to_toml(const WsConfig& config);

/// Writes `to_toml(config)`.
std::ostream& operator<<(std::ostream& os, const WsConfig& config);

}  // namespace ws_source
