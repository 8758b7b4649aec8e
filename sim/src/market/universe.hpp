// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The instrument universe: underlyings (also the stock tickers), their option chains, and the
/// symbol table that owns every symbol and maps it to its id. Internal to massive_sim.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "market/occ.hpp"
#include "market/rng.hpp"
#include "massive_sim/market.hpp"

namespace massive_sim::detail {

/// Every instrument symbol, stored once, with its id (ids are assigned in insertion order:
/// stocks first, then contracts in listing order) and an open-addressing hash index.
///
/// The characters live in fixed-size blocks that never move, so the views `add` and `name` return
/// stay valid for the table's lifetime, across moves of the table and later insertions.
/// Not thread-safe.
class SymbolTable {
 public:
  SymbolTable() = default;
  SymbolTable(SymbolTable&&) noexcept = default;
  SymbolTable& operator=(SymbolTable&&) noexcept = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  /// Reserves room for `n` symbols in all (fewer rehashes while the universe is built).
  void reserve(std::size_t n);
  /// Stores `symbol` with the next id (`size()` before the call) and returns the stored view.
  /// The caller makes sure it is not already present (`find`).
  std::string_view add(std::string_view symbol);
  /// The id of `symbol`, if present. No allocation.
  [[nodiscard]] std::optional<InstrumentId> find(std::string_view symbol) const noexcept;
  /// The symbol of `id`; empty when `id >= size()`.
  [[nodiscard]] std::string_view name(InstrumentId id) const noexcept {
    return id.value < names_.size() ? names_[id.value] : std::string_view{};
  }
  [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }

 private:
  struct Slot {
    std::uint32_t tag{0};       // high bits of the hash
    std::uint32_t id_plus1{0};  // 0: empty
  };
  static constexpr std::size_t kBlockSize = std::size_t{64} * 1024;

  [[nodiscard]] std::string_view copy_in(std::string_view s);
  void insert_slot(std::size_t hash, std::uint32_t id) noexcept;
  void rehash(std::size_t capacity);

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_{kBlockSize};
  std::vector<std::string_view> names_;
  std::vector<Slot> slots_;  // power-of-two size, load <= 1/2
};

/// Expiry instant: 20:00 UTC (16:00 New York in summer) on day `day`.
[[nodiscard]] constexpr std::int64_t expiry_ms(std::int64_t day) noexcept {
  constexpr std::int64_t kTwentyHoursMs = std::int64_t{20} * 3'600'000;
  return day * kMsPerDay + kTwentyHoursMs;
}

/// A "nice" strike step of at least `target` dollars (0.5, 1, 2.5, … 250).
[[nodiscard]] double strike_step(double target) noexcept;

/// Strikes per expiry (before `chain_scale`) and relative strike spacing of a popularity rank.
struct StrikeShape {
  std::size_t strikes{0};
  double spacing{0};
};
[[nodiscard]] StrikeShape strike_shape(std::size_t rank) noexcept;

/// The expiry days listed at `start_day` for a popularity rank, sorted and distinct:
/// rank < 25: 5 trading days + 8 Fridays + 6 monthlies; < 150: 4 Fridays + 4 monthlies;
/// else 1 Friday + 3 monthlies (monthly = third Friday, from the start month on).
[[nodiscard]] std::vector<std::int64_t> expiry_days(std::size_t rank, std::int64_t start_day);

/// Strikes per expiry after scaling: round(strikes × chain_scale), at least 2.
[[nodiscard]] std::size_t scaled_strikes(std::size_t strikes, double chain_scale) noexcept;

/// Builds the underlyings (empty chains), adding their tickers to `symbols` (ids 0..n-1).
[[nodiscard]] std::vector<Underlying> build_underlyings(const MarketConfig& cfg, Rng& rng, SymbolTable& symbols);

/// Appends one expiry's calls and puts around the underlying's spot to `contracts`, to `und`'s
/// chain and to `symbols`. With `skip_listed`, symbols already in `symbols` are skipped.
void list_expiry(std::vector<Contract>& contracts, std::uint32_t und_idx, Underlying& und, std::int64_t day,
                 std::size_t n_strikes, double rel_spacing, std::int64_t listed_at_ms, bool skip_listed, Rng& rng,
                 SymbolTable& symbols);

/// Builds every chain of the initial universe (contract `i` gets id `underlyings.size() + i`).
[[nodiscard]] std::vector<Contract> build_chains(const MarketConfig& cfg, std::span<Underlying> underlyings, Rng& rng,
                                                 SymbolTable& symbols);

}  // namespace massive_sim::detail
