// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Exact, validated conversion of the wire's millisecond timestamps to nanoseconds.

#include <cstdint>
#include <optional>
#include <string>

#include "ws_source/result.hpp"

namespace ws_source {

inline constexpr std::int64_t kNanosPerMilli = 1'000'000;
/// 2000-01-01T00:00:00Z in ms: anything smaller is seconds sent as milliseconds, or garbage.
inline constexpr std::int64_t kMinPlausibleMs = 946'684'800'000;
/// 2100-01-01T00:00:00Z in ms: anything larger is micro- or nanoseconds sent as milliseconds.
inline constexpr std::int64_t kMaxPlausibleMs = 4'102'444'800'000;

/// How far ahead of the receive time a timestamp may be.
struct FutureLimit {
  std::int64_t received_at_ns{0};
  std::int64_t max_skew_ns{0};
};

/// Why a timestamp was rejected. Timestamps are never rescaled: a wrong unit is an error.
struct TimestampError {
  enum class Kind : std::uint8_t { NotPositive, TooSmall, TooLarge, InFuture };
  Kind kind{Kind::NotPositive};
  std::int64_t value_ms{0};
  std::int64_t ahead_ms{0};  ///< InFuture: by how much it is ahead of the receive time

  /// E.g. "1732546800 is before 2000-01-01 in milliseconds (seconds sent as milliseconds?)".
  [[nodiscard]] std::string message() const;
  friend bool operator==(const TimestampError&, const TimestampError&) = default;
};

/// Converts `ms` (Unix milliseconds) to Unix nanoseconds exactly, after checking it lies in
/// [2000-01-01, 2100-01-01) and, with `limit`, at most `limit->max_skew_ns` after the receive
/// time (equality passes). Never throws.
[[nodiscard]] Result<std::int64_t, TimestampError> ms_to_ns(std::int64_t ms, std::optional<FutureLimit> limit) noexcept;

/// The wall clock in Unix nanoseconds (0 if the clock is before 1970).
[[nodiscard]] std::int64_t now_ns() noexcept;

}  // namespace ws_source
