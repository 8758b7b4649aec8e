// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Properties of the subscription scheduler and the activity tracker: capacity and reservation,
// evictions only past the hysteresis factor, determinism, exploration rotation and hold, the
// tracker's incremental ranking against a full rescan, the lazy decay against its closed form,
// the exploration walk's early stop against drawing every candidate, the string and tracker
// surfaces agreeing, the tracker surface against a from-scratch recomputation of every rule over
// many rebalances, and the walk's hash-only shortcuts. Small local generators (this file must
// build quickly).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <numbers>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "allocation_normalize.hpp"
#include "scheduler/rng.hpp"
#include "ws_source/activity_tracker.hpp"
#include "ws_source/scheduler.hpp"

using namespace ws_source;
using ws_source::test_support::normalized;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
using Prios = std::unordered_map<std::string, double>;

std::string name(int i) { return "O:X" + std::to_string(1000 + i); }
Symbol sym(const std::string& s) { return *Symbol::make(s); }
double clean(double p) { return std::isfinite(p) && p > 0 ? p : 0.0; }

// A priority with deliberate ties, zeros and invalid values.
double gen_priority() {
  switch (*rc::gen::inRange(0, 9)) {
    case 0:
      return 0.0;
    case 1:
      return 50.0;
    case 2:
      return *rc::gen::element(std::nan(""), -3.0, HUGE_VAL);
    default:
      return *rc::gen::inRange(0, 1000) / 10.0;
  }
}

Prios gen_priorities(int max) {
  const int n = *rc::gen::inRange(0, max);
  Prios out;
  for (int i = 0; i < n; ++i) {
    out[name(i)] = gen_priority();
  }
  return out;
}

SchedulerConfig gen_config() {
  SchedulerConfig c;
  c.top_n = *rc::gen::inRange<std::size_t>(0, 12);
  c.exploration_fraction = *rc::gen::inRange(0, 101) / 100.0;
  c.hysteresis = *rc::gen::inRange(0, 200) / 100.0;
  c.seed = *rc::gen::arbitrary<std::uint64_t>();
  c.exploration_memory_epochs = *rc::gen::inRange<std::uint64_t>(1, 50);
  c.exploration_weighting =
      *rc::gen::element(ExplorationWeighting::Uniform, ExplorationWeighting::Priority, ExplorationWeighting::Posterior);
  c.rebalance_interval_s = 5;
  return c;
}

std::set<std::string> names(const std::vector<Slot>& v, bool exploitation_only) {
  std::set<std::string> out;
  for (const Slot& s : v) {
    if (!exploitation_only || s.role != SlotRole::Explore) {
      out.insert(s.symbol.str());
    }
  }
  return out;
}

std::set<std::string> with_role(const Allocation& a, SlotRole r) {
  std::set<std::string> out;
  for (const Symbol& s : a.symbols(r)) {
    out.insert(s.str());
  }
  return out;
}

// The `k` best by priority (sanitized) desc, then symbol asc.
std::set<std::string> best(const Prios& p, std::size_t k) {
  std::vector<std::pair<double, std::string>> v;
  for (const auto& [s, x] : p) {
    v.emplace_back(clean(x), s);
  }
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::set<std::string> out;
  for (std::size_t i = 0; i < std::min(k, v.size()); ++i) {
    out.insert(v[i].second);
  }
  return out;
}

// Scales each priority by a factor chosen by its symbol's number.
Prios perturb(const Prios& p, const std::vector<double>& factors) {
  Prios out;
  for (const auto& [s, v] : p) {
    out[s] = v * factors[static_cast<std::size_t>(std::stoi(s.substr(3))) % factors.size()];
  }
  return out;
}

std::vector<double> gen_factors() {
  const auto raw = *rc::gen::nonEmpty(rc::gen::container<std::vector<int>>(rc::gen::inRange(50, 200)));
  std::vector<double> out;
  for (const int x : raw) {
    out.push_back(x / 100.0);
  }
  return out;
}

// Random option trades (up to `max_trades`) on `contracts` OCC symbols (calls and puts), skewed
// so that a few contracts trade much more than the rest (many rank levels), up to a second late,
// into `t`.
void gen_trades(ActivityTracker& t, std::int64_t now, int contracts, int max_trades = 120) {
  const int n = *rc::gen::inRange(0, max_trades);
  for (int i = 0; i < n; ++i) {
    const double u = *rc::gen::inRange(0, 1000) / 1000.0;
    const int k = static_cast<int>(contracts * u * u * u);
    const std::string s =
        std::string("O:SPY2512") + (k % 2 == 0 ? "19C" : "19P") + "00" + std::to_string(600000 + k / 2);
    const auto late = static_cast<std::int64_t>(*rc::gen::inRange(0, 1000)) * kS / 1000;
    t.record_option_trade(sym(s), now - late, static_cast<double>(*rc::gen::inRange(0, 20)));
  }
}

}  // namespace

// Never more than total_slots active, never idle, the top_n always active, every known symbol in
// the view, over rebalances with changing priorities and capacity.
RC_GTEST_PROP(SchedulerProperties, CapacityAndReservation, ()) {
  const SchedulerConfig cfg = gen_config();
  SubscriptionScheduler sched(cfg);
  std::int64_t now = 0;
  const int steps = *rc::gen::inRange(1, 6);
  for (int step = 0; step < steps; ++step) {
    // Up to 200: the string surface walks its snapshot in blocks of 64.
    const Prios prios = gen_priorities(*rc::gen::element(40, 200));
    const auto slots = *rc::gen::inRange<std::size_t>(0, 30);
    now += *rc::gen::inRange(0, 12) * kS;
    sched.update_priorities(prios);
    Prios known = prios;
    for (const Slot& s : sched.subscribed()) {
      known.emplace(s.symbol.str(), 0.0);
    }
    const auto view = sched.allocate_slots(slots);
    RC_ASSERT(view.size() == known.size());
    const auto on =
        static_cast<std::size_t>(std::count_if(view.begin(), view.end(), [](const auto& e) { return e.second; }));
    RC_ASSERT(on == std::min(slots, known.size()));
    const Allocation a = sched.rebalance(slots, now);
    RC_ASSERT(a.active.size() <= slots);
    RC_ASSERT(a.active.size() == std::min(slots, known.size()));
    RC_ASSERT(names(a.active, false).size() == a.active.size());  // no duplicates
    RC_ASSERT(with_role(a, SlotRole::Reserved) == best(known, std::min(cfg.top_n, slots)));
    if (known.size() > slots) {
      RC_ASSERT(a.count(SlotRole::Explore) == sched.exploration_slots(slots));
    }
    RC_ASSERT(sched.subscribed_count() == a.active.size());
  }
}

// An incumbent of the exploitation set loses its slot only to a newcomer that is reserved (top_n
// is unconditional), a challenger whose priority exceeds its own by the factor (1 + hysteresis),
// or a former exploration pick ranked at least as high.
RC_GTEST_PROP(SchedulerProperties, NoEvictionUnlessTheHysteresisFactorIsExceeded, ()) {
  const SchedulerConfig cfg = gen_config();
  Prios current = gen_priorities(40);
  const std::vector<double> factors = gen_factors();
  const auto slots = *rc::gen::inRange<std::size_t>(1, 30);
  SubscriptionScheduler sched(cfg);
  sched.update_priorities(current);
  Allocation prev = sched.rebalance(slots, 0);
  const double h = sched.config().hysteresis;
  const int rounds = *rc::gen::inRange(1, 5);
  for (int r = 1; r <= rounds; ++r) {
    current = perturb(current, factors);
    sched.update_priorities(current);
    const Allocation next = sched.rebalance(slots, r * 5 * kS);
    const auto old_x = names(prev.active, true);
    const auto new_x = names(next.active, true);
    const auto old_all = names(prev.active, false);
    const auto new_all = names(next.active, false);
    const auto old_explore = with_role(prev, SlotRole::Explore);
    const auto new_r = with_role(next, SlotRole::Reserved);
    auto p = [&](const std::string& s) { return current.count(s) ? clean(current.at(s)) : 0.0; };
    for (const auto& i : old_x) {
      if (new_all.count(i)) {
        continue;
      }
      bool justified = false;
      for (const auto& j : new_x) {
        if (!old_x.count(j) && (new_r.count(j) || (!old_all.count(j) && p(j) > p(i) * (1.0 + h)) ||
                                (old_explore.count(j) && p(j) >= p(i)))) {
          justified = true;
        }
      }
      RC_ASSERT(justified);
    }
    prev = next;
  }
}

// With unchanged priorities and capacity, only the exploration slots churn.
RC_GTEST_PROP(SchedulerProperties, StablePrioritiesKeepTheExploitationSet, ()) {
  const SchedulerConfig cfg = gen_config();
  SubscriptionScheduler sched(cfg);
  sched.update_priorities(gen_priorities(40));
  const auto slots = *rc::gen::inRange<std::size_t>(0, 30);
  const auto first = names(sched.rebalance(slots, 0).active, true);
  for (int r = 1; r < 6; ++r) {
    const Allocation a = sched.rebalance(slots, r * 5 * kS);
    RC_ASSERT(names(a.active, true) == first);
    RC_ASSERT(a.removed.size() <= a.count(SlotRole::Explore));
  }
}

// Same state and seed, same allocation: a copy and a replay agree with the original, and the
// preview equals what the next timely rebalance commits.
RC_GTEST_PROP(SchedulerProperties, Deterministic, ()) {
  const SchedulerConfig cfg = gen_config();
  const int steps = *rc::gen::inRange(1, 5);
  std::vector<std::pair<Prios, std::size_t>> plan;
  for (int i = 0; i < steps; ++i) {
    plan.emplace_back(gen_priorities(30), *rc::gen::inRange<std::size_t>(0, 20));
  }
  auto run = [&] {
    SubscriptionScheduler sched(cfg);
    std::vector<Allocation> out;
    for (std::size_t r = 0; r < plan.size(); ++r) {
      sched.update_priorities(plan[r].first);
      const auto view = sched.allocate_slots(plan[r].second);
      RC_ASSERT(view == sched.allocate_slots(plan[r].second));
      const std::int64_t now = sched.next_rebalance_ns();
      SubscriptionScheduler twin = sched;
      const Allocation preview = sched.plan(plan[r].second, now);
      const Allocation a = sched.rebalance(plan[r].second, now);
      RC_ASSERT(twin.rebalance(plan[r].second, now) == a);
      RC_ASSERT(preview == a);
      std::set<std::string> on;
      for (const auto& [s, v] : view) {
        if (v) {
          on.insert(s);
        }
      }
      RC_ASSERT(on == names(a.active, false));
      out.push_back(a);
    }
    return out;
  };
  RC_ASSERT(run() == run());
}

// Exploration rotates: with fixed priorities and one rebalance per interval, no contract is
// explored twice before every candidate was explored once.
RC_GTEST_PROP(SchedulerProperties, ExplorationRotates, ()) {
  const int n = *rc::gen::inRange(10, 60);
  const auto slots = *rc::gen::inRange<std::size_t>(4, 10);
  SchedulerConfig cfg;
  cfg.top_n = *rc::gen::inRange<std::size_t>(0, 4);
  cfg.exploration_fraction = 0.5;
  cfg.hysteresis = 0.5;
  cfg.seed = *rc::gen::arbitrary<std::uint64_t>();
  cfg.exploration_memory_epochs = 1000;
  cfg.exploration_hold_intervals = 1;  // one pick per interval per slot (the default holds two)
  cfg.exploration_weighting = *rc::gen::element(ExplorationWeighting::Uniform, ExplorationWeighting::Priority);
  SubscriptionScheduler sched(cfg);
  Prios p;
  for (int i = 0; i < n; ++i) {
    p[name(i)] = n - i;
  }
  sched.update_priorities(p);
  const std::size_t e = sched.exploration_slots(slots);
  RC_PRE(e > 0);
  const std::size_t candidates = static_cast<std::size_t>(n) - (slots - e);
  std::set<std::string> seen;
  for (std::size_t r = 0; r < candidates / e; ++r) {
    const Allocation a = sched.rebalance(slots, static_cast<std::int64_t>(r) * 5 * kS);
    RC_ASSERT(a.count(SlotRole::Explore) == e);
    for (const auto& s : with_role(a, SlotRole::Explore)) {
      RC_ASSERT(seen.insert(s).second);
    }
  }
  const Allocation last = sched.rebalance(slots, static_cast<std::int64_t>(candidates / e) * 5 * kS);
  for (const auto& s : with_role(last, SlotRole::Explore)) {
    seen.insert(s);
  }
  RC_ASSERT(seen.size() == candidates);
}

// Exploration picks keep their slot for the hold, even through an early rebalance with moved
// priorities.
RC_GTEST_PROP(SchedulerProperties, PicksAreHeldOneInterval, ()) {
  const SchedulerConfig cfg = gen_config();
  const Prios prios = gen_priorities(40);
  const auto slots = *rc::gen::inRange<std::size_t>(1, 30);
  SubscriptionScheduler sched(cfg);
  sched.update_priorities(prios);
  const Allocation first = sched.rebalance(slots, 0);
  sched.update_priorities(perturb(prios, gen_factors()));
  const Allocation second = sched.rebalance(slots, *rc::gen::inRange(0, 5) * kS);
  const auto still = names(second.active, false);
  for (const auto& s : with_role(first, SlotRole::Explore)) {
    RC_ASSERT(still.count(s) == 1U);
  }
}

// The tracker's incremental ranking equals a full rescan of every rate, through trades in and out
// of order, prunes and removals, read at arbitrary times; prune removes exactly the contracts
// below the rate.
RC_GTEST_PROP(TrackerProperties, IncrementalRankingEqualsAFullRescan, ()) {
  SchedulerConfig cfg;
  cfg.half_life_s = *rc::gen::inRange(1, 400) / 10.0;
  cfg.volume_weight = *rc::gen::element(0.0, 0.3);
  cfg.put_call_pooling = *rc::gen::element(0.0, 0.15, 1.0);
  ActivityTracker t(cfg);
  std::int64_t now = 1'700'000'000 * kS;
  const int steps = *rc::gen::inRange(1, 8);
  for (int step = 0; step < steps; ++step) {
    gen_trades(t, now, 60);
    now += *rc::gen::inRange(0, 20'000) * kS / 1000;
    if (*rc::gen::inRange(0, 3) == 0) {
      const double min_rate = *rc::gen::inRange(0, 100) / 1000.0;
      const auto before = t.rates(now);
      const std::size_t below = static_cast<std::size_t>(
          std::count_if(before.begin(), before.end(), [&](const auto& e) { return e.second < min_rate; }));
      RC_ASSERT(t.prune(now, min_rate) == below);
      for (const auto& [s, r] : t.rates(now)) {
        RC_ASSERT(r >= min_rate);
        RC_ASSERT(before.at(s) == r);
      }
    }
    if (*rc::gen::inRange(0, 4) == 0 && !t.empty()) {
      const auto all = t.top(t.size(), now);
      RC_ASSERT(t.remove(all[static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, all.size()))].symbol));
    }
    const std::int64_t read_at = now + *rc::gen::inRange(-2000, 30'000) * kS / 1000;
    std::vector<std::pair<double, std::string>> rescan;
    for (const auto& [s, r] : t.rates(read_at)) {
      rescan.emplace_back(r, s);
    }
    std::sort(rescan.begin(), rescan.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    const auto k = *rc::gen::inRange<std::size_t>(0, 80);
    const auto top = t.top(k, read_at);
    RC_ASSERT(top.size() == std::min(k, rescan.size()));
    for (std::size_t i = 0; i < top.size(); ++i) {
      RC_ASSERT(top[i].symbol.view() == rescan[i].second);
      RC_ASSERT(top[i].rate == rescan[i].first);
      RC_ASSERT(t.rate(top[i].id, read_at) == top[i].rate);
    }
  }
}

// Many lazy updates equal the closed form Σ cᵢ·2^(−(now − tᵢ)/H) · ln2/H, in any arrival order.
RC_GTEST_PROP(TrackerProperties, LazyUpdatesEqualTheClosedForm, ()) {
  const double h = *rc::gen::inRange(1, 1000) / 10.0;
  const double w = *rc::gen::inRange(0, 20) / 10.0;
  SchedulerConfig cfg;
  cfg.half_life_s = h;
  cfg.volume_weight = w;
  ActivityTracker t(cfg);
  const int n = *rc::gen::inRange(1, 60);
  double sum = 0;
  std::int64_t last = 0;
  std::vector<std::tuple<std::int64_t, int, int>> events;
  for (int i = 0; i < n; ++i) {
    events.emplace_back(*rc::gen::inRange<std::int64_t>(0, 20'000) * kS / 1000, *rc::gen::inRange(0, 5),
                        *rc::gen::inRange(0, 1000));
  }
  if (*rc::gen::arbitrary<bool>()) {
    std::sort(events.begin(), events.end());
  }
  for (const auto& [ts, c, v] : events) {
    t.record(sym("O:X"), ts, c, v);
    last = std::max(last, ts);
  }
  const std::int64_t now = last + *rc::gen::inRange<std::int64_t>(0, 50'000) * kS / 1000;
  for (const auto& [ts, c, v] : events) {
    sum += (c + w * v) * std::exp2(-static_cast<double>(now - ts) / (h * 1e9));
  }
  const double want = sum * std::numbers::ln2 / h;
  const double got = t.rate(sym("O:X"), now);
  RC_ASSERT(std::abs(got - want) <= 1e-9 * std::max(want, 1e-300));
}

// On a first rebalance (no history), the exploration picks are exactly the smallest draws among
// the candidates outside the exploitation set: the walk's early stop changes nothing.
RC_GTEST_PROP(SchedulerProperties, TheExplorationWalkStopsExactly, ()) {
  SchedulerConfig cfg;
  cfg.half_life_s = *rc::gen::element(10.0, 120.0, 5000.0);
  cfg.top_n = *rc::gen::inRange<std::size_t>(0, 10);
  cfg.exploration_fraction = *rc::gen::inRange(1, 60) / 100.0;
  cfg.seed = *rc::gen::arbitrary<std::uint64_t>();
  cfg.exploration_weighting =
      *rc::gen::element(ExplorationWeighting::Posterior, ExplorationWeighting::Priority, ExplorationWeighting::Uniform);
  ActivityTracker t(cfg);
  gen_trades(t, 0, *rc::gen::inRange(1, 400), 1500);
  gen_trades(t, 10 * kS, 400, 1500);
  const std::int64_t now = 12 * kS;
  const auto slots = *rc::gen::inRange<std::size_t>(1, 60);
  SubscriptionScheduler sched(cfg);
  const Allocation a = sched.plan(t, slots, now);
  const auto taken = names(a.active, true);
  const std::uint64_t seed = detail::sched::epoch_seed(cfg.seed, 1);
  const double window = cfg.half_life_s / std::numbers::ln2;
  std::vector<std::pair<std::uint64_t, std::string>> keys;
  for (const auto& [s, r] : t.rates(now)) {
    if (taken.count(s) == 0) {
      const std::uint64_t d = detail::sched::draw(seed, detail::sched::symbol_hash(s));
      std::uint64_t key = d;
      if (cfg.exploration_weighting == ExplorationWeighting::Posterior) {
        key = detail::sched::posterior_key(d, r, window);
      } else if (cfg.exploration_weighting == ExplorationWeighting::Priority) {
        key = detail::sched::weighted_key(d, r);
      }
      keys.emplace_back(key, s);
    }
  }
  std::sort(keys.begin(), keys.end());
  std::set<std::string> want;
  for (std::size_t i = 0; i < std::min(keys.size(), slots - taken.size()); ++i) {
    want.insert(keys[i].second);
  }
  RC_ASSERT(with_role(a, SlotRole::Explore) == want);
}

// Fed the same rates, the string surface and the tracker surface give the same allocations,
// rebalance after rebalance (exploration history, hysteresis, prunes and exclusions included).
RC_GTEST_PROP(SchedulerProperties, TheStringAndTrackerSurfacesAgree, ()) {
  SchedulerConfig cfg = gen_config();
  cfg.half_life_s = *rc::gen::element(5.0, 30.0, 120.0);
  cfg.put_call_pooling = *rc::gen::element(0.0, 0.15);
  ActivityTracker t(cfg);
  SubscriptionScheduler by_id(cfg);
  SubscriptionScheduler by_string(cfg);
  std::int64_t now = 0;
  const int rounds = *rc::gen::inRange(1, 8);
  const auto slots = *rc::gen::inRange<std::size_t>(0, 40);
  for (int r = 0; r < rounds; ++r) {
    gen_trades(t, now, 120);
    now += *rc::gen::inRange(1, 10) * kS;
    if (*rc::gen::inRange(0, 3) == 0) {
      t.prune(now, *rc::gen::inRange(0, 50) / 1000.0);
    }
    if (*rc::gen::inRange(0, 3) == 0 && by_id.subscribed_count() > 0) {
      const Symbol s = by_id.subscribed().back().symbol;
      const std::int64_t until = now + *rc::gen::inRange(0, 20) * kS;
      RC_ASSERT(by_id.exclude(s, until) == by_string.exclude(s, until));
    }
    by_string.update_priorities(t.rates(now));
    RC_ASSERT(normalized(by_id.plan(t, slots, now)) == normalized(by_string.plan(slots, now)));
    RC_ASSERT(normalized(by_id.rebalance(t, slots, now)) == normalized(by_string.rebalance(slots, now)));
  }
}

namespace {

// The allocation rules recomputed from scratch (plan.hpp's steps 1-4 and the commit), with full
// sorts over every known contract: no ranking walk, no early stop, no marks or scratch, none of
// the hash-only rejections. The scheduler's tracker surface must commit the same roles.
struct ReferenceScheduler {
  struct Held {
    Symbol symbol;
    SlotRole role;
    std::int64_t since;
  };
  SchedulerConfig cfg;  // as clamped by the scheduler
  std::vector<Held> incumbents;
  std::map<Symbol, std::uint64_t> explored;  // epoch picked
  std::map<Symbol, std::int64_t> excluded;   // until when
  std::uint64_t epoch{0};

  void exclude(const Symbol& s, std::int64_t until) {
    auto [it, fresh] = excluded.try_emplace(s, until);
    if (!fresh) {
      it->second = std::max(it->second, until);
    }
    std::erase_if(incumbents, [&](const Held& h) { return h.symbol == s; });
  }

  // The roles committed by a rebalance of `slots` (`e_slots` of them exploration) at `now` over
  // `rates`.
  std::map<std::string, SlotRole> rebalance(const Prios& rates, std::size_t slots, std::size_t e_slots,
                                            std::int64_t now) {
    std::erase_if(excluded, [&](const auto& e) { return e.second <= now; });
    const std::uint64_t planned = epoch + 1;
    std::map<Symbol, double> p;
    for (const auto& [s, r] : rates) {
      p[sym(s)] = clean(r);
    }
    std::set<Symbol> was;
    for (const Held& h : incumbents) {
      p.emplace(h.symbol, 0.0);
      was.insert(h.symbol);
    }
    const auto ranks = [&](const Symbol& a, const Symbol& b) { return p.at(a) != p.at(b) ? p.at(a) > p.at(b) : a < b; };
    const auto out = [&](const Symbol& s) { return excluded.count(s) != 0; };
    std::vector<Symbol> ranked;
    for (const auto& [s, v] : p) {
      if (!out(s)) {
        ranked.push_back(s);
      }
    }
    std::sort(ranked.begin(), ranked.end(), ranks);
    std::map<Symbol, SlotRole> role;
    std::set<Symbol> fresh;
    if (slots > 0) {
      const std::size_t r_slots = std::min(cfg.top_n, slots);
      const std::size_t x_slots = slots - r_slots - e_slots;
      const std::int64_t hold =
          static_cast<std::int64_t>(cfg.rebalance_interval_s * cfg.exploration_hold_intervals) * kS;
      std::vector<Symbol> held;
      for (const Held& h : incumbents) {
        if (h.role == SlotRole::Explore && now - h.since < hold) {
          held.push_back(h.symbol);
        }
      }
      const std::size_t best = std::min(r_slots + x_slots + held.size(), ranked.size());
      const std::size_t reserved = std::min(r_slots, best);
      for (std::size_t i = 0; i < reserved; ++i) {
        role[ranked[i]] = SlotRole::Reserved;
      }
      std::erase_if(held, [&](const Symbol& s) { return role.count(s) != 0 || out(s); });
      std::sort(held.begin(), held.end(), ranks);
      held.resize(std::min(held.size(), e_slots));
      for (const Symbol& s : held) {
        role[s] = SlotRole::Explore;
      }
      struct Contender {
        double score;
        bool incumbent;
        Symbol symbol;
      };
      std::vector<Contender> contenders;
      std::set<Symbol> listed;
      const double boost = 1.0 + cfg.hysteresis;
      for (std::size_t i = reserved; i < best; ++i) {
        if (role.count(ranked[i]) == 0) {
          const bool inc = was.count(ranked[i]) != 0;
          contenders.push_back({inc ? p.at(ranked[i]) * boost : p.at(ranked[i]), inc, ranked[i]});
          listed.insert(ranked[i]);
        }
      }
      for (const Held& h : incumbents) {
        if (role.count(h.symbol) == 0 && listed.count(h.symbol) == 0) {
          contenders.push_back({p.at(h.symbol) * boost, true, h.symbol});
        }
      }
      std::sort(contenders.begin(), contenders.end(), [](const Contender& a, const Contender& b) {
        if (a.score != b.score) {
          return a.score > b.score;
        }
        if (a.incumbent != b.incumbent) {
          return a.incumbent;
        }
        return a.symbol < b.symbol;
      });
      for (std::size_t i = 0; i < std::min(x_slots, contenders.size()); ++i) {
        role[contenders[i].symbol] = SlotRole::Exploit;
      }
      // Exploration: every slot still free, to the smallest (tier, key, symbol).
      const std::uint64_t seed = detail::sched::epoch_seed(cfg.seed, planned);
      const double window = cfg.half_life_s / std::numbers::ln2;
      std::vector<std::tuple<std::uint64_t, std::uint64_t, Symbol>> keys;
      for (const auto& [s, v] : p) {
        if (role.count(s) != 0 || out(s)) {
          continue;
        }
        const std::uint64_t d = detail::sched::draw(seed, detail::sched::symbol_hash(s.view()));
        std::uint64_t key = d;
        if (cfg.exploration_weighting == ExplorationWeighting::Posterior) {
          key = detail::sched::posterior_key(d, v, window);
        } else if (cfg.exploration_weighting == ExplorationWeighting::Priority) {
          key = detail::sched::weighted_key(d, v);
        }
        const auto it = explored.find(s);
        const bool remembered =
            it != explored.end() && planned - std::min(it->second, planned) <= cfg.exploration_memory_epochs;
        keys.emplace_back(remembered ? it->second : 0, key, s);
      }
      std::sort(keys.begin(), keys.end());
      const std::size_t free = slots - role.size();
      for (std::size_t i = 0; i < std::min(free, keys.size()); ++i) {
        role[std::get<2>(keys[i])] = SlotRole::Explore;
        fresh.insert(std::get<2>(keys[i]));
      }
    }
    // Commit.
    std::vector<Held> next;
    for (const auto& [s, r] : role) {
      std::int64_t since = now;
      const auto old = std::find_if(incumbents.begin(), incumbents.end(), [&](const Held& h) { return h.symbol == s; });
      if (fresh.count(s) == 0 && old != incumbents.end() && old->role == r) {
        since = old->since;
      }
      next.push_back({s, r, since});
    }
    for (const Symbol& s : fresh) {
      explored[s] = planned;
    }
    std::erase_if(explored,
                  [&](const auto& e) { return planned - std::min(e.second, planned) > cfg.exploration_memory_epochs; });
    incumbents = std::move(next);
    epoch = planned;
    std::map<std::string, SlotRole> roles;
    for (const auto& [s, r] : role) {
      roles[s.str()] = r;
    }
    return roles;
  }
};

std::map<std::string, SlotRole> roles_of(const Allocation& a) {
  std::map<std::string, SlotRole> out;
  for (const Slot& s : a.active) {
    out[s.symbol.str()] = s.role;
  }
  return out;
}

}  // namespace

// The tracker surface (the ranking walk with its early stops and hash-only rejections, the reused
// scratch) commits exactly what a from-scratch recomputation over every contract's rate commits,
// rebalance after rebalance: trades, capacity changes, prunes, exclusions, exploration memory and
// holds included. Every preview equals the rebalance that follows it, also from a copy (whose
// scratch is fresh), and every diff is the difference of the subscribed sets.
RC_GTEST_PROP(SchedulerProperties, TheTrackerSurfaceEqualsAFullRecomputation, ()) {
  SchedulerConfig cfg = gen_config();
  cfg.half_life_s = *rc::gen::element(5.0, 30.0, 120.0);
  cfg.put_call_pooling = *rc::gen::element(0.0, 0.15);
  cfg.exploration_hold_intervals = *rc::gen::inRange<std::uint64_t>(1, 3);
  ActivityTracker t(cfg);
  SubscriptionScheduler sched(cfg);
  ReferenceScheduler ref;
  ref.cfg = sched.config();
  std::int64_t now = 0;
  std::set<std::string> subscribed;
  const int rounds = *rc::gen::inRange(1, 10);
  for (int r = 0; r < rounds; ++r) {
    gen_trades(t, now, *rc::gen::element(30, 120, 400), 300);
    now += *rc::gen::inRange(1, 10) * kS;
    if (*rc::gen::inRange(0, 4) == 0) {
      t.prune(now, *rc::gen::inRange(0, 50) / 1000.0);
    }
    if (*rc::gen::inRange(0, 3) == 0 && sched.subscribed_count() > 0) {
      const auto all = sched.subscribed();
      const Symbol s = all[*rc::gen::inRange<std::size_t>(0, all.size())].symbol;
      const std::int64_t until = now + *rc::gen::inRange(0, 20) * kS;
      sched.exclude(s, until);
      ref.exclude(s, until);
      subscribed.erase(s.str());
    }
    const auto slots = *rc::gen::inRange<std::size_t>(0, 60);
    const Allocation preview = sched.plan(t, slots, now);
    RC_ASSERT(SubscriptionScheduler(sched).plan(t, slots, now) == preview);
    const Allocation a = sched.rebalance(t, slots, now);
    RC_ASSERT(a == preview);
    RC_ASSERT(roles_of(a) == ref.rebalance(t.rates(now), slots, sched.exploration_slots(slots), now));
    std::set<std::string> now_on;
    for (const Slot& s : a.active) {
      now_on.insert(s.symbol.str());
    }
    std::set<std::string> added;
    std::set<std::string> removed;
    for (const Symbol& s : a.added) {
      added.insert(s.str());
    }
    for (const Symbol& s : a.removed) {
      removed.insert(s.str());
    }
    RC_ASSERT(added.size() == a.added.size());
    RC_ASSERT(removed.size() == a.removed.size());
    std::set<std::string> want_added;
    std::set<std::string> want_removed;
    std::set_difference(now_on.begin(), now_on.end(), subscribed.begin(), subscribed.end(),
                        std::inserter(want_added, want_added.end()));
    std::set_difference(subscribed.begin(), subscribed.end(), now_on.begin(), now_on.end(),
                        std::inserter(want_removed, want_removed.end()));
    RC_ASSERT(added == want_added);
    RC_ASSERT(removed == want_removed);
    subscribed = now_on;
  }
}

// The hash-only shortcuts of the exploration walk are exact: the integer form of the u1 cut, the
// bound on a draw's sample whatever its angle, and the angles whose draws sample at most n.
RC_GTEST_PROP(SchedulerProperties, TheDrawShortcutsAreExact, ()) {
  using namespace detail::sched;
  const auto d = *rc::gen::oneOf(
      rc::gen::arbitrary<std::uint64_t>(),
      rc::gen::element(std::uint64_t{0}, ~std::uint64_t{0}, std::uint64_t{1} << 32U, (std::uint64_t{1} << 32U) - 1,
                       std::uint64_t{0x43000000}, std::uint64_t{0xBD000000}, std::uint64_t{0x42ffffff},
                       std::uint64_t{0xBD000001}));
  const double cut = *rc::gen::oneOf(rc::gen::map(rc::gen::inRange(0, 1 << 20), [](int x) { return x / 1048576.0; }),
                                     rc::gen::element(0.0, 1e-300, 1.0, 2.0, posterior_u1(d)));
  // u1 > cut exactly when (d >> 32) >= limit.
  RC_ASSERT((posterior_u1(d) > cut) == ((d >> 32U) >= posterior_u1_limit(cut)));
  const double p = *rc::gen::oneOf(rc::gen::map(rc::gen::inRange(0, 100'000), [](int x) { return x / 997.0; }),
                                   rc::gen::element(0.0, 1e-12, 1e6));
  const double window = *rc::gen::element(1.0, 173.0, 7213.0);
  const std::uint64_t key = posterior_key(d, p, window);
  const PosteriorDraw x = posterior_draw(d, p, window);
  RC_ASSERT(key == posterior_key(x, d));
  RC_ASSERT(posterior_sample(key) <= posterior_bound(x));
  if (posterior_angle_nonpositive(d)) {
    RC_ASSERT(posterior_sample(key) <= static_cast<float>(x.n));
  }
}
