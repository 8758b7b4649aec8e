// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "scheduler/tracker_state.hpp"
#include "ws_source/option_contract.hpp"

namespace ws_source {

namespace {

using detail::sched::ScoreOrder;
using Table = detail::sched::SymbolTable;

double clean(double x) noexcept { return detail::sched::sanitize(x); }

double clamp_half_life(double h) noexcept {
  if (std::isnan(h)) {
    return 120.0;
  }
  return std::clamp(h, 0.001, 1e9);
}

double clamp_share(double w) noexcept { return std::isnan(w) ? 0.0 : std::clamp(w, 0.0, 1.0); }

/// `log2(2^a + 2^b)` without overflow.
double log2_sum(double a, double b) noexcept {
  const double hi = std::max(a, b);
  const double lo = std::min(a, b);
  return hi + std::log1p(std::exp2(lo - hi)) * std::numbers::log2e;
}

}  // namespace

// ---- Impl ----

void ActivityTracker::Impl::drop(std::uint32_t id) noexcept {
  order.unlink(id, bucket(score(id)));
  table.erase(id);
}

void ActivityTracker::Impl::make_room(std::int64_t b) noexcept {
  while (!order.empty() && !order.fits(b)) {
    drop(order.bucket(order.bottom()).back());
    ++evicted;
  }
}

ContractId ActivityTracker::Impl::add(const Symbol& contract, std::int64_t ts, double weight) {
  const double w = clean(weight);
  if (w == 0.0 || contract.empty()) {
    return kNoContract;
  }
  if (!has_origin) {
    has_origin = true;
    origin_ns = ts;
  }
  latest_ns = std::max(latest_ns, ts);
  const double a = std::log2(w) + units(ts);
  const std::uint64_t h = detail::sched::table_hash(contract);
  if (const std::uint32_t id = table.find(contract, h); id != Table::kNone) {
    const double old = scores[id];
    const double now = log2_sum(old, a);
    scores[id] = now;
    const std::int64_t from = bucket(old);
    const std::int64_t to = bucket(now);
    if (to != from) {
      order.unlink(id, from);
      make_room(to);
      order.link(id, to);
    }
    return id;
  }
  const std::int64_t to = bucket(a);
  if (!order.empty() && to < order.top() - ScoreOrder::kMaxBuckets + 1) {
    ++evicted;  // negligible next to the top: never ranked
    return kNoContract;
  }
  if (table.size() >= max_contracts) {
    if (to < order.bottom()) {
      ++evicted;  // ranks below everything tracked
      return kNoContract;
    }
    drop(order.bucket(order.bottom()).back());
    ++evicted;
  }
  make_room(to);
  const std::uint32_t id = table.insert(contract, h);
  if (id >= scores.size()) {
    scores.resize(std::size_t{id} + 1);
  }
  scores[id] = a;
  order.link(id, to);
  return id;
}

// ---- ActivityTracker ----

ActivityTracker::ActivityTracker(const SchedulerConfig& config, std::size_t max_contracts)
    : impl_(std::make_unique<Impl>()) {
  Impl& t = *impl_;
  t.half_life_s = clamp_half_life(config.half_life_s);
  t.half_life_ns = t.half_life_s * 1e9;
  t.count_to_rate = std::numbers::ln2 / t.half_life_s;
  t.volume_weight = clean(config.volume_weight);
  t.pooling = clamp_share(config.put_call_pooling);
  t.max_contracts = std::max<std::size_t>(max_contracts, 1);
}

Result<ActivityTracker, ConfigError> ActivityTracker::create(const SchedulerConfig& config, std::size_t max_contracts) {
  if (auto ok = validate(config); !ok) {
    return fail(std::move(ok).error());
  }
  return ActivityTracker(config, max_contracts);
}

ActivityTracker::ActivityTracker(const ActivityTracker& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
ActivityTracker& ActivityTracker::operator=(const ActivityTracker& other) {
  if (this != &other) {
    impl_ = std::make_unique<Impl>(*other.impl_);
  }
  return *this;
}
ActivityTracker::ActivityTracker(ActivityTracker&&) noexcept = default;
ActivityTracker& ActivityTracker::operator=(ActivityTracker&&) noexcept = default;
ActivityTracker::~ActivityTracker() = default;

ContractId ActivityTracker::record(const Symbol& contract, std::int64_t ts_ns, double count, double volume) {
  return impl_->add(contract, ts_ns, clean(count) + impl_->volume_weight * clean(volume));
}

ContractId ActivityTracker::record_trade(const Symbol& contract, std::int64_t ts_ns, double size) {
  return record(contract, ts_ns, 1.0, size);
}

ContractId ActivityTracker::credit_pair(const Symbol& pair, std::int64_t ts_ns, double size) {
  const double w = impl_->pooling;
  if (w <= 0.0) {
    return kNoContract;
  }
  return record(pair, ts_ns, w, w * clean(size));
}

ContractId ActivityTracker::record_option_trade(const Symbol& contract, std::int64_t ts_ns, double size) {
  const ContractId id = record_trade(contract, ts_ns, size);
  if (impl_->pooling > 0.0) {
    if (const auto pair = put_call_pair(contract)) {
      credit_pair(*pair, ts_ns, size);
    }
  }
  return id;
}

ContractId ActivityTracker::record_option_trade(const OptionTrade& trade) {
  return record_option_trade(trade.symbol, trade.sip_ts_ns, static_cast<double>(trade.size));
}

double ActivityTracker::rate(const Symbol& contract, std::int64_t now_ns) const noexcept {
  const std::uint32_t id = impl_->table.find(contract);
  return id == Table::kNone ? 0.0 : impl_->rate_at(impl_->score(id), now_ns);
}

double ActivityTracker::rate(ContractId id, std::int64_t now_ns) const noexcept {
  return impl_->table.live(id) ? impl_->rate_at(impl_->score(id), now_ns) : 0.0;
}

std::optional<ContractId> ActivityTracker::find(const Symbol& contract) const noexcept {
  const std::uint32_t id = impl_->table.find(contract);
  if (id == Table::kNone) {
    return std::nullopt;
  }
  return id;
}

Symbol ActivityTracker::symbol(ContractId id) const noexcept {
  return impl_->table.live(id) ? impl_->table.symbol(id) : Symbol{};
}

std::vector<RankedContract> ActivityTracker::top(std::size_t k, std::int64_t now_ns) const {
  const detail::sched::TrackerView view(*impl_, now_ns);
  auto walker = view.walker();
  std::vector<detail::sched::Candidate> best;
  std::vector<detail::sched::Candidate> heap;
  const auto better = [&](const detail::sched::Candidate& a, const detail::sched::Candidate& b) {
    if (a.priority != b.priority) {
      return a.priority > b.priority;
    }
    return view.symbol(a.handle) < view.symbol(b.handle);
  };
  detail::sched::collect_best(
      walker, k, [](std::uint32_t) { return false; }, [&](std::uint32_t h) { return view.priority(h); }, better, best,
      heap);
  std::sort(best.begin(), best.end(), better);
  std::vector<RankedContract> out;
  out.reserve(best.size());
  for (const auto& c : best) {
    out.push_back({c.handle, view.symbol(c.handle), c.priority});
  }
  return out;
}

std::unordered_map<std::string, double> ActivityTracker::rates(std::int64_t now_ns) const {
  const Impl& t = *impl_;
  std::unordered_map<std::string, double> out;
  out.reserve(t.table.size());
  for (std::uint32_t id = 0; id < t.table.id_limit(); ++id) {
    if (t.table.live(id)) {
      out.emplace(t.table.symbol(id).str(), t.rate_at(t.score(id), now_ns));
    }
  }
  return out;
}

std::size_t ActivityTracker::prune(std::int64_t now_ns, double min_rate) {
  Impl& t = *impl_;
  std::size_t removed = 0;
  if (!(min_rate > 0.0)) {
    return 0;
  }
  while (!t.order.empty()) {
    const std::int64_t b = t.order.bottom();
    // Every member of bucket b has at least the rate of its lower edge.
    if (t.rate_at(ScoreOrder::lower_edge(b), now_ns) >= min_rate) {
      break;
    }
    bool kept = false;
    // From the back: a removal moves the bucket's last id (already looked at) into the hole.
    for (std::size_t i = t.order.bucket(b).size(); i-- > 0;) {
      const std::uint32_t id = t.order.bucket(b)[i];
      if (t.rate_at(t.score(id), now_ns) < min_rate) {
        t.drop(id);
        ++removed;
      } else {
        kept = true;
      }
    }
    if (kept) {
      break;  // the buckets above rank higher than a member that stays
    }
  }
  return removed;
}

bool ActivityTracker::remove(const Symbol& contract) {
  const std::uint32_t id = impl_->table.find(contract);
  if (id == Table::kNone) {
    return false;
  }
  impl_->drop(id);
  return true;
}

void ActivityTracker::reserve(std::size_t n) {
  impl_->table.reserve(n);
  impl_->scores.reserve(n);
  impl_->order.reserve(n);
}

std::size_t ActivityTracker::size() const noexcept { return impl_->table.size(); }
std::size_t ActivityTracker::max_contracts() const noexcept { return impl_->max_contracts; }
std::uint64_t ActivityTracker::evicted() const noexcept { return impl_->evicted; }
std::int64_t ActivityTracker::latest_ns() const noexcept { return impl_->latest_ns; }
double ActivityTracker::half_life_s() const noexcept { return impl_->half_life_s; }
double ActivityTracker::volume_weight() const noexcept { return impl_->volume_weight; }
double ActivityTracker::put_call_pooling() const noexcept { return impl_->pooling; }

std::size_t ActivityTracker::memory_bytes() const noexcept {
  const Impl& t = *impl_;
  return sizeof(*this) + sizeof(Impl) + t.table.memory_bytes() + t.scores.capacity() * sizeof(double) +
         t.order.memory_bytes();
}

}  // namespace ws_source
