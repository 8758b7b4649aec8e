// Copyright (c) James Kassemi, SC, US. All rights reserved.
// LatencyHistogram's snapshot and HistogramSnapshot's quantile and merge (record is inline).
#include "ws_source/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ws_source {

HistogramSnapshot LatencyHistogram::snapshot() const noexcept {
  HistogramSnapshot s;
  for (std::size_t i = 0; i < HistogramSnapshot::kBuckets; ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.sum_ns = sum_ns_.load(std::memory_order_relaxed);
  s.max_ns = max_ns_.load(std::memory_order_relaxed);
  return s;
}

void LatencyHistogram::add(const HistogramSnapshot& values) noexcept {
  if (values.count == 0) return;
  for (std::size_t i = 0; i < HistogramSnapshot::kBuckets; ++i) {
    if (values.counts[i] != 0) counts_[i].fetch_add(values.counts[i], std::memory_order_relaxed);
  }
  sum_ns_.fetch_add(values.sum_ns, std::memory_order_relaxed);
  std::int64_t seen = max_ns_.load(std::memory_order_relaxed);
  while (values.max_ns > seen && !max_ns_.compare_exchange_weak(seen, values.max_ns, std::memory_order_relaxed)) {
  }
}

std::optional<std::int64_t> HistogramSnapshot::quantile(double q) const noexcept {
  if (count == 0) return std::nullopt;
  if (std::isnan(q)) q = 1.0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank (1-based) of the value asked for; at least the first value.
  const auto rank = std::max<std::uint64_t>(static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count))), 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (seen >= rank) {
      return i < kLatencyBucketBoundsNs.size() ? std::min(kLatencyBucketBoundsNs[i], max_ns) : max_ns;
    }
  }
  return max_ns;  // unreachable while count is the sum of counts
}

HistogramSnapshot& HistogramSnapshot::operator+=(const HistogramSnapshot& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) counts[i] += other.counts[i];
  count += other.count;
  sum_ns += other.sum_ns;
  max_ns = std::max(max_ns, other.max_ns);
  return *this;
}

}  // namespace ws_source
