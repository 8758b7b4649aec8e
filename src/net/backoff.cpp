// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "net/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace ws_source::detail {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

constexpr std::uint64_t splitmix_finalize(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t backoff_seed(Cluster cluster, std::size_t shard_id) noexcept {
  const std::uint64_t index = static_cast<std::uint64_t>(shard_id) * 2 + (cluster == Cluster::Options ? 1U : 0U);
  return splitmix_finalize(index + kGolden);
}

Backoff::Backoff(const BackoffConfig& config, std::uint64_t seed) noexcept : config_(config), rng_(seed ^ kGolden) {}

double Backoff::next_unit() noexcept {
  rng_ += kGolden;
  return static_cast<double>(splitmix_finalize(rng_) >> 11) / static_cast<double>(std::uint64_t{1} << 53);
}

std::chrono::nanoseconds Backoff::next_delay() noexcept {
  const auto max_ms = static_cast<double>(config_.max_ms);
  double base = static_cast<double>(config_.initial_ms) *
                std::pow(config_.multiplier, static_cast<double>(std::min<std::uint32_t>(attempt_, 64)));
  if (!(base <= max_ms)) {  // also NaN
    base = max_ms;
  }
  const double jitter = std::isnan(config_.jitter) ? 0.0 : std::clamp(config_.jitter, 0.0, 0.5);
  const double unit = next_unit() * 2.0 - 1.0;  // [-1, 1)
  const double ms = std::max(base * (1.0 + jitter * unit), 0.0);
  if (attempt_ < UINT32_MAX) {
    ++attempt_;
  }
  // Whole microseconds, as the prototype; clamped far below the int64 limit (max_ms may be any
  // u64 when the config was not validated).
  constexpr double kMaxUs = 9.0e15;  // ~285 years
  const double us = std::min(std::floor(ms * 1000.0), kMaxUs);
  return std::chrono::microseconds(static_cast<std::int64_t>(us));
}

void Backoff::connection_ended(std::chrono::nanoseconds uptime) noexcept {
  const auto healthy = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::min<std::uint64_t>(config_.reset_after_healthy_ms, kMaxDurationMs * 1000)));
  if (uptime >= healthy) {
    attempt_ = 0;
  }
}

}  // namespace ws_source::detail
