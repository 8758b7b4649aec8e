// Copyright (c) James Kassemi, SC, US. All rights reserved.
// SlotRole's names and Allocation's accessors.
#include <algorithm>

#include "ws_source/scheduler.hpp"

namespace ws_source {

std::string_view to_string(SlotRole role) noexcept {
  switch (role) {
    case SlotRole::Reserved:
      return "reserved";
    case SlotRole::Exploit:
      return "exploit";
    case SlotRole::Explore:
      return "explore";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, SlotRole role) { return os << to_string(role); }

std::size_t Allocation::count(SlotRole role) const noexcept {
  return static_cast<std::size_t>(
      std::count_if(active.begin(), active.end(), [&](const Slot& s) { return s.role == role; }));
}

std::vector<Symbol> Allocation::symbols(SlotRole role) const {
  std::vector<Symbol> out;
  for (const Slot& s : active) {
    if (s.role == role) {
      out.push_back(s.symbol);
    }
  }
  return out;
}

}  // namespace ws_source
