// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Conflation of quotes while the consumer falls behind: the latest quote per symbol replaces the
// earlier ones, which are counted (superseded), so a quiet contract never loses its last state and
// a busy one costs one row per flush instead of one per update.
//
//   Conflator c(2048);
//   for (const TradeOrNbbo& row : batch.rows) if (c.add(row) == Conflator::Added::Full) { flush; c.add(row); }
//   ...when the ring has room: copy c.rows() into a batch, c.clear().
//
// Bounded: at most `capacity` distinct symbols (fixed at construction; nothing is allocated
// after it). Rows keep the order in which their symbol first came in since the last clear; each
// holds its symbol's latest quote. Not thread-safe (the worker's strand).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ws_source/model.hpp"

namespace ws_source::detail {

class Conflator {
 public:
  /// Room for `capacity` distinct symbols (at least 1).
  explicit Conflator(std::size_t capacity);

  enum class Added : std::uint8_t {
    New,         ///< the first row of its symbol since the last clear
    Superseded,  ///< it replaced an earlier row of its symbol (one row conflated)
    Full,        ///< a new symbol and no room: nothing stored (flush, clear, add again)
  };
  /// Stores `row` as its symbol's latest.
  [[nodiscard]] Added add(const TradeOrNbbo& row) noexcept;

  /// The rows held, one per symbol.
  [[nodiscard]] const std::vector<TradeOrNbbo>& rows() const noexcept { return rows_; }
  [[nodiscard]] bool empty() const noexcept { return rows_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return rows_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  /// The largest SIP time among the rows held (0 when empty).
  [[nodiscard]] std::int64_t max_sip_ts_ns() const noexcept { return max_ts_; }

  /// Forgets every row (keeps the storage).
  void clear() noexcept;

 private:
  static constexpr std::uint32_t kEmpty = 0xffffffffU;

  std::size_t capacity_;
  std::size_t mask_;
  std::vector<std::uint32_t> slots_;  // open addressing: index into rows_, or kEmpty
  std::vector<TradeOrNbbo> rows_;     // reserved to capacity_
  std::int64_t max_ts_{0};
};

}  // namespace ws_source::detail
