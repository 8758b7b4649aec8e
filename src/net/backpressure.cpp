// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "net/backpressure.hpp"

#include <algorithm>
#include <cmath>

namespace ws_source::detail {

namespace {

constexpr std::int64_t ms_ns(std::uint64_t ms) noexcept {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(ms, 1'000'000'000'000ULL)) * 1'000'000;
}

/// ⌈n × share⌉, at least 1 (for n > 0).
std::size_t part(std::size_t n, double share) noexcept {
  const double v = std::ceil(static_cast<double>(n) * std::clamp(share, 0.0, 1.0));
  return std::max<std::size_t>(static_cast<std::size_t>(v), 1);
}

}  // namespace

Governor::Governor(const BackpressureConfig& config, std::size_t max_capacity) noexcept
    : config_(config), max_(max_capacity), capacity_(max_capacity) {}

void Governor::set_max(std::size_t max_capacity) noexcept {
  max_ = max_capacity;
  capacity_ = std::min(capacity_, max_);
}

std::int64_t Governor::conflate_threshold_ns(const BackpressureConfig& config) noexcept {
  return ms_ns(config.max_staleness_ms) / 4;
}

void Governor::press(std::int64_t now_ns) noexcept {
  calm_since_.reset();
  if (!conflating_) {
    conflating_ = true;
    conflating_since_ = now_ns;
  }
}

Governor::Decision Governor::check(const Load& load) noexcept {
  const double high = config_.queue_high_ratio;
  const std::int64_t max_stale = ms_ns(config_.max_staleness_ms);
  // The limit is what staleness is kept under: conflation (cheap, loses no contract's state)
  // starts at a quarter of it, shedding at half.
  const bool pressed = load.queue_ratio > high || load.staleness_ns > conflate_threshold_ns(config_);
  const bool overloaded = load.queue_ratio > high || load.staleness_ns > max_stale / 2 ||
                          (conflating_ && load.held_ns > conflate_threshold_ns(config_));
  const bool calm = load.queue_ratio <= high / 2 && load.staleness_ns <= max_stale / 8 &&
                    (!conflating_ || (load.held_ns <= max_stale / 8 && load.superseded_ratio <= kCalmSupersededRatio));
  const std::int64_t cooldown = ms_ns(config_.shed_cooldown_ms);
  Decision d;

  if (pressed) {
    calm_since_.reset();
    if (!conflating_) {
      conflating_ = true;
      conflating_since_ = load.now_ns;
    }
  }
  if (overloaded) {
    // Conflation first; a cut only when it has had its chance and the last cut had its effect.
    const bool conflation_tried = load.now_ns - conflating_since_ >= cooldown;
    const bool cooled = !last_change_ || load.now_ns - *last_change_ >= cooldown;
    const std::size_t base = std::min(capacity_, load.held);
    if (conflation_tried && cooled && base > 0) {
      const bool severe = load.queue_ratio > (1.0 + high) / 2 || load.staleness_ns > max_stale;
      const double share = severe ? std::min(2 * config_.shed_fraction, 1.0) : config_.shed_fraction;
      capacity_ = base - std::min(part(base, share), base);
      last_change_ = load.now_ns;
      d.action = Decision::Action::Shed;
      d.capacity = capacity_;
    }
  } else if (calm) {
    conflating_ = false;
    if (!calm_since_) calm_since_ = load.now_ns;
    const std::int64_t after = ms_ns(config_.restore_after_ms);
    const bool settled = load.now_ns - *calm_since_ >= after && (!last_change_ || load.now_ns - *last_change_ >= after);
    if (capacity_ < max_ && settled) {
      // Multiplicative: a consumer that only kept up after deep cuts gets slots back slowly.
      capacity_ = std::min(capacity_ + part(capacity_, config_.restore_step), max_);
      last_change_ = load.now_ns;
      d.action = Decision::Action::Restore;
      d.capacity = capacity_;
    }
  } else if (!pressed) {
    calm_since_.reset();  // in between: hold, conflation stays as it is
  }
  d.conflate = conflating_;
  return d;
}

}  // namespace ws_source::detail
