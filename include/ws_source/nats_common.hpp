// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// What the JetStream sink and reader share (library `ws_source::nats`, CMake option
/// `WS_SOURCE_WITH_NATS`): the connection settings, the stream settings, the subject naming.
///
/// **Subjects.** One subject per cluster and feed, `<prefix>.<cluster>.<kind>`:
///
/// | feed | subject (default prefix `massive`) |
/// |---|---|
/// | options quotes | `massive.options.quotes` |
/// | options trades | `massive.options.trades` |
/// | equity quotes  | `massive.stocks.quotes` |
/// | equity trades  | `massive.stocks.trades` |
///
/// The cluster token is Massive's URL path (`Cluster`), the kind `quotes` or `trades`. Every shard
/// of a feed publishes to the feed's subject (the shard is in each batch's meta). The stream the
/// sink creates captures `<prefix>.>`; a host may create its own stream instead, as long as its
/// subjects cover the four (checked at start).
///
/// No header in `include/` includes cnats (`nats.h`); the C handles live in `src/nats/`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "ws_source/resource_type.hpp"
#include "ws_source/result.hpp"

namespace ws_source {

/// Why a NATS operation failed. `message` is one sentence with context (the URL without its
/// credentials, the stream, the subject) and never contains a password, token or API key.
struct NatsError {
  enum class Kind : std::uint8_t {
    Config,   ///< an invalid setting (URL, subject prefix, stream name, bounds)
    Connect,  ///< no server reachable at the URL within the connect timeout
    Stream,   ///< JetStream disabled, the stream missing (and not to be created) or incompatible
    Closed,   ///< the object was closed
    Decode,   ///< a message is not a batch in the documented encoding (nats_codec.hpp)
    Nats,     ///< another cnats status (`status`, `js_code` say which)
  };
  Kind kind{Kind::Nats};
  std::string message;
  int status{0};   ///< cnats `natsStatus` (0 = NATS_OK) when the error came from cnats
  int js_code{0};  ///< JetStream error code (`jsErrCode`, e.g. 10059 stream not found), 0 if none

  friend bool operator==(const NatsError&, const NatsError&) = default;
};

/// "config", "connect", "stream", "closed", "decode", "nats".
[[nodiscard]] std::string_view to_string(NatsError::Kind kind) noexcept;
/// `kind: message`
std::ostream& operator<<(std::ostream& os, const NatsError& e);

/// How to reach the NATS server.
struct NatsConnectSettings {
  /// `nats://host:port` (also `tls://`, a comma-separated list of servers, and credentials as
  /// `nats://user:password@host:port` or `nats://token@host:port`; those never reach a log).
  std::string url{"nats://127.0.0.1:4222"};
  /// Bounds the initial connection (TCP connect + NATS handshake) per server: a bad host or a
  /// port with nothing listening fails within about this long, never hangs.
  std::chrono::milliseconds connect_timeout{2'000};
  /// Bounds each JetStream API request (stream lookup and creation, consumer creation).
  std::chrono::milliseconds api_timeout{5'000};
  /// Wait between reconnection attempts once connected (reconnection never gives up).
  std::chrono::milliseconds reconnect_wait{250};
  /// The connection name the server shows (`nats server report connections`).
  std::string name{"ws-source"};
};

/// The stream the sink writes to and the reader reads from.
struct NatsStreamSettings {
  std::string name{"MASSIVE"};            ///< stream name (letters, digits, `-`, `_`)
  std::string subject_prefix{"massive"};  ///< subjects are `<prefix>.<cluster>.<kind>` (see above)
  /// Sink only: create the stream when it does not exist (file storage, subjects `<prefix>.>`,
  /// the limits below). When false, a missing stream is a `Stream` error at start.
  bool create{true};
  /// The stream's duplicate window, when the sink creates it: a batch resent within it (same
  /// `Nats-Msg-Id`) is stored once. An existing stream's window is checked against the sink's
  /// retry horizon instead (it must be longer).
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
  /// Limits of a stream the sink creates (0 = unlimited): the oldest messages go first.
  std::chrono::seconds max_age{0};
  std::int64_t max_bytes{0};
  /// Storage of a stream the sink creates: file (survives a server restart) or memory.
  bool memory_storage{false};
};

/// `<prefix>.<cluster>.<quotes|trades>`, e.g. `massive.options.quotes`.
[[nodiscard]] std::string nats_subject(std::string_view prefix, ResourceType feed);

/// The feed a subject of `prefix` names, or nullopt (`massive.stocks.trades` → EquityTrades).
[[nodiscard]] std::optional<ResourceType> feed_of_subject(std::string_view prefix, std::string_view subject) noexcept;

/// Whether `subject` matches the NATS subject pattern `pattern` (`*` one token, `>` the rest).
[[nodiscard]] bool nats_subject_matches(std::string_view pattern, std::string_view subject) noexcept;

/// Checks a subject prefix: one or more `.`-separated non-empty tokens of printable ASCII
/// without spaces, `*` or `>`.
[[nodiscard]] Result<void, NatsError> validate_subject_prefix(std::string_view prefix);

/// `url` with the credentials of every server replaced by `***` (`nats://***@host:4222`): what
/// logs and errors show.
[[nodiscard]] std::string redact_nats_url(std::string_view url);

}  // namespace ws_source
