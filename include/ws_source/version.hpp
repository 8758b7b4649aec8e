// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The library's version.

#include <string_view>

namespace ws_source {

inline constexpr int kVersionMajor = 0;
inline constexpr int kVersionMinor = 1;
inline constexpr int kVersionPatch = 0;
/// "0.1.0"
inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace ws_source
