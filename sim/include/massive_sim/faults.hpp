// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Fault injection: policies for connections accepted from now on (`Fault`) and actions on open
/// connections now (`Action` + `Target`). Faults never touch the per-event hot path: an action
/// reaches a connection through its strand, and the generator reads per-connection flags once per
/// frame.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <ws_source/resource_type.hpp>
#include <ws_source/result.hpp>

namespace massive_sim {

using ws_source::Cluster;

/// An action on an open connection.
enum class Action : std::uint8_t {
  Close,            ///< WebSocket close frame 1001 "closed by fault injection", then the socket closes
  Reset,            ///< TCP reset: SO_LINGER 0, then the socket closes (the client sees ECONNRESET)
  Stall,            ///< nothing sent, nothing read (pings unanswered), socket left open; data dropped
  Unstall,          ///< ends a stall
  SlowConsumer,     ///< `slow_consumer` status, then close (the path a real overflow takes)
  ForceDisconnect,  ///< `force_disconnect` status, then close
  Malformed,        ///< one frame of invalid JSON; the connection stays open
  BadEvent,         ///< one frame of valid JSON with an invalid event; the connection stays open
};

/// The console word of an action ("close", "reset", "stall", …).
[[nodiscard]] std::string_view name(Action a) noexcept;

/// Whether the action ends the connection.
[[nodiscard]] constexpr bool is_terminal(Action a) noexcept {
  return a == Action::Close || a == Action::Reset || a == Action::SlowConsumer || a == Action::ForceDisconnect;
}

/// The frame text `Malformed` (truncated JSON) and `BadEvent` (negative price, string size,
/// timestamp in seconds, no `q`) send. Empty for other actions.
[[nodiscard]] std::string_view malformed_frame(Action a) noexcept;

/// A policy applied to every connection accepted after it was added (or to the next one only, see
/// `Server::add_fault_once`).
struct Fault {
  enum class Kind : std::uint8_t {
    CloseAfter,
    ResetAfter,
    StallAfter,
    ForceDisconnectAfter,
    SlowConsumerAfter,
    MalformedAfter,
    BadEventAfter,
    RejectAuth,  ///< every authentication fails (`auth_failed`, close), whatever the key
  };
  Kind kind{Kind::CloseAfter};
  std::chrono::nanoseconds after{0};  ///< delay from the connection's accept; unused by RejectAuth

  /// The action a timed fault performs; `RejectAuth` has none (returns `Close`, unused).
  [[nodiscard]] Action action() const noexcept;
  [[nodiscard]] bool timed() const noexcept { return kind != Kind::RejectAuth; }
  friend bool operator==(const Fault&, const Fault&) = default;
};

/// Which open connections an action applies to.
struct Target {
  enum class Kind : std::uint8_t { All, Cluster, Connection };
  Kind kind{Kind::All};
  Cluster cluster{Cluster::Stocks};  ///< for Kind::Cluster
  std::uint64_t id{0};               ///< for Kind::Connection

  static Target all() noexcept { return {}; }
  static Target of(Cluster c) noexcept { return {Kind::Cluster, c, 0}; }
  static Target connection(std::uint64_t id) noexcept { return {Kind::Connection, Cluster::Stocks, id}; }
  [[nodiscard]] bool matches(std::uint64_t conn_id, Cluster c) const noexcept {
    return kind == Kind::All || (kind == Kind::Cluster && cluster == c) || (kind == Kind::Connection && id == conn_id);
  }
};

/// Parses `250ms`, `5s`, `2m` / `2min`, `1h` or a bare number of seconds (`1.5`); 0 to 3.2e8 s.
/// Errors: "bad duration: {s}", "bad duration unit: {s}".
[[nodiscard]] ws_source::Result<std::chrono::nanoseconds, std::string> parse_duration(std::string_view s);

/// Parses a fault policy: `close-after=D`, `reset-after=D`, `stall-after=D`,
/// `force-disconnect-after=D`, `slow-consumer-after=D`, `malformed-after=D`, `bad-event-after=D`,
/// `reject-auth`. Errors: "{name} needs a duration, e.g. {name}=5s", "unknown fault: {s}", or the
/// duration's.
[[nodiscard]] ws_source::Result<Fault, std::string> parse_fault(std::string_view s);

/// Parses a console action word: `close`, `reset`, `stall`, `unstall`, `slow` / `slow-consumer`,
/// `force` / `force-disconnect`, `malformed`, `bad-event`. Error: "unknown action: {s}".
[[nodiscard]] ws_source::Result<Action, std::string> parse_action(std::string_view s);

}  // namespace massive_sim
