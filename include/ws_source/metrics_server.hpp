// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `MetricsServer`: a minimal HTTP/1.1 server (Asio only) that answers `GET /metrics` with the
/// text a host-supplied function makes (usually `to_prometheus`), and `parse_metrics_addr`, the
/// `--metrics-addr` syntax (`127.0.0.1:9898`, `:9898`, `off`).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "ws_source/result.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ws_source {

/// The default `--metrics-addr`: loopback only.
inline constexpr std::string_view kDefaultMetricsAddr = "127.0.0.1:9898";

/// An address and a port to listen on. `address` is an IPv4 or IPv6 literal (no brackets).
struct MetricsEndpoint {
  std::string address{"127.0.0.1"};
  std::uint16_t port{9898};
  /// `127.0.0.1:9898`, `[::1]:9898`.
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const MetricsEndpoint&, const MetricsEndpoint&) = default;
};

/// Why an address was refused or the server could not listen. `message` is one line naming the
/// address, e.g. "metrics address 127.0.0.1:9898 is already in use".
struct MetricsServerError {
  enum class Kind : std::uint8_t {
    BadAddress,        ///< not `host:port` / `:port` / `off`, a bad IP or port, or not an address of this machine
    AddressInUse,      ///< another socket listens there
    PermissionDenied,  ///< e.g. a port below 1024 without the privilege
    AlreadyListening,  ///< `listen` was called before on this server
    Stopped,           ///< `listen` after `stop()`
    Io,                ///< any other socket or thread error (the message says which)
  };
  Kind kind{Kind::Io};
  std::string message;
  /// `message`.
  [[nodiscard]] const std::string& to_string() const noexcept { return message; }
  friend std::ostream& operator<<(std::ostream& os, const MetricsServerError& e) { return os << e.message; }
};

/// Parses a `--metrics-addr` value: `off` (any case) → `std::nullopt` (no server);
/// `HOST:PORT` with an IPv4 literal, `[IPv6]:PORT`, or `localhost`; `:PORT` → `127.0.0.1:PORT`
/// (loopback, not every interface: write `0.0.0.0:PORT` or `[::]:PORT` for that). PORT is
/// 0–65535 (0: the system picks a free port). Host names other than `localhost` are refused (no
/// DNS at start-up). Errors (`BadAddress`) say what was expected. Any thread; no shared state.
[[nodiscard]] Result<std::optional<MetricsEndpoint>, MetricsServerError> parse_metrics_addr(std::string_view text);

/// Limits of one `MetricsServer`.
struct MetricsServerOptions {
  /// Longest request head (request line and headers) read; a longer one is answered 431 and the
  /// connection closed. The buffer is allocated once per connection at this size, never more.
  std::size_t max_request_bytes{std::size_t{8} * 1024};
  /// Time a connection may take from accept to the end of its response (slow or idle clients are
  /// closed when it passes).
  std::chrono::milliseconds timeout{5000};
  /// Connections served at once; more are accepted and closed at once.
  std::size_t max_connections{16};
  /// After a response the server stops sending and reads (and discards) at most this many bytes
  /// of what the client still sends, so that closing does not reset the connection before the
  /// client has read the response (e.g. after a 431 with an unread request).
  std::size_t linger_bytes{std::size_t{64} * 1024};
};

/// Serves `GET /metrics` (and `HEAD`): 200 with `Content-Type: text/plain; version=0.0.4;
/// charset=utf-8` and the body `body()` returns; 405 for another method on `/metrics`, 404 for any
/// other path, 400 for a malformed request line, 505 for a version other than HTTP/1.0 or 1.1,
/// 431 for a request head over `max_request_bytes`, 500 if `body` throws, 503 once stopped. One
/// request per connection (`Connection: close`; the server closes after the response).
///
/// Threads: in the first form the server owns an io thread, started by `listen`; in the second it
/// runs on the host's `io_context` (the host runs it, on as many threads as it likes; the server
/// keeps its handlers on one strand). `body` is called on that thread (the server's own, or one
/// running the host's io_context), never twice at once, and never after `stop()` returned; keep it
/// short (it delays other scrapes). Errors are values: nothing a handler or `body` throws leaves
/// the server's handlers. `listen`, `stop`, `port`, `listening` may be called from any thread,
/// but `listen` and `stop` not concurrently with each other, and `stop` (or the destructor) never
/// from inside `body`.
class MetricsServer {
 public:
  /// Makes the response body; called once per `GET`/`HEAD /metrics`.
  using BodyFn = std::function<std::string()>;

  /// A server with an io thread of its own (started by `listen`, joined by `stop`).
  explicit MetricsServer(BodyFn body, MetricsServerOptions options = {});
  /// A server on the host's `io_context`, which must outlive it.
  MetricsServer(boost::asio::io_context& io, BodyFn body, MetricsServerOptions options = {});
  /// `stop()`.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// Binds `address:port` (an IP literal; port 0 picks a free one, see `port()`) and starts
  /// accepting. Returns an error value (`BadAddress`, `AddressInUse`, `PermissionDenied`,
  /// `AlreadyListening`, `Stopped`, `Io`); the server is then not listening.
  Result<void, MetricsServerError> listen(std::string_view address, std::uint16_t port);
  /// `listen(endpoint.address, endpoint.port)`.
  Result<void, MetricsServerError> listen(const MetricsEndpoint& endpoint);

  /// The port bound by `listen` (useful after port 0); 0 before.
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// True between a successful `listen` and `stop`.
  [[nodiscard]] bool listening() const noexcept;

  /// Stops accepting and closes every connection. Waits for a `body` call in progress, after
  /// which `body` is released (destroyed) and never called again. With its own thread, joins it
  /// (the port is free on return); on the host's io_context, the sockets are closed by a handler
  /// posted to it (the port is free once the host's io_context ran it). Idempotent.
  void stop() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source
