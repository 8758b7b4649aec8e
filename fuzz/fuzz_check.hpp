// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// What the harnesses share: FUZZ_CHECK (an invariant; on violation a message on stderr, then
// __builtin_trap, which libFuzzer reports as a crash and saves the input), and an independent
// UTF-8 validator (not the library's, which is under test).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace ws_fuzz {

[[noreturn]] inline void violated(const char* what, const char* file, int line, std::string_view context) {
  std::fprintf(stderr, "\n%s:%d: invariant violated: %s\n", file, line, what);
  if (!context.empty()) {
    std::fprintf(stderr, "  context: %.*s\n", static_cast<int>(context.size() > 2000 ? 2000 : context.size()),
                 context.data());
  }
  std::fflush(stderr);
  __builtin_trap();
}

/// Whether `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
[[nodiscard]] inline bool is_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < n) {
    const unsigned char c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      lo = c == 0xE0 ? 0xA0 : 0x80;
      hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      lo = c == 0xF0 ? 0x90 : 0x80;
      hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
      return false;
    }
    if (i + len > n) {
      return false;
    }
    if (byte(i + 1) < lo || byte(i + 1) > hi) {
      return false;
    }
    for (std::size_t k = 2; k < len; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

}  // namespace ws_fuzz

/// An invariant of the code under test; `ctx` (a std::string_view) is printed on violation.
#define FUZZ_CHECK(cond, ctx)                                \
  do {                                                       \
    if (!(cond)) {                                           \
      ::ws_fuzz::violated(#cond, __FILE__, __LINE__, (ctx)); \
    }                                                        \
  } while (false)
