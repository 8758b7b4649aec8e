// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// A replacement global operator new that counts allocations (and the largest size) while
// `g_counting` is set, for the tests that prove "no allocation per event / bounded
// allocation". Include it in exactly one translation unit of a test executable: it defines the
// program's operator new and delete. Never under a sanitizer (their runtimes replace them too).

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

// GCC sees the replacement operator delete call free() on memory from operator new and warns
// (-Wmismatched-new-delete), not knowing that the replacement new uses malloc.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

inline std::atomic<bool> g_counting{false};        ///< count while set
inline std::atomic<std::size_t> g_allocations{0};  ///< allocations counted
inline std::atomic<std::size_t> g_largest{0};      ///< the largest size counted

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    std::size_t seen = g_largest.load(std::memory_order_relaxed);
    while (n > seen && !g_largest.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
