// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Encodes rows back into Massive's wire format (the inverse of the parser), for round-trip tests
// and generated frames. Doubles are written in shortest round-trip form, so a parse of the
// encoding gives back the same bits.

#include <span>
#include <string>

#include "ws_source/model.hpp"
#include "ws_source/status.hpp"

namespace ws_source::test_support {

/// Appends one event object for `row` to `out`.
void encode_event(const TradeOrNbbo& row, std::string& out);
/// Appends one status event to `out` (`status` and `message` escaped as JSON strings).
void encode_status(const StatusMessage& status, std::string& out);
/// A whole frame: `[` + the events joined by commas + `]`.
std::string encode_frame(std::span<const TradeOrNbbo> rows);
/// `s` as a JSON string literal, quotes included.
std::string json_string(std::string_view s);

}  // namespace ws_source::test_support
