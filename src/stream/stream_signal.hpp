// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// How producers wake the one consumer of a stream without a system call per batch.
//
// The consumer announces that it is going to sleep (`sleeping_`); a producer, after making a
// batch (or its close) visible, checks the flag and makes the system call only when it is set.
// Each ring publishes a count of its batches (`BatchChannel::published_`) and its close flag
// with seq_cst stores, which the consumer re-reads after announcing the sleep. No wake-up is
// lost. The argument, for one producer P and the consumer C (every operation listed is seq_cst,
// so all of them lie in one total order S that agrees with each thread's program order, and a
// load reads the latest store before it in S):
//
//   C: e = word.load()                    P: ring.push(b)
//      sleeping.store(true)                  published.store(n + 1)   (or closed.store(true))
//      any ring's published != taken,        if (sleeping.load())
//        or newly closed? -> don't sleep        word.bump(): ++word, FUTEX_WAKE
//      futex_wait(word, e)
//
// - If P's store of `published` precedes C's re-read in S, C sees it and does not sleep.
// - Otherwise C's store of `sleeping` precedes P's load of it in S, and P reads true (C's later
//   store of false, after waking, cannot be read instead: it comes after C's next store of true,
//   and if that one precedes P's load, so does the re-read that the first case covers). P then
//   bumps the word. C's read of `e` precedes the bump in S (read of e, store of sleeping, P's
//   load, bump), so `e` is the old value and futex_wait(word, e) returns at once or is woken by
//   the FUTEX_WAKE that follows the bump.
// No standalone fences: ThreadSanitizer models atomic operations but not fences. Several
// producers share one signal; each one's publishes are covered by the same argument.

#include <atomic>
#include <chrono>
#include <cstdint>

#include "stream/wake_word.hpp"

namespace ws_source::detail {

class StreamSignal {
 public:
  /// Producer side (any producer thread), after its seq_cst store of `published` or `closed`:
  /// wakes the consumer if it is asleep or about to sleep; one load otherwise.
  void notify() noexcept {
    if (sleeping_.load(std::memory_order_seq_cst)) {
      word_.bump();
    }
  }

  /// Consumer side: announce the intent to sleep. The caller must then re-read every ring's
  /// published count and close flag (seq_cst) and either `cancel()` (something new) or
  /// `sleep*(epoch)` with the returned epoch.
  [[nodiscard]] std::uint32_t prepare() noexcept {
    const std::uint32_t epoch = word_.load();
    sleeping_.store(true, std::memory_order_seq_cst);
    return epoch;
  }
  void cancel() noexcept { sleeping_.store(false, std::memory_order_relaxed); }
  void sleep(std::uint32_t epoch) noexcept {
    word_.wait(epoch);
    cancel();
  }
  void sleep_until(std::uint32_t epoch, std::chrono::steady_clock::time_point deadline) noexcept {
    word_.wait_until(epoch, deadline);
    cancel();
  }

 private:
  alignas(64) std::atomic<bool> sleeping_{false};
  alignas(64) WakeWord word_;
};

}  // namespace ws_source::detail
