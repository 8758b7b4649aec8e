// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The activity tracker's state (`ActivityTracker::Impl`) and `TrackerView`, the read-only view
/// of its ranking at one time that the scheduler's plan walks.

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <vector>

#include "scheduler/rank.hpp"
#include "scheduler/score_order.hpp"
#include "scheduler/symbol_table.hpp"
#include "ws_source/activity_tracker.hpp"

namespace ws_source {

/// Per contract id: its symbol and hash (in `table`), its log-score `scores[id] = log2(count at
/// t) + (t − origin) / half_life`, and its place in `order`. See `ActivityTracker`.
struct ActivityTracker::Impl {
  double half_life_s{120.0};
  double half_life_ns{120e9};
  double count_to_rate{std::numbers::ln2 / 120.0};  // ln 2 / half_life_s
  double volume_weight{0.0};
  double pooling{0.0};
  std::size_t max_contracts{kDefaultMaxContracts};

  detail::sched::SymbolTable table;
  std::vector<double> scores;  // by id; stale for freed ids
  detail::sched::ScoreOrder order;
  bool has_origin{false};
  std::int64_t origin_ns{0};
  std::int64_t latest_ns{0};
  std::uint64_t evicted{0};

  /// Half-lives from the origin to `t`.
  [[nodiscard]] double units(std::int64_t t) const noexcept {
    return static_cast<double>(detail::sched::sat_sub(t, origin_ns)) / half_life_ns;
  }
  /// The rate at `now` of a contract whose log-score is `s`. The one formula every reader uses
  /// (so that `rates()`, `top()` and the scheduler's view agree to the bit).
  [[nodiscard]] double rate_at(double s, std::int64_t now) const noexcept { return rate_in(s, units(now)); }
  /// `rate_at(s, now)` given `units(now)` (the same bits; for readers of many contracts at once).
  [[nodiscard]] double rate_in(double s, double now_units) const noexcept {
    return std::exp2(s - now_units) * count_to_rate;
  }
  [[nodiscard]] static std::int64_t bucket(double s) noexcept { return detail::sched::ScoreOrder::bucket_of(s); }
  [[nodiscard]] double score(std::uint32_t id) const noexcept { return scores[id]; }

  /// Adds `weight` (cleaned) to `contract` at `ts`; the id, or kNoContract if nothing was
  /// recorded.
  ContractId add(const Symbol& contract, std::int64_t ts, double weight);
  /// Forgets id `id` (live).
  void drop(std::uint32_t id) noexcept;
  /// Drops contracts from the bottom bucket until bucket `b` fits the window.
  void make_room(std::int64_t b) noexcept;
};

namespace detail {

/// The only door into a tracker's state (for the scheduler's plan and the tests).
struct TrackerAccess {
  using Impl = ActivityTracker::Impl;
  static const Impl& impl(const ActivityTracker& t) noexcept { return *t.impl_; }
};

namespace sched {

/// The tracker's ranking as of `now_ns`: handles are contract ids, priorities the rates.
class TrackerView {
 public:
  TrackerView(const TrackerAccess::Impl& t, std::int64_t now_ns) noexcept : t_(&t), units_(t.units(now_ns)) {}

  [[nodiscard]] std::uint32_t handle_limit() const noexcept { return t_->table.id_limit(); }
  [[nodiscard]] double priority(std::uint32_t id) const noexcept { return t_->rate_in(t_->score(id), units_); }
  [[nodiscard]] const Symbol& symbol(std::uint32_t id) const noexcept { return t_->table.symbol(id); }
  [[nodiscard]] std::uint64_t hash(std::uint32_t id) const noexcept { return t_->table.hash(id); }
  [[nodiscard]] const std::uint64_t* hashes() const noexcept { return t_->table.hashes(); }
  [[nodiscard]] std::uint32_t find(const Symbol& s) const noexcept { return t_->table.find(s); }

  /// Buckets from the top down; a block's bound is the rate at its bucket's upper edge.
  class Walker {
   public:
    explicit Walker(const TrackerView& v) noexcept : v_(&v), b_(v.t_->order.top()) {}
    bool next_block(std::span<const std::uint32_t>& block, double& bound) {
      const auto& order = v_->t_->order;
      if (order.empty() || b_ < order.bottom()) {
        return false;
      }
      // A hair above the edge's rate, so that rounding cannot put a member above the bound.
      bound = v_->t_->rate_in(ScoreOrder::lower_edge(b_ + 1), v_->units_) * (1.0 + 1e-9);
      block = order.bucket(b_);
      b_ = order.next_below(b_);
      return true;
    }

   private:
    const TrackerView* v_;
    std::int64_t b_;
  };
  [[nodiscard]] Walker walker() const noexcept { return Walker(*this); }

 private:
  const TrackerAccess::Impl* t_;
  double units_;  // t_->units(now_ns)
};

}  // namespace sched
}  // namespace detail
}  // namespace ws_source
