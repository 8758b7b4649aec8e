// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "ws_source/option_contract.hpp"

#include <array>
#include <cstring>

#include "parse/fast_scan.hpp"

namespace ws_source {
namespace {

constexpr std::string_view kPrefix = "O:";
constexpr std::size_t kMinBody = 16;  // 1-char root + YYMMDD + C/P + 8 digits
constexpr std::size_t kMaxBody = 21;  // 6-char root

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_root_char(char c) noexcept { return (c >= 'A' && c <= 'Z') || is_digit(c); }

bool all_digits(std::string_view s) noexcept {
  for (char c : s) {
    if (!is_digit(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

namespace {

[[gnu::always_inline]] inline bool valid_date(int year, int month, int day) noexcept {
  if (month < 1 || month > 12 || day < 1) {
    return false;
  }
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
  return day <= max_day;
}

}  // namespace

bool is_valid_date(int year, int month, int day) noexcept { return valid_date(year, month, day); }

std::string_view describe(OccError e) noexcept {
  switch (e) {
    case OccError::MissingPrefix:
      return "missing `O:` prefix";
    case OccError::BadLength:
      return "length is not 16 to 21 characters after `O:`";
    case OccError::BadRoot:
      return "invalid root";
    case OccError::BadExpiry:
      return "invalid expiry date";
    case OccError::BadRight:
      return "right is neither C nor P";
    case OccError::BadStrike:
      return "strike is not 8 digits";
  }
  return "invalid";
}

Result<OptionContract, OccError> OptionContract::parse(std::string_view symbol) noexcept {
  // The common case first, in one pass at fixed offsets from the end: 8 bytes of strike, 8 bytes
  // from the expiry (YYMMDD, the right, a strike digit), the root. Any failed check falls to the
  // checks below, which name the error in their order.
  if (const std::size_t n = symbol.size();
      n >= 2 + kMinBody && n <= 2 + kMaxBody && symbol[0] == 'O' && symbol[1] == ':') [[likely]] {
    namespace fast = detail::fast;
    const char* body = symbol.data() + 2;
    const std::size_t root_len = n - 2 - 15;
    std::uint64_t strike_word;
    std::uint64_t date_word;
    std::memcpy(&strike_word, body + root_len + 7, 8);
    std::memcpy(&date_word, body + root_len, 8);
    const char right = body[root_len + 6];
    bool root_ok = true;
    for (std::size_t i = 0; i < root_len; ++i) {
      root_ok &= is_root_char(body[i]);
    }
    if (root_ok && (right == 'C' || right == 'P') && fast::leading_digits(strike_word) == 8 &&
        fast::leading_digits(date_word) >= 6) {
      const std::uint64_t d = date_word - 0x3030303030303030ULL;  // bytes 0-5: the digits of YYMMDD
      const auto digit = [d](unsigned i) { return static_cast<int>((d >> (8 * i)) & 0xFF); };
      const int year = 2000 + digit(0) * 10 + digit(1);
      const int month = digit(2) * 10 + digit(3);
      const int day = digit(4) * 10 + digit(5);
      if (valid_date(year, month, day)) [[likely]] {
        OptionContract c;
        c.root = OptionRoot::unchecked(std::string_view(body, root_len));  // A-Z0-9, 1-6 bytes
        c.expiry =
            Date{static_cast<std::uint16_t>(year), static_cast<std::uint8_t>(month), static_cast<std::uint8_t>(day)};
        c.right = right == 'C' ? OptionRight::Call : OptionRight::Put;
        c.strike_milli = static_cast<std::uint32_t>(fast::digits_value(strike_word, 8));
        return c;
      }
    }
  }
  // One pass at fixed offsets from the end: strike (8 digits), right, YYMMDD, then the root.
  if (!symbol.starts_with(kPrefix)) {
    return fail(OccError::MissingPrefix);
  }
  const std::string_view body = symbol.substr(kPrefix.size());
  const std::size_t n = body.size();
  if (n < kMinBody || n > kMaxBody) {
    return fail(OccError::BadLength);
  }
  const char right = body[n - 9];
  if (right != 'C' && right != 'P') {
    // A strike of the wrong width shifts the right out of place: name the strike when some C/P is
    // followed only by digits.
    for (std::size_t i = 0; i + 1 < n; ++i) {
      if ((body[i] == 'C' || body[i] == 'P') && all_digits(body.substr(i + 1))) {
        return fail(OccError::BadStrike);
      }
    }
    return fail(OccError::BadRight);
  }
  std::uint32_t strike = 0;
  for (std::size_t i = n - 8; i < n; ++i) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(body[i]) - '0');
    if (d > 9) {
      return fail(OccError::BadStrike);
    }
    strike = strike * 10 + d;
  }
  const std::size_t root_len = n - 15;
  for (std::size_t i = 0; i < root_len; ++i) {
    if (!is_root_char(body[i])) {
      return fail(OccError::BadRoot);
    }
  }
  unsigned date[6];
  for (std::size_t i = 0; i < 6; ++i) {
    date[i] = static_cast<unsigned>(static_cast<unsigned char>(body[root_len + i]) - '0');
    if (date[i] > 9) {
      return fail(OccError::BadExpiry);
    }
  }
  const int year = 2000 + static_cast<int>(date[0] * 10 + date[1]);
  const int month = static_cast<int>(date[2] * 10 + date[3]);
  const int day = static_cast<int>(date[4] * 10 + date[5]);
  if (!is_valid_date(year, month, day)) {
    return fail(OccError::BadExpiry);
  }
  OptionContract c;
  c.root = OptionRoot::unchecked(body.substr(0, root_len));  // A-Z0-9, 1-6 bytes: checked above
  c.expiry = Date{static_cast<std::uint16_t>(year), static_cast<std::uint8_t>(month), static_cast<std::uint8_t>(day)};
  c.right = right == 'C' ? OptionRight::Call : OptionRight::Put;
  c.strike_milli = strike;
  return c;
}

Symbol OptionContract::to_symbol() const noexcept {
  std::array<char, 23> buf{};
  std::size_t n = 0;
  auto put = [&](char ch) { buf[n++] = ch; };
  put('O');
  put(':');
  for (char ch : root.view()) {
    put(ch);
  }
  auto two = [&](unsigned v) {
    put(static_cast<char>('0' + v / 10 % 10));
    put(static_cast<char>('0' + v % 10));
  };
  two(expiry.year % 100U);
  two(expiry.month);
  two(expiry.day);
  put(right == OptionRight::Call ? 'C' : 'P');
  unsigned v = strike_milli;
  for (int i = 7; i >= 0; --i) {
    buf[n + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  n += 8;
  auto s = Symbol::make(std::string_view(buf.data(), n));
  return s ? *s : Symbol{};
}

std::optional<Symbol> put_call_pair(const Symbol& symbol) noexcept {
  std::string_view s = symbol.view();
  if (!s.starts_with(kPrefix) || s.size() < kPrefix.size() + kMinBody) {
    return std::nullopt;
  }
  const std::size_t pos = s.size() - 9;
  std::array<char, 23> buf{};
  std::copy(s.begin(), s.end(), buf.begin());
  if (buf[pos] == 'C') {
    buf[pos] = 'P';
  } else if (buf[pos] == 'P') {
    buf[pos] = 'C';
  } else {
    return std::nullopt;
  }
  auto out = Symbol::make(std::string_view(buf.data(), s.size()));
  if (!out) {
    return std::nullopt;
  }
  return *out;
}

}  // namespace ws_source
