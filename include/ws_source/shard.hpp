// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Which shard (connection) of a cluster a symbol belongs to, and the `ShardAware` interface.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ws_source {

/// The stable 64-bit hash behind `shard_for`: FNV-1a 64 over the symbol's bytes, then
/// MurmurHash3's fmix64 finalizer (FNV alone leaves the low bits weak, so symbols that differ in
/// one digit would share a shard). The same on every platform and run; pinned by tests, because
/// changing it moves every symbol to another socket.
[[nodiscard]] std::uint64_t shard_hash(std::string_view symbol) noexcept;

/// The shard of `symbol` among `shard_count` (0 is taken as 1): `shard_hash(symbol) % shard_count`.
/// E.g. `shard_for("AAPL", 7) == 3`, `shard_for("O:SPY251219C00650000", 4) == 3`. Any thread.
[[nodiscard]] std::size_t shard_for(std::string_view symbol, std::size_t shard_count) noexcept;

/// Types that spread their work over several connections per cluster (the spec's interface;
/// `ConnectionManager` implements it).
struct ShardAware {
  virtual ~ShardAware() = default;
  /// Connections per cluster (default 1).
  [[nodiscard]] virtual std::size_t shard_count() const { return 1; }
};

}  // namespace ws_source
