// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `normalized(Allocation)`: an allocation with every list in symbol order, for comparing two
/// allocations as sets (within a role, the scheduler leaves the order unspecified).

#include <algorithm>

#include "ws_source/scheduler.hpp"

namespace ws_source::test_support {

inline Allocation normalized(Allocation a) {
  std::sort(a.active.begin(), a.active.end(),
            [](const Slot& x, const Slot& y) { return x.role != y.role ? x.role < y.role : x.symbol < y.symbol; });
  std::sort(a.added.begin(), a.added.end());
  std::sort(a.removed.begin(), a.removed.end());
  return a;
}

}  // namespace ws_source::test_support
