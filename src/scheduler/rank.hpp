// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Ranking helpers shared by the tracker and the scheduler: sanitized priorities, the slot
/// arithmetic, the bounded top-k collection from a ranked walk, and the exploration pool.
///
/// A *view* (the tracker's ranking, the string surface's sorted snapshot) hands out candidates
/// through a walker, block by block, highest first: every candidate of a block ranks above every
/// candidate of the later blocks (by priority, ties by symbol); within a block the order is free.
/// Everything here is pure; no thread-safety concerns beyond the caller's objects.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ws_source/symbol.hpp"

namespace ws_source::detail::sched {

inline constexpr std::uint32_t kNoHandle = 0xffffffffU;

/// The priority used for a raw value: NaN, infinite and negative values count as 0.
[[nodiscard]] constexpr double sanitize(double p) noexcept {
  return p > 0.0 && p <= std::numeric_limits<double>::max() ? p : 0.0;
}

/// `a + b`, saturated at the largest size.
[[nodiscard]] constexpr std::size_t sat_add(std::size_t a, std::size_t b) noexcept {
  return a > std::numeric_limits<std::size_t>::max() - b ? std::numeric_limits<std::size_t>::max() : a + b;
}

/// `a - b` for Unix nanoseconds, saturated.
[[nodiscard]] constexpr std::int64_t sat_sub(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) {
    return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
  return out;
}

/// Exploration slots for a capacity: `round(fraction × total_slots)` (half away from zero),
/// capped at `total_slots − min(top_n, total_slots)`.
[[nodiscard]] std::size_t exploration_slots(std::size_t top_n, double fraction, std::size_t total_slots) noexcept;

/// A candidate of a walk: its handle in the view and its priority.
struct Candidate {
  std::uint32_t handle{kNoHandle};
  double priority{0};
};

/// Collects from `walker` (blocks of handles from `next_block(span, bound)`, false when done)
/// the `k` best candidates that `skip` does not reject, with their `priority(handle)`, by
/// `better` (priority, then symbol). Whole blocks are taken while they fit; the block where the
/// `k`-th falls goes through a bounded heap (`heap`, the caller's scratch, left unspecified), so
/// memory stays O(k) however large a block is. The walk stops after that block if its priorities
/// are all positive; candidates at priority 0 tie (broken by symbol), so then every later one is
/// looked at too. Returns true if the walker is exhausted. `out` holds at most `k` candidates,
/// unordered (whole blocks in walk order, then the heap's). Allocates only to grow `out` and
/// `heap` past their capacity.
template <class Walker, class Skip, class Priority, class Better>
bool collect_best(Walker& walker, std::size_t k, Skip&& skip, Priority&& priority, Better&& better,
                  std::vector<Candidate>& out, std::vector<Candidate>& heap) {
  out.clear();
  heap.clear();  // the best `k - out.size()` of the boundary, worst on top
  if (k == 0) {
    return false;
  }
  std::size_t room = 0;
  std::span<const std::uint32_t> block;
  double bound = 0;
  bool exhausted = false;
  for (;;) {
    if (!walker.next_block(block, bound)) {
      exhausted = true;
      break;
    }
    double block_min = std::numeric_limits<double>::infinity();
    const bool whole = room == 0 && out.size() + block.size() <= k;
    if (!whole && room == 0) {
      room = k - out.size();
      heap.reserve(std::min<std::size_t>(room, 1U << 16U));
    }
    for (const std::uint32_t h : block) {
      const double p = priority(h);
      block_min = std::min(block_min, p);
      if (skip(h)) {
        continue;
      }
      const Candidate c{h, p};
      if (whole) {
        out.push_back(c);
      } else if (heap.size() < room) {
        heap.push_back(c);
        std::push_heap(heap.begin(), heap.end(), better);
      } else if (better(c, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), better);
        heap.back() = c;
        std::push_heap(heap.begin(), heap.end(), better);
      }
    }
    if (out.size() + heap.size() >= k && block_min > 0.0) {
      break;
    }
  }
  out.insert(out.end(), heap.begin(), heap.end());
  return exhausted;
}

/// Moves the `k` best of [first, last) by `better` (a strict weak order, best first) to the front,
/// in no particular order (a selection, O(n); no sort).
template <class It, class Better>
void select_first(It first, It last, std::size_t k, Better&& better) {
  if (static_cast<std::size_t>(last - first) > k && k > 0) {
    std::nth_element(first, first + static_cast<std::ptrdiff_t>(k - 1), last, better);
  }
}

/// Keeps the `k` best of `v` by `better`, in no particular order.
template <class T, class Better>
void keep_best(std::vector<T>& v, std::size_t k, Better&& better) {
  if (v.size() > k) {
    select_first(v.begin(), v.end(), k, better);
    v.resize(k);
  }
}

/// Symbol equality as one 24-byte comparison (an inline symbol's unused bytes are always zero).
[[nodiscard]] inline bool same_symbol(const Symbol& a, const Symbol& b) noexcept {
  static_assert(std::has_unique_object_representations_v<Symbol>);
  return std::memcmp(&a, &b, sizeof(Symbol)) == 0;
}

/// An exploration candidate; smaller is preferred: explored longer ago (tier 0 = never, or
/// forgotten), then the smaller draw, then the smaller symbol.
struct ExploreKey {
  std::uint64_t tier{0};
  std::uint64_t draw{0};
  std::string_view symbol;
  std::uint32_t handle{kNoHandle};
  double priority{0};

  friend bool operator<(const ExploreKey& a, const ExploreKey& b) noexcept {
    if (a.tier != b.tier) {
      return a.tier < b.tier;
    }
    if (a.draw != b.draw) {
      return a.draw < b.draw;
    }
    return a.symbol < b.symbol;
  }
};

/// Keeps the `k` smallest keys pushed into it (a max-heap of size `k`), in the caller's
/// `storage` (emptied first; its memory is reused).
class SmallestKeys {
 public:
  SmallestKeys(std::size_t k, std::vector<ExploreKey>& storage) : heap_(&storage), k_(k) {
    heap_->clear();
    heap_->reserve(std::min<std::size_t>(k, 1U << 16U));
  }

  /// True once `k` keys are kept: a new key must then be smaller than `bar()` to get in.
  [[nodiscard]] bool full() const noexcept { return k_ > 0 && heap_->size() >= k_; }
  /// The largest key kept (only when `full()`).
  [[nodiscard]] const ExploreKey& bar() const noexcept { return heap_->front(); }

  void push(const ExploreKey& key) {
    auto& h = *heap_;
    if (k_ == 0) {
      return;
    }
    if (h.size() < k_) {
      h.push_back(key);
      std::push_heap(h.begin(), h.end());
    } else if (key < h.front()) {
      std::pop_heap(h.begin(), h.end());
      h.back() = key;
      std::push_heap(h.begin(), h.end());
    }
  }

  /// The kept keys, smallest first (the storage's contents; the pool is spent).
  [[nodiscard]] std::span<const ExploreKey> sorted() {
    std::sort_heap(heap_->begin(), heap_->end());
    return *heap_;
  }

 private:
  std::vector<ExploreKey>* heap_;
  std::size_t k_;
};

}  // namespace ws_source::detail::sched
