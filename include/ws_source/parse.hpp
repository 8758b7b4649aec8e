// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The frame parser: JSON frames from Massive into validated `DataBatch<TradeOrNbbo>` batches and
/// `StatusMessage`s. Errors are values (`ParseError`); no exception escapes for any input.
///
/// Validation (a frame with one bad event is rejected whole, never delivered in part):
/// - the frame is a JSON array of objects; `ev` is required;
/// - `T` (trade): `sym` (a `Symbol`; an `O:` symbol must be a valid OCC code and makes it an
///   option trade), `x`, `p` finite and > 0, `s` an integer >= 0, `t`, `q`; equity trades also
///   need `i` (a trade id string); optional `z`, `c`, `ds` (a decimal string >= 0), `trfi`, `trft`;
/// - `Q` (quote): `sym`, `bx`, `ax`, `bp`/`ap` finite and >= 0, `bs`/`as` integers >= 0, `t`, `q`;
///   optional `c` (one code, or an array of at most one), `i` (an array of codes), `z`;
/// - `status`: `status` and `message` (strings, default empty);
/// - timestamps (`t`, `trft`) are integer Unix milliseconds in [2000, 2100) and at most
///   `FrameContext::max_future_skew_ns` after the receive time;
/// - fields a given event type does not use, and unknown fields, are skipped unread (the
///   provider adds fields over time): their values are only checked for balanced brackets and
///   quotes (simdjson's skip), never turned into rows; a known field that appears twice is an
///   error; keys are matched on their raw bytes (a key written with escapes is not a known key);
/// - option trades read the equity-trade fields `i`, `z`, `ds`, `trfi`, `trft` for their JSON
///   type only and then ignore them;
/// - an event whose `ev` is some other type (`A`, `AM`, `LULD`, … which share the clusters) is
///   skipped and counted in `ParsedFrame::skipped_events`, not an error: the rest of the frame is
///   delivered, and the count and the first unknown type are there to log. A skipped event must
///   still be a well-formed object.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/model.hpp"
#include "ws_source/result.hpp"
#include "ws_source/status.hpp"
#include "ws_source/symbol.hpp"

namespace ws_source {

/// Bytes that must be allocated (readable, any content) after a frame for the zero-copy path:
/// simdjson reads up to this far past the end. Equal to `simdjson::SIMDJSON_PADDING`.
inline constexpr std::size_t kParsePadding = 64;
/// Longest excerpt of the offending input kept in a `ParseError`, in bytes.
inline constexpr std::size_t kExcerptLen = 160;
/// Default bound on how far a SIP time may lie ahead of the receive time: 60 s.
inline constexpr std::int64_t kDefaultMaxFutureSkewNs = 60'000'000'000;

/// What the parser needs to know about the frame besides its bytes.
struct FrameContext {
  std::int64_t received_at_ns{0};  ///< when the frame was read (Unix ns); stamped into every batch
  std::size_t shard_id{0};         ///< stamped into every batch
  /// Timestamps further ahead of `received_at_ns` than this are rejected; nullopt: no bound.
  std::optional<std::int64_t> max_future_skew_ns{kDefaultMaxFutureSkewNs};

  /// A context received now (the wall clock), shard 0, the default skew.
  [[nodiscard]] static FrameContext now() noexcept;
  /// A context received at `received_at_ns`, shard 0, the default skew.
  [[nodiscard]] static FrameContext at(std::int64_t received_at_ns) noexcept;
};

/// What was wrong with a frame or one of its events.
enum class ParseErrorKind : std::uint8_t {
  InvalidJson,            ///< not valid JSON (syntax, truncation, bad UTF-8, trailing bytes)
  NotAnArray,             ///< valid JSON but not an array
  NotAnObject,            ///< an element is not an object
  MissingField,           ///< a required field is absent (or null)
  WrongType,              ///< a field has the wrong JSON type, an out-of-range value, or repeats
  InvalidTimestamp,       ///< a timestamp of implausible magnitude or in the future
  InvalidPrice,           ///< a price that is not finite, negative, or zero where it must be > 0
  NegativeSize,           ///< a negative size
  InvalidFractionalSize,  ///< `ds` is not a non-negative decimal
  InvalidSymbol,          ///< a symbol or id that is empty, too long or has a bad byte
  InvalidOccSymbol,       ///< an `O:` symbol that is not a valid OCC code
  TooManyCodes,           ///< more condition/indicator codes than `Codes` holds
};

/// "invalid_json", "not_an_array", …: a stable name for logs and metrics.
[[nodiscard]] std::string_view to_string(ParseErrorKind k) noexcept;

/// A rejected frame: what was wrong, in which event and field, with an excerpt of the input.
/// Built only on the error path (it owns strings). Format with `message()` or `<<`:
/// ``event 0 (ev=T, sym=AAPL), field `p`: invalid price -1.5; excerpt: {"ev":"T",…}``.
struct ParseError {
  ParseErrorKind kind{ParseErrorKind::InvalidJson};
  std::optional<std::size_t> event_index;  ///< index of the offending event in the frame
  std::string field;                       ///< the offending field (`p`, `c[1]`), empty when none is to blame
  std::string ev;                          ///< the event's `ev`, when it could be read
  std::string sym;                         ///< the event's `sym`, when it could be read (at most 32 bytes kept)
  std::string detail;                      ///< what exactly, e.g. "invalid price -1.5"
  std::string excerpt;                     ///< the event (or frame) text, at most `kExcerptLen` bytes + "…"

  /// The full one-line message: context, field, detail and excerpt.
  [[nodiscard]] std::string message() const;
};

std::ostream& operator<<(std::ostream& os, const ParseError& e);

/// The result of parsing one frame: one batch per feed present, in `kAllResourceTypes` order, each
/// with its rows in wire order; the status messages in wire order; the skipped event count.
///
/// Reuse one `ParsedFrame` across frames: `Parser::parse` clears it and keeps its row storage
/// (row vectors moved out of `batches` by the caller are simply not reused).
struct ParsedFrame {
  std::vector<DataBatch<TradeOrNbbo>> batches;
  std::vector<StatusMessage> statuses;
  std::size_t skipped_events{0};  ///< events of a type ws-source does not ingest
  /// The `ev` of the first of them, cut to 15 bytes; empty when it is not printable ASCII.
  InlineString<15> first_skipped_ev;

  [[nodiscard]] std::size_t row_count() const noexcept;
  /// Empties the frame, keeping the row storage for the next parse.
  void clear() noexcept;

 private:
  friend class Parser;
  std::array<std::vector<TradeOrNbbo>, 4> spare_;  // row storage between parses, per feed
};

/// How a `Parser` works. The defaults are what production wants.
struct ParserOptions {
  /// Read frames of Massive's canonical shape (flat objects, `ev` first, plain numbers and
  /// strings) with a direct scanner, and everything else, including every frame with an error,
  /// with simdjson On Demand. The results are identical either way (tests compare them on every
  /// corpus frame); false always takes the On Demand path (for those tests and benchmarks).
  bool canonical_fast_path{true};
};

/// What a `Parser` has done: frames read by the canonical fast path, and frames the general
/// (simdjson On Demand) path read, including every rejected frame.
struct ParserStats {
  std::uint64_t fast_path_frames{0};
  std::uint64_t general_path_frames{0};
};

/// A reusable frame parser: one simdjson On Demand parser and its buffers, reused frame after
/// frame, so that steady-state parsing allocates nothing (no allocation per event, none per data
/// frame once `ParsedFrame`'s vectors have grown to the largest frame).
///
/// Thread safety: one `Parser` per thread (per connection); different parsers are independent.
/// Movable, not copyable; a moved-from `Parser` may only be destroyed or assigned to.
class Parser {
 public:
  Parser();
  explicit Parser(ParserOptions options);
  ~Parser();
  Parser(Parser&&) noexcept;
  Parser& operator=(Parser&&) noexcept;
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  /// Parses the frame `buffer[0, frame_size)` in place into `out` (cleared first).
  /// Padding contract: when `buffer.size() >= frame_size + kParsePadding` the bytes are parsed
  /// where they lie, without a copy (the padding bytes are read, never written, content
  /// irrelevant). With less padding the frame is first copied into the parser's own padded
  /// scratch buffer (correct, one memcpy slower). `frame_size > buffer.size()` is an
  /// `InvalidJson` error. The strings in `out` do not point into `buffer`.
  /// On error `out` holds no batches and no statuses, and the error says why.
  Result<void, ParseError> parse(std::span<const char> buffer, std::size_t frame_size, const FrameContext& ctx,
                                 ParsedFrame& out) noexcept;

  /// Counts of frames by path since construction. The parser's own thread only.
  [[nodiscard]] ParserStats stats() const noexcept;

  /// Parses `frame` (no padding assumed: copied into the scratch buffer first).
  Result<void, ParseError> parse(std::span<const char> frame, const FrameContext& ctx, ParsedFrame& out) noexcept {
    return parse(frame, frame.size(), ctx, out);
  }

 private:
  struct Impl;
  static void emit_batches(ParsedFrame& out, const FrameContext& ctx, const std::array<std::int64_t, 4>& max_ts);
  std::unique_ptr<Impl> impl_;
};

/// The spec's one-shot function: parses `payload` received now (shard 0, default skew) and returns
/// its batches (statuses and skipped events are not returned: use `Parser` for those).
/// Allocates a parser per call (and may throw `std::bad_alloc` doing so, unlike `Parser::parse`);
/// prefer a `Parser` on a hot path.
[[nodiscard]] Result<std::vector<DataBatch<TradeOrNbbo>>, ParseError> parse_payload(std::span<const char> payload);

/// The simdjson kernel this library's parser was compiled for: "fallback", "westmere",
/// "haswell" or "icelake" (the `WS_SOURCE_SIMDJSON_KERNEL` build option).
[[nodiscard]] std::string_view parser_kernel() noexcept;

/// Whether this CPU can run `parser_kernel()`'s instructions. A `Parser` built on a CPU that
/// cannot terminates at construction with a message naming the kernel, rather than crashing on
/// an illegal instruction later.
[[nodiscard]] bool parser_kernel_supported() noexcept;

}  // namespace ws_source
