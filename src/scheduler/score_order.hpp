// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `ScoreOrder`: ids kept in descending order of a time-invariant score, in buckets of
/// 1/`kBucketsPerUnit` of a score unit. A bucket is a contiguous array of ids (each id knows its
/// position, so removal is a swap with the last); a walk reads a bucket as one span.
///
/// The activity tracker's scores are log2-counts shifted by time (see `ActivityTracker`): they
/// only grow with trades and never change otherwise, so moving an id when its score grows is
/// O(1), and walking from the top bucket down visits the ids in rank order (unordered within a
/// bucket; every id in a bucket ranks above every id in the buckets below it). The buckets form a
/// dense window of at most `kMaxBuckets`; the owner keeps ids inside it (`fits`). A bucket that
/// empties releases its memory, one below a quarter of its capacity shrinks. Not thread-safe;
/// owned by its tracker.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ws_source::detail::sched {

class ScoreOrder {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffU;
  static constexpr double kBucketsPerUnit = 8.0;
  /// The widest window of buckets: 2^20 buckets, 131,072 score units.
  static constexpr std::int64_t kMaxBuckets = std::int64_t{1} << 20;

  [[nodiscard]] static std::int64_t bucket_of(double score) noexcept {
    return static_cast<std::int64_t>(std::floor(score * kBucketsPerUnit));
  }
  /// The smallest score of bucket `b` (every member's score is at least this, exactly).
  [[nodiscard]] static double lower_edge(std::int64_t b) noexcept { return static_cast<double>(b) / kBucketsPerUnit; }

  /// True if bucket `b` can be used without widening the window past `kMaxBuckets`.
  [[nodiscard]] bool fits(std::int64_t b) const noexcept {
    return empty() || (b >= top_ - kMaxBuckets + 1 && b <= bottom_ + kMaxBuckets - 1);
  }

  /// Puts `id` (not in any bucket) into bucket `b` (`fits(b)` must hold).
  void link(std::uint32_t id, std::int64_t b);
  /// Takes `id` out of bucket `b`, where it is (the bucket's last id takes its place).
  void unlink(std::uint32_t id, std::int64_t b) noexcept;

  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  /// The highest and lowest non-empty buckets (only when not empty).
  [[nodiscard]] std::int64_t top() const noexcept { return top_; }
  [[nodiscard]] std::int64_t bottom() const noexcept { return bottom_; }
  /// The ids of bucket `b` (empty outside the window).
  [[nodiscard]] std::span<const std::uint32_t> bucket(std::int64_t b) const noexcept {
    if (b < base_ || b >= base_ + static_cast<std::int64_t>(buckets_.size())) {
      return {};
    }
    return buckets_[index(b)];
  }
  /// The next non-empty bucket below `b` (`bottom() - 1` if none).
  [[nodiscard]] std::int64_t next_below(std::int64_t b) const noexcept;

  void reserve(std::size_t ids) { pos_.reserve(ids); }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

 private:
  [[nodiscard]] std::size_t index(std::int64_t b) const noexcept { return static_cast<std::size_t>(b - base_); }
  void cover(std::int64_t b);
  void emptied(std::int64_t b) noexcept;

  std::vector<std::vector<std::uint32_t>> buckets_;  // bucket base_ + i at buckets_[i]
  std::vector<std::uint32_t> pos_;                   // by id: its index in its bucket
  std::int64_t base_{0};
  std::int64_t top_{0};
  std::int64_t bottom_{0};
  std::size_t count_{0};
};

}  // namespace ws_source::detail::sched
