// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Deterministic, platform-independent randomness for exploration (a bit-exact port of the Rust
/// prototype's `scheduler/rng.rs`, so that its pinned values still hold).
///
/// Exploration must be reproducible for a given state and seed and independent of hash-table
/// order, the standard library and the platform. So every candidate gets a pseudo-random key that
/// depends only on `(seed, epoch, symbol)`: a stable 64-bit hash of the symbol mixed with the
/// epoch's seed through SplitMix64's finalizer. No `<random>` distributions (their output differs
/// between standard libraries). Pure functions; any thread.

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <string_view>
#include <type_traits>

namespace ws_source::detail::sched {

/// SplitMix64 (increment, then the finalizer): a bijective 64-bit mixer with good avalanche.
/// `mix64(0) == 0xe220a8397b1dcdaf` (pinned by a test).
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

/// The seed of one rebalance epoch.
[[nodiscard]] constexpr std::uint64_t epoch_seed(std::uint64_t seed, std::uint64_t epoch) noexcept {
  return mix64(seed ^ mix64(epoch * 0xd1b54a32d192ed03ULL));
}

/// Stable hash of a symbol: FNV-1a over 8-byte little-endian words (with a shift after each
/// word), then the remaining bytes, then mixed with the length. The same on every platform.
[[nodiscard]] constexpr std::uint64_t symbol_hash(std::string_view s) noexcept {
  constexpr std::uint64_t kPrime = 0x00000100000001b3ULL;
  std::uint64_t h = 0xcbf29ce484222325ULL;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w = 0;
    if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
      std::memcpy(&w, s.data() + i, 8);  // the same little-endian word, in one load
    } else {
      for (std::size_t b = 0; b < 8; ++b) {
        w |= std::uint64_t{static_cast<unsigned char>(s[i + b])} << (8U * b);
      }
    }
    h = (h ^ w) * kPrime;
    h ^= h >> 29U;
  }
  for (; i < s.size(); ++i) {
    h = (h ^ std::uint64_t{static_cast<unsigned char>(s[i])}) * kPrime;
  }
  return mix64(h ^ std::uint64_t{s.size()});
}

/// The uniform exploration draw of a symbol (by its hash) in the epoch whose seed is `seed`.
[[nodiscard]] constexpr std::uint64_t draw(std::uint64_t seed, std::uint64_t hash) noexcept {
  return mix64(seed ^ hash);
}

/// Smallest weight of a weighted draw, so that zero-priority candidates still get a key (after
/// every active one).
inline constexpr double kMinWeight = 1e-12;

/// Weighted-sampling key (Efraimidis–Spirakis): `−ln(u) / w`, `u` uniform in (0, 1] from `d`;
/// keeping the smallest keys samples without replacement in proportion to the weights. Returned
/// as the bits of the non-negative double, which order like the double.
[[nodiscard]] inline std::uint64_t weighted_key(std::uint64_t d, double weight) noexcept {
  const double u = static_cast<double>((d >> 11U) + 1) / 9007199254740992.0;  // 2^53
  const double w = std::isfinite(weight) && weight > kMinWeight ? weight : kMinWeight;
  const double key = -std::log(u) / w;
  // u == 1 gives -0.0, whose bits would sort last: map it (and only it) to 0.
  return key > 0.0 ? std::bit_cast<std::uint64_t>(key) : 0;
}

/// The first uniform of a posterior draw, in (0, 1]: the Box–Muller radius is sqrt(−2 ln u1).
[[nodiscard]] constexpr double posterior_u1(std::uint64_t d) noexcept {
  return static_cast<double>((d >> 32U) + 1) / 4294967296.0;
}

/// The integer `L` such that `(d >> 32) < L` exactly when `posterior_u1(d) <= u1_cut` (2^32 for a
/// cut of 1 or more: every draw). `posterior_u1(d)` is `(X + 1) / 2^32` with `X = d >> 32`;
/// scaling by 2^32 is exact, so `u1 > u1_cut` is `X + 1 > u1_cut · 2^32`, i.e. `X >= floor(u1_cut
/// · 2^32)` for the integer `X`.
[[nodiscard]] inline std::uint64_t posterior_u1_limit(double u1_cut) noexcept {
  if (!(u1_cut < 1.0)) {
    return std::uint64_t{1} << 32U;
  }
  return u1_cut > 0.0 ? static_cast<std::uint64_t>(std::floor(u1_cut * 4294967296.0)) : 0;
}

/// True if the angle `2π·u2` of the posterior draw `d` has a cosine of at most 0, surely: `u2` in
/// [0.2617, 0.7383] (the quarter turns, with room for the rounding of `2π·u2` and of `cos`). Such
/// a draw samples at most its decayed count `n` (`z <= 0`).
[[nodiscard]] constexpr bool posterior_angle_nonpositive(std::uint64_t d) noexcept {
  constexpr std::uint32_t kFrom = 0x43000000U;  // 0.26172 · 2^32
  constexpr std::uint32_t kTo = 0xBD000000U;    // 0.73828 · 2^32
  return static_cast<std::uint32_t>(static_cast<std::uint32_t>(d) - kFrom) <= kTo - kFrom;
}

/// The parts of a posterior draw (see `posterior_key`) before its angle: the decayed count `n`,
/// `√n`, the Box–Muller radius `sqrt(−2 ln u1)` and the angle's uniform `u2`.
struct PosteriorDraw {
  double n;
  double root_n;
  double radius;
  double u2;
};

[[nodiscard]] inline PosteriorDraw posterior_draw(std::uint64_t d, double priority, double window_s) noexcept {
  double n = priority * window_s;
  n = std::isfinite(n) && n > 0.0 ? n : 0.0;
  const double u1 = posterior_u1(d);                                        // (0, 1]
  const double u2 = static_cast<double>(d & 0xffffffffULL) / 4294967296.0;  // [0, 1)
  return {n, std::sqrt(n), std::sqrt(-2.0 * std::log(u1)), u2};
}

/// The largest sample a draw with these parts can give, whatever its angle: the sample of
/// `posterior_key` is at most this (|cos| <= 1 and every step rounds monotonically).
[[nodiscard]] inline float posterior_bound(const PosteriorDraw& x) noexcept {
  return static_cast<float>(std::fmax(x.n + x.root_n * x.radius, 0.0));
}

/// `posterior_key(d, priority, window_s)` from `posterior_draw(d, priority, window_s)`.
[[nodiscard]] inline std::uint64_t posterior_key(const PosteriorDraw& x, std::uint64_t d) noexcept {
  const double z = x.radius * std::cos(2.0 * std::numbers::pi * x.u2);
  const double sample = std::fmax(x.n + x.root_n * z, 0.0);
  const auto bits = std::uint64_t{std::bit_cast<std::uint32_t>(static_cast<float>(sample))};
  return ~((bits << 20U) | (mix64(d) >> 44U));
}

/// Posterior-sampling key (Thompson sampling): a draw of the decayed event count `n = priority ×
/// window_s` perturbed by its Poisson noise, `n + √n·z` with `z` standard normal (Box–Muller from
/// the two halves of `d`), floored at 0 and quantized to float. Larger samples are preferred, so
/// the key is the complement of `(sample bits << 20) | 20 random bits` (the random bits break
/// ties, e.g. among silent candidates, which all sample 0).
[[nodiscard]] inline std::uint64_t posterior_key(std::uint64_t d, double priority, double window_s) noexcept {
  return posterior_key(posterior_draw(d, priority, window_s), d);
}

/// Bound on `|z|` in `posterior_key`: Box–Muller with `u1 >= 2^-32` gives at most
/// `sqrt(-2 ln 2^-32) ≈ 6.66`.
inline constexpr double kZMax = 6.7;

/// The largest sample `posterior_key` can draw for `priority`. Non-decreasing in `priority`, so a
/// walk in descending priority can stop once it falls below the bar.
[[nodiscard]] inline float posterior_upper_bound(double priority, double window_s) noexcept {
  double n = priority * window_s;
  n = std::isfinite(n) && n > 0.0 ? n : 0.0;
  return static_cast<float>(n + std::sqrt(n) * kZMax);
}

/// The sample a `posterior_key` was made from (at its float precision).
[[nodiscard]] inline float posterior_sample(std::uint64_t key) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>((~key) >> 20U));
}

}  // namespace ws_source::detail::sched
