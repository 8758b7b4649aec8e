// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `SubscriptionScheduler`: which option contracts hold the limited quote-subscription slots
/// (1,000 per connection), and `Allocation`, what one rebalance decides.
///
/// Two surfaces over one algorithm. The spec's, keyed by strings: `update_priorities(rates)`,
/// then `allocate_slots(total_slots)` (a preview: every known symbol -> on/off) and
/// `rebalance(total_slots, now_ns)` (commits). The live system's: `rebalance(tracker,
/// total_slots, now_ns)` reads the `ActivityTracker`'s incremental ranking directly (no copy, no
/// sync, no rescan of the 1.5 M known contracts) and returns the diff to send. Fed the same
/// priorities (`update_priorities(tracker.rates(now_ns))`), both give the same allocation.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ws_source/activity_tracker.hpp"
#include "ws_source/config.hpp"
#include "ws_source/result.hpp"
#include "ws_source/symbol.hpp"

namespace ws_source {

/// Why a contract holds a slot.
enum class SlotRole : std::uint8_t {
  Reserved,  ///< one of the `top_n` by priority: always subscribed
  Exploit,   ///< one of the other non-exploration slots, by priority with hysteresis
  Explore,   ///< a randomized exploration pick, held at least `exploration_hold_intervals`
};

/// "reserved", "exploit", "explore".
[[nodiscard]] std::string_view to_string(SlotRole role) noexcept;
std::ostream& operator<<(std::ostream& os, SlotRole role);

/// One subscribed contract and its role.
struct Slot {
  Symbol symbol;
  SlotRole role{SlotRole::Reserved};
  friend bool operator==(const Slot&, const Slot&) = default;
};

/// The outcome of one rebalance (or the preview of one): the subscribed set and the diff against
/// the set before it. To apply it without ever exceeding the server's limit, send `removed` as
/// unsubscribe messages first, then `added` as subscribe messages.
///
/// Order: `active` lists the reserved slots, then the exploited ones, then the held exploration
/// picks, then the new picks; within each group the order is unspecified (no sort is paid for:
/// it follows the ranking's internal layout, the same for the same sequence of calls). `added`
/// follows `active`; `removed` follows the previous `active`. Which contracts hold which role is
/// a function of the state alone. A plain value; any thread may read a copy.
struct Allocation {
  std::uint64_t epoch{0};       ///< the rebalance epoch it belongs to (1 for the first)
  std::size_t total_slots{0};   ///< the capacity asked for
  std::size_t capacity{0};      ///< the capacity used: `total_slots`, lowered by a learned limit
  std::vector<Slot> active;     ///< the subscribed set after it
  std::vector<Symbol> added;    ///< subscribe these (after `removed`)
  std::vector<Symbol> removed;  ///< unsubscribe these first

  /// How many active slots have `role`.
  [[nodiscard]] std::size_t count(SlotRole role) const noexcept;
  /// The active symbols with `role`, in `active`'s order.
  [[nodiscard]] std::vector<Symbol> symbols(SlotRole role) const;
  /// True if nothing changes.
  [[nodiscard]] bool unchanged() const noexcept { return added.empty() && removed.empty(); }
  /// Contracts that lost their slot (the `evictions` metric).
  [[nodiscard]] std::size_t evictions() const noexcept { return removed.size(); }
  friend bool operator==(const Allocation&, const Allocation&) = default;
};

/// Decides which contracts get the limited subscription slots: reserved top-N by decayed
/// activity, randomized exploration, hysteresis. Pure logic: no I/O, no clock reads (time is passed
/// in as Unix nanoseconds), deterministic for a given state and seed.
///
/// The rules, with `S` slots (the capacity, lowered by a learned server limit):
/// - the `top_n` by priority are always subscribed (as far as `S` allows), ties by symbol;
/// - `E = round(exploration_fraction × S)` slots, capped at `S − top_n`, go to exploration: by
///   default Thompson sampling of each candidate's decayed count (its Poisson noise spreads the
///   draws just below the cut, where the ranking is uncertain); preferring candidates not explored
///   in the last `exploration_memory_epochs`; a pick keeps its slot for `exploration_hold_intervals
///   × rebalance_interval_s` (an early rebalance does not rotate it);
/// - every other slot goes to the next-best by priority, where an incumbent keeps its slot unless
///   a challenger's priority exceeds its own by the factor `1 + hysteresis` (equal scores keep the
///   incumbent). A newcomer to the `top_n` takes its reserved slot unconditionally, and a smaller
///   capacity drops the lowest-scored first;
/// - no slot stays idle while candidates exist; refused contracts (`exclude`) take no role until
///   their exclusion ends.
/// Randomness is a pure function of `(seed, epoch, symbol)` (SplitMix64 over a stable hash).
/// NaN, infinite and negative priorities count as 0.
///
/// State: the committed subscribed set (each slot's role and since when), the exploration
/// history, the exclusions, the epoch, the learned limit, and the string surface's priorities.
/// Only `rebalance`, `release`, `exclude`, `on_limit_rejection`, `shed_to` and
/// `reset_learned_limit` change the committed set; previews are `const` and repeat exactly.
///
/// Cost (the live surface): a rebalance walks the tracker's ranking from the top to a little
/// below the cut (where no exploration draw can reach the bar any more, an exact stop), and most
/// candidates there are rejected on their hash alone; it does not depend on how many contracts
/// are known (1,000 slots: 0.2-0.35 ms over 10 k or over 1.5 M contracts on the 2-core development VM,
/// BM_Rebalance). It walks further when the contracts just below the cut were all explored
/// recently (a quiet market). With `Uniform` or `Priority` weighting every known contract is drawn
/// (O(known): ~0.25 s over 1.5 M). The string surface sorts its snapshot in `update_priorities`
/// and builds a string per known symbol in `allocate_slots`.
///
/// Threads and ownership: a value type (copyable, movable; a moved-from scheduler may only be
/// assigned to or destroyed); not thread-safe. One thread (e.g. the
/// connection manager's io thread) uses a scheduler, or the caller serializes; `const` functions
/// may run concurrently with each other. A tracker passed in is only read during the call. Errors
/// are values (`create`); nothing throws but `std::bad_alloc`.
class SubscriptionScheduler {
 public:
  /// A scheduler with nothing known or subscribed. Out-of-range values are clamped (fraction and
  /// hysteresis NaN or negative to 0, fraction above 1 to 1, zero intervals and epochs to 1,
  /// half-life to [0.001, 1e9] s): validate first, or use `create`.
  explicit SubscriptionScheduler(const SchedulerConfig& config);
  /// Like the constructor, but an invalid config is an error naming the field.
  [[nodiscard]] static Result<SubscriptionScheduler, ConfigError> create(const SchedulerConfig& config);

  SubscriptionScheduler(const SubscriptionScheduler& other);
  SubscriptionScheduler& operator=(const SubscriptionScheduler& other);
  SubscriptionScheduler(SubscriptionScheduler&&) noexcept;
  SubscriptionScheduler& operator=(SubscriptionScheduler&&) noexcept;
  ~SubscriptionScheduler();

  // ---- The spec's surface (strings) ----

  /// Replaces the priorities with `rates` (e.g. `ActivityTracker::rates`): symbols absent from it
  /// are forgotten, except subscribed ones, which stay known at priority 0 until they lose their
  /// slot. NaN, infinite and negative values are stored as 0. Keys that are not valid symbols
  /// (`Symbol::make`: empty, over 23 bytes, a byte outside 0x21-0x7E or a comma) cannot be
  /// subscribed and are ignored. Sorts the snapshot: O(n log n).
  void update_priorities(const std::unordered_map<std::string, double>& rates);

  /// The preview of the next timely rebalance (at `next_rebalance_ns()`) over these priorities:
  /// every known symbol (priorities and subscribed ones) -> true if it would be subscribed.
  /// Deterministic: repeated calls with unchanged state give the same map.
  [[nodiscard]] std::unordered_map<std::string, bool> allocate_slots(std::size_t total_slots) const;

  /// The allocation a rebalance over these priorities at `now_ns` would commit, with its diff.
  [[nodiscard]] Allocation plan(std::size_t total_slots, std::int64_t now_ns) const;
  /// Computes the allocation over these priorities, commits it as the subscribed set, advances
  /// the epoch and returns it.
  Allocation rebalance(std::size_t total_slots, std::int64_t now_ns);

  /// This surface's priority of `symbol` (sanitized); 0 if unknown.
  [[nodiscard]] double priority(std::string_view symbol) const noexcept;
  /// How many symbols the last `update_priorities` made known.
  [[nodiscard]] std::size_t known_count() const noexcept;

  // ---- The live surface (the tracker's interned, incrementally ranked contracts) ----

  /// The allocation a rebalance at `now_ns` over `tracker`'s rates would commit.
  [[nodiscard]] Allocation plan(const ActivityTracker& tracker, std::size_t total_slots, std::int64_t now_ns) const;
  /// Computes the allocation over `tracker`'s rates at `now_ns` (give it the data's clock, e.g.
  /// `tracker.latest_ns()`), commits it and returns it. Call it every `rebalance_interval_s`
  /// with the current capacity (lower it under backpressure).
  Allocation rebalance(const ActivityTracker& tracker, std::size_t total_slots, std::int64_t now_ns);

  // ---- Refusals and limits ----

  /// Forgets that `contract` is subscribed (e.g. the server refused it); the slot is refilled at
  /// the next rebalance. True if it was subscribed.
  bool release(const Symbol& contract);
  /// Releases `contract` and keeps it out of every role until `until_ns` (repeats keep the later
  /// time): for a contract the server refused, which would only be refused again. True if it was
  /// subscribed.
  bool exclude(const Symbol& contract, std::int64_t until_ns);
  /// How many exclusions are recorded (expired ones are dropped at the next rebalance).
  [[nodiscard]] std::size_t excluded_count() const noexcept;
  /// The server refused `contract` with "subscription limit exceeded": releases it and, if it
  /// was subscribed, lowers the learned limit to the number still subscribed (what the server
  /// holds once every refusal of a burst has arrived). Later rebalances use at most that many
  /// slots. Returns the learned limit.
  std::size_t on_limit_rejection(const Symbol& contract);
  /// The learned server limit, if one was learned since the last reset.
  [[nodiscard]] std::optional<std::size_t> learned_limit() const noexcept;
  /// Forgets the learned limit (after a reconnect: the server may allow more again).
  void reset_learned_limit() noexcept;
  /// Drops the lowest-priority subscriptions at once (by the priority each had at its last
  /// rebalance; ties: the larger symbol first) until at most `capacity` remain, for backpressure
  /// between rebalances. Returns them, sorted by symbol. Does not advance the epoch.
  std::vector<Symbol> shed_to(std::size_t capacity);

  // ---- State ----

  [[nodiscard]] bool is_subscribed(const Symbol& contract) const noexcept;
  [[nodiscard]] std::optional<SlotRole> role(const Symbol& contract) const noexcept;
  /// The subscribed set (e.g. to resubscribe after a reconnect), in the last allocation's order.
  [[nodiscard]] std::vector<Slot> subscribed() const;
  [[nodiscard]] std::size_t subscribed_count() const noexcept;
  /// Rebalances committed so far.
  [[nodiscard]] std::uint64_t epoch() const noexcept;
  /// One interval after the last rebalance (0 before the first).
  [[nodiscard]] std::int64_t next_rebalance_ns() const noexcept;
  /// Exploration slots for a capacity: `round(exploration_fraction × total_slots)` (half away
  /// from zero) capped at `total_slots − min(top_n, total_slots)`.
  [[nodiscard]] std::size_t exploration_slots(std::size_t total_slots) const noexcept;
  /// The configuration in use (after clamping).
  [[nodiscard]] const SchedulerConfig& config() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source
