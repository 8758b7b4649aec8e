// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The live side of the scheduler for one options connection (cluster options × shard): feeds the
// activity tracker from the connection's option trades (`T.*` sees every contract), and every
// `rebalance_interval_s` turns the scheduler's allocation into channel changes for the worker —
// unsubscribe first, then subscribe, so the server's 1,000-contract limit holds at every moment.
// Refusals from the server come back here: a refused contract is kept out for a while, and
// "subscription limit exceeded" lowers the capacity to what the server holds.
//
// No I/O, no clock reads (time is passed in), no Asio: the worker calls it on its strand; a unit
// test calls it directly. Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/activity_tracker.hpp"
#include "ws_source/config.hpp"
#include "ws_source/model.hpp"
#include "ws_source/scheduler.hpp"

namespace ws_source::detail {

class Rebalancer {
 public:
  /// `limit`: the server's per-connection limit of option-quote channels (1,000). The tracker
  /// keeps only contracts of `shard` among `shard_count` (their quotes go to this connection).
  Rebalancer(const SchedulerConfig& config, std::size_t shard, std::size_t shard_count, std::size_t limit);

  /// Records the option trades in `rows` (other rows are ignored).
  void on_rows(const std::vector<TradeOrNbbo>& rows);

  /// What one rebalance changes, as `Q.<contract>` channels.
  struct Changes {
    std::vector<std::string> unsubscribe;  ///< send first
    std::vector<std::string> subscribe;    ///< then these
    std::size_t capacity{0};               ///< slots it could use (after a learned limit)
    std::size_t active{0};                 ///< scheduled contracts after it
  };
  /// Rebalances at the data's clock (`now_ns` before any trade) with `pinned` quote channels of the configuration
  /// or the host already holding slots: the scheduler gets `limit - pinned`, lowered by a learned
  /// limit.
  Changes rebalance(std::int64_t now_ns, std::size_t pinned);

  /// A refusal from the server (an `error` status): if it names a scheduled `Q.` channel, that
  /// channel is released and returned (the worker drops it from its desired set); "subscription
  /// limit exceeded" also lowers the capacity, any other refusal keeps the contract out for
  /// `kExcludeFor`. Empty when the message names no scheduled channel.
  std::string on_refusal(std::string_view message, std::int64_t now_ns);

  /// Backpressure: unsubscribes the lowest-priority scheduled contracts at once until at most
  /// `capacity` remain, and caps every later rebalance at `capacity` until `set_cap` raises it.
  /// Returns the channels to unsubscribe (`Q.<contract>`), sorted.
  std::vector<std::string> shed_to(std::size_t capacity);
  /// The backpressure cap on the scheduled slots (`SIZE_MAX`: none); the next rebalance fills up
  /// to it.
  void set_cap(std::size_t capacity) noexcept { cap_ = capacity; }
  [[nodiscard]] std::size_t cap() const noexcept { return cap_; }
  /// The slots a rebalance could use with `pinned` host channels, before the backpressure cap.
  [[nodiscard]] std::size_t slots_for(std::size_t pinned) const noexcept {
    return limit_ > pinned ? limit_ - pinned : 0;
  }

  /// After a reconnection the server may allow more again: forgets the learned limit.
  void on_reconnect() noexcept { scheduler_.reset_learned_limit(); }

  /// Whether `channel` (`Q.O:…`) is one the scheduler holds.
  [[nodiscard]] bool holds(std::string_view channel) const noexcept;

  [[nodiscard]] std::size_t scheduled() const noexcept { return scheduler_.subscribed_count(); }
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }
  [[nodiscard]] std::uint64_t rebalances() const noexcept { return rebalances_; }
  [[nodiscard]] const ActivityTracker& tracker() const noexcept { return tracker_; }
  [[nodiscard]] const SubscriptionScheduler& scheduler() const noexcept { return scheduler_; }

  /// How long a contract refused for another reason than the limit is kept out.
  static constexpr std::int64_t kExcludeFor = 300'000'000'000;  // 5 minutes
  /// Contracts whose decayed rate fell below this (trades/s) are forgotten at a rebalance.
  static constexpr double kPruneBelow = 1e-6;

 private:
  ActivityTracker tracker_;
  SubscriptionScheduler scheduler_;
  std::size_t shard_;
  std::size_t shard_count_;
  std::size_t limit_;
  std::uint64_t evictions_{0};
  std::uint64_t rebalances_{0};
  std::size_t cap_{SIZE_MAX};
};

}  // namespace ws_source::detail
