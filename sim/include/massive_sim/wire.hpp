// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// JSON encoding of market events and status messages, byte for byte as Massive sends them (and
/// as the Rust prototype's wire.rs wrote them). Events are written by hand: integers with
/// `std::to_chars`, prices from whole cents without a floating-point round trip, one append per
/// event; a few tens of nanoseconds per event, no allocation once `out` has grown.
///
/// Field order per event type:
/// - stock trade  `{"ev":"T","sym":…,"x":…,"i":"…","z":…,"p":…,"s":…[,"c":[…]],"t":…,"q":…[,"trfi":…,"trft":…]}`
/// - stock quote  `{"ev":"Q","sym":…,"bx":…,"ax":…,"bp":…,"ap":…,"bs":…,"as":…,"c":0[,"i":[…]],"t":…,"q":…,"z":…}`
/// - option trade `{"ev":"T","sym":…,"x":…,"p":…,"s":…[,"c":[…]],"t":…,"q":…}`
/// - option quote `{"ev":"Q","sym":…,"bx":…,"ax":…,"bp":…,"ap":…,"bs":…,"as":…,"t":…,"q":…}`
///
/// All functions only append to `out` and are safe to call from several threads on distinct
/// buffers (the event encoder keeps the digits of the last timestamp it wrote in a thread-local,
/// which changes nothing but the speed).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "massive_sim/market.hpp"

namespace massive_sim::wire {

/// Bytes an encoded event takes at most, besides its symbol.
inline constexpr std::size_t kMaxEventBytesWithoutSymbol = 256;

/// Appends a price given in cents as a JSON number: `150.25`, `12.5`, `3`, `0.01`, `0`.
void write_cents(std::string& out, std::uint32_t cents);

/// Appends one event object (no surrounding array, no separator). `symbol` is written as is: it
/// must not need JSON escaping (plain ASCII without quotes, backslashes or control characters;
/// every market symbol is).
void write_event(std::string& out, const Event& ev, std::string_view symbol);

/// Writes one event object at `out`, which must have room for `kMaxEventBytesWithoutSymbol +
/// symbol.size()` bytes, and returns one past its last byte (for callers with their own buffer).
char* encode_event(char* out, const Event& ev, std::string_view symbol) noexcept;

/// Appends one status object `{"ev":"status","status":…,"message":…}`, both strings JSON-escaped
/// (`"`, `\` and control characters; other bytes, UTF-8 included, are copied).
void write_status(std::string& out, std::string_view status, std::string_view message);

/// A whole frame holding one status: `[{"ev":"status","status":"connected","message":"Connected Successfully"}]`.
[[nodiscard]] std::string status_frame(std::string_view status, std::string_view message);

/// A frame holding several statuses (status, message), in order; `[]` for none.
[[nodiscard]] std::string status_frame(std::span<const std::pair<std::string_view, std::string_view>> items);

}  // namespace massive_sim::wire
