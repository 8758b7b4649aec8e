// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "ws_source/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "scheduler/plan.hpp"
#include "scheduler/priority_snapshot.hpp"
#include "scheduler/tracker_state.hpp"

namespace ws_source {

namespace {

using detail::sched::Chosen;
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

}  // namespace

struct SubscriptionScheduler::Impl {
  SchedulerConfig cfg;
  detail::sched::PrioritySnapshot snapshot;
  std::vector<Incumbent> incumbents;
  std::unordered_map<Symbol, std::int64_t> excluded;
  std::unordered_map<Symbol, std::uint64_t> explored;
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

  template <class View>
  [[nodiscard]] std::vector<Chosen> choose(const View& view, std::size_t total_slots, std::int64_t now_ns) const {
    const detail::sched::PolicyState state{incumbents, excluded, explored};
    return detail::sched::plan(params(total_slots, now_ns), state, view);
  }

  [[nodiscard]] Allocation to_allocation(const std::vector<Chosen>& chosen, std::size_t total_slots) const {
    Allocation a;
    a.epoch = epoch + 1;
    a.total_slots = total_slots;
    a.capacity = capacity(total_slots);
    a.active.reserve(chosen.size());
    std::vector<bool> kept(incumbents.size(), false);
    for (const Chosen& c : chosen) {
      a.active.push_back({c.symbol, c.role});
      if (c.incumbent < 0) {
        a.added.push_back(c.symbol);
      } else {
        kept[static_cast<std::size_t>(c.incumbent)] = true;
      }
    }
    for (std::size_t i = 0; i < incumbents.size(); ++i) {
      if (!kept[i]) {
        a.removed.push_back(incumbents[i].symbol);
      }
    }
    return a;
  }

  template <class View>
  Allocation rebalance(const View& view, std::size_t total_slots, std::int64_t now_ns) {
    std::erase_if(excluded, [&](const auto& e) { return e.second <= now_ns; });
    const std::vector<Chosen> chosen = choose(view, total_slots, now_ns);
    Allocation a = to_allocation(chosen, total_slots);
    const std::uint64_t next_epoch = epoch + 1;
    std::vector<Incumbent> next;
    next.reserve(chosen.size());
    for (const Chosen& c : chosen) {
      std::int64_t since = now_ns;
      if (!c.fresh_pick && c.incumbent >= 0) {
        const Incumbent& old = incumbents[static_cast<std::size_t>(c.incumbent)];
        if (old.role == c.role) {
          since = old.since_ns;  // a role kept from the last epoch keeps its start
        }
      }
      next.push_back({c.symbol, c.role, since, c.priority, c.handle});
      if (c.fresh_pick) {
        explored[c.symbol] = next_epoch;
      }
    }
    incumbents = std::move(next);
    epoch = next_epoch;
    last_rebalance_ns = now_ns;
    const std::uint64_t memory = cfg.exploration_memory_epochs;
    std::erase_if(explored, [&](const auto& e) { return next_epoch - std::min(e.second, next_epoch) > memory; });
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
  const std::vector<Chosen> chosen = s.choose(s.snapshot, total_slots, next_rebalance_ns());
  std::unordered_map<std::string, bool> out;
  out.reserve(s.snapshot.size() + s.incumbents.size());
  for (std::uint32_t h = 0; h < s.snapshot.handle_limit(); ++h) {
    out.emplace(s.snapshot.symbol(h).str(), false);
  }
  for (const Incumbent& i : s.incumbents) {
    out.emplace(i.symbol.str(), false);
  }
  for (const Chosen& c : chosen) {
    out[c.symbol.str()] = true;
  }
  return out;
}

Allocation SubscriptionScheduler::plan(std::size_t total_slots, std::int64_t now_ns) const {
  return impl_->to_allocation(impl_->choose(impl_->snapshot, total_slots, now_ns), total_slots);
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
  return impl_->to_allocation(impl_->choose(view, total_slots, now_ns), total_slots);
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
