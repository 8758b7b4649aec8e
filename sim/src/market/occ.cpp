// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "market/occ.hpp"

#include <algorithm>

namespace massive_sim::detail {
namespace {

// Writes `v` as exactly `width` decimal digits (zero-padded; the caller bounds `v`).
char* put_digits(char* p, std::uint64_t v, int width) noexcept {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

}  // namespace

OccBuffer format_occ(std::string_view root, std::chrono::year_month_day expiry, Right right,
                     std::uint64_t strike_milli) noexcept {
  OccBuffer out;
  root = root.substr(0, kMaxOccRoot);
  char* p = out.data.data();
  *p++ = 'O';
  *p++ = ':';
  p = std::copy(root.begin(), root.end(), p);
  const int year = static_cast<int>(expiry.year());
  const int yy = ((year % 100) + 100) % 100;
  p = put_digits(p, static_cast<std::uint64_t>(yy), 2);
  p = put_digits(p, static_cast<unsigned>(expiry.month()), 2);
  p = put_digits(p, static_cast<unsigned>(expiry.day()), 2);
  *p++ = right == Right::Call ? 'C' : 'P';
  p = put_digits(p, std::min<std::uint64_t>(strike_milli, 99'999'999), 8);
  out.size = static_cast<std::size_t>(p - out.data.data());
  return out;
}

}  // namespace massive_sim::detail
