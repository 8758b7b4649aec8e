// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// BatchChannel: one worker's lock-free path to the consumer. A ring of batch *pointers* from the
// producer (the worker, on its io thread) to the consumer (the BatchStream's thread), a return
// ring that brings the storage back, and a bounded pool of batches that both rings circulate:
//
//   producer                                              consumer
//   acquire() <- local free list <- returns_ <----------- give_back()   (lease released)
//      | fill rows + meta
//   publish() -> ring_ ---------------------------------> try_take()    (lease handed out)
//
// Every batch is in exactly one place at a time: the producer's hands or free list, ring_, a
// consumer's lease, or returns_. Both rings are boost::lockfree::spsc_queue of pointers (wait-free
// push/pop, no allocation after construction). The pool grows lazily up to
// `capacity + lease_allowance` batches; once warm, nothing is allocated: a batch's row vector
// keeps its capacity across round trips.

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "stream/stream_signal.hpp"
#include "ws_source/histogram.hpp"
#include "ws_source/model.hpp"

namespace ws_source::detail {

using Batch = DataBatch<TradeOrNbbo>;

/// Sizes of a channel.
struct ChannelOptions {
  /// Batches the ring holds (`connection.queue_capacity`). At least 1.
  std::size_t capacity{4096};
  /// Batches beyond the ring's capacity the pool may hold: the one being filled, the consumer's
  /// leases, those on their way back. At least 2.
  std::size_t lease_allowance{64};
};

/// Counters of one channel; any thread may read them (relaxed: each is exact, they are not a
/// consistent snapshot of one another).
struct ChannelStats {
  std::uint64_t published{0};         ///< batches pushed into the ring
  std::uint64_t rejected_full{0};     ///< publish() found the ring full
  std::uint64_t rejected_gone{0};     ///< publish() after the consumer went away
  std::uint64_t acquire_failed{0};    ///< acquire() found no free batch (pool exhausted)
  std::uint64_t pool_allocations{0};  ///< batches allocated, at most capacity + lease_allowance
  std::uint64_t taken{0};             ///< batches the consumer took
  std::uint64_t rows_taken{0};        ///< rows in the batches the consumer took

  /// Batches in the ring (published, not yet taken), approximately when read concurrently.
  [[nodiscard]] std::uint64_t depth() const noexcept { return published > taken ? published - taken : 0; }
};

/// The shared state of one ring. Created by `BatchStreamBuilder`; the producer end is used
/// through `BatchProducer`, the consumer end by the stream. Each member function says which
/// side may call it; one thread per side.
class BatchChannel {
 public:
  BatchChannel(ChannelOptions options, std::shared_ptr<StreamSignal> signal);
  BatchChannel(const BatchChannel&) = delete;
  BatchChannel& operator=(const BatchChannel&) = delete;
  ~BatchChannel();

  // --- producer side ---------------------------------------------------------------------
  /// An empty batch (no rows, default meta, row capacity kept), or nullptr when every batch of
  /// the pool is in use (or allocating one failed). Never blocks.
  [[nodiscard]] Batch* acquire() noexcept;
  /// Hands `batch` (from `acquire`) to the consumer. False when the ring is full or the consumer
  /// is gone: then the batch's rows are dropped and its storage kept for the next acquire.
  /// Wakes the consumer if it sleeps. Never blocks.
  [[nodiscard]] bool publish(Batch* batch) noexcept;
  /// Gives an acquired batch back unpublished.
  void discard(Batch* batch) noexcept;
  /// Batches in the ring, as the producer sees it (published minus taken; exact up to a take
  /// in progress). Producer thread.
  [[nodiscard]] std::size_t depth() const noexcept;
  /// How long the oldest batch still in the ring has waited since its frame was read: `now_ns`
  /// minus its `received_at_ns` (0 when the ring is empty). What the governor calls staleness;
  /// lock-free: the producer's own record of what it published and the consumer's `taken` count.
  /// Producer thread.
  [[nodiscard]] std::int64_t head_age_ns(std::int64_t now_ns) const noexcept;
  /// Rows in the ring (published, not yet taken; exact up to a take in progress). Producer
  /// thread.
  [[nodiscard]] std::uint64_t queued_rows() const noexcept;
  /// No more batches: the consumer ends this ring once it is drained. Idempotent; any thread.
  void close() noexcept;
  /// True once the stream is gone: publishing is pointless.
  [[nodiscard]] bool consumer_gone() const noexcept { return consumer_gone_.load(std::memory_order_acquire); }

  // --- consumer side ---------------------------------------------------------------------
  /// The oldest published batch, or nullptr. A batch with rows is also measured: its staleness
  /// (now − the time its frame was read) and each row's (now − its SIP time) go into the
  /// histograms below.
  [[nodiscard]] Batch* try_take() noexcept;
  /// Returns a taken batch's storage to the producer (emptied here, on the consumer thread).
  void give_back(Batch* batch) noexcept;
  /// True when the producer has closed and the ring is empty: this ring is finished.
  [[nodiscard]] bool finished() const noexcept;
  /// After `StreamSignal::prepare()`: whether this ring has something the consumer has not seen,
  /// a batch published but not taken, or a close it has not noticed (`close_seen`, the
  /// consumer's own flag for this ring, is set then). Reads `published_` and `closed_` seq_cst
  /// (stream_signal.hpp has the argument). May say true spuriously (a take racing the count).
  [[nodiscard]] bool has_news(bool& close_seen) const noexcept;
  /// The stream is going away: later publishes fail at once.
  void detach_consumer() noexcept { consumer_gone_.store(true, std::memory_order_release); }

  // --- any thread ------------------------------------------------------------------------
  [[nodiscard]] ChannelStats stats() const noexcept;
  /// Staleness of the batches with rows the consumer took: wall time of the take minus the time
  /// their frame was read (ns).
  [[nodiscard]] const LatencyHistogram& batch_staleness() const noexcept { return batch_staleness_; }
  /// Staleness of every row the consumer took: wall time of the take minus the row's SIP time.
  [[nodiscard]] const LatencyHistogram& event_staleness() const noexcept { return event_staleness_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  // Single-writer counters: a relaxed load + store, no read-modify-write.
  static void bump(std::atomic<std::uint64_t>& c) noexcept {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void keep(Batch* batch) noexcept;  // producer: empty it onto the local free list

  const std::size_t capacity_;
  const std::size_t pool_limit_;
  std::shared_ptr<StreamSignal> signal_;
  boost::lockfree::spsc_queue<Batch*> ring_;     // producer -> consumer
  boost::lockfree::spsc_queue<Batch*> returns_;  // consumer -> producer

  // Producer-only state.
  std::vector<std::unique_ptr<Batch>> storage_;  // every batch ever allocated (reserved: no regrowth)
  std::vector<Batch*> free_;                     // producer's own free list (reserved)
  // received_at_ns of the batch published as number i, at [i % capacity_]: the ring never holds
  // more than capacity_, so the batches not yet taken have distinct slots.
  std::vector<std::int64_t> received_at_;
  std::uint64_t rows_published_{0};  // rows of the batches pushed into the ring

  std::atomic<bool> closed_{false};
  std::atomic<bool> consumer_gone_{false};

  // Producer-written counters. `published_` is also the wake-up protocol's flag: stored seq_cst
  // after each push.
  alignas(64) std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> rejected_full_{0};
  std::atomic<std::uint64_t> rejected_gone_{0};
  std::atomic<std::uint64_t> acquire_failed_{0};
  std::atomic<std::uint64_t> pool_allocations_{0};
  // Consumer-written counters.
  alignas(64) std::atomic<std::uint64_t> taken_{0};
  std::atomic<std::uint64_t> rows_taken_{0};
  LatencyHistogram batch_staleness_;
  LatencyHistogram event_staleness_;
};

}  // namespace ws_source::detail
