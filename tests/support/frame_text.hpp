// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The readable text form of a parse result, as stored in testdata/golden/**/*.expected.

#include <string>

#include "ws_source/parse.hpp"

namespace ws_source::test_support {

/// One line per batch (its meta), per row, per status and for skipped events; or, for an error,
/// its kind, index, field, ev, sym, detail and excerpt on separate lines, then the full message.
std::string frame_text(const ParsedFrame& frame);
std::string error_text(const ParseError& error);

}  // namespace ws_source::test_support
