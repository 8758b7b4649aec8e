// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Metrics: `LatencyHistogram` (lock-free, fixed log-spaced buckets), and `to_prometheus`, which
/// renders a `MetricsSnapshot` (the manager's counters plus any extra series) as Prometheus text
/// exposition format 0.0.4. `MetricsServer` (metrics_server.hpp) serves that text over HTTP.
///
/// Every series is named `ws_source_…` and labelled `cluster="options|stocks"`, `shard="N"`.
/// Nothing here can print an API key: the inputs hold counters, names and label values only.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/connection_manager.hpp"
#include "ws_source/resource_type.hpp"

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

/// One extra label of a series, e.g. `{"kind", "batch"}` or `{"reason", "shed"}`. The name must
/// match `[a-zA-Z_][a-zA-Z0-9_]*`, must not start with `__` and must not be `cluster`, `shard`
/// (always present) or `le` (histogram buckets); the value is any text (escaped on output).
struct MetricLabel {
  std::string name;
  std::string value;
};

/// What an extra series is about: every ws_source series names its cluster and shard.
struct SeriesLabels {
  Cluster cluster{Cluster::Stocks};
  std::size_t shard{0};
  std::vector<MetricLabel> extra;  ///< further labels, in output order
};

/// A counter the manager's `ManagerStats` does not carry (e.g. `evictions`, `events_dropped`
/// with `reason="shed"`). `name` without the `ws_source_` prefix and with or without `_total`
/// (both are added when missing): `"evictions"` → `ws_source_evictions_total`.
struct CounterSeries {
  std::string name;
  std::string help;  ///< the family's `# HELP` text (the first series of a family gives it)
  SeriesLabels labels;
  std::uint64_t value{0};
};

/// A gauge the stats do not carry (e.g. `queue_depth`, `scheduled_capacity`). `name` without
/// the prefix: `"queue_depth"` → `ws_source_queue_depth`.
struct GaugeSeries {
  std::string name;
  std::string help;
  SeriesLabels labels;
  double value{0.0};
};

/// A histogram, recorded in ns and exported in seconds (name it `…_seconds`): `_bucket{le=…}`
/// (cumulative, `+Inf` last), `_sum` and `_count`. `"staleness_seconds"` with
/// `extra = {{"kind", "batch"}}` → `ws_source_staleness_seconds_bucket{cluster=…,shard=…,kind="batch",le=…}`.
struct HistogramSeries {
  std::string name;
  std::string help;
  SeriesLabels labels;
  HistogramSnapshot histogram;
};

/// Everything one scrape shows: the manager's counters and the series added by whoever builds
/// the snapshot. New kinds of series are new members; existing callers keep compiling.
struct MetricsSnapshot {
  ManagerStats stats;
  std::vector<CounterSeries> counters;
  std::vector<GaugeSeries> gauges;
  std::vector<HistogramSeries> histograms;
};

/// The HTTP `Content-Type` of `to_prometheus`'s text.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Renders `snapshot` as Prometheus text exposition format 0.0.4: one family per metric name,
/// `# HELP` and `# TYPE` before its samples, samples of one family together, every line ending
/// in `\n`. From each `WorkerStats` (labels `cluster`, `shard`):
/// - counters `ws_source_connects_total`, `_connection_attempts_total`,
///   `_connection_failures_total`, `_reconnects_total` (successful connections after the first),
///   `_disconnects_total{reason=slow_consumer|force_disconnect|stalled|other}` (connections that
///   ended; `other` is the rest, saturating at 0), `_max_connections_total`, `_frames_total`,
///   `_events_received_total`, `_events_delivered_total` (rows handed to the consumer's ring),
///   `_events_dropped_total{reason="queue_full"}`, `_events_skipped_total`, `_late_events_total`,
///   `_batches_total`, `_heartbeats_total`, `_parse_errors_total`, `_gaps_total`,
///   `_subscription_errors_total`, `_rebalances_total`, `_evictions_total`;
/// - gauges `ws_source_connected` (0/1), `_subs_active`, `_scheduled_subs_active`,
///   `_scheduled_capacity`, `_rebalance_last_seconds`, `_rebalance_max_seconds`,
///   `_watermark_timestamp_seconds` (Unix s).
///
/// Then the extra series, merged into a family of the same name and type. An extra series is left
/// out (the text stays valid) when its name is not a valid metric name, a label name is invalid or
/// reserved, its family exists with another type, its name is (or, for a histogram, its `_bucket`,
/// `_sum`, `_count` are) already another family's sample name, or it repeats a series already
/// written. Extras are written counters first, then gauges, then histograms.
/// Label values and help texts are escaped as the format requires (`\\`, `\"`, `\n`).
/// Thread safety: a pure function of its argument. Allocates the returned text; never throws but
/// `std::bad_alloc`.
[[nodiscard]] std::string to_prometheus(const MetricsSnapshot& snapshot);

/// `to_prometheus` of the stats alone.
[[nodiscard]] std::string to_prometheus(const ManagerStats& stats);

}  // namespace ws_source
