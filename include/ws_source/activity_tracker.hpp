// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `ActivityTracker`: exponentially decayed trade rates per option contract, kept in rank order
/// as trades arrive, which is what the `SubscriptionScheduler` allocates quote slots by.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ws_source/config.hpp"
#include "ws_source/model.hpp"
#include "ws_source/result.hpp"
#include "ws_source/symbol.hpp"

namespace ws_source {

/// A tracked contract's interned id: dense, small, valid until that contract is pruned, evicted
/// or removed (then the id may be given to another contract; `ActivityTracker::symbol` tells).
using ContractId = std::uint32_t;
/// "No contract": what the record functions return when nothing was recorded.
inline constexpr ContractId kNoContract = 0xffffffffU;

/// A contract and its rate, as `ActivityTracker::top` lists them.
struct RankedContract {
  ContractId id{kNoContract};
  Symbol symbol;
  double rate{0};  ///< priority at the time asked for, per second
  friend bool operator==(const RankedContract&, const RankedContract&) = default;
};

namespace detail {
struct TrackerAccess;
}  // namespace detail

/// Exponentially decayed per-contract activity, updated lazily, kept ranked incrementally.
///
/// **What it counts.** Each contract has one decayed count `c`: a trade adds `1 + volume_weight ×
/// size`, and with no trades `c` halves every `half_life_s`. Its rate (the scheduler's priority)
/// is `c × ln 2 / half_life_s` per second, so a steady stream of `r` trades per second converges
/// to `r` (with `volume_weight` 0, the default; the prototype's `message_rate + volume_weight ×
/// volume_rate`). Feed it every option trade of the `T.*` feed: that feed reports every contract,
/// subscribed or not, so it ranks them all on equal terms. The trade's price is not used.
///
/// **Put-call pooling.** `record_option_trade` also credits `put_call_pooling` (clamped to [0, 1])
/// of the trade to the contract with the same root, expiry and strike and the other right: the
/// two trade together, so the pair's trades lower the noise of each other's estimate. The credit
/// is still a decayed count, so everything below stays exact.
///
/// **How it is stored.** Nothing runs per contract between trades. A contract keeps only its
/// *log-score* `L = log2(c at t) + (t − origin) / half_life`, which does not change as time
/// passes (all counts decay by the same factor), so the ranking by rate is the ranking by `L` at
/// any time. A trade of weight `x` at `t` adds `x·2^((t − origin)/half_life)` in linear terms
/// (a log-sum-exp on `L`), exact in any arrival order. Contracts sit in buckets of 1/8 of a log2
/// unit in descending order of `L` (a contract moves bucket in O(1) when a trade raises its
/// score), so the scheduler reads the top of the ranking without a rescan or a sync; `top(k,
/// now)` gives the same list as sorting every contract's `rate(now)`. A read at a time before a
/// contract's events extrapolates backwards (the rate is larger there); give the scheduler the
/// data's clock (`latest_ns()`, the latest event time) or a clock close to it.
///
/// **Cost.** A trade is a hash lookup, a log-sum-exp and at most a bucket move; with pooling on,
/// `record_option_trade` does it twice: ~0.25 µs with 10 k contracts, ~1.3 µs with 1.5 M (cache
/// misses) on the 2-core development VM (bench/scheduler_bench.cpp, BM_RecordTrade).
///
/// **Memory** is bounded: about 61 bytes a contract after `reserve` (the symbol inline, 24; its
/// hash, 8; its score, 8; its bucket entry and position, 8; an 8-byte index slot at most 3/4
/// full), about 78 when grown without one (vector doubling); 1.5 M contracts take 87 MiB or 112
/// MiB, and stay there under sustained trading (a bucket shrinks when it falls below a quarter
/// of its capacity). No allocation per contract once grown; `memory_bytes()` adds up every array's capacity
/// (it matches a count of the allocations, see tests/alloc/scheduler_memory_test.cpp). At
/// `max_contracts` a new contract evicts one of the lowest ranked (one whose rate is within
/// 2^(1/8) of the lowest) unless it ranks lower itself (then it is not tracked). `prune(now,
/// min_rate)` drops every contract below a rate in time proportional to what it drops: cheap
/// enough to run at every rebalance. Contracts whose score falls more than 131,072 half-lives
/// below the top (a rate below 2^-131072 of the top's) are dropped too; timestamps must therefore
/// be plausible (the parser bounds them).
///
/// **Threads and ownership.** A value type (copyable, movable; a moved-from tracker may only be
/// assigned to or destroyed) with no shared state; not
/// thread-safe: one thread records and reads (e.g. the connection manager's io thread), or the
/// caller serializes. `const` functions may run concurrently with each other. Errors are values
/// (`create`); nothing throws but `std::bad_alloc`. Bad inputs (NaN, infinite or negative sizes)
/// count as 0; a record of weight 0 records nothing.
class ActivityTracker {
 public:
  /// The default `max_contracts`: above the ~1.5 M listed US option contracts.
  static constexpr std::size_t kDefaultMaxContracts = 2'000'000;

  /// A tracker with `config.half_life_s`, `config.volume_weight` and `config.put_call_pooling`.
  /// Values out of range are clamped (half-life to [0.001, 1e9] s, 120 s if NaN; weight and
  /// pooling NaN or negative to 0, pooling above 1 to 1): validate first, or use `create`.
  /// `max_contracts` 0 is taken as 1.
  explicit ActivityTracker(const SchedulerConfig& config = {}, std::size_t max_contracts = kDefaultMaxContracts);
  /// Like the constructor, but an invalid config is an error naming the field
  /// (`validate(const SchedulerConfig&)`).
  [[nodiscard]] static Result<ActivityTracker, ConfigError> create(const SchedulerConfig& config,
                                                                   std::size_t max_contracts = kDefaultMaxContracts);

  ActivityTracker(const ActivityTracker& other);
  ActivityTracker& operator=(const ActivityTracker& other);
  ActivityTracker(ActivityTracker&&) noexcept;
  ActivityTracker& operator=(ActivityTracker&&) noexcept;
  ~ActivityTracker();

  /// Records one option trade (`symbol`, `size`, `sip_ts_ns`) and its put-call pair's credit.
  /// Returns the traded contract's id (kNoContract if it was not tracked: at the cap and ranked
  /// lowest).
  ContractId record_option_trade(const OptionTrade& trade);
  /// The same from its parts.
  ContractId record_option_trade(const Symbol& contract, std::int64_t ts_ns, double size);
  /// Records one trade of `size` on `contract` at `ts_ns` without the pair's credit (for sharded
  /// trackers: record the trade in its own shard, `credit_pair` in the pair's).
  ContractId record_trade(const Symbol& contract, std::int64_t ts_ns, double size);
  /// The pooling half of `record_option_trade`: credits `put_call_pooling` of a trade of `size` at
  /// `ts_ns` to `pair` (the other right of the traded contract, see `put_call_pair`). Returns
  /// kNoContract when pooling is 0.
  ContractId credit_pair(const Symbol& pair, std::int64_t ts_ns, double size);
  /// The general form: adds `count + volume_weight × volume` to `contract`'s decayed count.
  ContractId record(const Symbol& contract, std::int64_t ts_ns, double count, double volume);

  /// The rate (priority) of a contract at `now_ns`, per second; 0 if it is not tracked.
  [[nodiscard]] double rate(const Symbol& contract, std::int64_t now_ns) const noexcept;
  [[nodiscard]] double rate(ContractId id, std::int64_t now_ns) const noexcept;
  /// The id of a tracked contract.
  [[nodiscard]] std::optional<ContractId> find(const Symbol& contract) const noexcept;
  /// The symbol of id `id`; the empty symbol if `id` is not (or no longer) a tracked contract.
  [[nodiscard]] Symbol symbol(ContractId id) const noexcept;

  /// The `k` highest rates at `now_ns`, highest first, ties by symbol; read from the incremental
  /// ranking (no rescan): O(k + the size of the bucket where the k-th falls).
  [[nodiscard]] std::vector<RankedContract> top(std::size_t k, std::int64_t now_ns) const;
  /// Every tracked contract's rate at `now_ns` (the spec's hand-over to
  /// `SubscriptionScheduler::update_priorities`). Allocates a string per contract.
  [[nodiscard]] std::unordered_map<std::string, double> rates(std::int64_t now_ns) const;

  /// Forgets every contract whose rate at `now_ns` is below `min_rate`; returns how many. Time
  /// proportional to the number removed (plus the buckets it looks at).
  std::size_t prune(std::int64_t now_ns, double min_rate);
  /// Forgets one contract; true if it was tracked.
  bool remove(const Symbol& contract);
  /// Room for `n` contracts without growing.
  void reserve(std::size_t n);

  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] std::size_t max_contracts() const noexcept;
  /// How many contracts were dropped so far to stay under `max_contracts` (or out of range).
  [[nodiscard]] std::uint64_t evicted() const noexcept;
  /// Bytes held by the tracker: every array's capacity, plus the object itself.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  /// The latest event time recorded (Unix ns); 0 before the first.
  [[nodiscard]] std::int64_t latest_ns() const noexcept;
  [[nodiscard]] double half_life_s() const noexcept;
  [[nodiscard]] double volume_weight() const noexcept;
  [[nodiscard]] double put_call_pooling() const noexcept;

 private:
  struct Impl;
  friend struct detail::TrackerAccess;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source
