// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `PrioritySnapshot`: the string surface's priorities (`update_priorities`), interned and sorted
/// once (priority descending, symbol ascending), and its view for the scheduler's plan. Not
/// thread-safe; owned by its scheduler.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scheduler/rank.hpp"
#include "scheduler/symbol_table.hpp"
#include "ws_source/symbol.hpp"

namespace ws_source::detail::sched {

class PrioritySnapshot {
 public:
  /// Replaces the contents: every key that is a valid `Symbol`, with its sanitized priority.
  void assign(const std::unordered_map<std::string, double>& rates);

  [[nodiscard]] std::size_t size() const noexcept { return table_.size(); }
  [[nodiscard]] double priority_of(std::string_view symbol) const noexcept;

  // The view (handles are ids in the table).
  [[nodiscard]] std::uint32_t handle_limit() const noexcept { return table_.id_limit(); }
  [[nodiscard]] double priority(std::uint32_t h) const noexcept { return priorities_[h]; }
  [[nodiscard]] const Symbol& symbol(std::uint32_t h) const noexcept { return table_.symbol(h); }
  [[nodiscard]] std::uint64_t hash(std::uint32_t h) const noexcept { return table_.hash(h); }
  [[nodiscard]] const std::uint64_t* hashes() const noexcept { return table_.hashes(); }
  [[nodiscard]] std::uint32_t find(const Symbol& s) const noexcept { return table_.find(s); }

  /// The sorted order in blocks of 64; a block's bound is its first priority.
  class Walker {
   public:
    explicit Walker(const PrioritySnapshot& s) noexcept : s_(&s) {}
    bool next_block(std::span<const std::uint32_t>& block, double& bound) {
      const auto& order = s_->order_;
      if (i_ >= order.size()) {
        return false;
      }
      bound = s_->priority(order[i_]);
      const std::size_t end = std::min(order.size(), i_ + kBlock);
      block = std::span<const std::uint32_t>(order).subspan(i_, end - i_);
      i_ = end;
      return true;
    }

   private:
    static constexpr std::size_t kBlock = 64;
    const PrioritySnapshot* s_;
    std::size_t i_{0};
  };
  [[nodiscard]] Walker walker() const noexcept { return Walker(*this); }

 private:
  SymbolTable table_;
  std::vector<double> priorities_;    // by handle
  std::vector<std::uint32_t> order_;  // handles, best first
};

}  // namespace ws_source::detail::sched
