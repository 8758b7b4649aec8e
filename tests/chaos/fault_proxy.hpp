// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `FaultProxy`: a plain-TCP proxy on loopback that forwards every accepted connection to an
/// upstream host:port, both directions, and injects network faults on command: cut (close or
/// RST), stall half-open, drip, corrupt, delay, refuse. Asio only (no Beast, no TLS): it knows
/// nothing of WebSocket, except that it keeps the first line the client sent (`GET /options
/// HTTP/1.1`) so that faults can be aimed at one cluster's connections.
///
/// Threads: the proxy runs on one io thread of its own. Every public member function is
/// thread-safe: it runs its work on the io thread and waits for it (at most 5 s; after
/// `shutdown()` it does nothing and returns 0 / an empty value). No exception leaves the io thread:
/// socket errors end the connection they happened on; anything else is counted in
/// `ProxyCounters::internal_errors`.
///
/// Memory: upstream to client, a connection holds one chunk (16 KiB) at most: it reads the next
/// only once the last one is written. Client to upstream, the client is read whatever the
/// forwarding is doing (a stall, a delay, a drip, a slow upstream), so that its close is noticed
/// at once, into at most 64 KiB not yet forwarded (plus the 16 KiB chunk being written); then the
/// proxy stops reading it. Either way a slow or stalled peer stops the proxy reading from the other
/// side (TCP flow control then reaches the sender): nothing grows without bound.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <ws_source/result.hpp>

namespace ws_source::chaos {

/// The faults the proxy injects (indices of the per-kind counters).
enum class ProxyFault : std::uint8_t {
  Cut,      ///< both sockets closed (FIN to each peer)
  Reset,    ///< both sockets reset: SO_LINGER 0, then closed (each peer sees ECONNRESET)
  Stall,    ///< nothing forwarded either way, sockets left open (half-open for both peers)
  Drip,     ///< bytes forwarded one at a time with a delay between them, for a while
  Corrupt,  ///< one byte of the next server-to-client chunk flipped (its last byte, XOR 0x80)
  Delay,    ///< every chunk (both ways) held for a latency before it is forwarded, for a while
  Refuse,   ///< new connections refused for a while (accepted and closed, or not accepted)
};
inline constexpr std::size_t kProxyFaultKinds = 7;

/// The name of a fault kind ("cut", "reset", "stall", "drip", "corrupt", "delay", "refuse").
[[nodiscard]] std::string_view name(ProxyFault f) noexcept;

/// How `refuse` turns new connections away.
enum class RefuseMode : std::uint8_t {
  AcceptAndClose,  ///< accepted, then closed at once (the client sees EOF before any byte)
  StopAccepting,   ///< not accepted: they wait in the listen backlog until the refusal ends
};

/// One proxied connection as the proxy saw it (open or closed).
struct ProxyConnectionInfo {
  std::uint64_t id{0};                   ///< increasing from 1
  std::string request_line;              ///< the first line the client sent (at most 200 bytes), "" until then
  std::uint16_t upstream_local_port{0};  ///< our port on the upstream connection (the server's "peer")
  bool open{true};                       ///< either socket still open
  bool client_open{true};                ///< the client's socket open (false once closed by either end)
  bool stalled{false};
  std::uint64_t bytes_up{0};                             ///< client -> upstream, forwarded
  std::uint64_t bytes_down{0};                           ///< upstream -> client, forwarded
  std::array<std::uint64_t, kProxyFaultKinds> faults{};  ///< faults applied to this connection
  /// Steady-clock times (ns since the clock's epoch): accepted, and the client's socket seen
  /// closed (by the client: EOF or error read from it; or by the proxy); 0 while open.
  std::int64_t accepted_ns{0};
  std::int64_t client_closed_ns{0};
};

/// The proxy's counters at one instant.
struct ProxyCounters {
  std::uint64_t accepted{0};                   ///< connections accepted and proxied
  std::uint64_t refused{0};                    ///< connections accepted and closed by `refuse`
  std::uint64_t upstream_connect_failures{0};  ///< accepted, but the upstream refused or failed
  std::uint64_t live{0};                       ///< proxied connections open now
  std::uint64_t bytes_up{0};
  std::uint64_t bytes_down{0};
  std::uint64_t internal_errors{0};                      ///< exceptions caught on the io thread (expected 0)
  std::array<std::uint64_t, kProxyFaultKinds> faults{};  ///< faults injected, by kind
  [[nodiscard]] std::uint64_t fault(ProxyFault f) const noexcept { return faults[static_cast<std::size_t>(f)]; }
};

/// The proxy. Construct with `start`; destroying it shuts it down (as `shutdown()`).
///
/// Targets: every fault on connections takes `match`, a substring of the connection's request
/// line ("" = every open connection, "/options" = the options cluster's), and returns how many
/// open connections it was applied to (0: none matched; nothing is counted then).
class FaultProxy {
 public:
  /// Listens on 127.0.0.1 (any free port) and forwards to `upstream_host`:`upstream_port` (an IP
  /// literal). Errors: "cannot listen: {reason}", "bad upstream address {host}".
  [[nodiscard]] static Result<std::unique_ptr<FaultProxy>, std::string> start(const std::string& upstream_host,
                                                                              std::uint16_t upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  /// The listening port.
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// Closes both sockets of the matching connections now (`rst`: SO_LINGER 0 first, a TCP reset).
  std::size_t cut(std::string_view match, bool rst = false);
  /// Stops forwarding both ways on the matching connections for `duration` (0: until `unstall` or
  /// `cut`; on a connection already stalled, this stall's end replaces the other's), the sockets
  /// left open. The client's socket is still read (up to 64 KiB, held) so that its close is
  /// noticed; the connection ends once the stall ends if the client has gone.
  std::size_t stall(std::string_view match, std::chrono::nanoseconds duration);
  /// Ends the stall of the matching connections (the client bytes read meanwhile are forwarded at
  /// once). Not counted.
  std::size_t unstall(std::string_view match);
  /// For `duration`, forwards the matching connections' bytes (both ways) one at a time, waiting
  /// `per_byte` after each.
  std::size_t drip(std::string_view match, std::chrono::nanoseconds duration, std::chrono::nanoseconds per_byte);
  /// Flips the last byte (XOR 0x80) of the next chunk each matching connection forwards from
  /// upstream to the client. On a WebSocket text stream of ASCII JSON that makes the payload invalid
  /// UTF-8 (or the frame header invalid): the client must reject the frame.
  std::size_t corrupt(std::string_view match);
  /// For `duration`, holds every chunk of the matching connections (both ways) `latency` before
  /// forwarding it.
  std::size_t delay(std::string_view match, std::chrono::nanoseconds duration, std::chrono::nanoseconds latency);
  /// Turns new connections away for `duration` (open connections are untouched). Counted once per
  /// call.
  void refuse(RefuseMode mode, std::chrono::nanoseconds duration);

  [[nodiscard]] ProxyCounters counters() const;
  /// Every connection so far (open and closed), by id.
  [[nodiscard]] std::vector<ProxyConnectionInfo> connections() const;

  /// Closes the listener and every connection and joins the io thread. Idempotent.
  void shutdown();

  struct Impl;

 private:
  explicit FaultProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source::chaos
