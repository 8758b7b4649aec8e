// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The demo's one line per second: events/s per feed, sockets, subscriptions, reconnects, drops,
// parse errors, watermark lag and the consumer's staleness p99 (frame received -> consumer); at
// the end, the totals and the distinct instruments seen.

#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>
#include <ws_source/connection_manager.hpp>

namespace ws_ingest {

class Summary {
 public:
  /// Counts a batch taken by the consumer at `now_ns`.
  void add(const ws_source::DataBatch<ws_source::TradeOrNbbo>& batch, std::int64_t now_ns);
  /// The line for the interval since the previous call (resets the interval's counts).
  [[nodiscard]] std::string line(const ws_source::ManagerStats& stats, std::int64_t now_ns);
  /// Totals over the whole run.
  [[nodiscard]] std::string totals() const;

 private:
  std::array<std::uint64_t, 4> rows_{};
  std::array<std::uint64_t, 4> total_rows_{};
  std::array<std::int64_t, 4> watermark_{};
  /// Distinct instruments with at least one row, per feed (the application's memory, not the
  /// library's: a few hundred kB for 10 k instruments).
  std::array<std::unordered_set<ws_source::Symbol>, 4> instruments_;
  std::uint64_t dropped_{0};
  std::uint64_t late_{0};
  std::uint64_t gaps_{0};
  std::uint64_t batches_{0};
  std::vector<std::int64_t> staleness_ns_;  ///< this interval's data batches
  std::int64_t last_ns_{0};
  std::int64_t first_ns_{0};
};

}  // namespace ws_ingest
