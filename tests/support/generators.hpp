// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// RapidCheck generators of valid rows (every value the parser accepts, within the wire's
// precision: prices with at most 4 decimals, timestamps whole milliseconds).

#include <rapidcheck.h>

#include <string>

#include "ws_source/model.hpp"

namespace ws_source::test_support {

/// SIP times (ns, whole ms) between 2020 and 2030, all before kGeneratedReceivedAtNs.
inline constexpr std::int64_t kGeneratedReceivedAtNs = 1'900'000'000'000'000'000;

rc::Gen<TradeOrNbbo> gen_row();
rc::Gen<std::string> gen_valid_frame();  // 0-40 rows and status events, encoded

}  // namespace ws_source::test_support
