// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// A spin-wait hint to the CPU (x86 PAUSE, ARM YIELD).

namespace ws_source::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace ws_source::detail
