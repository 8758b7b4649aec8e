// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Metrics: `to_prometheus`, which renders a `MetricsSnapshot` (the manager's counters plus any extra series) as
/// Prometheus text exposition format 0.0.4. `MetricsServer` (metrics_server.hpp) serves that text over HTTP.
///
/// Every series is named `ws_source_…` and labelled `cluster="options|stocks"`, `shard="N"`.
/// Nothing here can print an API key: the inputs hold counters, names and label values only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/connection_manager.hpp"
#include "ws_source/histogram.hpp"
#include "ws_source/resource_type.hpp"

namespace ws_source {

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
///   `_rebalance_max_cpu_seconds` (the io thread's CPU in it), `_watermark_timestamp_seconds`
///   (Unix s).
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
