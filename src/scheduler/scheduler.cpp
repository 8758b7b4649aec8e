// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "ws_source/scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>

#include "scheduler/plan.hpp"
#include "scheduler/priority_snapshot.hpp"
#include "scheduler/tracker_state.hpp"

namespace ws_source {

namespace {

using detail::sched::Incumbent;
using detail::sched::sanitize;

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::int64_t sat_mul(std::int64_t a, std::uint64_t b) noexcept {
  std::int64_t out = 0;
  if (b > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
      __builtin_mul_overflow(a, static_cast<std::int64_t>(b), &out)) {
    return std::numeric_limits<std::int64_t>::max();
  }
  return out;
}

SchedulerConfig clamped(SchedulerConfig c) noexcept {
  c.exploration_fraction = std::min(sanitize(c.exploration_fraction), 1.0);
  c.hysteresis = sanitize(c.hysteresis);
  c.rebalance_interval_s = std::max<std::uint64_t>(c.rebalance_interval_s, 1);
  c.exploration_hold_intervals = std::max<std::uint64_t>(c.exploration_hold_intervals, 1);
  c.exploration_memory_epochs = std::max<std::uint64_t>(c.exploration_memory_epochs, 1);
  c.half_life_s = std::isnan(c.half_life_s) ? 120.0 : std::clamp(c.half_life_s, 0.001, 1e9);
  return c;
}

/// The scheduler's reusable `PlanScratch`, lent to one plan at a time: a plan that finds it in
/// use (`const` calls may run concurrently) gets a fresh one of its own. A copy starts empty (the
/// scratch is working memory, not state).
class ScratchPool {
 public:
  ScratchPool() = default;
  ScratchPool(const ScratchPool& /*other*/) noexcept {}
  ScratchPool& operator=(const ScratchPool& /*other*/) noexcept { return *this; }
  ScratchPool(ScratchPool&&) = delete;
  ScratchPool& operator=(ScratchPool&&) = delete;
  ~ScratchPool() = default;

  /// The scratch for the lease's lifetime.
  class Lease {
   public:
    explicit Lease(const ScratchPool& pool) : pool_(&pool) {
      if (pool.busy_.test_and_set(std::memory_order_acquire)) {
        own_ = std::make_unique<detail::sched::PlanScratch>();
      }
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease(Lease&&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (!own_) {
        pool_->busy_.clear(std::memory_order_release);
      }
    }
    [[nodiscard]] detail::sched::PlanScratch& get() const noexcept { return own_ ? *own_ : pool_->scratch_; }

   private:
    const ScratchPool* pool_;
    std::unique_ptr<detail::sched::PlanScratch> own_;
  };

 private:
  mutable std::atomic_flag busy_;  // clear: the scratch is free
  mutable detail::sched::PlanScratch scratch_;
};

}  // namespace

struct SubscriptionScheduler::Impl {
  SchedulerConfig cfg;
  detail::sched::PrioritySnapshot snapshot;
  std::vector<Incumbent> incumbents;
  std::unordered_map<Symbol, std::int64_t> excluded;
  std::vector<detail::sched::Explored> explored;  // the picks of the last memory epochs
  ScratchPool scratch_pool;
  std::uint64_t epoch{0};
  std::optional<std::int64_t> last_rebalance_ns;
  std::optional<std::size_t> learned;

  [[nodiscard]] std::int64_t interval_ns() const noexcept { return sat_mul(kNanosPerSecond, cfg.rebalance_interval_s); }

  [[nodiscard]] std::size_t capacity(std::size_t total_slots) const noexcept {
    return learned ? std::min(total_slots, *learned) : total_slots;
  }

  [[nodiscard]] detail::sched::PlanParams params(std::size_t total_slots, std::int64_t now_ns) const noexcept {
    detail::sched::PlanParams p;
    p.total_slots = capacity(total_slots);
    p.top_n = cfg.top_n;
    p.exploration_fraction = cfg.exploration_fraction;
    p.hysteresis = cfg.hysteresis;
    p.weighting = cfg.exploration_weighting;
    p.window_s = cfg.half_life_s / std::numbers::ln2;
    p.hold_ns = sat_mul(interval_ns(), cfg.exploration_hold_intervals);
    p.memory_epochs = cfg.exploration_memory_epochs;
    p.epoch = epoch + 1;
    p.seed = cfg.seed;
    p.now_ns = now_ns;
    return p;
  }

  /// Plans over `view`; the result is in `scratch` (see `PlanScratch`).
  template <class View>
  void choose(const View& view, std::size_t total_slots, std::int64_t now_ns,
              detail::sched::PlanScratch& scratch) const {
    const detail::sched::PolicyState state{incumbents, excluded, explored};
    detail::sched::plan(params(total_slots, now_ns), state, view, scratch);
  }

  /// The allocation a plan chose (in `scratch`), with its diff against the incumbents.
  [[nodiscard]] Allocation to_allocation(const detail::sched::PlanScratch& scratch, std::size_t total_slots) const {
    Allocation a;
    a.epoch = epoch + 1;
    a.total_slots = total_slots;
    a.capacity = capacity(total_slots);
    const std::vector<Incumbent>& chosen = scratch.chosen;
    a.active.reserve(chosen.size());
    a.added.reserve(chosen.size() - (incumbents.size() - scratch.dropped.size()));
    a.removed.reserve(scratch.dropped.size());
    for (std::size_t k = 0; k < chosen.size(); ++k) {
      a.active.push_back({chosen[k].symbol, chosen[k].role});
      if (scratch.chosen_incumbent[k] < 0) {
        a.added.push_back(chosen[k].symbol);
      }
    }
    for (const std::uint32_t i : scratch.dropped) {
      a.removed.push_back(incumbents[i].symbol);
    }
    return a;
  }

  template <class View>
  [[nodiscard]] Allocation preview(const View& view, std::size_t total_slots, std::int64_t now_ns) const {
    const ScratchPool::Lease lease(scratch_pool);
    detail::sched::PlanScratch& sc = lease.get();
    choose(view, total_slots, now_ns, sc);
    return to_allocation(sc, total_slots);
  }

  template <class View>
  Allocation rebalance(const View& view, std::size_t total_slots, std::int64_t now_ns) {
    std::erase_if(excluded, [&](const auto& e) { return e.second <= now_ns; });
    const ScratchPool::Lease lease(scratch_pool);
    detail::sched::PlanScratch& sc = lease.get();
    choose(view, total_slots, now_ns, sc);
    Allocation a = to_allocation(sc, total_slots);
    const std::uint64_t next_epoch = epoch + 1;
    const std::uint64_t memory = cfg.exploration_memory_epochs;
    std::erase_if(explored, [&](const detail::sched::Explored& e) {
      return next_epoch - std::min(e.epoch, next_epoch) > memory;
    });
    for (std::size_t k = sc.fresh_from; k < sc.chosen.size(); ++k) {
      explored.push_back({sc.chosen[k].symbol, next_epoch, sc.chosen[k].handle});
    }
    incumbents.swap(sc.chosen);  // the chosen set is committed; the old one's memory is scratch
    epoch = next_epoch;
    last_rebalance_ns = now_ns;
    return a;
  }

  [[nodiscard]] const Incumbent* find(const Symbol& s) const noexcept {
    const auto it =
        std::find_if(incumbents.begin(), incumbents.end(), [&](const Incumbent& i) { return i.symbol == s; });
    return it == incumbents.end() ? nullptr : &*it;
  }
};

SubscriptionScheduler::SubscriptionScheduler(const SchedulerConfig& config) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = clamped(config);
}

Result<SubscriptionScheduler, ConfigError> SubscriptionScheduler::create(const SchedulerConfig& config) {
  if (auto ok = validate(config); !ok) {
    return fail(std::move(ok).error());
  }
  return SubscriptionScheduler(config);
}

SubscriptionScheduler::SubscriptionScheduler(const SubscriptionScheduler& other)
    : impl_(std::make_unique<Impl>(*other.impl_)) {}
SubscriptionScheduler& SubscriptionScheduler::operator=(const SubscriptionScheduler& other) {
  if (this != &other) {
    impl_ = std::make_unique<Impl>(*other.impl_);
  }
  return *this;
}
SubscriptionScheduler::SubscriptionScheduler(SubscriptionScheduler&&) noexcept = default;
SubscriptionScheduler& SubscriptionScheduler::operator=(SubscriptionScheduler&&) noexcept = default;
SubscriptionScheduler::~SubscriptionScheduler() = default;

void SubscriptionScheduler::update_priorities(const std::unordered_map<std::string, double>& rates) {
  impl_->snapshot.assign(rates);
}

std::unordered_map<std::string, bool> SubscriptionScheduler::allocate_slots(std::size_t total_slots) const {
  const Impl& s = *impl_;
  const ScratchPool::Lease lease(s.scratch_pool);
  s.choose(s.snapshot, total_slots, next_rebalance_ns(), lease.get());
  const std::vector<Incumbent>& chosen = lease.get().chosen;
  std::unordered_map<std::string, bool> out;
  out.reserve(s.snapshot.size() + s.incumbents.size());
  for (std::uint32_t h = 0; h < s.snapshot.handle_limit(); ++h) {
    out.emplace(s.snapshot.symbol(h).str(), false);
  }
  for (const Incumbent& i : s.incumbents) {
    out.emplace(i.symbol.str(), false);
  }
  for (const Incumbent& c : chosen) {
    out[c.symbol.str()] = true;
  }
  return out;
}

Allocation SubscriptionScheduler::plan(std::size_t total_slots, std::int64_t now_ns) const {
  return impl_->preview(impl_->snapshot, total_slots, now_ns);
}

Allocation SubscriptionScheduler::rebalance(std::size_t total_slots, std::int64_t now_ns) {
  return impl_->rebalance(impl_->snapshot, total_slots, now_ns);
}

double SubscriptionScheduler::priority(std::string_view symbol) const noexcept {
  return impl_->snapshot.priority_of(symbol);
}

std::size_t SubscriptionScheduler::known_count() const noexcept { return impl_->snapshot.size(); }

Allocation SubscriptionScheduler::plan(const ActivityTracker& tracker, std::size_t total_slots,
                                       std::int64_t now_ns) const {
  const detail::sched::TrackerView view(detail::TrackerAccess::impl(tracker), now_ns);
  return impl_->preview(view, total_slots, now_ns);
}

Allocation SubscriptionScheduler::rebalance(const ActivityTracker& tracker, std::size_t total_slots,
                                            std::int64_t now_ns) {
  const detail::sched::TrackerView view(detail::TrackerAccess::impl(tracker), now_ns);
  return impl_->rebalance(view, total_slots, now_ns);
}

bool SubscriptionScheduler::release(const Symbol& contract) {
  auto& incs = impl_->incumbents;
  const auto it = std::find_if(incs.begin(), incs.end(), [&](const Incumbent& i) { return i.symbol == contract; });
  if (it == incs.end()) {
    return false;
  }
  incs.erase(it);
  return true;
}

bool SubscriptionScheduler::exclude(const Symbol& contract, std::int64_t until_ns) {
  auto [it, inserted] = impl_->excluded.try_emplace(contract, until_ns);
  if (!inserted) {
    it->second = std::max(it->second, until_ns);
  }
  return release(contract);
}

std::size_t SubscriptionScheduler::excluded_count() const noexcept { return impl_->excluded.size(); }

std::size_t SubscriptionScheduler::on_limit_rejection(const Symbol& contract) {
  if (release(contract)) {
    const std::size_t held = impl_->incumbents.size();
    if (!impl_->learned || held < *impl_->learned) {
      impl_->learned = held;
    }
  }
  return impl_->learned.value_or(std::numeric_limits<std::size_t>::max());
}

std::optional<std::size_t> SubscriptionScheduler::learned_limit() const noexcept { return impl_->learned; }

void SubscriptionScheduler::reset_learned_limit() noexcept { impl_->learned.reset(); }

std::vector<Symbol> SubscriptionScheduler::shed_to(std::size_t capacity) {
  auto& incs = impl_->incumbents;
  if (incs.size() <= capacity) {
    return {};
  }
  std::vector<std::size_t> order(incs.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  // Lowest priority first; among equals the larger symbol first.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (incs[a].priority != incs[b].priority) {
      return incs[a].priority < incs[b].priority;
    }
    return incs[a].symbol > incs[b].symbol;
  });
  std::vector<bool> drop(incs.size(), false);
  std::vector<Symbol> out;
  for (std::size_t k = 0; k < incs.size() - capacity; ++k) {
    drop[order[k]] = true;
    out.push_back(incs[order[k]].symbol);
  }
  std::size_t i = 0;
  std::erase_if(incs, [&](const Incumbent&) { return drop[i++]; });
  std::sort(out.begin(), out.end());
  return out;
}

bool SubscriptionScheduler::is_subscribed(const Symbol& contract) const noexcept {
  return impl_->find(contract) != nullptr;
}

std::optional<SlotRole> SubscriptionScheduler::role(const Symbol& contract) const noexcept {
  const Incumbent* i = impl_->find(contract);
  if (i == nullptr) {
    return std::nullopt;
  }
  return i->role;
}

std::vector<Slot> SubscriptionScheduler::subscribed() const {
  std::vector<Slot> out;
  out.reserve(impl_->incumbents.size());
  for (const Incumbent& i : impl_->incumbents) {
    out.push_back({i.symbol, i.role});
  }
  return out;
}

std::size_t SubscriptionScheduler::subscribed_count() const noexcept { return impl_->incumbents.size(); }
std::uint64_t SubscriptionScheduler::epoch() const noexcept { return impl_->epoch; }

std::int64_t SubscriptionScheduler::next_rebalance_ns() const noexcept {
  if (!impl_->last_rebalance_ns) {
    return 0;
  }
  std::int64_t out = 0;
  if (__builtin_add_overflow(*impl_->last_rebalance_ns, impl_->interval_ns(), &out)) {
    return std::numeric_limits<std::int64_t>::max();
  }
  return out;
}

std::size_t SubscriptionScheduler::exploration_slots(std::size_t total_slots) const noexcept {
  return detail::sched::exploration_slots(impl_->cfg.top_n, impl_->cfg.exploration_fraction, total_slots);
}

const SchedulerConfig& SubscriptionScheduler::config() const noexcept { return impl_->cfg; }

}  // namespace ws_source
