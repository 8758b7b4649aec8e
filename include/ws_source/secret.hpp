// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `ApiKey` (alias `Secret`): a Massive API key that never shows up in logs, formatted output,
/// errors or metrics.

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace ws_source {

/// A Massive API key. Every text form is the redaction `ApiKey(***)`: `operator<<` (and so
/// spdlog/fmt through `fmt::ostream_formatter`, GoogleTest's failure messages, and anything
/// else that formats through a stream). There is no implicit conversion to a string; the only
/// way to the value is `expose()`, which the connection layer calls once per connection to build
/// the `auth` message.
///
/// Ownership: owns its bytes. On destruction, and when moved from, the bytes are overwritten
/// (best effort against the key lingering in freed memory; copies made by `expose()`'s callers
/// are theirs to manage).
/// Thread safety: a value type; concurrent reads of one key are safe, a write needs exclusion.
class ApiKey {
 public:
  /// The empty key (`is_blank()`; validation rejects it).
  ApiKey() = default;
  /// Wraps `value` as given (no trimming: `load_config`/`apply_env` trim what they read).
  explicit ApiKey(std::string value) noexcept : value_(std::move(value)) {}
  ApiKey(const ApiKey&) = default;
  ApiKey& operator=(const ApiKey& other);
  ApiKey(ApiKey&& other) noexcept;
  ApiKey& operator=(ApiKey&& other) noexcept;
  ~ApiKey();

  /// The key itself. Only for the `auth` message: never log, format or store the result.
  [[nodiscard]] std::string_view expose() const noexcept { return value_; }

  /// True when the key is empty or only whitespace.
  [[nodiscard]] bool is_blank() const noexcept;

  /// Compares the keys' values.
  friend bool operator==(const ApiKey& a, const ApiKey& b) noexcept { return a.value_ == b.value_; }

  /// Writes `ApiKey(***)`, never the key.
  friend std::ostream& operator<<(std::ostream& os, const ApiKey&) { return os << kRedacted; }

  /// The text every formatted `ApiKey` shows.
  static constexpr std::string_view kRedacted = "ApiKey(***)";

 private:
  void wipe() noexcept;
  std::string value_;
};

/// DESIGN.md calls it a `Secret`; the only secret ws-source holds is the API key.
using Secret = ApiKey;

}  // namespace ws_source
