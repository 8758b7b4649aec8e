// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "ws_source/symbol.hpp"

#include <cstdio>

namespace ws_source {

std::string InlineStringError::message() const {
  switch (kind) {
    case Kind::Empty:
      return "empty";
    case Kind::TooLong:
      return std::to_string(length) + " bytes, longer than the " + std::to_string(capacity) + "-byte limit";
    case Kind::InvalidByte: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(byte));
      return std::string("invalid byte ") + hex + " at offset " + std::to_string(offset);
    }
  }
  return "invalid";
}

namespace detail {

Result<std::uint8_t, InlineStringError> check_inline_string(std::string_view s, std::size_t capacity) noexcept {
  if (s.empty()) {
    return fail(InlineStringError{.kind = InlineStringError::Kind::Empty});
  }
  if (s.size() > capacity) {
    return fail(InlineStringError{.kind = InlineStringError::Kind::TooLong, .length = s.size(), .capacity = capacity});
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x21 || b > 0x7E || b == ',') {
      return fail(InlineStringError{.kind = InlineStringError::Kind::InvalidByte, .offset = i, .byte = b});
    }
  }
  return static_cast<std::uint8_t>(s.size());
}

}  // namespace detail
}  // namespace ws_source
