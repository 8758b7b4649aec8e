// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "massive_sim/wire.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <type_traits>

namespace massive_sim::wire {
namespace {

// Appends the string literal `s` (without its terminating NUL).
template <std::size_t N>
char* lit(char* p, const char (&s)[N]) noexcept {
  std::memcpy(p, s, N - 1);
  return p + (N - 1);
}

char* str(char* p, std::string_view s) noexcept {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

constexpr std::array<char, 200> kPairs = [] {
  std::array<char, 200> t{};
  for (std::size_t i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// An integer in decimal: std::to_chars, with a table path for the values below 1,000 that most
// fields hold (exchanges, sizes, tapes, conditions: a third of the instructions of an event).
template <class T>
char* num(char* p, T v) noexcept {
  bool small = v < 1'000;
  if constexpr (std::is_signed_v<T>) {
    small = small && v >= 0;
  }
  if (small) {
    const auto u = static_cast<std::size_t>(v);
    if (u < 10) {
      *p = static_cast<char>('0' + u);
      return p + 1;
    }
    if (u < 100) {
      std::memcpy(p, &kPairs[2 * u], 2);
      return p + 2;
    }
    *p = static_cast<char>('0' + u / 100);
    std::memcpy(p + 1, &kPairs[2 * (u % 100)], 2);
    return p + 3;
  }
  return std::to_chars(p, p + 24, v).ptr;  // 24 >= the digits of any 64-bit integer and a sign
}

// A SIP timestamp (ms). Consecutive events mostly share their millisecond (a thousand per ms at
// 1M events/s), so the digits of the last one written on this thread are kept and copied.
char* timestamp(char* p, std::int64_t ms) noexcept {
  struct Last {
    std::int64_t ms{-1};
    std::uint8_t len{0};
    std::array<char, 24> digits{};
  };
  thread_local Last last;
  if (ms != last.ms) {
    last.len = static_cast<std::uint8_t>(std::to_chars(last.digits.data(), last.digits.data() + 24, ms).ptr -
                                         last.digits.data());
    last.ms = ms;
  }
  std::memcpy(p, last.digits.data(), 16);  // fixed-size copy (13 digits until 2286), then fix the end
  if (last.len > 16) {
    std::memcpy(p + 16, last.digits.data() + 16, last.len - 16U);
  }
  return p + last.len;
}

char* cents(char* p, std::uint32_t c) noexcept {
  p = num(p, c / 100);
  const std::uint32_t frac = c % 100;
  if (frac != 0) {
    *p = '.';
    std::memcpy(p + 1, &kPairs[2 * std::size_t{frac}], 2);
    p += frac % 10 != 0 ? 3 : 2;  // 12.5, not 12.50
  }
  return p;
}

char* conditions(char* p, const Event& ev) noexcept {
  const auto codes = ev.condition_codes();
  if (codes.empty()) {
    return p;
  }
  p = lit(p, ",\"c\":[");
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (i > 0) {
      *p++ = ',';
    }
    p = num(p, codes[i]);
  }
  *p++ = ']';
  return p;
}

// From the closing quote of `sym` to the ask size.
char* quote_common(char* p, const Event& ev) noexcept {
  p = lit(p, "\",\"bx\":");
  p = num(p, ev.exchange);
  p = lit(p, ",\"ax\":");
  p = num(p, ev.ask_exchange);
  p = lit(p, ",\"bp\":");
  p = cents(p, ev.price_cents);
  p = lit(p, ",\"ap\":");
  p = cents(p, ev.ask_cents);
  p = lit(p, ",\"bs\":");
  p = num(p, ev.size);
  p = lit(p, ",\"as\":");
  return num(p, ev.ask_size);
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4U]);
          out.push_back(kHex[c & 15U]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

char* encode_event(char* p, const Event& ev, std::string_view symbol) noexcept {
  switch (ev.feed) {
    case Feed::StockTrades:
      p = lit(p, "{\"ev\":\"T\",\"sym\":\"");
      p = str(p, symbol);
      p = lit(p, "\",\"x\":");
      p = num(p, ev.exchange);
      p = lit(p, ",\"i\":\"");
      p = num(p, ev.trade_id);
      p = lit(p, "\",\"z\":");
      p = num(p, ev.tape);
      p = lit(p, ",\"p\":");
      p = cents(p, ev.price_cents);
      p = lit(p, ",\"s\":");
      p = num(p, ev.size);
      p = conditions(p, ev);
      p = lit(p, ",\"t\":");
      p = timestamp(p, ev.ts_ms);
      p = lit(p, ",\"q\":");
      p = num(p, ev.seq);
      if (ev.trf_id != 0) {
        p = lit(p, ",\"trfi\":");
        p = num(p, ev.trf_id);
        p = lit(p, ",\"trft\":");
        p = num(p, ev.trf_ts_ms);
      }
      *p++ = '}';
      return p;
    case Feed::StockQuotes:
      p = lit(p, "{\"ev\":\"Q\",\"sym\":\"");
      p = str(p, symbol);
      p = quote_common(p, ev);
      p = lit(p, ",\"c\":0");
      if (ev.indicator != 0) {
        p = lit(p, ",\"i\":[");
        p = num(p, ev.indicator);
        *p++ = ']';
      }
      p = lit(p, ",\"t\":");
      p = timestamp(p, ev.ts_ms);
      p = lit(p, ",\"q\":");
      p = num(p, ev.seq);
      p = lit(p, ",\"z\":");
      p = num(p, ev.tape);
      *p++ = '}';
      return p;
    case Feed::OptionTrades:
      p = lit(p, "{\"ev\":\"T\",\"sym\":\"");
      p = str(p, symbol);
      p = lit(p, "\",\"x\":");
      p = num(p, ev.exchange);
      p = lit(p, ",\"p\":");
      p = cents(p, ev.price_cents);
      p = lit(p, ",\"s\":");
      p = num(p, ev.size);
      p = conditions(p, ev);
      p = lit(p, ",\"t\":");
      p = timestamp(p, ev.ts_ms);
      p = lit(p, ",\"q\":");
      p = num(p, ev.seq);
      *p++ = '}';
      return p;
    case Feed::OptionQuotes:
      break;
  }
  p = lit(p, "{\"ev\":\"Q\",\"sym\":\"");
  p = str(p, symbol);
  p = quote_common(p, ev);
  p = lit(p, ",\"t\":");
  p = timestamp(p, ev.ts_ms);
  p = lit(p, ",\"q\":");
  p = num(p, ev.seq);
  *p++ = '}';
  return p;
}

void write_cents(std::string& out, std::uint32_t c) {
  std::array<char, 16> buf;
  out.append(buf.data(), cents(buf.data(), c));
}

void write_event(std::string& out, const Event& ev, std::string_view symbol) {
  constexpr std::size_t kInlineSymbol = 64;
  if (symbol.size() <= kInlineSymbol) {
    std::array<char, kMaxEventBytesWithoutSymbol + kInlineSymbol> buf;
    out.append(buf.data(), encode_event(buf.data(), ev, symbol));
    return;
  }
  const std::size_t old = out.size();
  out.resize(old + kMaxEventBytesWithoutSymbol + symbol.size());
  char* end = encode_event(out.data() + old, ev, symbol);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

void write_status(std::string& out, std::string_view status, std::string_view message) {
  out.append(R"({"ev":"status","status":)");
  append_json_string(out, status);
  out.append(R"(,"message":)");
  append_json_string(out, message);
  out.push_back('}');
}

std::string status_frame(std::string_view status, std::string_view message) {
  const std::pair<std::string_view, std::string_view> item{status, message};
  return status_frame(std::span(&item, 1));
}

std::string status_frame(std::span<const std::pair<std::string_view, std::string_view>> items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    write_status(out, items[i].first, items[i].second);
  }
  out.push_back(']');
  return out;
}

}  // namespace massive_sim::wire
