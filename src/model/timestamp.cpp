// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "ws_source/timestamp.hpp"

#include <chrono>
#include <limits>

namespace ws_source {

std::string TimestampError::message() const {
  const std::string v = std::to_string(value_ms);
  switch (kind) {
    case Kind::NotPositive:
      return v + " is not a positive Unix millisecond timestamp";
    case Kind::TooSmall:
      return v + " is before 2000-01-01 in milliseconds (seconds sent as milliseconds?)";
    case Kind::TooLarge:
      return v + " is after 2100-01-01 in milliseconds (micro- or nanoseconds sent as milliseconds?)";
    case Kind::InFuture:
      return v + " is " + std::to_string(ahead_ms) + " ms ahead of the receive time, more than the allowed skew";
  }
  return v + " is not a valid timestamp";
}

Result<std::int64_t, TimestampError> ms_to_ns(std::int64_t ms, std::optional<FutureLimit> limit) noexcept {
  if (ms <= 0) {
    return fail(TimestampError{.kind = TimestampError::Kind::NotPositive, .value_ms = ms});
  }
  if (ms < kMinPlausibleMs) {
    return fail(TimestampError{.kind = TimestampError::Kind::TooSmall, .value_ms = ms});
  }
  if (ms >= kMaxPlausibleMs) {
    return fail(TimestampError{.kind = TimestampError::Kind::TooLarge, .value_ms = ms});
  }
  const std::int64_t ns = ms * kNanosPerMilli;  // < 4.2e18: no overflow after the bound check
  if (limit) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    const std::int64_t skew = limit->max_skew_ns < 0 ? 0 : limit->max_skew_ns;
    const std::int64_t bound = limit->received_at_ns > kMax - skew ? kMax : limit->received_at_ns + skew;
    if (ns > bound) {
      const std::int64_t ahead_ns = limit->received_at_ns < 0 ? ns : ns - limit->received_at_ns;
      return fail(TimestampError{
          .kind = TimestampError::Kind::InFuture, .value_ms = ms, .ahead_ms = ahead_ns / kNanosPerMilli});
    }
  }
  return ns;
}

std::int64_t now_ns() noexcept {
  const auto d = std::chrono::system_clock::now().time_since_epoch();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return ns < 0 ? 0 : static_cast<std::int64_t>(ns);
}

}  // namespace ws_source
