// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Redaction of parser messages that may quote the configuration text (and so an API key).

#include <string>
#include <string_view>

namespace ws_source::detail {

/// `message` with every single-quoted fragment (toml++ quotes source text that way: a character
/// seen, a number, a key) replaced by '…', unless it is one or two punctuation characters or a
/// spelled escape such as '\n' (which cannot carry a key); an unclosed quote is redacted to the
/// end. Control bytes become spaces. E.g. "expected '=', saw 'x'" -> "expected '=', saw '…'".
[[nodiscard]] std::string redact_quoted(std::string_view message);

}  // namespace ws_source::detail
