// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "summary.hpp"

#include <algorithm>
#include <cstdio>
#include <variant>

namespace ws_ingest {

using ws_source::index;

void Summary::add(const ws_source::DataBatch<ws_source::TradeOrNbbo>& batch, std::int64_t now_ns) {
  if (first_ns_ == 0) first_ns_ = now_ns;
  const std::size_t i = index(batch.meta.resource_type);
  rows_[i] += batch.rows.size();
  total_rows_[i] += batch.rows.size();
  watermark_[i] = std::max(watermark_[i], batch.meta.watermark_ts_ns);
  dropped_ += batch.meta.dropped_since_last;
  late_ += batch.meta.late_rows;
  if (batch.meta.gap) ++gaps_;
  ++batches_;
  if (!batch.rows.empty()) staleness_ns_.push_back(now_ns - batch.meta.received_at_ns);
  for (const auto& row : batch.rows) {
    instruments_[i].insert(std::visit([](const auto& r) { return r.symbol; }, row));
  }
}

std::string Summary::line(const ws_source::ManagerStats& stats, std::int64_t now_ns) {
  const double dt = last_ns_ == 0 ? 1.0 : static_cast<double>(now_ns - last_ns_) / 1e9;
  last_ns_ = now_ns;
  std::size_t sockets = 0;
  std::uint64_t subs = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t parse_errors = 0;
  std::uint64_t queue_full = 0;
  std::uint64_t scheduled = 0;
  std::uint64_t evictions = 0;
  for (const auto& w : stats.workers) {
    sockets += w.connected ? 1 : 0;
    subs += w.subs_active;
    reconnects += w.connects > 0 ? w.connects - 1 : 0;
    parse_errors += w.parse_errors;
    queue_full += w.rows_dropped_queue_full;
    scheduled += w.scheduled;
    evictions += w.evictions;
  }
  std::int64_t lag_ms = -1;  // the oldest feed watermark with data, behind now
  for (const std::int64_t wm : watermark_) {
    if (wm > 0) lag_ms = std::max(lag_ms, (now_ns - wm) / 1'000'000);
  }
  double p99_ms = 0;
  if (!staleness_ns_.empty()) {
    const auto k = static_cast<std::ptrdiff_t>(static_cast<double>(staleness_ns_.size() - 1) * 0.99);
    std::nth_element(staleness_ns_.begin(), staleness_ns_.begin() + k, staleness_ns_.end());
    p99_ms = static_cast<double>(staleness_ns_[static_cast<std::size_t>(k)]) / 1e6;
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "oq %7.0f/s  ot %6.0f/s  eq %7.0f/s  et %6.0f/s | sockets %zu/%zu  subs %llu (scheduled %llu, "
                "evictions %llu)  reconnects %llu  "
                "dropped %llu  parse_errors %llu  late %llu  gaps %llu | watermark lag %lld ms  staleness p99 %.2f ms",
                static_cast<double>(rows_[0]) / dt, static_cast<double>(rows_[1]) / dt,
                static_cast<double>(rows_[2]) / dt, static_cast<double>(rows_[3]) / dt, sockets, stats.workers.size(),
                static_cast<unsigned long long>(subs), static_cast<unsigned long long>(scheduled),
                static_cast<unsigned long long>(evictions), static_cast<unsigned long long>(reconnects),
                static_cast<unsigned long long>(queue_full), static_cast<unsigned long long>(parse_errors),
                static_cast<unsigned long long>(late_), static_cast<unsigned long long>(gaps_),
                static_cast<long long>(lag_ms), p99_ms);
  rows_ = {};
  staleness_ns_.clear();
  return buf;
}

std::string Summary::totals() const {
  std::uint64_t all = 0;
  for (const auto r : total_rows_) all += r;
  std::size_t distinct = 0;
  for (const auto& set : instruments_) distinct += set.size();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "total: %llu rows (options quotes %llu, options trades %llu, equity quotes %llu, equity trades %llu) "
                "in %llu batches; distinct instruments per feed: %zu (%zu, %zu, %zu, %zu)",
                static_cast<unsigned long long>(all), static_cast<unsigned long long>(total_rows_[0]),
                static_cast<unsigned long long>(total_rows_[1]), static_cast<unsigned long long>(total_rows_[2]),
                static_cast<unsigned long long>(total_rows_[3]), static_cast<unsigned long long>(batches_), distinct,
                instruments_[0].size(), instruments_[1].size(), instruments_[2].size(), instruments_[3].size());
  return buf;
}

}  // namespace ws_ingest
