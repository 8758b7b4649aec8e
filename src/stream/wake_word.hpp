// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// A 32-bit word a thread can sleep on until another changes it: a Linux futex (the only
// portable alternative, std::atomic::wait, has no timeout). Elsewhere a fallback polls.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ws_source::detail {

/// The word starts at 0. `bump()` adds 1 (seq_cst) and wakes one sleeper; `wait*` sleep while
/// the word still equals the value the caller read before deciding to sleep, so a bump between
/// that read and the sleep is never missed. Waits may return spuriously: callers re-check their
/// condition. Any thread may bump; one thread waits at a time (the stream's consumer).
class WakeWord {
 public:
  [[nodiscard]] std::uint32_t load() const noexcept { return word_.load(std::memory_order_seq_cst); }

  /// Adds 1 to the word and wakes one waiter (a system call).
  void bump() noexcept;

  /// Sleeps until the word differs from `expected` (or spuriously).
  void wait(std::uint32_t expected) noexcept;

  /// As `wait`, but returns by `deadline` at the latest.
  void wait_until(std::uint32_t expected, std::chrono::steady_clock::time_point deadline) noexcept;

 private:
  std::atomic<std::uint32_t> word_{0};
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
};

}  // namespace ws_source::detail
