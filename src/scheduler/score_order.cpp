// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "scheduler/score_order.hpp"

#include <algorithm>

namespace ws_source::detail::sched {

namespace {
// Spare buckets added on each side when the window grows.
constexpr std::int64_t kSpare = 64;
}  // namespace

void ScoreOrder::cover(std::int64_t b) {
  const auto size = static_cast<std::int64_t>(buckets_.size());
  if (buckets_.empty()) {
    base_ = b - kSpare;
    buckets_.resize(static_cast<std::size_t>(2 * kSpare));
  } else if (b < base_) {
    const std::int64_t grow = base_ - b + std::max(kSpare, size / 2);
    buckets_.insert(buckets_.begin(), static_cast<std::size_t>(grow), {});
    base_ -= grow;
  } else if (b >= base_ + size) {
    buckets_.resize(static_cast<std::size_t>(b - base_ + 1 + std::max(kSpare, size / 2)));
  }
}

void ScoreOrder::link(std::uint32_t id, std::int64_t b) {
  cover(b);
  if (id >= pos_.size()) {
    pos_.resize(std::size_t{id} + 1, kNone);
  }
  auto& v = buckets_[index(b)];
  pos_[id] = static_cast<std::uint32_t>(v.size());
  v.push_back(id);
  if (count_ == 0) {
    top_ = bottom_ = b;
  } else {
    top_ = std::max(top_, b);
    bottom_ = std::min(bottom_, b);
  }
  ++count_;
}

void ScoreOrder::unlink(std::uint32_t id, std::int64_t b) noexcept {
  auto& v = buckets_[index(b)];
  const std::uint32_t p = pos_[id];
  const std::uint32_t last = v.back();
  v[p] = last;
  pos_[last] = p;
  v.pop_back();
  pos_[id] = kNone;
  --count_;
  if (v.empty()) {
    std::vector<std::uint32_t>().swap(v);  // release its memory
    if (count_ > 0) {
      emptied(b);
    }
  } else if (v.capacity() > 64 && v.size() < v.capacity() / 4) {
    // Scores only grow, so active contracts keep climbing into new buckets: without this, every
    // bucket they pass through would keep its largest size for ever.
    v.shrink_to_fit();
  }
}

void ScoreOrder::emptied(std::int64_t b) noexcept {
  if (b == top_) {
    top_ = next_below(b);
  }
  if (b == bottom_) {
    do {
      ++bottom_;
    } while (buckets_[index(bottom_)].empty());
    // Release the empty buckets below once they are most of the window.
    const auto unused = bottom_ - base_;
    if (unused > 4 * kSpare && unused > static_cast<std::int64_t>(buckets_.size()) / 2) {
      const std::int64_t drop = unused - kSpare;
      buckets_.erase(buckets_.begin(), buckets_.begin() + drop);
      base_ += drop;
    }
  }
}

std::int64_t ScoreOrder::next_below(std::int64_t b) const noexcept {
  for (--b; b >= bottom_; --b) {
    if (!buckets_[index(b)].empty()) {
      return b;
    }
  }
  return b;
}

std::size_t ScoreOrder::memory_bytes() const noexcept {
  std::size_t bytes =
      buckets_.capacity() * sizeof(std::vector<std::uint32_t>) + pos_.capacity() * sizeof(std::uint32_t);
  for (const auto& v : buckets_) {
    bytes += v.capacity() * sizeof(std::uint32_t);
  }
  return bytes;
}

}  // namespace ws_source::detail::sched
