// Copyright (c) James Kassemi, SC, US. All rights reserved.
// BatchStream, BatchLease and the iterator: thin handles over StreamCore.
#include "ws_source/batch_stream.hpp"

#include <utility>

#include "stream/stream_core.hpp"

namespace ws_source {

// --- BatchLease ----------------------------------------------------------------------------

BatchLease::BatchLease(detail::StreamCore* core, detail::BatchChannel* channel, DataBatch<TradeOrNbbo>* batch) noexcept
    : core_(core), channel_(channel), batch_(batch) {}

BatchLease::BatchLease(BatchLease&& other) noexcept
    : core_(std::exchange(other.core_, nullptr)),
      channel_(std::exchange(other.channel_, nullptr)),
      batch_(std::exchange(other.batch_, nullptr)) {}

BatchLease& BatchLease::operator=(BatchLease&& other) noexcept {
  if (this != &other) {
    reset();
    core_ = std::exchange(other.core_, nullptr);
    channel_ = std::exchange(other.channel_, nullptr);
    batch_ = std::exchange(other.batch_, nullptr);
  }
  return *this;
}

BatchLease::~BatchLease() { reset(); }

void BatchLease::reset() noexcept {
  if (batch_ != nullptr) {
    core_->release(channel_, batch_);
    core_ = nullptr;
    channel_ = nullptr;
    batch_ = nullptr;
  }
}

// --- BatchStream ---------------------------------------------------------------------------

BatchStream::BatchStream(BatchStream&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}

BatchStream& BatchStream::operator=(BatchStream&& other) noexcept {
  if (this != &other) {
    if (core_ != nullptr) {
      core_->detach();
      core_->unref();
    }
    core_ = std::exchange(other.core_, nullptr);
  }
  return *this;
}

BatchStream::~BatchStream() {
  if (core_ != nullptr) {
    core_->detach();
    core_->unref();
  }
}

std::optional<BatchLease> BatchStream::try_next() noexcept {
  if (core_ == nullptr) {
    return std::nullopt;
  }
  return core_->poll();
}

std::optional<BatchLease> BatchStream::next(std::chrono::nanoseconds timeout) noexcept {
  if (core_ == nullptr) {
    return std::nullopt;
  }
  if (timeout <= std::chrono::nanoseconds::zero()) {
    return core_->poll();
  }
  const auto now = std::chrono::steady_clock::now();
  // Saturate: a huge timeout is "forever" rather than an overflowed deadline.
  const auto room = std::chrono::steady_clock::time_point::max() - now;
  if (timeout >= room) {
    return core_->wait(std::nullopt);
  }
  return core_->wait(now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
}

std::optional<BatchLease> BatchStream::next() noexcept {
  if (core_ == nullptr) {
    return std::nullopt;
  }
  return core_->wait(std::nullopt);
}

void BatchStream::set_spin_budget(std::chrono::nanoseconds budget) noexcept {
  if (core_ != nullptr) core_->set_spin_budget(budget);
}

std::chrono::nanoseconds BatchStream::spin_budget() const noexcept {
  return core_ == nullptr ? std::chrono::nanoseconds::zero() : core_->spin_budget();
}

bool BatchStream::ended() const noexcept { return core_ == nullptr || core_->ended(); }

std::size_t BatchStream::ring_count() const noexcept { return core_ == nullptr ? 0 : core_->ring_count(); }

BatchStreamStats BatchStream::stats() const noexcept { return core_ == nullptr ? BatchStreamStats{} : core_->stats(); }

BatchStream::iterator BatchStream::begin() noexcept { return iterator(this); }

// --- iterator ------------------------------------------------------------------------------

BatchStream::iterator::iterator(BatchStream* stream) noexcept : stream_(stream), current_(stream->next()) {}

BatchStream::iterator& BatchStream::iterator::operator++() noexcept {
  current_.reset();  // release the previous batch before waiting for the next
  current_ = stream_->next();
  return *this;
}

}  // namespace ws_source
