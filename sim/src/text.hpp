// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// concat("a", s, std::to_string(n)): one string from parts, sized once. Used instead of long
// `a + b + c` chains, on which GCC 12 warns falsely (-Wrestrict) at -O3.

#include <string>
#include <string_view>

namespace massive_sim {

template <class... Parts>
[[nodiscard]] std::string concat(const Parts&... parts) {
  const std::string_view views[] = {std::string_view(parts)...};
  std::size_t n = 0;
  for (const auto v : views) n += v.size();
  std::string out;
  out.reserve(n);
  for (const auto v : views) out.append(v);
  return out;
}

}  // namespace massive_sim
