// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Inline, heap-free strings and code lists: `Symbol`, `TradeId`, `OptionRoot`, `Codes`.

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "ws_source/result.hpp"

namespace ws_source {

/// Why a string cannot be held by an `InlineString`.
struct InlineStringError {
  enum class Kind : std::uint8_t {
    Empty,        ///< the string is empty
    TooLong,      ///< longer than the capacity; `length` and `capacity` say by how much
    InvalidByte,  ///< a byte outside printable ASCII 0x21-0x7E, or a comma; at `offset`
  };
  Kind kind{Kind::Empty};
  std::size_t length{0};    ///< the rejected string's length (TooLong)
  std::size_t capacity{0};  ///< the capacity it did not fit (TooLong)
  std::size_t offset{0};    ///< where the bad byte is (InvalidByte)
  unsigned char byte{0};    ///< the bad byte (InvalidByte)

  /// A sentence such as "26 bytes, longer than the 23-byte limit". Allocates.
  [[nodiscard]] std::string message() const;
  friend bool operator==(const InlineStringError&, const InlineStringError&) = default;
};

namespace detail {
[[nodiscard]] Result<std::uint8_t, InlineStringError> check_inline_string(std::string_view s,
                                                                          std::size_t capacity) noexcept;
}  // namespace detail

/// A string of at most `N` bytes of printable ASCII (0x21-0x7E, no comma) stored inline: no heap,
/// trivially copyable, compared and hashed as its `std::string_view`. Symbols and ids on the wire
/// are such strings; a comma is refused because it separates channels in subscribe messages.
///
/// Build one with `make()`, which validates and returns an error value instead of throwing.
/// Thread safety: a value type; no shared state.
template <std::size_t N>
class InlineString {
  static_assert(N > 0 && N < 256, "the length is stored in one byte");

 public:
  static constexpr std::size_t kCapacity = N;

  /// Validates `s` and copies it in. Errors: empty, longer than `N`, or a bad byte.
  [[nodiscard]] static Result<InlineString, InlineStringError> make(std::string_view s) noexcept {
    auto checked = detail::check_inline_string(s, N);
    if (!checked) {
      return fail(checked.error());
    }
    InlineString out;
    out.len_ = *checked;
    copy_short(out.data_.data(), s.data(), s.size());
    return out;
  }

  /// Copies `s` in without checking it. Precondition: `make(s)` would succeed (the caller has
  /// validated `s` by a rule at least as strict, as the OCC parser does). For hot paths only.
  [[nodiscard]] static InlineString unchecked(std::string_view s) noexcept {
    InlineString out;
    const std::size_t n = s.size() < N ? s.size() : N;
    out.len_ = static_cast<std::uint8_t>(n);
    copy_short(out.data_.data(), s.data(), n);
    return out;
  }

  /// The empty string. Only a default value: `make()` never returns one.
  constexpr InlineString() noexcept = default;

  [[nodiscard]] constexpr std::string_view view() const noexcept { return {data_.data(), len_}; }
  [[nodiscard]] std::string str() const { return std::string(view()); }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return len_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return len_ == 0; }
  constexpr operator std::string_view() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)

  friend constexpr bool operator==(const InlineString& a, const InlineString& b) noexcept {
    return a.view() == b.view();
  }
  friend constexpr bool operator==(const InlineString& a, std::string_view b) noexcept { return a.view() == b; }
  friend constexpr std::strong_ordering operator<=>(const InlineString& a, const InlineString& b) noexcept {
    return a.view() <=> b.view();
  }
  friend std::ostream& operator<<(std::ostream& os, const InlineString& s) { return os << s.view(); }

 private:
  // Copies n <= N bytes with at most two fixed-size, possibly overlapping copies per size class
  // (no library call on the hot path); reads and writes only [0, n).
  static void copy_short(char* dst, const char* src, std::size_t n) noexcept {
    if constexpr (N > 32) {
      std::copy_n(src, n, dst);
    } else {
      if constexpr (N >= 16) {
        if (n >= 16) {
          std::memcpy(dst, src, 16);
          if constexpr (N > 16) {
            std::memcpy(dst + n - 8, src + n - 8, 8);  // [0, 16) and [n - 8, n) cover n <= 24
          }
          if constexpr (N > 24) {
            if (n > 24) {
              std::memcpy(dst + n - 16, src + n - 16, 16);  // and [n - 16, n) n <= 32
            }
          }
          return;
        }
      }
      if constexpr (N >= 8) {
        if (n >= 8) {
          std::memcpy(dst, src, 8);
          std::memcpy(dst + n - 8, src + n - 8, 8);
          return;
        }
      }
      if constexpr (N >= 4) {
        if (n >= 4) {
          std::memcpy(dst, src, 4);
          std::memcpy(dst + n - 4, src + n - 4, 4);
          return;
        }
      }
      if (n > 0) {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
      }
    }
  }

  std::uint8_t len_{0};
  std::array<char, N> data_{};
};

/// A ticker or an option symbol as sent (`AAPL`, `BRK.A`, `O:SPY251219C00650000`): 23 bytes
/// inline (the longest OCC symbol with its `O:` prefix is 23), 24 bytes in all.
using Symbol = InlineString<23>;
/// An equity trade id (`i` on stock trades), up to 31 bytes.
using TradeId = InlineString<31>;
/// An OCC option root, 1-6 characters.
using OptionRoot = InlineString<6>;

static_assert(sizeof(Symbol) == 24);

/// At most `N` values of `T` stored inline (condition and indicator codes). `push_back` refuses
/// the `N+1`-th value and returns false: the parser reports that as an error, never truncates.
template <class T, std::size_t N>
class InlineVector {
 public:
  constexpr InlineVector() noexcept = default;
  /// For constants: values past the `N`-th are dropped (use `push_back` for data, which reports it).
  constexpr InlineVector(std::initializer_list<T> init) noexcept {
    for (const T& v : init) {
      (void)push_back(v);
    }
  }
  static constexpr std::size_t kCapacity = N;

  /// Appends `v`; false (and no change) when full.
  [[nodiscard]] constexpr bool push_back(T v) noexcept {
    if (len_ == N) {
      return false;
    }
    data_[len_++] = v;
    return true;
  }
  constexpr void clear() noexcept { len_ = 0; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return len_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return len_ == 0; }
  [[nodiscard]] constexpr const T* begin() const noexcept { return data_.data(); }
  [[nodiscard]] constexpr const T* end() const noexcept { return data_.data() + len_; }
  [[nodiscard]] constexpr const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  [[nodiscard]] constexpr std::span<const T> span() const noexcept { return {data_.data(), len_}; }

  friend constexpr bool operator==(const InlineVector& a, const InlineVector& b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  std::array<T, N> data_{};
  std::uint8_t len_{0};
};

/// Condition or indicator codes of one event (Massive sends short lists; 8 is above any seen).
using Codes = InlineVector<std::uint16_t, 8>;

}  // namespace ws_source

template <std::size_t N>
struct std::hash<ws_source::InlineString<N>> {
  std::size_t operator()(const ws_source::InlineString<N>& s) const noexcept {
    return std::hash<std::string_view>{}(s.view());
  }
};
