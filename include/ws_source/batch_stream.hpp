// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `BatchStream`: the pull-style consumer API over the lock-free SPSC rings of the workers, and
/// `run_callback`, its callback adapter.
///
/// ```cpp
/// ws_source::BatchStream stream = manager.run();
/// for (const ws_source::DataBatch<ws_source::TradeOrNbbo>& batch : stream) {   // blocks while idle
///   handle(batch);                       // valid until the loop advances
/// }                                      // ends when every worker has stopped and all is drained
/// ```
///
/// Threading: **exactly one consumer thread** uses a stream: every member function, the
/// iterator, and every `BatchLease` it hands out (including the lease's destruction). The
/// producers are the workers on their io thread(s), one producer per ring. A stream may be
/// handed to another thread before use (with the usual happens-before, e.g. `std::thread`'s
/// constructor) as long as its leases go with it.
///
/// Zero copy: a batch is handed out as a `BatchLease` that refers to the producer's storage; when
/// the lease is destroyed the storage (the row vector and its capacity) goes back to that
/// producer through a return ring, so that the steady state allocates nothing.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>

#include "ws_source/model.hpp"

namespace ws_source {

namespace detail {
class StreamCore;
class BatchChannel;
class BatchStreamBuilder;
}  // namespace detail

/// One batch on loan from its producer: read it (and, if you like, modify or swap out its rows)
/// while you hold the lease; destroying or `reset()`ting the lease gives the storage back.
///
/// Contract: release a lease on the consumer thread (the one that took it from the stream).
/// A lease may outlive its `BatchStream` (the storage stays valid until the last lease is gone),
/// but holding many leases starves the producer: each ring has a bounded pool of batches
/// (queue capacity + an allowance), and a producer with no free batch drops rows (counted as
/// `queue_full`). Move-only.
class BatchLease {
 public:
  BatchLease() noexcept = default;  ///< an empty lease (as a moved-from one)
  BatchLease(BatchLease&& other) noexcept;
  BatchLease& operator=(BatchLease&& other) noexcept;
  BatchLease(const BatchLease&) = delete;
  BatchLease& operator=(const BatchLease&) = delete;
  ~BatchLease();

  /// Whether the lease holds a batch.
  explicit operator bool() const noexcept { return batch_ != nullptr; }
  /// The batch. Requires a non-empty lease.
  [[nodiscard]] const DataBatch<TradeOrNbbo>& operator*() const noexcept { return *batch_; }
  [[nodiscard]] const DataBatch<TradeOrNbbo>* operator->() const noexcept { return batch_; }
  /// The batch, writable: rows may be changed, moved or swapped out (the producer gets back
  /// whatever vector `rows` holds at release, emptied).
  [[nodiscard]] DataBatch<TradeOrNbbo>& get() noexcept { return *batch_; }
  [[nodiscard]] const DataBatch<TradeOrNbbo>& get() const noexcept { return *batch_; }

  /// Gives the storage back now; the lease is then empty.
  void reset() noexcept;

 private:
  friend class detail::StreamCore;
  BatchLease(detail::StreamCore* core, detail::BatchChannel* channel, DataBatch<TradeOrNbbo>* batch) noexcept;

  detail::StreamCore* core_{nullptr};
  detail::BatchChannel* channel_{nullptr};
  DataBatch<TradeOrNbbo>* batch_{nullptr};
};

/// What the consumer side of a stream has done (consumer thread).
struct BatchStreamStats {
  std::uint64_t batches{0};  ///< batches handed out
  std::uint64_t sleeps{0};   ///< times a blocking call went to sleep (futex wait)
  std::uint64_t polls{0};    ///< rounds over the rings that found nothing
};

/// The merged stream of `DataBatch<TradeOrNbbo>` from the workers' rings (one ring per worker;
/// `ConnectionManager::run()` makes one). Rows of one ring come out in the order the worker
/// published them; across rings the stream is fair: it takes at most one batch from a ring
/// before looking at the next (round robin), so a busy worker cannot starve a quiet one.
///
/// End of stream: once every producer has closed (its worker stopped) and every ring is
/// drained, `next()` and `try_next()` return nullopt and `ended()` is true for good.
///
/// Waiting: `next()` polls for up to `spin_budget()` (50 us unless set), then sleeps on a futex;
/// a producer only makes a system call to wake it when it is asleep (one flag check per
/// published batch otherwise), and no wake-up is lost. Idle, a blocked consumer uses no CPU;
/// under a steady flow of batches it spins up to the budget after each one. For the lowest
/// latency on a core of its own, loop on `try_next()` instead (busy-polling;
/// `bench/e2e_bench.cpp` measures both); on a machine short of cores, a budget of 0 leaves the
/// producers the CPU at the cost of a wake-up (tens of microseconds) per batch.
///
/// Movable, not copyable; a default-constructed or moved-from stream is empty and ended.
class BatchStream {
 public:
  class iterator;

  BatchStream() noexcept = default;
  BatchStream(BatchStream&& other) noexcept;
  BatchStream& operator=(BatchStream&& other) noexcept;
  BatchStream(const BatchStream&) = delete;
  BatchStream& operator=(const BatchStream&) = delete;
  /// Tells the producers that nobody consumes any more (they drop and stop); leases still out
  /// stay valid.
  ~BatchStream();

  /// The next batch if one is ready now, else nullopt (nothing queued, or the end). Never blocks.
  [[nodiscard]] std::optional<BatchLease> try_next() noexcept;
  /// The next batch, waiting up to `timeout` for one; nullopt when none came in time (then at
  /// least `timeout` has passed) or at the end of the stream. `timeout <= 0` is `try_next()`.
  [[nodiscard]] std::optional<BatchLease> next(std::chrono::nanoseconds timeout) noexcept;
  /// The next batch, waiting as long as it takes; nullopt only at the end of the stream.
  [[nodiscard]] std::optional<BatchLease> next() noexcept;

  /// How long `next()` polls an empty stream before it sleeps: `budget` from now on, clamped to
  /// [0, 1 s] (0 sleeps after 32 rounds of polls, a few microseconds); `next(timeout)` still
  /// returns at its timeout, and the end of the stream is seen as soon as without a spin.
  /// Consumer thread; no effect on an empty (default-constructed or moved-from) stream.
  void set_spin_budget(std::chrono::nanoseconds budget) noexcept;
  /// The current budget (50 us by default; 0 for an empty stream).
  [[nodiscard]] std::chrono::nanoseconds spin_budget() const noexcept;
  /// True once every producer has closed and every ring is drained.
  [[nodiscard]] bool ended() const noexcept;
  /// The number of rings (workers) the stream merges.
  [[nodiscard]] std::size_t ring_count() const noexcept;
  [[nodiscard]] BatchStreamStats stats() const noexcept;

  /// Range-for support: `for (const auto& batch : stream)`. `begin()` blocks for the first batch;
  /// each step releases the previous batch's lease and blocks for the next.
  [[nodiscard]] iterator begin() noexcept;
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  friend class detail::BatchStreamBuilder;
  explicit BatchStream(detail::StreamCore* core) noexcept : core_(core) {}
  detail::StreamCore* core_{nullptr};
};

/// An input iterator over a `BatchStream` (move-only: it owns the current lease).
class BatchStream::iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using iterator_concept = std::input_iterator_tag;
  using value_type = DataBatch<TradeOrNbbo>;
  using difference_type = std::ptrdiff_t;
  using reference = const DataBatch<TradeOrNbbo>&;
  using pointer = const DataBatch<TradeOrNbbo>*;

  iterator() noexcept = default;
  iterator(iterator&&) noexcept = default;
  iterator& operator=(iterator&&) noexcept = default;

  reference operator*() const noexcept { return **current_; }
  pointer operator->() const noexcept { return &**current_; }
  /// Releases the current batch and waits for the next.
  iterator& operator++() noexcept;
  void operator++(int) noexcept { ++*this; }
  friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return !it.current_; }

 private:
  friend class BatchStream;
  explicit iterator(BatchStream* stream) noexcept;
  BatchStream* stream_{nullptr};
  std::optional<BatchLease> current_;
};

/// The callback adapter: calls `on_batch` for every batch of `stream`, on the calling thread
/// (which becomes the stream's consumer thread), until the end of the stream; returns the number
/// of batches delivered. The batch is valid during the call only (its lease is released right
/// after). An exception thrown by `on_batch` propagates after that batch's lease is released; the
/// stream stays usable.
std::uint64_t run_callback(BatchStream& stream, const std::function<void(const DataBatch<TradeOrNbbo>&)>& on_batch);

}  // namespace ws_source
