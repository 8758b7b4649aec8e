// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "net/conflator.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <string_view>

namespace ws_source::detail {

Conflator::Conflator(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      // Load factor at most 1/2: short probe sequences.
      mask_(std::bit_ceil(capacity_ * 2) - 1),
      slots_(mask_ + 1, kEmpty) {
  rows_.reserve(capacity_);
}

Conflator::Added Conflator::add(const TradeOrNbbo& row) noexcept {
  const std::string_view sym = symbol_of(row).view();
  std::size_t i = std::hash<std::string_view>{}(sym)&mask_;
  for (;; i = (i + 1) & mask_) {
    const std::uint32_t at = slots_[i];
    if (at == kEmpty) break;
    if (symbol_of(rows_[at]).view() == sym) {
      rows_[at] = row;
      max_ts_ = std::max(max_ts_, sip_ts_ns_of(row));
      return Added::Superseded;
    }
  }
  if (rows_.size() >= capacity_) return Added::Full;
  slots_[i] = static_cast<std::uint32_t>(rows_.size());
  rows_.push_back(row);  // reserved: never reallocates
  max_ts_ = std::max(max_ts_, sip_ts_ns_of(row));
  return Added::New;
}

void Conflator::clear() noexcept {
  // Fewer rows than slots: clear only the slots in use (found again by their symbols).
  for (const TradeOrNbbo& r : rows_) {
    std::size_t i = std::hash<std::string_view>{}(symbol_of(r).view()) & mask_;
    while (slots_[i] != kEmpty) {
      slots_[i] = kEmpty;
      i = (i + 1) & mask_;
    }
  }
  rows_.clear();
  max_ts_ = 0;
}

}  // namespace ws_source::detail
