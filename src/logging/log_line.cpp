// Copyright (c) James Kassemi, SC, US. All rights reserved.
// key=value formatting: append_kv and LogLine.
#include <charconv>
#include <string>

#include "ws_source/logging.hpp"

namespace ws_source {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || is_control(c)) return true;
  }
  return false;
}

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

void append_kv(std::string& out, std::string_view key, std::string_view value) {
  out += ' ';
  for (const char c : key) out += is_key_char(c) ? c : '_';
  out += '=';
  if (!needs_quotes(value)) {
    out += value;
    return;
  }
  out += '"';
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (is_control(c)) {
          constexpr std::string_view kHex = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4U];
          out += kHex[c & 0xFU];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

LogLine& LogLine::context(Cluster cluster, std::size_t shard) {
  kv("cluster", path(cluster));
  return kv("shard", shard);
}

LogLine& LogLine::note(std::string_view text) {
  text_ += ' ';
  text_ += text;
  return *this;
}

LogLine& LogLine::repeats(std::uint64_t suppressed) {
  if (suppressed == 0) return *this;
  text_ += " (";
  append_number(text_, suppressed);
  text_ += " more since last report)";
  return *this;
}

LogLine& LogLine::kv_int(std::string_view key, std::int64_t value) {
  std::string v;
  append_number(v, value);
  return kv(key, v);
}

LogLine& LogLine::kv_uint(std::string_view key, std::uint64_t value) {
  std::string v;
  append_number(v, value);
  return kv(key, v);
}

}  // namespace ws_source
