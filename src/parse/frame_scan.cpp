// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "parse/frame_scan.hpp"

#include <algorithm>
#include <cstdio>

namespace ws_source::detail {
namespace {

constexpr bool is_ws(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::size_t skip_ws(std::string_view t, std::size_t i) noexcept {
  while (i < t.size() && is_ws(t[i])) {
    ++i;
  }
  return i;
}

// Length of the UTF-8 sequence at t[i], or 0 when it is invalid there.
std::size_t utf8_len(std::string_view t, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(t[i]);
  if (b0 < 0x80) {
    return 1;
  }
  std::size_t n = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) {
      lo = 0xA0;
    } else if (b0 == 0xED) {
      hi = 0x9F;
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) {
      lo = 0x90;
    } else if (b0 == 0xF4) {
      hi = 0x8F;
    }
  } else {
    return 0;
  }
  if (i + n > t.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(t[i + k]);
    const unsigned l = k == 1 ? lo : 0x80;
    const unsigned h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      return 0;
    }
  }
  return n;
}

}  // namespace

std::size_t value_end(std::string_view t, std::size_t i) noexcept {
  i = skip_ws(t, i);
  int depth = 0;
  bool in_string = false;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) {
          return i + 1;
        }
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        if (depth == 0) {  // the close of the enclosing array: the value ended before it
          return i;
        }
        if (--depth == 0) {
          return i + 1;
        }
        break;
      case ',':
        if (depth == 0) {
          return i;
        }
        break;
      default:
        break;
    }
  }
  return t.size();
}

namespace {

// Calls `fn(index, begin, end)` for each top-level element of the array `t` until it returns
// true; returns whether one did. Every step moves forward, whatever the bytes.
template <class Fn>
bool walk_elements(std::string_view t, Fn fn) noexcept {
  std::size_t i = skip_ws(t, 0);
  if (i >= t.size() || t[i] != '[') {
    return false;
  }
  ++i;
  for (std::size_t index = 0;; ++index) {
    i = skip_ws(t, i);
    if (i >= t.size() || t[i] == ']') {
      return false;
    }
    const std::size_t begin = i;
    // A stray closing bracket ends no value: count it as a one-byte element so the walk moves on.
    const std::size_t end = std::max(value_end(t, i), begin + 1);
    if (fn(index, begin, end)) {
      return true;
    }
    if (end >= t.size()) {
      return false;
    }
    i = skip_ws(t, end);
    if (i < t.size() && t[i] == ',') {
      ++i;
    }
  }
}

}  // namespace

std::optional<ElementPos> element_at(std::string_view t, std::size_t offset) noexcept {
  std::optional<ElementPos> out;
  walk_elements(t, [&](std::size_t index, std::size_t begin, std::size_t end) {
    if (offset < end || end >= t.size()) {
      out = ElementPos{index, begin};
      return true;
    }
    return false;
  });
  return out;
}

std::optional<std::string_view> element_text(std::string_view t, std::size_t wanted) noexcept {
  std::optional<std::string_view> out;
  walk_elements(t, [&](std::size_t index, std::size_t begin, std::size_t end) {
    if (index == wanted) {
      out = t.substr(begin, end - begin);
      return true;
    }
    return false;
  });
  return out;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view t) noexcept {
  for (std::size_t i = 0; i < t.size();) {
    const std::size_t n = utf8_len(t, i);
    if (n == 0) {
      return i;
    }
    i += n;
  }
  return std::nullopt;
}

std::string excerpt(std::string_view text, std::size_t max_bytes) {
  std::size_t b = 0;
  std::size_t e = text.size();
  while (b < e && is_ws(text[b])) {
    ++b;
  }
  while (e > b && is_ws(text[e - 1])) {
    --e;
  }
  text = text.substr(b, e - b);
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 4);
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = utf8_len(text, i);
    char escaped[8];
    std::string_view piece = n == 0 ? std::string_view("\xEF\xBF\xBD") : text.substr(i, n);
    if (n == 1 && static_cast<unsigned char>(text[i]) < 0x20) {  // keep log lines one line
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(text[i])));
      piece = escaped;
    }
    if (out.size() + piece.size() > max_bytes) {
      out += "\xE2\x80\xA6";  // …
      return out;
    }
    out += piece;
    i += n == 0 ? 1 : n;
  }
  return out;
}

std::string peek_string_field(std::string_view event, std::string_view key, std::size_t max_bytes) {
  std::string needle;
  needle.reserve(key.size() + 2);
  needle += '"';
  needle += key;
  needle += '"';
  for (std::size_t pos = event.find(needle); pos != std::string_view::npos; pos = event.find(needle, pos + 1)) {
    std::size_t i = skip_ws(event, pos + needle.size());
    if (i >= event.size() || event[i] != ':') {
      continue;
    }
    i = skip_ws(event, i + 1);
    if (i >= event.size() || event[i] != '"') {
      return {};
    }
    const std::size_t start = i + 1;
    std::size_t j = start;
    while (j < event.size() && event[j] != '"') {
      j += event[j] == '\\' ? 2 : 1;
    }
    return excerpt(event.substr(start, std::min(j, event.size()) - start), max_bytes);
  }
  return {};
}

}  // namespace ws_source::detail
