// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The backpressure governor of one connection: from how full its ring is and how long the oldest
// queued batch has waited (staleness), it decides when to conflate option quotes, when to shed
// scheduled option-quote subscriptions, and when to give the capacity back. `max_staleness_ms`
// is the limit it keeps staleness under, so it acts well before it:
//
//   pressed      ring fill > queue_high_ratio, or staleness > max_staleness_ms / 4
//                  -> conflate at once (keep the latest quote per contract); between checks
//                     the worker presses too (`press`), when a quote batch finds the queue head
//                     that old or more rows queued than the consumer takes in that time;
//   overloaded   ring fill > queue_high_ratio, or staleness > max_staleness_ms / 2, or
//                  conflating with quotes held longer than max_staleness_ms / 4 (the consumer
//                  needs that long for one quote per contract: fewer contracts it must be)
//                  -> still overloaded after shed_cooldown_ms of conflation (and of the last
//                     cut): shed, cutting shed_fraction of the held contracts (twice that when
//                     severe: fill > (1 + high) / 2 or staleness > max), at least one;
//   calm         fill <= high / 2 and staleness <= max / 8, and (while conflating) quotes held
//                  at most max / 8 and at most kCalmSupersededRatio of the quotes conflated
//                  since the last check superseded
//                  -> conflation ends;
//                  -> calm for restore_after_ms (since it became calm and since the last change):
//                     capacity grows by restore_step of itself (at least one slot), up to the
//                     maximum: multiplicative, so a consumer that needed deep cuts gets its
//                     slots back slowly;
//   in between   hold (no change; the calm clock restarts).
//
// Trades are never shed (the worker only conflates and sheds option quotes). Pure logic: no I/O,
// no clock (time is passed in), no Asio; the worker calls it on its strand every
// check_interval_ms. Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "ws_source/config.hpp"

namespace ws_source::detail {

class Governor {
 public:
  /// `max_capacity`: the scheduled option-quote slots the connection may use when healthy.
  Governor(const BackpressureConfig& config, std::size_t max_capacity) noexcept;

  /// What the connection looks like at one check.
  struct Load {
    std::int64_t now_ns{0};        ///< any monotonic clock, in ns
    double queue_ratio{0.0};       ///< batches in the ring / its capacity
    std::int64_t staleness_ns{0};  ///< how long the oldest queued batch has waited
    std::size_t held{0};           ///< scheduled contracts subscribed now (what a cut cuts)
    /// While conflating: the share of the quotes conflated since the last check that a later
    /// quote of the same contract superseded (0 when none came in). A high share means the
    /// consumer would fall behind again without conflation.
    double superseded_ratio{0.0};
    /// While conflating: how long the oldest quote the conflator holds has waited (0 when it
    /// holds none). Held quotes wait for the consumer as queued ones do; the ring stays short
    /// while conflating, so this is where a consumer that cannot take even one quote per
    /// contract in time shows.
    std::int64_t held_ns{0};
  };

  /// Conflation ends only once at most this share of the conflated quotes was superseded: the
  /// consumer then takes each contract's quotes about as fast as they come. (An empty ring alone
  /// says nothing while conflating: conflation is what keeps it empty.)
  static constexpr double kCalmSupersededRatio = 0.1;

  /// What to do after one check.
  struct Decision {
    enum class Action : std::uint8_t { Hold, Shed, Restore };
    Action action{Action::Hold};
    std::size_t capacity{0};  ///< Shed / Restore: the new capacity (scheduled slots)
    bool conflate{false};     ///< whether option quotes are conflated from now on
  };

  [[nodiscard]] Decision check(const Load& load) noexcept;

  /// Conflation from now (`now_ns` as in `Load`), as a check that found the connection pressed
  /// would start it: the worker calls it when it sees the queue head past
  /// `conflate_threshold_ns` between two checks.
  void press(std::int64_t now_ns) noexcept;

  /// The queue-head age above which the connection is pressed: a quarter of `max_staleness_ms`.
  [[nodiscard]] static std::int64_t conflate_threshold_ns(const BackpressureConfig& config) noexcept;

  /// A new maximum (e.g. the slots left after pinned contracts); the capacity is clamped to it.
  void set_max(std::size_t max_capacity) noexcept;

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t max_capacity() const noexcept { return max_; }
  [[nodiscard]] bool conflating() const noexcept { return conflating_; }

 private:
  BackpressureConfig config_;
  std::size_t max_;
  std::size_t capacity_;
  bool conflating_{false};
  std::int64_t conflating_since_{0};
  std::optional<std::int64_t> calm_since_;
  std::optional<std::int64_t> last_change_;
};

}  // namespace ws_source::detail
