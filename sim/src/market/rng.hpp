// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The market's seeded pseudo-random generator: xoshiro256++ seeded by SplitMix64, exactly the
/// Rust prototype's (`massive-sim/src/rng.rs`), so that a seed gives the same market in both.
///
/// Hand-written on purpose: the market must be reproducible from a seed across standard library
/// versions (`<random>`'s distributions are not specified bit for bit), and the hot path needs a
/// generator that costs a few nanoseconds. Not thread-safe: one generator per purpose and thread.

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace massive_sim::detail {

/// One SplitMix64 step: advances `state` and returns the next output.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  state += 0x9E37'79B9'7F4A'7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30U)) * 0xBF58'476D'1CE4'E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D0'49BB'1331'11EBULL;
  return z ^ (z >> 31U);
}

/// High 64 bits of the 128-bit product `a * b`.
[[nodiscard]] constexpr std::uint64_t mul_high(std::uint64_t a, std::uint64_t b) noexcept {
#if defined(__SIZEOF_INT128__)
  __extension__ using U128 = unsigned __int128;
  return static_cast<std::uint64_t>((static_cast<U128>(a) * b) >> 64U);
#else
  const std::uint64_t a_lo = a & 0xFFFF'FFFFULL;
  const std::uint64_t a_hi = a >> 32U;
  const std::uint64_t b_lo = b & 0xFFFF'FFFFULL;
  const std::uint64_t b_hi = b >> 32U;
  const std::uint64_t lo_lo = a_lo * b_lo;
  const std::uint64_t hi_lo = a_hi * b_lo;
  const std::uint64_t lo_hi = a_lo * b_hi;
  const std::uint64_t cross = (lo_lo >> 32U) + (hi_lo & 0xFFFF'FFFFULL) + lo_hi;
  return a_hi * b_hi + (hi_lo >> 32U) + (cross >> 32U);
#endif
}

/// xoshiro256++: fast, good statistical quality, deterministic for a given seed and stream.
/// A plain value (copyable); copies continue the same sequence independently.
class Rng {
 public:
  /// A generator for `seed`; `stream` selects an independent sub-stream (one per purpose).
  constexpr Rng(std::uint64_t seed, std::uint64_t stream) noexcept {
    std::uint64_t sm = seed ^ (stream * 0xD1B5'4A32'D192'ED03ULL);
    for (auto& v : s_) {
      v = splitmix64(sm);
    }
    if (s_ == std::array<std::uint64_t, 4>{}) {
      s_[0] = 1;
    }
  }

  /// The next 64 random bits.
  constexpr std::uint64_t next_u64() noexcept {
    const std::uint64_t result = std::rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17U;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1).
  constexpr double f64() noexcept { return static_cast<double>(next_u64() >> 11U) * kInv53; }

  /// Uniform in (0, 1] (safe for `log`).
  constexpr double f64_open() noexcept { return static_cast<double>((next_u64() >> 11U) + 1) * kInv53; }

  /// Uniform integer in [0, n) (Lemire's multiply-shift, no rejection); 0 for n == 0.
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    if (n == 0) {
      return 0;
    }
    return mul_high(next_u64(), n);
  }

  /// Standard normal (Box-Muller, one value per call: two uniforms consumed).
  double normal() noexcept {
    const double u1 = f64_open();
    const double u2 = f64();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  /// Exponential with mean 1.
  double exp1() noexcept { return -std::log(f64_open()); }

  /// Pareto with minimum `xmin` and tail index `alpha` (heavy-tailed for small alpha).
  double pareto(double xmin, double alpha) noexcept { return xmin / std::pow(f64_open(), 1.0 / alpha); }

 private:
  static constexpr double kInv53 = 1.0 / static_cast<double>(std::uint64_t{1} << 53U);
  std::array<std::uint64_t, 4> s_{};
};

}  // namespace massive_sim::detail
