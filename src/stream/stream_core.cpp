// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "stream/stream_core.hpp"

#include <atomic>
#include <chrono>

#include "stream/cpu_relax.hpp"

namespace ws_source::detail {
namespace {

std::atomic<SleepStageHook> g_sleep_stage_hook{nullptr};

void at_stage(SleepStage stage) noexcept {
  if (SleepStageHook hook = g_sleep_stage_hook.load(std::memory_order_relaxed)) {
    hook(stage);
  }
}

// The default spin budget (kDefaultSpinBudget, 50 us): a sleeping consumer costs the producer a
// FUTEX_WAKE per batch (the io thread's largest cost after parsing in the end-to-end profile:
// 11 %, with batches ~35 us apart) and itself a wake-up of tens of microseconds; a burst's next
// frame usually comes within the budget. Spinning is paid only while the stream is busy: an idle
// one sleeps after the budget. The clock is read once per kSpinCheck polls.
constexpr int kSpinCheck = 32;

}  // namespace

void set_sleep_stage_hook_for_testing(SleepStageHook hook) noexcept {
  g_sleep_stage_hook.store(hook, std::memory_order_relaxed);
}

StreamCore::StreamCore(std::vector<std::shared_ptr<BatchChannel>> channels, std::shared_ptr<StreamSignal> signal)
    : channels_(std::move(channels)), close_seen_(channels_.size(), 0), signal_(std::move(signal)) {}

bool StreamCore::any_news() noexcept {
  bool news = false;
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    bool seen = close_seen_[i] != 0;
    news = channels_[i]->has_news(seen) || news;
    close_seen_[i] = seen ? 1 : 0;
  }
  return news;
}

std::optional<BatchLease> StreamCore::poll() noexcept {
  const std::size_t n = channels_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = cursor_ + k < n ? cursor_ + k : cursor_ + k - n;
    if (Batch* b = channels_[i]->try_take()) {
      cursor_ = i + 1 < n ? i + 1 : 0;
      ++stats_.batches;
      ref();
      return BatchLease(this, channels_[i].get(), b);
    }
  }
  ++stats_.polls;
  return std::nullopt;
}

bool StreamCore::ended() noexcept {
  if (!ended_) {
    bool all = true;
    for (const auto& c : channels_) {
      all = all && c->finished();
    }
    ended_ = all;
  }
  return ended_;
}

std::optional<BatchLease> StreamCore::wait(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept {
  const auto expired = [&] { return deadline && std::chrono::steady_clock::now() >= *deadline; };
  for (;;) {
    if (auto lease = poll()) {
      return lease;
    }
    if (ended() || expired()) {
      return std::nullopt;
    }
    // The spin ends at the budget or the deadline, whichever is first (the budget may be long).
    auto spin_until = std::chrono::steady_clock::now() +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(spin_budget_);
    if (deadline && *deadline < spin_until) spin_until = *deadline;
    for (int i = 1;; ++i) {
      cpu_relax();
      if (auto lease = poll()) {
        return lease;
      }
      // The end is looked for too: a long budget must not delay the end of the stream.
      if (i % kSpinCheck == 0 && (std::chrono::steady_clock::now() >= spin_until || ended())) {
        break;
      }
    }
    at_stage(SleepStage::BeforePrepare);
    const std::uint32_t epoch = signal_->prepare();
    at_stage(SleepStage::BeforeRecheck);
    // After announcing the sleep, look once more: a producer that published (or closed) before
    // it saw the flag is seen here (stream_signal.hpp has the argument).
    if (any_news() || expired()) {
      signal_->cancel();
      continue;  // poll, check the end and the deadline again
    }
    at_stage(SleepStage::BeforeWait);
    ++stats_.sleeps;
    if (deadline) {
      signal_->sleep_until(epoch, *deadline);
    } else {
      signal_->sleep(epoch);
    }
  }
}

void StreamCore::release(BatchChannel* channel, Batch* batch) noexcept {
  channel->give_back(batch);
  unref();
}

void StreamCore::detach() noexcept {
  for (const auto& c : channels_) {
    c->detach_consumer();
  }
}

void StreamCore::unref() noexcept {
  if (--refs_ == 0) {
    delete this;
  }
}

}  // namespace ws_source::detail
