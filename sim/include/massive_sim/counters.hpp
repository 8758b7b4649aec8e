// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The server's counters: relaxed atomics written by the server's threads, read by anyone as a
/// plain `CounterSnapshot`. Every protocol path and every fault is observable here.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace massive_sim {

// X(name, description): one counter. Kept in one list so the atomics, the snapshot and its JSON
// form cannot drift apart.
#define MASSIVE_SIM_COUNTERS(X)                                                             \
  X(connections_accepted, "TCP connections accepted (WebSocket handshake attempted)")       \
  X(handshakes_rejected, "handshakes rejected (unknown path, bad request, timeout)")        \
  X(auth_success, "auth_success sent")                                                      \
  X(auth_failed, "auth_failed sent (bad key or the reject-auth fault)")                     \
  X(auth_timeouts, "auth_timeout sent")                                                     \
  X(auth_required, "auth_required sent (subscribe or unsubscribe before auth)")             \
  X(subscribe_commands, "subscribe commands received after auth")                           \
  X(unsubscribe_commands, "unsubscribe commands received after auth")                       \
  X(channels_subscribed, "channels acknowledged `subscribed to`")                           \
  X(channels_unsubscribed, "channels acknowledged `unsubscribed to`")                       \
  X(subscribe_errors, "channels refused with an error status")                              \
  X(invalid_messages, "client messages that were not a valid command")                      \
  X(events_sent, "events written in data frames")                                           \
  X(frames_sent, "data frames written")                                                     \
  X(bytes_sent, "data bytes written")                                                       \
  X(status_frames_sent, "status frames written")                                            \
  X(pings_received, "WebSocket pings received (and answered unless stalled)")               \
  X(evictions, "older connections evicted with max_connections")                            \
  X(slow_consumer_disconnects, "connections closed with slow_consumer (overflow or fault)") \
  X(send_buffer_overflows, "connections whose queued bytes passed send_buffer_bytes")       \
  X(events_dropped_stalled, "events not sent because their connection was stalled")         \
  X(fault_closes, "close actions")                                                          \
  X(fault_resets, "reset actions")                                                          \
  X(fault_stalls, "stall actions (a stall already on is not counted again)")                \
  X(fault_force_disconnects, "force_disconnect actions")                                    \
  X(fault_malformed_frames, "malformed or bad-event frames sent")                           \
  X(fault_auth_rejections, "authentications rejected by the reject-auth fault")             \
  X(restarts, "whole-server restarts")                                                      \
  X(replay_frames_sent, "pre-encoded frames sent in replay mode (also counted in frames_sent)")

/// A copy of every counter at one instant.
struct CounterSnapshot {
#define MASSIVE_SIM_FIELD(name, doc) std::uint64_t name{0};
  MASSIVE_SIM_COUNTERS(MASSIVE_SIM_FIELD)
#undef MASSIVE_SIM_FIELD
  /// Currently open connections: `[stocks, options]` (index `ws_source::Cluster`).
  std::array<std::uint64_t, 2> open{};
  /// The most authenticated connections ever open at once on one key, per cluster, counted when a
  /// connection authenticates (before the older one is evicted). A client that opens a new socket
  /// only after closing the old one keeps it at 1. A stalled connection does not read, so it does
  /// not see its client go; it stays open until evicted, and a reconnect after a stall counts 2.
  std::array<std::uint64_t, 2> max_concurrent_per_key{};

  /// One JSON object with every counter (the console's `stats`).
  [[nodiscard]] std::string to_json() const;
  friend bool operator==(const CounterSnapshot&, const CounterSnapshot&) = default;
};

/// The live counters. Thread-safe: every member is an atomic; increments are relaxed.
struct Counters {
#define MASSIVE_SIM_FIELD(name, doc) std::atomic<std::uint64_t> name{0};
  MASSIVE_SIM_COUNTERS(MASSIVE_SIM_FIELD)
#undef MASSIVE_SIM_FIELD
  std::array<std::atomic<std::uint64_t>, 2> open{};
  std::array<std::atomic<std::uint64_t>, 2> max_concurrent_per_key{};

  [[nodiscard]] CounterSnapshot snapshot() const noexcept;
};

/// Adds `n` (relaxed).
inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
  c.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace massive_sim
