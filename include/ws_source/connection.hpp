// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// One connection to a Massive cluster: `WsWorker` (what to connect to, as whom), `WsError` (why
/// a connection failed or ended), `ConnectionEvent` (what the host application can watch), and
/// the spec's `connect_and_subscribe`. `ConnectionManager` runs workers; most applications never
/// call `connect_and_subscribe` themselves.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ws_source/config.hpp"
#include "ws_source/model.hpp"
#include "ws_source/resource_type.hpp"
#include "ws_source/result.hpp"
#include "ws_source/secret.hpp"
#include "ws_source/url.hpp"

namespace ws_source {

/// TLS settings of a connection. Verification is on by default; it cannot be turned off.
struct TlsOptions {
  /// PEM file of extra certificate authorities to trust (a private CA, a test server); empty:
  /// the system's default trust store only.
  std::string ca_file;
};

/// One socket's identity: a cluster URL, a shard, the feeds it carries and the key it
/// authenticates with. Massive allows one connection per cluster per account, so the quotes and
/// trades of a cluster share a worker (`feeds`); `resource_type` is the first of them.
struct WsWorker {
  Url url;  ///< `wss://host/options` (plain `ws://` only to loopback)
  std::size_t shard_id{0};
  ResourceType resource_type{ResourceType::OptionsTrades};
  std::vector<ResourceType> feeds;  ///< every feed on this socket, all of one cluster
  ApiKey key;                       ///< never formatted: `operator<<` prints `ApiKey(***)`
  ConnectionConfig connection;      ///< timeouts, ping interval, chunk size …
  TlsOptions tls;

  [[nodiscard]] Cluster cluster() const noexcept { return ws_source::cluster(resource_type); }
};

/// Why a connection attempt failed or a connection ended. `to_string()` reads
/// "{cluster} shard {shard}: {what}" and never contains the API key.
struct WsError {
  DisconnectReason reason{DisconnectReason::Closed};
  Cluster cluster{Cluster::Stocks};
  std::size_t shard{0};
  std::string message;  ///< the detail, e.g. "cannot connect to wss://…: Connection refused"

  /// Only `auth_failed` is fatal: retrying a refused key would be a retry storm.
  [[nodiscard]] bool is_fatal() const noexcept { return reason == DisconnectReason::AuthFailed; }
  [[nodiscard]] std::string to_string() const;
  friend std::ostream& operator<<(std::ostream& os, const WsError& e) { return os << e.to_string(); }
};

/// What a worker's connection is doing, for the host application (logs, dashboards). Delivered
/// on the io thread: the handler must be quick and must not block.
struct ConnectionEvent {
  enum class Kind : std::uint8_t {
    Connecting,    ///< an attempt starts (`attempt` 0 = the first)
    Connected,     ///< authenticated and subscribed (`channels`); `gap` when it was down before
    Disconnected,  ///< the connection ended or an attempt failed (`error`)
    BackingOff,    ///< waiting `delay` before attempt `attempt`
    Stopped,       ///< the worker is done (stop(), or a fatal `error`)
    /// Frames the parser rejected (their rows are not delivered; the connection goes on):
    /// `count` since the previous such event, `detail` the last error. At most one per second.
    FrameRejected,
    /// The server refused a channel (`detail`: its error status, naming the channel).
    SubscriptionRejected,
  };
  Kind kind{Kind::Connecting};
  Cluster cluster{Cluster::Stocks};
  std::size_t shard{0};
  std::int64_t at_ns{0};  ///< wall time, Unix ns
  std::uint32_t attempt{0};
  std::chrono::nanoseconds delay{0};
  std::size_t channels{0};
  std::uint64_t count{0};
  std::string detail;
  std::optional<WsError> error;
  std::optional<Gap> gap;
};

[[nodiscard]] std::string_view to_string(ConnectionEvent::Kind k) noexcept;
std::ostream& operator<<(std::ostream& os, const ConnectionEvent& e);

/// An open, authenticated, subscribed WebSocket connection returned by `connect_and_subscribe`.
/// Move-only; owns the socket; closes it when destroyed. Use it from the io_context it was made
/// on. `read()` returns the next text message (a JSON array) or the reason the connection ended.
class WebSocketStream {
 public:
  WebSocketStream(WebSocketStream&&) noexcept;
  WebSocketStream& operator=(WebSocketStream&&) noexcept;
  WebSocketStream(const WebSocketStream&) = delete;
  WebSocketStream& operator=(const WebSocketStream&) = delete;
  ~WebSocketStream();

  /// The next message, appended to `out` (cleared first). Errors end the connection.
  boost::asio::awaitable<Result<void, WsError>> read(std::string& out);
  /// Sends one text message (subscribe, unsubscribe). Do not overlap two writes.
  boost::asio::awaitable<Result<void, WsError>> write(std::string text);
  /// Sends a close frame (best effort) and closes the socket.
  boost::asio::awaitable<void> close();

  struct Impl;
  explicit WebSocketStream(std::unique_ptr<Impl> impl) noexcept;
  [[nodiscard]] Impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// The spec's handshake: resolve, TCP (TCP_NODELAY), TLS with peer and host-name verification
/// and SNI (plain `ws://` only to loopback), the WebSocket upgrade, `connected`, `auth`,
/// `auth_success`, then `subs` as `subscribe` messages of `connection.subscribe_chunk_size`
/// channels (the acknowledgements arrive later, on the stream). Every step has its timeout
/// (`connect_timeout_ms` for TCP + TLS + upgrade, `auth_timeout_ms` for the status flow). Runs on
/// the caller's executor; never throws (errors are values; `auth_failed` is `is_fatal()`).
boost::asio::awaitable<Result<WebSocketStream, WsError>> connect_and_subscribe(const WsWorker& worker,
                                                                               std::vector<std::string> subs);

}  // namespace ws_source
