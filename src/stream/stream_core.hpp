// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// StreamCore: the consumer's side of a BatchStream: its rings, the round-robin cursor, the
// sleep/wake protocol (stream_signal.hpp) and the lease bookkeeping.
//
// Lifetime: reference-counted by the BatchStream and by every BatchLease it handed out, without
// atomics (all of them live on the one consumer thread); the last one deletes it. The rings
// themselves are shared with the producers (shared_ptr) and outlive whichever side goes last.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "stream/batch_channel.hpp"
#include "stream/stream_signal.hpp"
#include "ws_source/batch_stream.hpp"

namespace ws_source::detail {

/// The steps of falling asleep in `StreamCore::wait`, for the test hook below.
enum class SleepStage : std::uint8_t {
  BeforePrepare,  ///< the last empty poll is done; `sleeping` is not announced yet
  BeforeRecheck,  ///< announced; the rings are not looked at again yet
  BeforeWait,     ///< re-checked, found nothing; the futex wait is next
};
using SleepStageHook = void (*)(SleepStage) noexcept;

/// Tests only: calls `hook` at each stage of every sleep (nullptr: none, the default), so that
/// a test can stretch the race windows of the wake-up protocol. Costs one relaxed load per sleep.
void set_sleep_stage_hook_for_testing(SleepStageHook hook) noexcept;

/// How long `StreamCore::wait` polls an empty stream before it sleeps, unless the stream's
/// consumer sets another (`BatchStream::set_spin_budget`), and the longest it may set.
inline constexpr std::chrono::nanoseconds kDefaultSpinBudget{50'000};
inline constexpr std::chrono::nanoseconds kMaxSpinBudget{1'000'000'000};

class StreamCore {
 public:
  StreamCore(std::vector<std::shared_ptr<BatchChannel>> channels, std::shared_ptr<StreamSignal> signal);
  StreamCore(const StreamCore&) = delete;
  StreamCore& operator=(const StreamCore&) = delete;

  /// One round over the rings, starting after the ring that gave the last batch.
  [[nodiscard]] std::optional<BatchLease> poll() noexcept;
  /// Blocks until a batch, the end, or (with a deadline) the deadline.
  [[nodiscard]] std::optional<BatchLease> wait(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept;
  /// Every ring closed and drained (sticky once true).
  [[nodiscard]] bool ended() noexcept;

  /// A lease is done with `batch` of `channel`.
  void release(BatchChannel* channel, Batch* batch) noexcept;

  /// The stream is destroyed: producers are told, leases may still come back.
  void detach() noexcept;

  void ref() noexcept { ++refs_; }
  /// Drops a reference; deletes the core on the last one.
  void unref() noexcept;

  [[nodiscard]] std::size_t ring_count() const noexcept { return channels_.size(); }
  [[nodiscard]] const BatchStreamStats& stats() const noexcept { return stats_; }

  /// How long `wait` polls before it sleeps (consumer thread; clamped to [0, 1 s]; 0 still polls
  /// kSpinCheck rounds).
  void set_spin_budget(std::chrono::nanoseconds budget) noexcept {
    spin_budget_ = std::clamp(budget, std::chrono::nanoseconds::zero(), kMaxSpinBudget);
  }
  [[nodiscard]] std::chrono::nanoseconds spin_budget() const noexcept { return spin_budget_; }

 private:
  ~StreamCore() = default;

  /// After `prepare()`: whether any ring has news (then do not sleep).
  [[nodiscard]] bool any_news() noexcept;

  std::vector<std::shared_ptr<BatchChannel>> channels_;
  std::vector<char> close_seen_;  // per ring: its close was noticed by any_news()
  std::shared_ptr<StreamSignal> signal_;
  std::size_t cursor_{0};
  std::size_t refs_{1};  // the stream's
  bool ended_{false};
  std::chrono::nanoseconds spin_budget_{kDefaultSpinBudget};
  BatchStreamStats stats_;
};

}  // namespace ws_source::detail
