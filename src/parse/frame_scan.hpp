// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Error-path helpers over a frame's raw bytes: where an event starts and ends, which event holds
// a given byte, excerpts. None of this runs for a frame that parses.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ws_source::detail {

/// End (one past) of the JSON value starting at `begin` in `text`: a string-aware bracket
/// scan that stops at the matching close, or at the end of `text` when the value is truncated.
[[nodiscard]] std::size_t value_end(std::string_view text, std::size_t begin) noexcept;

/// The index of the top-level array element containing byte `offset`, and where that element
/// starts; nullopt when `text` is not an array or `offset` lies outside every element.
struct ElementPos {
  std::size_t index;
  std::size_t begin;
};
[[nodiscard]] std::optional<ElementPos> element_at(std::string_view text, std::size_t offset) noexcept;

/// The text of top-level element `index` of the array `text`; nullopt when there is no such
/// element.
[[nodiscard]] std::optional<std::string_view> element_text(std::string_view text, std::size_t index) noexcept;

/// Offset of the first byte that breaks UTF-8 in `text`, or nullopt when it is valid.
[[nodiscard]] std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept;

/// `text` trimmed of JSON whitespace, made valid UTF-8 (bad bytes become U+FFFD) and printable
/// (control bytes become `\u00XX`), and cut to at most `max_bytes` on a character boundary with
/// "…" appended when cut.
[[nodiscard]] std::string excerpt(std::string_view text, std::size_t max_bytes);

/// Best effort: the string value of the first `"key":"…"` in `event` (nested objects included),
/// raw (escapes kept), as an `excerpt` of at most `max_bytes`; empty when absent.
[[nodiscard]] std::string peek_string_field(std::string_view event, std::string_view key, std::size_t max_bytes);

}  // namespace ws_source::detail
