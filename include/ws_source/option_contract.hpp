// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `OptionContract`: an option symbol (`O:` + OCC code) taken apart.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ws_source/result.hpp"
#include "ws_source/symbol.hpp"

namespace ws_source {

/// A calendar date (proleptic Gregorian).
struct Date {
  std::uint16_t year{0};
  std::uint8_t month{0};  ///< 1-12
  std::uint8_t day{0};    ///< 1-31, checked against the month and leap years
  friend constexpr auto operator<=>(const Date&, const Date&) = default;
};

/// Whether a calendar date exists (month 1-12, day within the month, leap years counted).
[[nodiscard]] bool is_valid_date(int year, int month, int day) noexcept;

enum class OptionRight : std::uint8_t { Call, Put };

/// Why an option symbol is malformed.
enum class OccError : std::uint8_t {
  MissingPrefix,  ///< does not start with `O:`
  BadLength,      ///< the part after `O:` is not 16 to 21 characters
  BadRoot,        ///< the root is not 1-6 characters of A-Z / 0-9
  BadExpiry,      ///< YYMMDD is not digits or not a calendar date
  BadRight,       ///< the right is neither C nor P
  BadStrike,      ///< the strike is not 8 digits
};

/// A short sentence for `e`, e.g. "invalid expiry date". No allocation.
[[nodiscard]] std::string_view describe(OccError e) noexcept;

/// An option contract parsed from its symbol, e.g. `O:SPY251219C00650000` = SPY, 2025-12-19, call,
/// strike 650.000. The root may contain digits (adjusted contracts such as `SPY1`).
/// A value type, trivially copyable; no heap.
struct OptionContract {
  OptionRoot root;
  Date expiry;
  OptionRight right{OptionRight::Call};
  std::uint32_t strike_milli{0};  ///< strike × 1000, exactly as on the wire

  /// Parses `O:` + root + YYMMDD (year 2000+YY) + C/P + strike × 1000 as 8 digits.
  /// Errors are values (`OccError`); never throws.
  [[nodiscard]] static Result<OptionContract, OccError> parse(std::string_view symbol) noexcept;

  /// The strike in currency units (strike_milli / 1000).
  [[nodiscard]] double strike() const noexcept { return strike_milli / 1000.0; }

  /// The symbol this contract was parsed from (`O:` + OCC), rebuilt. Inline, no heap.
  [[nodiscard]] Symbol to_symbol() const noexcept;

  friend bool operator==(const OptionContract&, const OptionContract&) = default;
};

/// The other side of a put-call pair: `O:SPY251219C00650000` ↔ `O:SPY251219P00650000`. A cheap
/// shape check, not a full parse: nullopt when `symbol` does not look like an option symbol.
[[nodiscard]] std::optional<Symbol> put_call_pair(const Symbol& symbol) noexcept;

}  // namespace ws_source
