// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The baseline the benchmark compares the library's parser with: a straightforward parse of the
/// same frames with the simdjson DOM API (`simdjson::dom::parser`, the whole frame into a tape
/// first, then a walk over it) into the same row types, with the same validation rules as
/// `ws_source::Parser` (required fields, JSON types, ranges, duplicate keys, `Symbol` and OCC
/// checks, timestamps in [2000, 2100) and within the future skew). It is a benchmark reference,
/// not a second parser of the library: errors are a static message, without event or excerpt.
///
/// This is the only translation unit of the benchmarks that includes simdjson.

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/model.hpp"
#include "ws_source/parse.hpp"

namespace ws_source::bench {

/// What a reference parse produces: one batch per feed (indexed by `index(ResourceType)`),
/// reused frame after frame; an empty batch means the feed was not in the frame.
struct ReferenceFrame {
  std::array<DataBatch<TradeOrNbbo>, 4> feeds;

  [[nodiscard]] std::size_t row_count() const noexcept;
  void clear() noexcept;
};

class ReferenceDomParser {
 public:
  /// A DOM parser on simdjson's implementation `kernel` ("fallback", "haswell", …), or on the
  /// implementation simdjson's runtime dispatch picks for this CPU when `kernel` is empty.
  /// `ok()` is false (and `error()` says why) when that implementation is not available here.
  explicit ReferenceDomParser(std::string_view kernel);
  ~ReferenceDomParser();
  ReferenceDomParser(const ReferenceDomParser&) = delete;
  ReferenceDomParser& operator=(const ReferenceDomParser&) = delete;

  [[nodiscard]] bool ok() const noexcept;
  [[nodiscard]] const std::string& error() const noexcept;
  /// The simdjson implementation the parser runs ("haswell", …).
  [[nodiscard]] const std::string& implementation() const noexcept;

  /// Parses `buffer[0, frame_size)` in place (the buffer must hold `kParsePadding` bytes more)
  /// into `out` (cleared first). Returns nullptr on success, else a static message.
  [[nodiscard]] const char* parse(std::span<const char> buffer, std::size_t frame_size, const FrameContext& ctx,
                                  ReferenceFrame& out) noexcept;

 private:
  const char* parse_events(std::span<const char> buffer, std::size_t frame_size, const FrameContext& ctx,
                           ReferenceFrame& out) noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The simdjson implementation its runtime dispatch picks on this CPU (e.g. "haswell").
[[nodiscard]] std::string simdjson_dispatch_implementation();

}  // namespace ws_source::bench
