// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Reconnect policy: exponential backoff with bounded jitter, reset only after a healthy spell.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ws_source/config.hpp"
#include "ws_source/resource_type.hpp"

namespace ws_source::detail {

/// The jitter seed of one worker: different for every (cluster, shard), so that the `/options`
/// and `/stocks` sockets of a shard, and the shards among themselves, do not reconnect in
/// lockstep (PROTOTYPE.md section 11, item 15: the prototype seeded with the shard id alone).
/// Deterministic, so a test run is reproducible: SplitMix64's finalizer over
/// `shard_id * 2 + (cluster == Options)`.
[[nodiscard]] std::uint64_t backoff_seed(Cluster cluster, std::size_t shard_id) noexcept;

/// The backoff state of one worker. Pure logic: no clock, no sleeping; the worker asks for a
/// delay and waits it on its own timer.
///
/// Protocol: the first connection attempt does not wait. After every failed attempt or ended
/// connection the worker calls `connection_ended(uptime)` (uptime 0 for an attempt that never
/// connected) and then waits `next_delay()` before the next attempt. The n-th delay since the
/// last reset (n from 0) is
///     min(initial × multiplier^min(n, 64), max) × (1 + jitter × u),  u ∈ [-1, 1)
/// floored at 0 and rounded down to a microsecond, u from SplitMix64 seeded with `seed`. With the
/// defaults: 1, 2, 4, 8, 16, 32, 60, 60, … s, each ±10 %. The attempt counter resets only when an
/// ended connection had been up for at least `reset_after_healthy_ms`, so a server that accepts
/// and drops at once still backs off. The policy never gives up (the worker decides what is fatal,
/// e.g. `auth_failed`).
///
/// Threading: a plain value, used by its worker's thread only.
class Backoff {
 public:
  /// `config` is copied; it is expected to be valid (`validate`), but any values are safe: jitter
  /// is clamped to [0, 0.5], NaN or infinite delays become `max_ms`.
  Backoff(const BackoffConfig& config, std::uint64_t seed) noexcept;

  /// Delays handed out since the last reset (0 before the first).
  [[nodiscard]] std::uint32_t attempt() const noexcept { return attempt_; }

  /// The delay before the next attempt; advances the attempt counter.
  [[nodiscard]] std::chrono::nanoseconds next_delay() noexcept;

  /// A connection ended after having been up for `uptime`: resets the attempt counter when
  /// `uptime >= reset_after_healthy_ms`, otherwise leaves it.
  void connection_ended(std::chrono::nanoseconds uptime) noexcept;

 private:
  [[nodiscard]] double next_unit() noexcept;  // [0, 1)

  BackoffConfig config_;
  std::uint32_t attempt_{0};
  std::uint64_t rng_;
};

}  // namespace ws_source::detail
