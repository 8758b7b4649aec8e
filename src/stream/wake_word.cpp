// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "stream/wake_word.hpp"

#include <algorithm>
#include <climits>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>
#endif

namespace ws_source::detail {

#if defined(__linux__)
namespace {

// The futex is the atomic's own 4 bytes (static_asserts in the header); the kernel only reads
// them, and every ordering the callers rely on comes from the atomic operations themselves.
std::uint32_t* futex_addr(std::atomic<std::uint32_t>& word) noexcept {
  return reinterpret_cast<std::uint32_t*>(&word);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const timespec* timeout) noexcept {
  // EAGAIN (the word already changed), EINTR and ETIMEDOUT all just return: callers re-check.
  (void)syscall(SYS_futex, futex_addr(word), FUTEX_WAIT_PRIVATE, expected, timeout, nullptr, 0);
}

}  // namespace

void WakeWord::bump() noexcept {
  word_.fetch_add(1, std::memory_order_seq_cst);
  (void)syscall(SYS_futex, futex_addr(word_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

void WakeWord::wait(std::uint32_t expected) noexcept { futex_wait(word_, expected, nullptr); }

void WakeWord::wait_until(std::uint32_t expected, std::chrono::steady_clock::time_point deadline) noexcept {
  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) {
    return;
  }
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  // FUTEX_WAIT's timeout is relative and measured on CLOCK_MONOTONIC, the steady clock's.
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(std::min<std::int64_t>(ns / 1'000'000'000, INT_MAX));
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  futex_wait(word_, expected, &ts);
}

#else

void WakeWord::bump() noexcept {
  word_.fetch_add(1, std::memory_order_seq_cst);
  word_.notify_one();
}

void WakeWord::wait(std::uint32_t expected) noexcept { word_.wait(expected, std::memory_order_seq_cst); }

void WakeWord::wait_until(std::uint32_t expected, std::chrono::steady_clock::time_point deadline) noexcept {
  // No timed atomic wait: sleep in short slices until the word changes or time is up.
  while (word_.load(std::memory_order_seq_cst) == expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

#endif

}  // namespace ws_source::detail
