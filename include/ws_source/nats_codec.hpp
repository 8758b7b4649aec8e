// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The binary encoding of one `DataBatch<TradeOrNbbo>` (rows and meta, heartbeats and gaps
/// included): the payload of every JetStream message the sink publishes and the reader decodes.
/// A pure function pair (no NATS): any process can decode a message with it.
///
/// **Encoding, version 1.** Little-endian. `varu` is an unsigned LEB128 varint (at most 10
/// bytes), `vars` a zigzag-encoded signed varint, `f64` 8 bytes of IEEE 754 binary64 (the exact
/// bits, so every double round-trips), `str` one length byte then the bytes.
///
/// ```
/// offset 0   "WSB"        magic
///        3   u8  1        version (a decoder refuses another)
///        4   u32          row count (fixed width: a reader can count rows without decoding)
///        8   u8  flags    bit 0: a gap follows the meta; other bits 0
///        9   u8  feed     ResourceType (0 options quotes, 1 options trades, 2 equity quotes, 3 equity trades)
///       10   u8  source   0 = Ws
///       11   u8  quality  0 = Prelim
///       12   u8  state    0 = connected, 1 = disconnected
///       13   varu shard_id, vars watermark_ts_ns, vars (received_at_ns - watermark_ts_ns),
///            varu dropped_since_last, varu conflated_since_last, varu batch_seq, varu late_rows
///            [gap: vars (start_ns - watermark_ts_ns), vars (end_ns - start_ns), u8 DisconnectReason]
///            rows, each: u8 tag (bits 0-1 the kind, bits 2-7 presence flags), then its fields
/// ```
///
/// Every row's SIP time is written as `vars (sip_ts_ns - watermark_ts_ns)` (a few bytes: rows are
/// close to their batch's watermark). Rows, by kind (`[x]` present only when its tag bit is set):
///
/// - kind 0, `OptionTrade`: bit 2 explicit contract. `str symbol`, [contract], `varu exchange`,
///   `f64 price`, `varu size`, codes, `vars ts`, `varu sequence`.
/// - kind 1, `EquityTrade`: bit 2 tape, bit 3 fractional size, bit 4 TRF id, bit 5 TRF time.
///   `str symbol`, `varu exchange`, `str trade_id`, [`u8 tape`], `f64 price`, `varu size`,
///   [`f64 fractional_size`], codes, `vars ts`, `varu sequence`, [`varu trf_id`],
///   [`vars (trf_ts_ns - sip_ts_ns)`].
/// - kind 2, `Nbbo`: bit 2 has a contract, bit 3 explicit contract, bit 4 condition, bit 5 tape.
///   `str symbol`, [contract], `varu bid_exchange`, `varu ask_exchange`, `f64 bid_price`,
///   `f64 ask_price`, `varu bid_size`, `varu ask_size`, [`varu condition`], codes (indicators),
///   `vars ts`, `varu sequence`, [`u8 tape`].
///
/// codes = `u8 n` (at most 8) then n × `varu`. A contract is normally *implicit*: the decoder
/// parses it from the `O:` symbol (`OptionContract::parse`); only a row whose contract differs
/// from its symbol's parse carries it explicitly: `str root`, `varu year`, `u8 month`, `u8 day`,
/// `u8 right` (0 call, 1 put), `varu strike_milli`.
///
/// A batch of 100 option quotes takes about 50 bytes a row (the JSON on Massive's wire: ~130).
/// The decoder checks every length, range, enum value, string (empty, or valid for
/// `InlineString::make`), that an implicit contract parses, and that no byte is left over:
/// corrupt input is an error value, never a crash or a partial batch. Every `DataBatch` whose
/// strings are empty or valid round-trips exactly (`decode(encode(b)) == b`).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "ws_source/model.hpp"
#include "ws_source/result.hpp"

namespace ws_source {

/// The version byte this library writes and reads.
inline constexpr std::uint8_t kBatchEncodingVersion = 1;

/// Why bytes are not a batch.
struct BatchDecodeError {
  std::size_t offset{0};  ///< where decoding stopped
  std::string what;       ///< e.g. "truncated varint", "unknown row kind 3", "bad symbol: empty"
  friend bool operator==(const BatchDecodeError&, const BatchDecodeError&) = default;
};

/// `what at byte N`
std::ostream& operator<<(std::ostream& os, const BatchDecodeError& e);

/// Appends the encoding of `batch` to `out`. Never fails: any `DataBatch` is encodable (with at
/// most 2^32 - 1 rows, a precondition no real batch comes near). Allocates only to grow `out`.
void encode_batch(const DataBatch<TradeOrNbbo>& batch, std::vector<std::uint8_t>& out);

/// The encoding of `batch`.
[[nodiscard]] std::vector<std::uint8_t> encode_batch(const DataBatch<TradeOrNbbo>& batch);

/// Decodes `bytes` into `out` (its row vector reused: cleared, capacity kept). On error `out` is
/// unspecified (but valid). Never throws except `std::bad_alloc`.
[[nodiscard]] Result<void, BatchDecodeError> decode_batch(std::span<const std::uint8_t> bytes,
                                                          DataBatch<TradeOrNbbo>& out);

/// Decodes `bytes` into a new batch.
[[nodiscard]] Result<DataBatch<TradeOrNbbo>, BatchDecodeError> decode_batch(std::span<const std::uint8_t> bytes);

/// The row count of an encoded batch (bytes 4-7) without decoding it; nullopt when `bytes` is not
/// version-1 encoding.
[[nodiscard]] std::optional<std::uint32_t> encoded_row_count(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace ws_source
