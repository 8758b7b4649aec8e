// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// BatchProducer: the worker's end of its ring (see batch_channel.hpp for the picture).
//
//   detail::BatchStreamBuilder builder;
//   detail::BatchProducer producer = builder.add_channel({.capacity = config.connection.queue_capacity});
//   BatchStream stream = std::move(builder).build();          // handed to the consumer
//   ...on the io thread, per parsed frame and feed:
//   if (Batch* b = producer.acquire()) {
//     b->rows.swap(parsed.rows);  b->meta = meta;            // zero copy: vectors change hands
//     const auto n = b->rows.size();
//     if (!producer.publish(b)) dropped_queue_full += n;     // storage stays with the producer
//   } else {
//     dropped_queue_full += parsed.rows.size();              // the consumer holds every batch
//   }
//
// Threading: one producer thread (the worker's io thread) calls everything except `close()`,
// `stats()` and `consumer_gone()`, which any thread may call. Nothing blocks, locks or allocates once warm
// (acquire allocates a new batch only while the pool is still growing to its bound).

#include <memory>

#include "stream/batch_channel.hpp"

namespace ws_source::detail {

class BatchProducer {
 public:
  BatchProducer() noexcept = default;  ///< an empty handle (as a moved-from one)
  explicit BatchProducer(std::shared_ptr<BatchChannel> channel) noexcept : channel_(std::move(channel)) {}
  BatchProducer(BatchProducer&&) noexcept = default;
  BatchProducer& operator=(BatchProducer&& other) noexcept;
  BatchProducer(const BatchProducer&) = delete;
  BatchProducer& operator=(const BatchProducer&) = delete;
  /// Closes the ring: the stream ends this ring once the consumer has drained it.
  ~BatchProducer();

  /// An empty batch to fill, or nullptr when none is free (the consumer holds or has queued every
  /// batch of the pool): count the rows as dropped (`queue_full`).
  [[nodiscard]] Batch* acquire() noexcept { return channel_->acquire(); }
  /// Queues `batch` for the consumer and wakes it if it sleeps. False when the ring is full (or the
  /// consumer is gone): the batch's rows are dropped (read `rows.size()` before calling, to count
  /// them) and its storage is kept for the next `acquire`. Either way the caller no longer owns
  /// `batch`.
  [[nodiscard]] bool publish(Batch* batch) noexcept { return channel_->publish(batch); }
  /// Returns an acquired batch without publishing it.
  void discard(Batch* batch) noexcept { channel_->discard(batch); }
  /// No more batches from this producer (idempotent; also done by the destructor). Unlike the
  /// rest, any thread may call it (an atomic flag and a wake-up); batches published after it
  /// may or may not be delivered.
  void close() noexcept;

  /// True once the stream was destroyed: the worker may stop.
  [[nodiscard]] bool consumer_gone() const noexcept { return channel_->consumer_gone(); }
  [[nodiscard]] ChannelStats stats() const noexcept { return channel_->stats(); }
  /// Batches in the ring now (producer thread).
  [[nodiscard]] std::size_t depth() const noexcept { return channel_->depth(); }
  /// How long the oldest batch in the ring has waited since its frame was read (producer thread).
  [[nodiscard]] std::int64_t head_age_ns(std::int64_t now_ns) const noexcept { return channel_->head_age_ns(now_ns); }
  /// Rows in the ring now (producer thread).
  [[nodiscard]] std::uint64_t queued_rows() const noexcept { return channel_->queued_rows(); }
  /// The consumer's staleness histograms (any thread).
  [[nodiscard]] const LatencyHistogram& batch_staleness() const noexcept { return channel_->batch_staleness(); }
  [[nodiscard]] const LatencyHistogram& event_staleness() const noexcept { return channel_->event_staleness(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return channel_->capacity(); }
  explicit operator bool() const noexcept { return channel_ != nullptr; }

 private:
  std::shared_ptr<BatchChannel> channel_;
};

}  // namespace ws_source::detail
