// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Helpers of the ring and stream tests: batches that say who made them and in which order.

#include <cstddef>
#include <cstdint>
#include <variant>

#include "stream/batch_channel.hpp"
#include "ws_source/model.hpp"

namespace ws_source::test {

/// Fills `b` as batch number `seq` of producer `producer`: `rows` equity trades whose sequence
/// numbers are `seq * 1000 + i` (so the rows' order can be checked too).
inline void fill(detail::Batch& b, std::size_t producer, std::uint64_t seq, std::size_t rows) {
  b.meta.shard_id = producer;
  b.meta.batch_seq = seq;
  b.meta.resource_type = ResourceType::EquityTrades;
  for (std::size_t i = 0; i < rows; ++i) {
    EquityTrade t;
    t.sequence = seq * 1000 + i;
    t.size = 1;
    t.price = 1.0;
    b.rows.emplace_back(t);
  }
}

/// Whether `b` is exactly what `fill(b, producer, seq, rows)` made.
inline bool is_batch(const detail::Batch& b, std::size_t producer, std::uint64_t seq, std::size_t rows) {
  if (b.meta.shard_id != producer || b.meta.batch_seq != seq || b.rows.size() != rows) {
    return false;
  }
  for (std::size_t i = 0; i < rows; ++i) {
    const auto* t = std::get_if<EquityTrade>(&b.rows[i]);
    if (t == nullptr || t->sequence != seq * 1000 + i) {
      return false;
    }
  }
  return true;
}

}  // namespace ws_source::test
