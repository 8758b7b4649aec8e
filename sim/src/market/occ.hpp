// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// OCC option symbols as Massive spells them (`O:` + root + YYMMDD + C/P + strike × 1000 in 8
/// digits), and the calendar helpers the market lays its expiries out with (days since
/// 1970-01-01, proleptic Gregorian: `std::chrono::sys_days`).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "massive_sim/market.hpp"

namespace massive_sim::detail {

inline constexpr std::int64_t kMsPerDay = 86'400'000;

/// Day of the week of `day` (days since 1970-01-01): 0 = Monday … 6 = Sunday.
[[nodiscard]] constexpr unsigned weekday(std::int64_t day) noexcept {
  return std::chrono::weekday(std::chrono::sys_days(std::chrono::days(day))).iso_encoding() - 1;
}

/// The civil date of `day`.
[[nodiscard]] constexpr std::chrono::year_month_day civil(std::int64_t day) noexcept {
  return std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(day)));
}

/// Days since 1970-01-01 of a civil date.
[[nodiscard]] constexpr std::int64_t day_number(std::chrono::year_month_day ymd) noexcept {
  return std::chrono::sys_days(ymd).time_since_epoch().count();
}

/// Days since 1970-01-01 of a Unix time in ms (floor).
[[nodiscard]] constexpr std::int64_t day_of_ms(std::int64_t unix_ms) noexcept {
  return unix_ms >= 0 ? unix_ms / kMsPerDay : -((-(unix_ms + 1)) / kMsPerDay) - 1;
}

/// Longest OCC root (longer roots are cut by `format_occ`; market roots have 1-5 letters).
inline constexpr std::size_t kMaxOccRoot = 6;
/// Longest symbol `format_occ` writes: "O:" + root + YYMMDD + C/P + 8 digits.
inline constexpr std::size_t kMaxOccLen = 2 + kMaxOccRoot + 15;

/// An OCC symbol written into a fixed buffer (no allocation).
struct OccBuffer {
  std::array<char, kMaxOccLen> data{};
  std::size_t size{0};
  [[nodiscard]] std::string_view view() const noexcept { return {data.data(), size}; }
};

/// Formats `O:` + `root` + YYMMDD + C/P + strike × 1000 in 8 digits (larger strikes are clamped
/// to 99,999,999); a root longer than `kMaxOccRoot` is cut.
[[nodiscard]] OccBuffer format_occ(std::string_view root, std::chrono::year_month_day expiry, Right right,
                                   std::uint64_t strike_milli) noexcept;

}  // namespace massive_sim::detail
