// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "config/redact.hpp"

#include <algorithm>
#include <cctype>

namespace ws_source::detail {
namespace {

// A fragment that cannot carry any part of a key: one or two punctuation characters ("=", "]",
// "\"") or a spelled-out escape of toml++'s ("\n").
bool is_harmless(std::string_view fragment) noexcept {
  if (fragment == "\\n" || fragment == "\\r" || fragment == "\\t") {
    return true;
  }
  return !fragment.empty() && fragment.size() <= 2 && std::all_of(fragment.begin(), fragment.end(), [](char c) {
    return std::ispunct(static_cast<unsigned char>(c)) != 0;
  });
}

void append_clean(std::string& out, std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : c;
  }
}

}  // namespace

std::string redact_quoted(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  std::size_t pos = 0;
  while (pos < message.size()) {
    const auto open = message.find('\'', pos);
    if (open == std::string_view::npos) {
      append_clean(out, message.substr(pos));
      break;
    }
    append_clean(out, message.substr(pos, open - pos));
    const auto close = message.find('\'', open + 1);
    const std::string_view fragment =
        message.substr(open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1);
    out += '\'';
    if (is_harmless(fragment)) {
      out += fragment;
    } else {
      out += "\xe2\x80\xa6";  // …
    }
    out += '\'';
    if (close == std::string_view::npos) {
      break;
    }
    pos = close + 1;
  }
  return out;
}

}  // namespace ws_source::detail
