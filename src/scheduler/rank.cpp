// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "scheduler/rank.hpp"

namespace ws_source::detail::sched {

std::size_t exploration_slots(std::size_t top_n, double fraction, std::size_t total_slots) noexcept {
  const std::size_t reserved = std::min(top_n, total_slots);
  const double wanted = std::round(std::min(sanitize(fraction), 1.0) * static_cast<double>(total_slots));
  // `wanted` is finite and within [0, total_slots]; converting a value that rounded up to 2^64
  // would overflow, so compare first.
  const std::size_t slots = wanted >= static_cast<double>(total_slots) ? total_slots : static_cast<std::size_t>(wanted);
  return std::min(slots, total_slots - reserved);
}

}  // namespace ws_source::detail::sched
