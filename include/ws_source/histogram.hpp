// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `LatencyHistogram`: durations into fixed log-spaced buckets, lock-free (e.g. staleness), and
/// `HistogramSnapshot`, its plain-value copy with quantiles. `to_prometheus` (metrics.hpp) exports
/// them in seconds.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace ws_source {

/// Upper bounds (inclusive, ns) of `LatencyHistogram`'s finite buckets: the 1-2-5 series from
/// 1 µs to 10 s. A last, unbounded bucket (`+Inf`) takes everything above 10 s.
inline constexpr std::array<std::int64_t, 22> kLatencyBucketBoundsNs{
    1'000,       2'000,       5'000,         10'000,        20'000,        50'000,        100'000,    200'000,
    500'000,     1'000'000,   2'000'000,     5'000'000,     10'000'000,    20'000'000,    50'000'000, 100'000'000,
    200'000'000, 500'000'000, 1'000'000'000, 2'000'000'000, 5'000'000'000, 10'000'000'000};

/// A `LatencyHistogram`'s contents at one instant: per-bucket counts (not cumulative), their
/// total, the sum and the largest value recorded. A plain value; merge shards with `+=`.
struct HistogramSnapshot {
  /// `kLatencyBucketBoundsNs.size()` finite buckets, then the `+Inf` bucket.
  static constexpr std::size_t kBuckets = kLatencyBucketBoundsNs.size() + 1;

  std::array<std::uint64_t, kBuckets> counts{};  ///< values in (bound[i-1], bound[i]]
  std::uint64_t count{0};                        ///< the sum of `counts` (always equal to it)
  std::uint64_t sum_ns{0};                       ///< the sum of the values (wraps after ~584 years)
  std::int64_t max_ns{0};                        ///< the largest value recorded (0 when empty)

  /// An upper bound of the `q` quantile (`q` clamped to [0, 1]; NaN counts as 1): the upper bound
  /// of the bucket holding the ⌈q × count⌉-th smallest value, or `max_ns` if that is smaller (so
  /// the `+Inf` bucket answers `max_ns`). `std::nullopt` when nothing was recorded.
  [[nodiscard]] std::optional<std::int64_t> quantile(double q) const noexcept;

  /// Adds `other`'s counts, sum and maximum (e.g. to aggregate shards).
  HistogramSnapshot& operator+=(const HistogramSnapshot& other) noexcept;
};

/// Durations in nanoseconds into fixed buckets (`kLatencyBucketBoundsNs`), e.g. staleness per
/// batch or frame received → handed to the consumer.
///
/// Thread safety: `record` may be called from any number of threads at once (relaxed atomics;
/// lock-free; no allocation); `snapshot` from any thread at any time. A snapshot taken during
/// concurrent records is not one atomic cut: each bucket is exact, `count` is the sum of the
/// buckets read, `sum_ns` and `max_ns` may include a value whose bucket was read before it landed.
/// Not copyable or movable (it is atomics); keep it where its writers and readers can reach it.
class LatencyHistogram {
 public:
  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  /// Counts one duration. A negative value (clock skew) counts as 0.
  void record(std::int64_t ns) noexcept {
    const std::int64_t v = std::max<std::int64_t>(ns, 0);
    counts_[bucket_index(v)].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(v), std::memory_order_relaxed);
    std::int64_t seen = max_ns_.load(std::memory_order_relaxed);
    while (v > seen && !max_ns_.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
    }
  }

  /// Adds a batch of values counted elsewhere (e.g. a thread's local tally of one batch's rows):
  /// its per-bucket counts, sum and maximum. One atomic add per non-empty bucket. Same thread
  /// safety as `record`.
  void add(const HistogramSnapshot& values) noexcept;

  /// The counts so far.
  [[nodiscard]] HistogramSnapshot snapshot() const noexcept;

  /// The bucket a value falls in: the first whose bound is ≥ `ns`; `kBuckets - 1` above 10 s.
  [[nodiscard]] static std::size_t bucket_index(std::int64_t ns) noexcept {
    const auto* it = std::lower_bound(kLatencyBucketBoundsNs.begin(), kLatencyBucketBoundsNs.end(), ns);
    return static_cast<std::size_t>(it - kLatencyBucketBoundsNs.begin());
  }

 private:
  std::array<std::atomic<std::uint64_t>, HistogramSnapshot::kBuckets> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
  std::atomic<std::int64_t> max_ns_{0};
};

}  // namespace ws_source
