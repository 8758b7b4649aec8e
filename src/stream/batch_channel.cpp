// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "stream/batch_channel.hpp"

#include <algorithm>
#include <cassert>
#include <new>

#include "ws_source/timestamp.hpp"

namespace ws_source::detail {

BatchChannel::BatchChannel(ChannelOptions options, std::shared_ptr<StreamSignal> signal)
    : capacity_(std::max<std::size_t>(options.capacity, 1)),
      pool_limit_(capacity_ + std::max<std::size_t>(options.lease_allowance, 2)),
      signal_(std::move(signal)),
      ring_(capacity_),
      returns_(pool_limit_) {
  storage_.reserve(pool_limit_);
  free_.reserve(pool_limit_);
  received_at_.resize(capacity_, 0);
}

BatchChannel::~BatchChannel() = default;

void BatchChannel::keep(Batch* batch) noexcept {
  batch->rows.clear();
  batch->meta = BatchMeta{};
  free_.push_back(batch);  // reserved for every batch of the pool: never reallocates
}

Batch* BatchChannel::acquire() noexcept {
  if (!free_.empty()) {
    Batch* b = free_.back();
    free_.pop_back();
    return b;
  }
  Batch* b = nullptr;
  if (returns_.pop(b)) {
    return b;  // emptied by give_back
  }
  if (storage_.size() < pool_limit_) {
    try {
      storage_.push_back(std::make_unique<Batch>());
    } catch (const std::bad_alloc&) {
      bump(acquire_failed_);
      return nullptr;
    }
    bump(pool_allocations_);
    return storage_.back().get();
  }
  bump(acquire_failed_);
  return nullptr;
}

bool BatchChannel::publish(Batch* batch) noexcept {
  if (consumer_gone_.load(std::memory_order_acquire)) {
    bump(rejected_gone_);
    keep(batch);
    return false;
  }
  const std::int64_t received_at = batch->meta.received_at_ns;  // the consumer owns `batch` once pushed
  const std::size_t rows = batch->rows.size();
  if (!ring_.push(batch)) {
    bump(rejected_full_);
    keep(batch);
    return false;
  }
  rows_published_ += rows;
  const std::uint64_t n = published_.load(std::memory_order_relaxed);
  received_at_[n % capacity_] = received_at;
  published_.store(n + 1, std::memory_order_seq_cst);
  signal_->notify();
  return true;
}

void BatchChannel::discard(Batch* batch) noexcept { keep(batch); }

void BatchChannel::close() noexcept {
  if (!closed_.exchange(true, std::memory_order_seq_cst)) {
    signal_->notify();
  }
}

std::size_t BatchChannel::depth() const noexcept {
  const std::uint64_t published = published_.load(std::memory_order_relaxed);
  const std::uint64_t taken = taken_.load(std::memory_order_relaxed);
  return published > taken ? static_cast<std::size_t>(published - taken) : 0;
}

std::uint64_t BatchChannel::queued_rows() const noexcept {
  const std::uint64_t taken = rows_taken_.load(std::memory_order_relaxed);
  return rows_published_ > taken ? rows_published_ - taken : 0;
}

std::int64_t BatchChannel::head_age_ns(std::int64_t now_ns) const noexcept {
  const std::uint64_t published = published_.load(std::memory_order_relaxed);
  const std::uint64_t taken = taken_.load(std::memory_order_relaxed);
  if (taken >= published) return 0;
  return std::max<std::int64_t>(now_ns - received_at_[taken % capacity_], 0);
}

Batch* BatchChannel::try_take() noexcept {
  Batch* b = nullptr;
  if (!ring_.pop(b)) {
    return nullptr;
  }
  bump(taken_);
  if (!b->rows.empty()) {
    // One clock read per batch; the rows are tallied locally, then added bucket by bucket.
    const std::int64_t now = now_ns();
    batch_staleness_.record(now - b->meta.received_at_ns);
    HistogramSnapshot rows;
    for (const TradeOrNbbo& r : b->rows) {
      const std::int64_t age = std::max<std::int64_t>(now - sip_ts_ns_of(r), 0);
      ++rows.counts[LatencyHistogram::bucket_index(age)];
      rows.sum_ns += static_cast<std::uint64_t>(age);
      rows.max_ns = std::max(rows.max_ns, age);
    }
    rows.count = b->rows.size();
    event_staleness_.add(rows);
    rows_taken_.store(rows_taken_.load(std::memory_order_relaxed) + b->rows.size(), std::memory_order_relaxed);
  }
  return b;
}

void BatchChannel::give_back(Batch* batch) noexcept {
  batch->rows.clear();
  batch->meta = BatchMeta{};
  // returns_ holds every batch of the pool at once, so this cannot fail.
  const bool pushed = returns_.push(batch);
  assert(pushed);
  (void)pushed;
}

bool BatchChannel::finished() const noexcept {
  // closed_ first: its acquire makes every push before the close visible, so an empty ring
  // after it is empty for good.
  return closed_.load(std::memory_order_acquire) && ring_.read_available() == 0;
}

bool BatchChannel::has_news(bool& close_seen) const noexcept {
  if (published_.load(std::memory_order_seq_cst) != taken_.load(std::memory_order_relaxed)) {
    return true;
  }
  if (!close_seen && closed_.load(std::memory_order_seq_cst)) {
    close_seen = true;
    return true;
  }
  return false;
}

ChannelStats BatchChannel::stats() const noexcept {
  ChannelStats s;
  s.published = published_.load(std::memory_order_relaxed);
  s.rejected_full = rejected_full_.load(std::memory_order_relaxed);
  s.rejected_gone = rejected_gone_.load(std::memory_order_relaxed);
  s.acquire_failed = acquire_failed_.load(std::memory_order_relaxed);
  s.pool_allocations = pool_allocations_.load(std::memory_order_relaxed);
  s.taken = taken_.load(std::memory_order_relaxed);
  s.rows_taken = rows_taken_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace ws_source::detail
