// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Byte-level readers for the parser's canonical fast path (parser.cpp). Each reads one JSON token
// of the simple shape Massive sends and returns false for anything else (escapes, exponents,
// leading zeros, overflow, a sign where none is expected): false never means "invalid", only
// "let the general parser decide". The input is a padded frame: reads stop at `end`.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ws_source::detail::fast {

[[gnu::always_inline]] inline bool is_ws(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

[[gnu::always_inline]] inline const char* skip_ws(const char* p, const char* end) noexcept {
  // Canonical frames have none. `*p` at `end` is padding, readable: the loop stops there.
  if (static_cast<unsigned char>(*p) > ' ') [[likely]] {
    return p;
  }
  while (p < end && is_ws(*p)) {
    ++p;
  }
  return p;
}

[[gnu::always_inline]] inline bool is_digit(char c) noexcept {
  return static_cast<unsigned>(static_cast<unsigned char>(c) - '0') <= 9;
}

// After a scalar: a delimiter (or whitespace, or the end) must follow, as JSON requires.
[[gnu::always_inline]] inline bool at_delimiter(const char* p, const char* end) noexcept {
  return *p == ',' || *p == '}' || p >= end || *p == ']' || is_ws(*p);  // `*end` is padding: readable
}

// "…" of ASCII without escapes or control bytes; `p` at the opening quote, left after the closing one.
// Reads 8 bytes at a time: the frame has kParsePadding readable bytes after `end`.
[[gnu::always_inline]] inline bool string(const char*& p, const char* end, std::string_view& out) noexcept {
  const char* s = p + 1;
  const char* q = s;
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  while (q < end) {
    std::uint64_t w;
    std::memcpy(&w, q, 8);
    const std::uint64_t quote = w ^ (kOnes * '"');
    const std::uint64_t slash = w ^ (kOnes * '\\');
    // A byte is flagged when it is '"', '\\', < 0x20 or >= 0x80 (the classic "has zero / has less"
    // tricks; flags above the first true one may be false positives, which only the first one
    // matters). Non-ASCII bytes make the fast path bail, so a frame it accepts is ASCII throughout
    // (every byte is read by one of these readers) and needs no UTF-8 check.
    const std::uint64_t flags = ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash) | ((w - kOnes * 0x20) & ~w) | w;
    if (const std::uint64_t hit = flags & kHigh) {
      q += std::countr_zero(hit) / 8;
      break;
    }
    q += 8;
  }
  if (q >= end || *q != '"') {
    return false;
  }
  out = std::string_view(s, static_cast<std::size_t>(q - s));
  p = q + 1;
  return true;
}

// How many of the 8 bytes of `w` (in string order) are ASCII digits before the first non-digit.
[[gnu::always_inline]] inline unsigned leading_digits(std::uint64_t w) noexcept {
  // A carry out of a byte >= 0xFA only disturbs later bytes, after the first non-digit.
  const std::uint64_t nondigit = ((w & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL) |
                                 (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL);
  return nondigit == 0 ? 8U : static_cast<unsigned>(std::countr_zero(nondigit)) / 8U;
}

// The value of the first `n` (1-8) digits of `w` (string order), in a few multiplications.
[[gnu::always_inline]] inline std::uint64_t digits_value(std::uint64_t w, unsigned n) noexcept {
  std::uint64_t d = w - 0x3030303030303030ULL;  // the digit bytes become 0-9, in place
  d <<= 8 * (8 - n);                            // drop the bytes after them; zeros lead instead
  d = d * 10 + (d >> 8);
  d = (((d & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((d >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  return d;
}

inline constexpr std::array<std::uint64_t, 9> kPow10Int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// 1-19 digits without a leading zero, then a delimiter; no sign. Eight digits at a time (the
// frame has kParsePadding readable bytes after `end`, and a digit run is checked to end before it):
// one load for up to 7 digits, two for up to 15 (a 13-digit timestamp), three for up to 19.
[[gnu::always_inline]] inline bool unsigned_int(const char*& p, const char* end, std::uint64_t& out) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  const unsigned n = leading_digits(w);
  std::uint64_t v;
  const char* q;
  if (n < 8) [[likely]] {
    if (n == 0 || (n > 1 && *p == '0')) {
      return false;
    }
    v = digits_value(w, n);
    q = p + n;
  } else {
    if (*p == '0') {
      return false;
    }
    std::uint64_t w2;
    std::memcpy(&w2, p + 8, 8);
    const unsigned n2 = leading_digits(w2);
    v = digits_value(w, 8);
    if (n2 < 8) {
      if (n2 > 0) {
        v = v * kPow10Int[n2] + digits_value(w2, n2);
      }
      q = p + 8 + n2;
    } else {
      std::uint64_t w3;
      std::memcpy(&w3, p + 16, 8);
      const unsigned n3 = leading_digits(w3);
      if (n3 > 3) {
        return false;  // 20 digits or more: beyond u64 or close to it, the general path decides
      }
      v = v * kPow10Int[8] + digits_value(w2, 8);
      if (n3 > 0) {
        v = v * kPow10Int[n3] + digits_value(w3, n3);
      }
      q = p + 16 + n3;
    }
  }
  if (q > end || !at_delimiter(q, end)) {
    return false;
  }
  out = v;
  p = q;
  return true;
}

inline constexpr std::array<double, 16> kPow10{1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                               1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// `-?digits(.digits)?` byte by byte, at most 15 digits: mantissa / 10^scale with both exact, so
// the one rounding of the division is the correctly rounded value (Clinger), as simdjson computes
// it. The long form of `decimal`.
inline bool decimal_bytes(const char*& p, const char* end, double& out) noexcept {
  const char* q = p;
  const bool neg = q < end && *q == '-';
  q += neg ? 1 : 0;
  const char* int_begin = q;
  std::uint64_t m = 0;
  while (q < end && is_digit(*q)) {
    m = m * 10 + static_cast<unsigned>(*q - '0');
    ++q;
  }
  const auto int_digits = q - int_begin;
  if (int_digits == 0 || (int_digits > 1 && *int_begin == '0')) {
    return false;
  }
  std::ptrdiff_t scale = 0;
  if (q < end && *q == '.') {
    const char* frac_begin = ++q;
    while (q < end && is_digit(*q)) {
      m = m * 10 + static_cast<unsigned>(*q - '0');
      ++q;
    }
    scale = q - frac_begin;
    if (scale == 0) {
      return false;
    }
  }
  if (int_digits + scale > 15 || !at_delimiter(q, end)) {
    return false;
  }
  const double v = static_cast<double>(m) / kPow10[static_cast<std::size_t>(scale)];
  out = neg ? -v : v;
  p = q;
  return true;
}

// `-?digits(.digits)?` as `decimal_bytes` reads it (the same values, the same refusals), with the
// integer part and the fraction read eight bytes at a time when each has at most 7 digits.
[[gnu::always_inline]] inline bool decimal(const char*& p, const char* end, double& out) noexcept {
  const bool neg = *p == '-';
  const char* q = p + (neg ? 1 : 0);
  std::uint64_t w;
  std::memcpy(&w, q, 8);
  const unsigned n1 = leading_digits(w);
  if (n1 == 0 || n1 == 8 || q + n1 > end) [[unlikely]] {
    return decimal_bytes(p, end, out);  // no digit, a long integer part, or the end of the frame
  }
  if (n1 > 1 && *q == '0') {
    return false;
  }
  std::uint64_t m = digits_value(w, n1);
  q += n1;
  unsigned scale = 0;
  if (*q == '.') {
    std::uint64_t f;
    std::memcpy(&f, q + 1, 8);
    scale = leading_digits(f);
    if (scale == 0 || scale == 8 || q + 1 + scale > end) [[unlikely]] {
      return decimal_bytes(p, end, out);  // `1.` (refused there), a long fraction, or the end
    }
    m = m * kPow10Int[scale] + digits_value(f, scale);
    q += 1 + scale;
  }
  // n1 + scale <= 14 here: the 15-digit rule of decimal_bytes holds.
  if (!at_delimiter(q, end)) {
    return false;
  }
  const double v = static_cast<double>(m) / kPow10[scale];
  out = neg ? -v : v;
  p = q;
  return true;
}

// A scalar the event does not use: a plain string, a number as `decimal` reads it, or a literal.
inline bool skip_scalar(const char*& p, const char* end) noexcept {
  if (p >= end) {
    return false;
  }
  if (*p == '"') {
    std::string_view ignored;
    return string(p, end, ignored);
  }
  if (*p == '-' || is_digit(*p)) {
    double ignored = 0;
    return decimal(p, end, ignored);
  }
  for (std::string_view lit : {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
    if (static_cast<std::size_t>(end - p) >= lit.size() && std::string_view(p, lit.size()) == lit &&
        at_delimiter(p + lit.size(), end)) {
      p += lit.size();
      return true;
    }
  }
  return false;
}

}  // namespace ws_source::detail::fast
