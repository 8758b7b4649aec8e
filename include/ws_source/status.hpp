// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `StatusMessage`: a status event (`ev: "status"`) from the server, decoded.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace ws_source {

/// What a status message means. Every documented status has its own kind; anything else is
/// `Other` with the raw status kept, so a new status is surfaced, never swallowed.
enum class StatusKind : std::uint8_t {
  Connected,        ///< `connected`: the socket is open, authenticate next
  AuthSuccess,      ///< `auth_success`
  AuthFailed,       ///< `auth_failed`: the key was refused (fatal: do not retry)
  AuthTimeout,      ///< `auth_timeout`: no auth in time; the server closes
  AuthRequired,     ///< `auth_required`: a subscribe came before auth
  Subscribed,       ///< `success` + "subscribed to: C"; `channel` = C
  Unsubscribed,     ///< `success` + "unsubscribed to: C"; `channel` = C
  Success,          ///< another `success`
  Error,            ///< `error`, e.g. "not authorized", "subscription limit exceeded: Q.O:…"
  MaxConnections,   ///< `max_connections`: another client on the account took the cluster
  ForceDisconnect,  ///< `force_disconnect`
  SlowConsumer,     ///< `slow_consumer`: the server dropped this connection
  Other,            ///< an undocumented status; see `status`
};

/// "connected", "auth_success", …, "other".
[[nodiscard]] std::string_view to_string(StatusKind k) noexcept;

/// A decoded status message. Owns its strings (statuses are rare control messages).
struct StatusMessage {
  StatusKind kind{StatusKind::Other};
  std::string status;   ///< the raw `status` value, as sent
  std::string message;  ///< the raw `message` value, as sent (may be empty)
  std::string channel;  ///< Subscribed/Unsubscribed: the channel, trimmed; else empty

  /// Decodes a status from its `status` and `message` values.
  [[nodiscard]] static StatusMessage from_wire(std::string_view status, std::string_view message);

  /// True for the statuses after which the server closes the connection: auth_failed,
  /// auth_timeout, max_connections, force_disconnect, slow_consumer.
  [[nodiscard]] bool is_disconnect() const noexcept;

  friend bool operator==(const StatusMessage&, const StatusMessage&) = default;
};

std::ostream& operator<<(std::ostream& os, StatusKind k);
/// `status kind=subscribed channel=T.AAPL message="subscribed to: T.AAPL"`
std::ostream& operator<<(std::ostream& os, const StatusMessage& s);

}  // namespace ws_source
