// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The subscription policies under evaluation. Each sees the trades of closed intervals only
// (`Policy::observe`) and, at every decision time, names the contracts to subscribe
// (`Policy::decide`); the oracle instead reads the simulator's true intensities, recorded.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <ws_source/activity_tracker.hpp>
#include <ws_source/config.hpp>
#include <ws_source/scheduler.hpp>

#include "record.hpp"

namespace ws_ingest::eval {

/// What a policy may know at a decision.
struct Decision {
  std::size_t r{0};                 ///< the interval the decision covers
  std::int64_t now_ns{0};           ///< decision time, Unix ns
  std::size_t slots{0};             ///< capacity
  std::size_t warmup_intervals{0};  ///< the first measured interval (the static policy freezes here)
};

/// A subscription policy: one object per replay, used by one thread.
class Policy {
 public:
  Policy() = default;
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;
  virtual ~Policy() = default;

  /// Short name for the table and the chart's legend.
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  /// Sees the trades of one closed interval, after the decision that covered them was scored.
  virtual void observe(const Recording& rec, std::span<const Trade> trades) = 0;
  /// The contracts to subscribe for interval `d.r`: at most `d.slots`, any order, no repeats.
  [[nodiscard]] virtual std::vector<ContractIndex> decide(const Recording& rec, const Decision& d) = 0;
};

/// The library's pair as the live rebalancer runs it (src/net/rebalancer.cpp): an
/// `ActivityTracker` fed every option trade with `record_option_trade` (trade + put-call
/// pooling credit), pruned below `kPruneBelow` at every rebalance, and a `SubscriptionScheduler`
/// rebalanced over the tracker's ranking at the decision time.
class SchedulerPolicy final : public Policy {
 public:
  /// Contracts below this rate (per second) are forgotten at each rebalance, as live.
  static constexpr double kPruneBelow = 1e-6;

  /// A policy named `name` with `config` for both the tracker and the scheduler. Out-of-range
  /// values are clamped as the library does: validate the config first.
  SchedulerPolicy(std::string name, const ws_source::SchedulerConfig& config);

  [[nodiscard]] std::string_view name() const noexcept override { return name_; }
  void observe(const Recording& rec, std::span<const Trade> trades) override;
  [[nodiscard]] std::vector<ContractIndex> decide(const Recording& rec, const Decision& d) override;

 private:
  std::string name_;
  ws_source::ActivityTracker tracker_;
  ws_source::SubscriptionScheduler scheduler_;
};

/// Greedy's configuration derived from ours: every slot reserved (`top_n = slots`), no
/// exploration, no hysteresis; the same half-life and volume weight. `pooled` keeps our put-call
/// pooling (the `greedy+pool` ablation), else pooling is 0 (`greedy`, plain decayed rates).
[[nodiscard]] ws_source::SchedulerConfig greedy_config(const ws_source::SchedulerConfig& ours, std::size_t slots,
                                                       bool pooled);

/// Top-K by the simulator's true current trade intensity at each decision (recorded).
class OraclePolicy final : public Policy {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "oracle"; }
  void observe(const Recording& /*rec*/, std::span<const Trade> /*trades*/) override {}
  [[nodiscard]] std::vector<ContractIndex> decide(const Recording& rec, const Decision& d) override;
};

/// The K contracts with the most trades during the warm-up, subscribed from the first measured
/// interval on and frozen; nothing is subscribed during the warm-up.
class StaticTopKPolicy final : public Policy {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "static"; }
  void observe(const Recording& rec, std::span<const Trade> trades) override;
  [[nodiscard]] std::vector<ContractIndex> decide(const Recording& rec, const Decision& d) override;

 private:
  std::vector<std::uint64_t> counts_;
  std::vector<ContractIndex> chosen_;
  bool frozen_{false};
};

/// K contracts drawn uniformly among those listed, redrawn at every decision (SplitMix64 seeded
/// with `seed ^ 0xA0761D6478BD642F`).
class RandomPolicy final : public Policy {
 public:
  explicit RandomPolicy(std::uint64_t seed) noexcept : state_(seed ^ 0xA0761D6478BD642FULL) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "random"; }
  void observe(const Recording& /*rec*/, std::span<const Trade> /*trades*/) override {}
  [[nodiscard]] std::vector<ContractIndex> decide(const Recording& rec, const Decision& d) override;

 private:
  std::uint64_t next() noexcept;
  std::uint64_t state_;
};

/// The six policies in report order: oracle, ours (`ours`, whose `seed` is used as given),
/// greedy, greedy+pool, static, random (seeded with `seed`).
[[nodiscard]] std::vector<std::unique_ptr<Policy>> make_policies(const ws_source::SchedulerConfig& ours,
                                                                 std::size_t slots, std::uint64_t seed);

}  // namespace ws_ingest::eval
