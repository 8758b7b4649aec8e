// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `HandleMap<V>`: a small open-addressing map from 32-bit candidate handles to values, filled
/// once per plan (a handle's incumbent index, its exploration tier). A few nanoseconds a lookup,
/// no node allocations; sized up front from the number of keys expected (it grows if that was too
/// few), and `reset` empties it for the next plan while keeping its memory. No erase. Not
/// thread-safe; a value type owned by its plan's scratch.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ws_source::detail::sched {

template <class V>
class HandleMap {
 public:
  /// Room for `expected` keys at a load of at most 1/2 before growing.
  explicit HandleMap(std::size_t expected = 0) { rebuild(std::bit_ceil(expected * 2 + 16)); }

  /// Empties it, with room for `expected` keys at a load of at most 1/2: keeps its memory unless
  /// that is more than 4 times what `expected` needs (O(capacity), no allocation in steady state).
  void reset(std::size_t expected) {
    const std::size_t want = std::bit_ceil(expected * 2 + 16);
    if (keys_.size() < want || keys_.size() / 4 > want) {
      rebuild(want);
    } else if (size_ != 0) {
      std::fill(keys_.begin(), keys_.end(), kEmpty);
      size_ = 0;
    }
  }

  /// Inserts `key -> value` and returns a pointer to the value and true; if `key` is present,
  /// the pointer to its value (unchanged) and false. `key` must not be `kEmpty`. The pointer is
  /// valid until the next insert.
  [[gnu::always_inline]] std::pair<V*, bool> try_emplace(std::uint32_t key, V value) {
    if ((size_ + 1) * 2 > keys_.size()) [[unlikely]] {
      grow();
    }
    std::size_t i = slot(key);
    while (keys_[i] != kEmpty) {
      if (keys_[i] == key) {
        return {&values_[i], false};
      }
      i = (i + 1) & mask_;
    }
    keys_[i] = key;
    values_[i] = value;
    ++size_;
    return {&values_[i], true};
  }

  /// Inserts `key -> value`; false (and no change) if `key` is present. `key` must not be
  /// `kEmpty`.
  [[gnu::always_inline]] bool insert(std::uint32_t key, V value) { return try_emplace(key, value).second; }

  /// The value of `key`, or nullptr.
  [[nodiscard]] [[gnu::always_inline]] const V* find(std::uint32_t key) const noexcept {
    for (std::size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) {
        return &values_[i];
      }
      if (keys_[i] == kEmpty) {
        return nullptr;
      }
    }
  }

  [[nodiscard]] bool contains(std::uint32_t key) const noexcept { return find(key) != nullptr; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  static constexpr std::uint32_t kEmpty = 0xffffffffU;

 private:
  [[nodiscard]] std::size_t slot(std::uint32_t key) const noexcept {
    // Fibonacci hashing: the top bits of key × 2^64/φ.
    return static_cast<std::size_t>((std::uint64_t{key} * 0x9e3779b97f4a7c15ULL) >> shift_);
  }

  void rebuild(std::size_t capacity) {
    keys_.assign(capacity, kEmpty);
    values_.assign(capacity, V{});
    mask_ = capacity - 1;
    shift_ = static_cast<unsigned>(64 - std::countr_zero(capacity));
    size_ = 0;
  }

  [[gnu::noinline]] void grow() {
    std::vector<std::uint32_t> keys = std::move(keys_);
    std::vector<V> values = std::move(values_);
    rebuild(keys.size() * 2);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] != kEmpty) {
        insert(keys[i], values[i]);
      }
    }
  }

  std::vector<std::uint32_t> keys_;
  std::vector<V> values_;
  std::size_t mask_{0};
  unsigned shift_{64};
  std::size_t size_{0};
};

}  // namespace ws_source::detail::sched
