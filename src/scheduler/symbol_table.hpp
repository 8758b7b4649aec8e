// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `SymbolTable`: interns symbols into dense 32-bit ids (the activity tracker's contract ids, the
/// priority snapshot's handles).
///
/// Per id: the symbol (24 bytes) and its 64-bit `symbol_hash` (8 bytes, the exploration draws'
/// input, in an array of its own so that a walk over many candidates reads 8 bytes each). The
/// index is open addressing over 8-byte slots (the hash's top 32 bits as tag and home, the id;
/// linear probing, at most 3/4 full, backward-shift deletion): no allocation per symbol. Erased
/// ids are reused by later inserts, so an id names a symbol only until that symbol is erased; an
/// erased id's symbol is empty. Not thread-safe; owned by its tracker or snapshot.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "scheduler/rng.hpp"
#include "ws_source/symbol.hpp"

namespace ws_source::detail::sched {

/// The hash a table is keyed by: `symbol_hash` of the symbol's bytes.
[[nodiscard]] inline std::uint64_t table_hash(const Symbol& s) noexcept { return symbol_hash(s.view()); }

class SymbolTable {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffU;

  /// The id of `s`, or kNone. `h` is `table_hash(s)`.
  [[nodiscard]] std::uint32_t find(const Symbol& s, std::uint64_t h) const noexcept;
  [[nodiscard]] std::uint32_t find(const Symbol& s) const noexcept { return find(s, table_hash(s)); }

  /// Adds `s` (not present, not empty) whose hash is `h`; returns its id (a freed one if any,
  /// else the next new one).
  std::uint32_t insert(const Symbol& s, std::uint64_t h);

  /// Removes live id `id`; it may be reused by `insert`.
  void erase(std::uint32_t id) noexcept;

  [[nodiscard]] const Symbol& symbol(std::uint32_t id) const noexcept { return symbols_[id]; }
  [[nodiscard]] std::uint64_t hash(std::uint32_t id) const noexcept { return hashes_[id]; }
  /// The hashes by id (for walks over many ids).
  [[nodiscard]] const std::uint64_t* hashes() const noexcept { return hashes_.data(); }
  [[nodiscard]] bool live(std::uint32_t id) const noexcept { return id < symbols_.size() && !symbols_[id].empty(); }

  /// One past the largest id ever handed out.
  [[nodiscard]] std::uint32_t id_limit() const noexcept { return static_cast<std::uint32_t>(symbols_.size()); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Room for `n` symbols without growing.
  void reserve(std::size_t n);
  /// Bytes held (every array's capacity).
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

 private:
  [[nodiscard]] std::size_t home(std::uint32_t tag) const noexcept { return std::uint64_t{tag} >> shift_; }
  void place(std::uint64_t slot) noexcept;
  void grow_index();

  std::vector<Symbol> symbols_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint32_t> free_;
  // Slot: (tag << 32) | (id + 1); 0 = empty. The tag's top bits are the home slot, so growing
  // needs no rehash.
  std::vector<std::uint64_t> slots_;
  unsigned shift_{32};
  std::size_t size_{0};
};

}  // namespace ws_source::detail::sched
