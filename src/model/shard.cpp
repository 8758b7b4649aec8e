// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The shard hash (PROTOTYPE.md section 2): FNV-1a 64, then fmix64.
#include "ws_source/shard.hpp"

namespace ws_source {

std::uint64_t shard_hash(std::string_view symbol) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : symbol) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

std::size_t shard_for(std::string_view symbol, std::size_t shard_count) noexcept {
  const std::uint64_t n = shard_count == 0 ? 1 : shard_count;
  return static_cast<std::size_t>(shard_hash(symbol) % n);
}

}  // namespace ws_source
