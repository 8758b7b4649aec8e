// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Benchmark frames: deterministic Massive-format frames of each feed, the shared reference frame
/// on disk, a padded buffer for the zero-copy parse path, and the receive time that makes a frame
/// pass the parser's timestamp checks. Shared by `ws_source_parse_bench` and
/// `ws_source_parse_callgrind`; no simdjson and no Google Benchmark in here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/parse.hpp"

namespace ws_source::bench {

/// The four feeds, as the frames the benchmark generates for them.
enum class Feed : std::uint8_t { OptionQuotes, OptionTrades, EquityQuotes, EquityTrades };

inline constexpr std::array<Feed, 4> kFeeds{Feed::OptionQuotes, Feed::OptionTrades, Feed::EquityQuotes,
                                            Feed::EquityTrades};

/// "option_quotes", "option_trades", "equity_quotes", "equity_trades".
[[nodiscard]] std::string_view feed_name(Feed feed) noexcept;

/// The SIP time of a generated frame's first event: 2024-11-25T15:00:00.123Z in Unix ms (the
/// time the Massive docs' examples use; the shared frame starts there too).
inline constexpr std::int64_t kBaseTsMs = 1'732'546'800'123;

/// A JSON array of `events` events of `feed` in Massive's wire format, e.g. for option quotes
/// `[{"ev":"Q","sym":"O:SPY251219C00650000","bx":302,"ax":303,"bp":12.4,"ap":12.6,"bs":10,...},...]`.
/// Deterministic: the same arguments give the same bytes on every run and machine. Symbols,
/// prices, sizes, exchanges, conditions and sequence numbers vary from event to event; SIP
/// times start at `kBaseTsMs` and increase by 0-3 ms per event.
[[nodiscard]] std::string make_frame(Feed feed, std::size_t events);

/// A frame in a buffer with `kParsePadding` readable bytes after it, so that `Parser::parse`
/// takes the zero-copy path (the padding is zero-filled; its content is irrelevant).
class PaddedFrame {
 public:
  PaddedFrame() = default;
  explicit PaddedFrame(std::string_view json);

  /// The whole buffer: the frame and its padding (what `Parser::parse` takes as `buffer`).
  [[nodiscard]] std::span<const char> buffer() const noexcept { return {buf_.data(), buf_.size()}; }
  /// The frame's own length (what `Parser::parse` takes as `frame_size`).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::string_view json() const noexcept { return {buf_.data(), size_}; }

 private:
  std::vector<char> buf_;
  std::size_t size_{0};
};

/// The shared reference frame, `option_quotes_100.json`, as found on disk.
struct SharedFrame {
  std::optional<std::string> json;  ///< the file's bytes; nullopt when no candidate was readable
  std::string path;                 ///< the file read, when one was
  std::string tried;                ///< every candidate tried, for the "not found" message
};

/// Reads the shared frame from `WS_SOURCE_BENCH_FRAME_PATH` (a compile definition set by
/// bench/CMakeLists.txt: `${PROJECT_SOURCE_DIR}/../shared/bench-frames/option_quotes_100.json`)
/// and, when that file cannot be read, from the path in the environment variable
/// `WS_SOURCE_BENCH_FRAME`. `override_path`, when not empty, is the only path tried.
[[nodiscard]] SharedFrame load_shared_frame(std::string_view override_path = {});

/// A receive time just after a frame: 1 ms after its latest SIP time.
inline constexpr std::int64_t kReceiveLagNs = 1'000'000;

/// A frame that parsed cleanly and the context that lets it pass every check.
struct CheckedFrame {
  FrameContext ctx;           ///< received 1 ms after the frame's latest SIP time, default skew
  std::size_t events{0};      ///< rows the frame parsed into
  std::int64_t min_ts_ns{0};  ///< earliest SIP time in the frame
  std::int64_t max_ts_ns{0};  ///< latest SIP time in the frame
};

/// Parses `frame` once without the future-skew bound to find its latest SIP time, picks a receive
/// time `kReceiveLagNs` after it, and parses again with full validation (default 60 s skew) to
/// prove the frame passes. Also requires every event to become a row (no skipped events, no
/// statuses) and, when `expected_events` is set, exactly that many. On failure: nullopt and a
/// message in `error`.
[[nodiscard]] std::optional<CheckedFrame> check_frame(Parser& parser, ParsedFrame& out, const PaddedFrame& frame,
                                                      std::optional<std::size_t> expected_events, std::string& error);

}  // namespace ws_source::bench
