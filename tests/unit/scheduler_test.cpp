// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The subscription scheduler and the activity tracker: the spec's vector, hand-computed scenarios
// (hysteresis, hold, rotation, exclusion, the learned limit, shedding), the two surfaces agreeing,
// and the tracker's decay, pooling, ranking, pruning and cap.
#include "ws_source/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "allocation_normalize.hpp"
#include "scheduler/rank.hpp"
#include "scheduler/rng.hpp"
#include "ws_source/activity_tracker.hpp"

using namespace ws_source;
using ws_source::test_support::normalized;

namespace {

constexpr std::int64_t kS = 1'000'000'000;

Symbol sym(std::string_view s) { return *Symbol::make(s); }

std::vector<std::string> strs(const std::vector<Symbol>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) {
    out.push_back(s.str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> role_set(const Allocation& a, SlotRole r) { return strs(a.symbols(r)); }

std::set<std::string> active_set(const Allocation& a) {
  std::set<std::string> out;
  for (const auto& s : a.active) {
    out.insert(s.symbol.str());
  }
  return out;
}

std::set<std::string> on(const std::unordered_map<std::string, bool>& view) {
  std::set<std::string> out;
  for (const auto& [s, v] : view) {
    if (v) {
      out.insert(s);
    }
  }
  return out;
}

SchedulerConfig spec_config() {
  SchedulerConfig c;
  c.top_n = 5;
  c.exploration_fraction = 0.2;
  c.rebalance_interval_s = 5;
  c.hysteresis = 0.25;
  c.seed = 7;
  return c;
}

// The spec's config with `top_n` reserved slots and no exploration.
SchedulerConfig no_exploration(std::size_t top_n) {
  SchedulerConfig c = spec_config();
  c.top_n = top_n;
  c.exploration_fraction = 0.0;
  return c;
}

const std::vector<std::pair<std::string, double>> kSpecTen = {
    {"AAPL", 100.0}, {"TSLA", 90.0}, {"MSFT", 80.0}, {"NVDA", 70.0}, {"AMZN", 60.0},
    {"GOOG", 50.0},  {"META", 40.0}, {"NFLX", 30.0}, {"AMD", 20.0},  {"XYZ", 10.0},
};
const std::vector<std::string> kTop5 = {"AAPL", "AMZN", "MSFT", "NVDA", "TSLA"};

std::unordered_map<std::string, double> ten() { return {kSpecTen.begin(), kSpecTen.end()}; }

// The spec's ten, then ten more below them (9.0 down to 0.0).
std::unordered_map<std::string, double> twenty() {
  auto m = ten();
  const char* more[] = {"INTC", "ORCL", "CSCO", "IBM", "QCOM", "TXN", "ADBE", "CRM", "PYPL", "UBER"};
  for (int i = 0; i < 10; ++i) {
    m[more[i]] = 9.0 - i;
  }
  return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The spec's vector.

TEST(Scheduler, SpecVectorTenInstruments) {
  SubscriptionScheduler sched(spec_config());
  sched.update_priorities(ten());
  const auto view = sched.allocate_slots(10);
  ASSERT_EQ(view.size(), 10U);
  for (const auto& s : kTop5) {
    EXPECT_TRUE(view.at(s)) << s << " is in the top 5";
  }
  EXPECT_EQ(sched.exploration_slots(10), 2U);  // round(0.2 × 10)
  EXPECT_EQ(on(view).size(), 10U);             // ten fit in ten: none idle
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sched.allocate_slots(10), view);
  }
  // The roles: top 5 reserved, exactly 2 exploration picks from the rest, 3 to the next-best.
  const Allocation a = sched.rebalance(10, 0);
  EXPECT_EQ(role_set(a, SlotRole::Reserved), kTop5);
  EXPECT_EQ(role_set(a, SlotRole::Exploit), (std::vector<std::string>{"GOOG", "META", "NFLX"}));
  EXPECT_EQ(role_set(a, SlotRole::Explore), (std::vector<std::string>{"AMD", "XYZ"}));
  EXPECT_EQ(a.added.size(), 10U);
  EXPECT_TRUE(a.removed.empty());
  // Reserved slots come first.
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(a.active[i].role, SlotRole::Reserved);
  }
}

TEST(Scheduler, SpecVectorTwentyInstrumentsShowsExploration) {
  SubscriptionScheduler sched(spec_config());
  sched.update_priorities(twenty());
  const auto view = sched.allocate_slots(10);
  ASSERT_EQ(view.size(), 20U);
  const auto active = on(view);
  ASSERT_EQ(active.size(), 10U);
  for (const auto& s : kTop5) {
    EXPECT_TRUE(active.count(s)) << s;
  }
  for (const char* s : {"GOOG", "META", "NFLX"}) {
    EXPECT_TRUE(active.count(s)) << s;
  }
  std::set<std::string> rest;
  for (const auto& [s, p] : twenty()) {
    if (p <= 20.0) {
      rest.insert(s);
    }
  }
  ASSERT_EQ(rest.size(), 12U);
  EXPECT_EQ(std::count_if(active.begin(), active.end(), [&](const std::string& s) { return rest.count(s) > 0; }), 2);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sched.allocate_slots(10), view);
  }
  const Allocation a = sched.rebalance(10, 0);
  EXPECT_EQ(active_set(a), active);  // commits exactly what the preview showed
  EXPECT_EQ(a.count(SlotRole::Explore), 2U);
  for (const auto& s : a.symbols(SlotRole::Explore)) {
    EXPECT_TRUE(rest.count(s.str())) << s;
    EXPECT_EQ(sched.role(s), SlotRole::Explore);
  }
}

// ---------------------------------------------------------------------------------------------
// Rules.

TEST(Scheduler, SameSeedSamePicksOtherSeedsOtherPicks) {
  auto picks = [](std::uint64_t seed) {
    SchedulerConfig c = spec_config();
    c.seed = seed;
    c.exploration_weighting = ExplorationWeighting::Uniform;
    SubscriptionScheduler s(c);
    s.update_priorities(twenty());
    return role_set(s.rebalance(10, 0), SlotRole::Explore);
  };
  EXPECT_EQ(picks(1), picks(1));
  std::set<std::vector<std::string>> distinct;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    distinct.insert(picks(seed));
  }
  EXPECT_GT(distinct.size(), 5U);
}

TEST(Scheduler, ExplorationRotatesAndHoldsOneInterval) {
  SchedulerConfig c = spec_config();
  c.exploration_hold_intervals = 1;  // the default is 2; one interval shows the rotation fastest
  SubscriptionScheduler sched(c);
  sched.update_priorities(twenty());
  const std::int64_t interval = 5 * kS;
  const auto first = role_set(sched.rebalance(10, 0), SlotRole::Explore);
  // An early rebalance (half an interval later) keeps the picks.
  const Allocation early = sched.rebalance(10, interval / 2);
  EXPECT_EQ(role_set(early, SlotRole::Explore), first);
  EXPECT_TRUE(early.unchanged());
  // Twelve candidates, two picks an epoch: six timely rebalances explore all twelve once.
  std::set<std::string> seen(first.begin(), first.end());
  std::int64_t now = interval / 2;
  for (int r = 0; r < 5; ++r) {
    now += interval;
    const Allocation a = sched.rebalance(10, now);
    for (const auto& s : role_set(a, SlotRole::Explore)) {
      EXPECT_TRUE(seen.insert(s).second) << s << " explored twice";
    }
    EXPECT_EQ(a.added.size(), 2U);  // only exploration churns
    EXPECT_EQ(a.removed.size(), 2U);
    EXPECT_EQ(role_set(a, SlotRole::Exploit), (std::vector<std::string>{"GOOG", "META", "NFLX"}));
  }
  EXPECT_EQ(seen.size(), 12U);
}

TEST(Scheduler, ExplorationHoldCanSpanSeveralIntervals) {
  SchedulerConfig c = spec_config();
  c.exploration_hold_intervals = 3;
  SubscriptionScheduler sched(c);
  sched.update_priorities(twenty());
  const auto first = role_set(sched.rebalance(10, 0), SlotRole::Explore);
  for (int k = 1; k < 3; ++k) {
    const Allocation a = sched.rebalance(10, k * 5 * kS);
    EXPECT_EQ(role_set(a, SlotRole::Explore), first) << "held at interval " << k;
    EXPECT_TRUE(a.unchanged());
  }
  const Allocation rotated = sched.rebalance(10, 15 * kS);
  for (const auto& s : role_set(rotated, SlotRole::Explore)) {
    EXPECT_EQ(std::count(first.begin(), first.end(), s), 0) << s;
  }
  EXPECT_EQ(rotated.evictions(), 2U);
}

TEST(Scheduler, HysteresisKeepsTheIncumbentUntilTheFactorIsExceeded) {
  SchedulerConfig c = no_exploration(1);
  c.hysteresis = 0.5;
  SubscriptionScheduler sched(c);
  sched.update_priorities({{"TOP", 1000.0}, {"INC", 10.0}, {"CH", 1.0}});
  EXPECT_EQ(role_set(sched.rebalance(2, 0), SlotRole::Exploit), std::vector<std::string>{"INC"});
  sched.update_priorities({{"TOP", 1000.0}, {"INC", 10.0}, {"CH", 14.9}});  // 14.9 < 10 × 1.5
  const Allocation a = sched.rebalance(2, 5 * kS);
  EXPECT_EQ(role_set(a, SlotRole::Exploit), std::vector<std::string>{"INC"});
  EXPECT_TRUE(a.unchanged());
  sched.update_priorities({{"TOP", 1000.0}, {"INC", 10.0}, {"CH", 15.0}});  // equal: not enough
  EXPECT_EQ(role_set(sched.rebalance(2, 10 * kS), SlotRole::Exploit), std::vector<std::string>{"INC"});
  sched.update_priorities({{"TOP", 1000.0}, {"INC", 10.0}, {"CH", 15.1}});  // exceeds
  const Allocation b = sched.rebalance(2, 15 * kS);
  EXPECT_EQ(role_set(b, SlotRole::Exploit), std::vector<std::string>{"CH"});
  EXPECT_EQ(strs(b.added), std::vector<std::string>{"CH"});
  EXPECT_EQ(strs(b.removed), std::vector<std::string>{"INC"});
}

TEST(Scheduler, ANewcomerToTheTopNIsReservedUnconditionally) {
  SchedulerConfig c = no_exploration(1);
  c.hysteresis = 10.0;
  SubscriptionScheduler sched(c);
  sched.update_priorities({{"A", 10.0}, {"B", 9.0}, {"C", 1.0}});
  sched.rebalance(2, 0);
  sched.update_priorities({{"A", 10.0}, {"B", 9.0}, {"C", 11.0}});  // C is the new top 1
  const Allocation a = sched.rebalance(2, 5 * kS);
  EXPECT_EQ(role_set(a, SlotRole::Reserved), std::vector<std::string>{"C"});
  EXPECT_EQ(role_set(a, SlotRole::Exploit), std::vector<std::string>{"A"});  // B (9 × 11) < A (10 × 11)
  EXPECT_EQ(strs(a.removed), std::vector<std::string>{"B"});
}

TEST(Scheduler, ShrinkingCapacityDropsTheLowestFirst) {
  SchedulerConfig c = no_exploration(2);
  SubscriptionScheduler sched(c);
  sched.update_priorities(twenty());
  EXPECT_EQ(sched.rebalance(8, 0).active.size(), 8U);
  const Allocation smaller = sched.rebalance(6, 5 * kS);
  EXPECT_EQ(strs(smaller.removed), (std::vector<std::string>{"META", "NFLX"}));
  EXPECT_TRUE(smaller.added.empty());
  // Immediate shedding between rebalances: the lowest priorities first.
  EXPECT_EQ(strs(sched.shed_to(4)), (std::vector<std::string>{"AMZN", "GOOG"}));
  std::vector<Symbol> left;
  for (const auto& s : sched.subscribed()) {
    left.push_back(s.symbol);
  }
  EXPECT_EQ(strs(left), (std::vector<std::string>{"AAPL", "MSFT", "NVDA", "TSLA"}));
  EXPECT_TRUE(sched.shed_to(10).empty());
}

TEST(Scheduler, NeverIdleNeverOverCapacity) {
  SubscriptionScheduler sched(spec_config());
  sched.update_priorities(twenty());
  for (std::size_t slots = 0; slots <= 25; ++slots) {
    EXPECT_EQ(on(sched.allocate_slots(slots)).size(), std::min<std::size_t>(slots, 20)) << slots;
  }
  const Allocation a = sched.plan(3, 0);  // top_n above the capacity: all reserved
  EXPECT_EQ(role_set(a, SlotRole::Reserved), (std::vector<std::string>{"AAPL", "MSFT", "TSLA"}));
  EXPECT_EQ(a.active.size(), 3U);
}

TEST(Scheduler, BadPrioritiesCountAsZeroAndBadKeysAreIgnored) {
  SubscriptionScheduler sched(spec_config());
  auto p = twenty();
  p["NAN"] = std::nan("");
  p["NEG"] = -5.0;
  p["INF"] = HUGE_VAL;
  p["NEGINF"] = -HUGE_VAL;
  p["WITH,COMMA"] = 1e6;  // not a symbol: cannot be subscribed
  p[""] = 1e6;
  p["THIS_SYMBOL_IS_FAR_TOO_LONG_FOR_ANY_FEED"] = 1e6;
  sched.update_priorities(p);
  EXPECT_EQ(sched.known_count(), 24U);
  for (const char* s : {"NAN", "NEG", "INF", "NEGINF"}) {
    EXPECT_EQ(sched.priority(s), 0.0) << s;
  }
  EXPECT_EQ(sched.priority("AAPL"), 100.0);
  const Allocation a = sched.rebalance(10, 0);
  EXPECT_EQ(a.active.size(), 10U);
  EXPECT_EQ(role_set(a, SlotRole::Reserved), kTop5);
  EXPECT_EQ(sched.allocate_slots(10).count("WITH,COMMA"), 0U);
}

TEST(Scheduler, TiesAreBrokenBySymbol) {
  SchedulerConfig c = no_exploration(3);
  SubscriptionScheduler sched(c);
  sched.update_priorities({{"E", 1.0}, {"C", 1.0}, {"A", 1.0}, {"D", 1.0}, {"B", 1.0}});
  EXPECT_EQ(role_set(sched.plan(3, 0), SlotRole::Reserved), (std::vector<std::string>{"A", "B", "C"}));
}

TEST(Scheduler, TiesAcrossManyCandidatesAreBrokenBySymbol) {
  // 100 at 3, 150 at 1, 50 at 0, in shuffled insertion order: the ties span several of the
  // snapshot's walk blocks.
  SchedulerConfig c = no_exploration(10);
  SubscriptionScheduler sched(c);
  std::unordered_map<std::string, double> p;
  std::vector<std::string> threes;
  std::vector<std::string> ones;
  for (int i = 0; i < 300; ++i) {
    std::string key = "S";  // (not "S" + ...: g++ 12 warns falsely about that at -O3)
    key += std::to_string(1000 + (i * 7919) % 300);
    p[key] = i < 100 ? 3.0 : (i < 250 ? 1.0 : 0.0);
    (i < 100 ? threes : ones).push_back(key);
  }
  ones.resize(150);
  std::sort(threes.begin(), threes.end());
  std::sort(ones.begin(), ones.end());
  sched.update_priorities(p);
  const Allocation a = sched.plan(180, 0);
  EXPECT_EQ(role_set(a, SlotRole::Reserved), std::vector<std::string>(threes.begin(), threes.begin() + 10));
  std::vector<std::string> exploit(threes.begin() + 10, threes.end());
  exploit.insert(exploit.end(), ones.begin(), ones.begin() + 80);
  std::sort(exploit.begin(), exploit.end());
  EXPECT_EQ(role_set(a, SlotRole::Exploit), exploit);
}

TEST(Scheduler, IncumbentsAtZeroTieWithKnownZerosBySymbol) {
  SchedulerConfig c = no_exploration(0);
  SubscriptionScheduler sched(c);
  sched.update_priorities({{"AA", 5.0}, {"AB", 4.0}});
  sched.rebalance(2, 0);
  // Both vanish from the snapshot (pruned), which now holds one active symbol and 100 silent ones.
  std::unordered_map<std::string, double> p{{"M", 1.0}};
  for (int i = 0; i < 100; ++i) {
    std::string key = "Z";
    key += std::to_string(100 + i);
    p[key] = 0.0;
  }
  sched.update_priorities(p);
  c.top_n = 3;
  EXPECT_EQ(role_set(sched.plan(3, 5 * kS), SlotRole::Exploit), (std::vector<std::string>{"AA", "AB", "M"}));
  SubscriptionScheduler fresh(c);
  fresh.update_priorities({{"AA", 5.0}, {"AB", 4.0}});
  fresh.rebalance(2, 0);
  fresh.update_priorities(p);
  // Reserved slots are unconditional: M, then the zeros by symbol, where the incumbents (AA, AB)
  // come before every Z.
  EXPECT_EQ(role_set(fresh.plan(3, 5 * kS), SlotRole::Reserved), (std::vector<std::string>{"AA", "AB", "M"}));
}

TEST(Scheduler, IncumbentsMissingFromASnapshotStayKnownAtZero) {
  SchedulerConfig c = no_exploration(0);
  c.hysteresis = 0.0;
  SubscriptionScheduler sched(c);
  sched.update_priorities({{"A", 5.0}, {"B", 4.0}});
  sched.rebalance(1, 0);
  ASSERT_TRUE(sched.is_subscribed(sym("A")));
  sched.update_priorities({{"C", 1.0}});  // A was pruned
  const auto view = sched.allocate_slots(1);
  EXPECT_EQ(view.size(), 2U);
  EXPECT_TRUE(view.at("C"));
  EXPECT_FALSE(view.at("A"));
  const Allocation a = sched.rebalance(1, 5 * kS);
  EXPECT_EQ(strs(a.removed), std::vector<std::string>{"A"});
  EXPECT_EQ(strs(a.added), std::vector<std::string>{"C"});
  // With nothing else known, an incumbent at 0 keeps its slot.
  sched.update_priorities({});
  EXPECT_EQ(active_set(sched.plan(1, 10 * kS)), std::set<std::string>{"C"});
}

TEST(Scheduler, InvalidConfigIsAnErrorOrClamped) {
  SchedulerConfig bad = spec_config();
  bad.hysteresis = std::nan("");
  const auto r = SubscriptionScheduler::create(bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "scheduler.hysteresis");
  SchedulerConfig wide = spec_config();
  wide.exploration_fraction = 3.0;
  wide.rebalance_interval_s = 0;
  const SubscriptionScheduler s(wide);
  EXPECT_EQ(s.config().exploration_fraction, 1.0);
  EXPECT_EQ(s.config().rebalance_interval_s, 1U);
  EXPECT_TRUE(SubscriptionScheduler::create(spec_config()).has_value());
  SchedulerConfig bad_half_life;
  bad_half_life.half_life_s = 0.0;
  const auto t = ActivityTracker::create(bad_half_life);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().field, "scheduler.half_life_s");
}

TEST(Scheduler, ReleaseFreesASlotForTheNextRebalance) {
  SchedulerConfig c = no_exploration(1);
  SubscriptionScheduler sched(c);
  sched.update_priorities(twenty());
  EXPECT_EQ(sched.rebalance(3, 0).evictions(), 0U);
  EXPECT_TRUE(sched.release(sym("MSFT")));
  EXPECT_FALSE(sched.release(sym("MSFT")));
  EXPECT_FALSE(sched.is_subscribed(sym("MSFT")));
  const Allocation next = sched.rebalance(3, 5 * kS);
  EXPECT_EQ(strs(next.added), std::vector<std::string>{"MSFT"});  // still among the best
  EXPECT_EQ(next.evictions(), 0U);
}

TEST(Scheduler, ExcludedContractsStayOutUntilTheirTime) {
  SchedulerConfig c = no_exploration(1);
  SubscriptionScheduler sched(c);
  sched.update_priorities({{"A", 10.0}, {"B", 1.0}, {"C", 0.5}});
  EXPECT_EQ(role_set(sched.rebalance(1, 0), SlotRole::Reserved), std::vector<std::string>{"A"});
  EXPECT_TRUE(sched.exclude(sym("A"), 60 * kS));   // the server refused Q.A
  EXPECT_FALSE(sched.exclude(sym("A"), 30 * kS));  // an earlier time does not shorten it
  EXPECT_EQ(sched.excluded_count(), 1U);
  const Allocation out = sched.rebalance(1, 5 * kS);
  EXPECT_EQ(role_set(out, SlotRole::Reserved), std::vector<std::string>{"B"});
  EXPECT_EQ(strs(out.added), std::vector<std::string>{"B"});
  EXPECT_TRUE(out.removed.empty());  // A was released when excluded
  // Excluded from exploration too: with 3 slots everything but A is on.
  EXPECT_EQ(on(sched.allocate_slots(3)), (std::set<std::string>{"B", "C"}));
  const Allocation back = sched.rebalance(1, 60 * kS);  // expired
  EXPECT_EQ(role_set(back, SlotRole::Reserved), std::vector<std::string>{"A"});
  EXPECT_EQ(sched.excluded_count(), 0U);
}

TEST(Scheduler, ALowerServerLimitIsLearnedFromRejections) {
  SchedulerConfig c = no_exploration(2);
  SubscriptionScheduler sched(c);
  sched.update_priorities(twenty());
  const Allocation first = sched.rebalance(10, 0);
  ASSERT_EQ(first.active.size(), 10U);
  // The server holds 7: the last three subscriptions of the burst come back refused.
  EXPECT_EQ(sched.on_limit_rejection(sym("XYZ")), 9U);
  EXPECT_EQ(sched.on_limit_rejection(sym("AMD")), 8U);
  EXPECT_EQ(sched.on_limit_rejection(sym("NFLX")), 7U);
  EXPECT_EQ(sched.on_limit_rejection(sym("NFLX")), 7U);  // a repeat changes nothing
  EXPECT_EQ(sched.learned_limit(), 7U);
  const Allocation next = sched.rebalance(10, 5 * kS);
  EXPECT_EQ(next.total_slots, 10U);
  EXPECT_EQ(next.capacity, 7U);
  EXPECT_EQ(next.active.size(), 7U);
  EXPECT_TRUE(next.unchanged());  // the seven the server holds stay
  sched.reset_learned_limit();    // reconnected
  EXPECT_EQ(sched.rebalance(10, 10 * kS).active.size(), 10U);
}

TEST(Scheduler, PosteriorExplorationDrawsWhereTheRankingIsUncertain) {
  // Ten sure things, then twelve candidates with 0.5 to 6 decayed events (a 120 s half-life gives
  // a window of ~173 s), and one silent contract.
  const double window = 120.0 / std::numbers::ln2;
  std::unordered_map<std::string, double> rates;
  for (int i = 0; i < 10; ++i) {
    rates["TOP" + std::to_string(i)] = 100.0;
  }
  for (int i = 0; i < 12; ++i) {
    rates[(i < 10 ? "C0" : "C") + std::to_string(i)] = (0.5 + 0.5 * i) / window;
  }
  rates["SILENT"] = 0.0;
  std::map<std::string, int> counts;
  for (std::uint64_t seed = 0; seed < 400; ++seed) {
    SchedulerConfig c;
    c.seed = seed;
    c.top_n = 5;
    c.exploration_fraction = 0.2;
    SubscriptionScheduler s(c);
    s.update_priorities(rates);
    const Allocation a = s.rebalance(12, 0);
    ASSERT_EQ(a.count(SlotRole::Explore), 2U);
    for (const auto& p : a.symbols(SlotRole::Explore)) {
      ++counts[p.str()];
    }
  }
  auto n = [&](const char* s) { return counts.count(s) ? counts[s] : 0; };
  EXPECT_GT(n("C11"), 150);  // random: the best candidate often, not always
  EXPECT_LT(n("C11"), 400);
  EXPECT_GE(counts.size(), 5U);
  EXPECT_GT(n("C11") + n("C10"), 3 * (n("C01") + n("C00")));  // weighted towards larger counts
  EXPECT_EQ(n("SILENT"), 0);                                  // the silent one comes last
}

TEST(Scheduler, PriorityWeightedExplorationFavoursActiveContracts) {
  std::map<std::string, int> counts;
  int uniform_uber = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    SchedulerConfig c = spec_config();
    c.seed = seed;
    c.exploration_weighting = ExplorationWeighting::Priority;
    SubscriptionScheduler s(c);
    s.update_priorities(twenty());
    for (const auto& p : s.rebalance(10, 0).symbols(SlotRole::Explore)) {
      ++counts[p.str()];
    }
    c.exploration_weighting = ExplorationWeighting::Uniform;
    SubscriptionScheduler u(c);
    u.update_priorities(twenty());
    u.rebalance(10, 0);
    uniform_uber += u.is_subscribed(sym("UBER")) ? 1 : 0;
  }
  EXPECT_GT(counts["AMD"], 100);
  EXPECT_LT(counts["PYPL"], counts["AMD"] / 5);
  EXPECT_EQ(counts.count("UBER"), 0U);  // zero priority comes last
  EXPECT_GT(uniform_uber, 20);          // uniform draws do reach it
}

TEST(Scheduler, AbsurdCapacitiesDoNotBreakIt) {
  SchedulerConfig c = spec_config();
  c.top_n = std::numeric_limits<std::size_t>::max();
  SubscriptionScheduler sched(c);
  sched.update_priorities(twenty());
  const Allocation all = sched.rebalance(std::numeric_limits<std::size_t>::max(), 0);
  EXPECT_EQ(all.active.size(), 20U);
  EXPECT_EQ(all.count(SlotRole::Reserved), 20U);
  EXPECT_EQ(sched.allocate_slots(std::numeric_limits<std::size_t>::max()).size(), 20U);
  const Allocation none = sched.rebalance(0, std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(none.active.empty());
  EXPECT_EQ(none.removed.size(), 20U);
  SchedulerConfig d = spec_config();
  d.top_n = 0;
  d.exploration_fraction = 1.0;
  d.rebalance_interval_s = std::numeric_limits<std::uint64_t>::max();
  d.exploration_hold_intervals = std::numeric_limits<std::uint64_t>::max();
  SubscriptionScheduler s2(d);
  s2.update_priorities(twenty());
  EXPECT_EQ(
      s2.rebalance(std::numeric_limits<std::size_t>::max() / 2, std::numeric_limits<std::int64_t>::min()).active.size(),
      20U);
  EXPECT_EQ(s2.rebalance(7, std::numeric_limits<std::int64_t>::max()).count(SlotRole::Explore), 7U);
}

TEST(Scheduler, PinnedRandomness) {
  using namespace ws_source::detail::sched;
  // Pinned so that a change of the hash (which would change every exploration pick) is a
  // conscious decision; mix64(0) is the Rust prototype's pinned value.
  EXPECT_EQ(mix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_NE(symbol_hash("AAPL"), symbol_hash("AAPM"));
  EXPECT_NE(symbol_hash(""), symbol_hash(std::string_view("\0", 1)));
  EXPECT_NE(epoch_seed(1, 0), epoch_seed(1, 1));
  EXPECT_NE(epoch_seed(1, 0), epoch_seed(2, 0));
  EXPECT_EQ(exploration_slots(5, 0.2, 10), 2U);
  EXPECT_EQ(exploration_slots(9, 0.2, 10), 1U);
  EXPECT_EQ(exploration_slots(20, 0.2, 10), 0U);
  EXPECT_EQ(exploration_slots(0, 1.0, 10), 10U);
  EXPECT_EQ(exploration_slots(0, 0.25, 10), 3U);  // 2.5 rounds half away from zero
  EXPECT_EQ(exploration_slots(0, std::nan(""), 10), 0U);
  // The posterior bound holds for every draw, and samples decode.
  const std::uint64_t s = epoch_seed(11, 2);
  for (std::uint64_t i = 0; i < 20'000; ++i) {
    const double p = static_cast<double>(i % 200) * 0.003;
    const std::uint64_t key = posterior_key(draw(s, symbol_hash("O:X" + std::to_string(i))), p, 173.0);
    ASSERT_GE(posterior_sample(key), 0.0F);
    ASSERT_LE(posterior_sample(key), posterior_upper_bound(p, 173.0)) << p;
  }
  for (const std::uint64_t d : {std::uint64_t{0}, ~std::uint64_t{0}, std::uint64_t{1} << 32U}) {
    EXPECT_LE(posterior_sample(posterior_key(d, 0.05, 173.0)), posterior_upper_bound(0.05, 173.0));
  }
}

// ---------------------------------------------------------------------------------------------
// The activity tracker.

namespace {

constexpr const char* kCall = "O:SPY251219C00650000";
constexpr const char* kPut = "O:SPY251219P00650000";

SchedulerConfig tracker_config(double half_life_s, double volume_weight = 0.0, double pooling = 0.0) {
  SchedulerConfig c;
  c.half_life_s = half_life_s;
  c.volume_weight = volume_weight;
  c.put_call_pooling = pooling;
  return c;
}

bool close(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max({std::abs(a), std::abs(b), 1e-300}); }

}  // namespace

TEST(ActivityTracker, OneHalfLifeHalvesTheRate) {
  for (const double h : {0.5, 1.0, 7.0, 60.0, 3600.0}) {
    ActivityTracker t(tracker_config(h));
    const std::int64_t t0 = 1'700'000'000 * kS;
    t.record(sym(kCall), t0, 10.0, 0.0);
    const double r0 = t.rate(sym(kCall), t0);
    EXPECT_TRUE(close(r0, 10.0 * std::numbers::ln2 / h)) << r0;  // a count of 10
    const auto hl = static_cast<std::int64_t>(h * 1e9);
    EXPECT_TRUE(close(t.rate(sym(kCall), t0 + hl), r0 / 2));
    EXPECT_TRUE(close(t.rate(sym(kCall), t0 + 2 * hl), r0 / 4));
    EXPECT_TRUE(close(t.rate(sym(kCall), t0 + hl / 2), r0 / std::sqrt(2.0)));
  }
}

TEST(ActivityTracker, SteadyStreamConvergesToItsRate) {
  ActivityTracker t(tracker_config(5.0));
  for (int i = 0; i < 2000; ++i) {  // 10 a second for 200 s (40 half-lives)
    t.record_trade(sym("X"), i * kS / 10, 1.0);
  }
  EXPECT_NEAR(t.rate(sym("X"), 200 * kS), 10.0, 0.1);
}

TEST(ActivityTracker, VolumeWeighting) {
  ActivityTracker t(tracker_config(10.0, 0.25));
  const double k = std::numbers::ln2 / 10.0;
  t.record_trade(sym("A"), 0, 100.0);
  t.record(sym("C"), 0, 3.0, 8.0);
  EXPECT_TRUE(close(t.rate(sym("A"), 0), k + 0.25 * 100.0 * k));
  EXPECT_TRUE(close(t.rate(sym("C"), 0), 3.0 * k + 0.25 * 8.0 * k));
  ActivityTracker z(tracker_config(10.0, 0.0));
  z.record_trade(sym("A"), 0, 100.0);
  EXPECT_TRUE(close(z.rate(sym("A"), 0), k));
  // NaN, infinite and negative sizes count as 0; a record of weight 0 records nothing.
  t.record_trade(sym("B"), 0, std::nan(""));
  t.record_trade(sym("D"), 0, -5.0);
  EXPECT_TRUE(close(t.rate(sym("B"), 0), k));
  EXPECT_TRUE(close(t.rate(sym("D"), 0), k));
  EXPECT_EQ(t.record(sym("E"), 0, 0.0, HUGE_VAL), kNoContract);
  EXPECT_FALSE(t.find(sym("E")).has_value());
}

TEST(ActivityTracker, PutCallPoolingCreditsThePair) {
  ActivityTracker t(tracker_config(10.0, 1.0, 0.2));
  t.record_option_trade(sym(kCall), 0, 10.0);
  t.record_option_trade(sym(kPut), 10 * kS, 5.0);
  const double k = std::numbers::ln2 / 10.0;
  // The call: its own trade decayed one half-life, plus 20 % of the put's (count and volume).
  EXPECT_TRUE(close(t.rate(sym(kCall), 10 * kS), k * ((0.5 + 0.2) + (5.0 + 0.2 * 5.0))));
  EXPECT_TRUE(close(t.rate(sym(kPut), 10 * kS), k * ((1.0 + 0.2 * 0.5) + (5.0 + 0.2 * 5.0))));
  t.record_option_trade(sym("AAPL"), 0, 1.0);  // not an option: no pair
  EXPECT_EQ(t.size(), 3U);
  // The OptionTrade overload is the same.
  ActivityTracker u(tracker_config(10.0, 1.0, 0.2));
  OptionTrade trade;
  trade.symbol = sym(kCall);
  trade.size = 10;
  trade.price = 1.5;
  u.record_option_trade(trade);
  EXPECT_EQ(u.rate(sym(kPut), 0), 0.2 * u.rate(sym(kCall), 0));
  // Pooling 0 (and NaN, clamped to 0) credits nothing.
  ActivityTracker plain(tracker_config(10.0, 0.0, std::nan("")));
  plain.record_option_trade(sym(kCall), 0, 1.0);
  EXPECT_EQ(plain.size(), 1U);
  EXPECT_EQ(plain.put_call_pooling(), 0.0);
  EXPECT_EQ(plain.credit_pair(sym(kPut), 0, 1.0), kNoContract);
}

TEST(ActivityTracker, LateEventsAreCountedOnce) {
  ActivityTracker a(tracker_config(1.0));
  ActivityTracker b(tracker_config(1.0));
  a.record_trade(sym("X"), 0, 0);
  a.record_trade(sym("X"), 2 * kS, 0);
  b.record_trade(sym("X"), 2 * kS, 0);
  b.record_trade(sym("X"), 0, 0);  // out of order
  EXPECT_TRUE(close(a.rate(sym("X"), 3 * kS), b.rate(sym("X"), 3 * kS)));
  EXPECT_TRUE(close(a.rate(sym("X"), 3 * kS), (0.125 + 0.5) * std::numbers::ln2));
  EXPECT_EQ(a.latest_ns(), 2 * kS);
}

TEST(ActivityTracker, TopIsTheRankingByRate) {
  ActivityTracker t(tracker_config(10.0));
  for (int i = 0; i < 300; ++i) {
    for (int j = 0; j <= i % 17; ++j) {
      t.record_trade(sym("O:C" + std::to_string(i)), (i * 7 % 50) * kS / 5, 1.0);
    }
  }
  const std::int64_t now = 20 * kS;
  auto rates = t.rates(now);
  std::vector<std::pair<std::string, double>> all(rates.begin(), rates.end());
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  for (const std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{10}, std::size_t{299}, std::size_t{1000}}) {
    const auto top = t.top(k, now);
    ASSERT_EQ(top.size(), std::min<std::size_t>(k, 300));
    for (std::size_t i = 0; i < top.size(); ++i) {
      EXPECT_EQ(top[i].symbol.view(), all[i].first) << k << " " << i;
      EXPECT_EQ(top[i].rate, all[i].second);
      EXPECT_EQ(t.symbol(top[i].id), top[i].symbol);
    }
  }
}

TEST(ActivityTracker, PruneDropsExactlyTheDecayed) {
  ActivityTracker t(tracker_config(1.0));
  for (int i = 0; i < 100; ++i) {
    t.record_trade(sym("O:K" + std::to_string(i)), i * kS / 4, 0);
  }
  const std::int64_t now = 30 * kS;
  const double min_rate = 1e-3;
  std::size_t below = 0;
  for (const auto& [s, r] : t.rates(now)) {
    below += r < min_rate ? 1U : 0U;
  }
  ASSERT_GT(below, 10U);
  ASSERT_LT(below, 100U);
  EXPECT_EQ(t.prune(now, min_rate), below);
  EXPECT_EQ(t.size(), 100 - below);
  for (const auto& [s, r] : t.rates(now)) {
    EXPECT_GE(r, min_rate) << s;
  }
  EXPECT_EQ(t.prune(now, min_rate), 0U);
  EXPECT_EQ(t.prune(now, std::nan("")), 0U);
  EXPECT_TRUE(t.remove(sym("O:K99")));
  EXPECT_FALSE(t.remove(sym("O:K99")));
  EXPECT_EQ(t.prune(1000 * kS, 1e-3), 100 - below - 1);
  EXPECT_TRUE(t.empty());
  // Ids are reused after pruning; the symbol behind an id says which contract it is now.
  const ContractId id = t.record_trade(sym("O:NEW"), 0, 1);
  EXPECT_EQ(t.symbol(id).view(), "O:NEW");
}

TEST(ActivityTracker, TheCapEvictsTheLowestRanked) {
  ActivityTracker t(tracker_config(1.0), 10);
  for (int i = 0; i < 10; ++i) {
    t.record_trade(sym("O:K" + std::to_string(i)), i * kS, 0);  // later = ranked higher
  }
  EXPECT_EQ(t.size(), 10U);
  t.record_trade(sym("O:NEW"), 20 * kS, 0);
  EXPECT_EQ(t.size(), 10U);
  EXPECT_EQ(t.evicted(), 1U);
  EXPECT_FALSE(t.find(sym("O:K0")).has_value());  // the lowest went
  EXPECT_TRUE(t.find(sym("O:NEW")).has_value());
  // A newcomer that ranks below everything tracked is not tracked.
  EXPECT_EQ(t.record_trade(sym("O:OLD"), -50 * kS, 0), kNoContract);
  EXPECT_EQ(t.size(), 10U);
  EXPECT_EQ(t.evicted(), 2U);
}

TEST(ActivityTracker, MemoryIsAccounted) {
  ActivityTracker t(tracker_config(60.0));
  const std::size_t empty = t.memory_bytes();
  t.reserve(10'000);
  for (int i = 0; i < 10'000; ++i) {
    t.record_trade(sym("O:R" + std::to_string(i % 1000) + "251219C" + std::to_string(i)), i, 1);
  }
  const std::size_t used = t.memory_bytes() - empty;
  EXPECT_GT(used, 10'000U * (24 + 8 + 8));  // symbol, score, links at least
  EXPECT_LT(used, 10'000U * 64);
  const ActivityTracker copy = t;  // a copy is a deep copy
  EXPECT_EQ(copy.size(), t.size());
  EXPECT_EQ(copy.rate(sym("O:R5251219C5"), 0), t.rate(sym("O:R5251219C5"), 0));
}

// ---------------------------------------------------------------------------------------------
// The two surfaces.

TEST(Scheduler, TrackerFeedsTheScheduler) {
  const SchedulerConfig c{.top_n = 1, .exploration_fraction = 0.0, .half_life_s = 5.0, .volume_weight = 1.0};
  ActivityTracker t(c);
  t.record_trade(sym("O:BIG"), 0, 500.0);
  for (int i = 0; i < 10; ++i) {
    t.record(sym("O:CHATTY"), i * kS / 10, 1.0, 0.0);
  }
  t.record_trade(sym("O:SMALL"), 0, 1.0);
  SubscriptionScheduler s(c);
  const Allocation a = s.rebalance(t, 2, kS);
  EXPECT_EQ(role_set(a, SlotRole::Reserved), std::vector<std::string>{"O:BIG"});
  EXPECT_EQ(role_set(a, SlotRole::Exploit), std::vector<std::string>{"O:CHATTY"});
  // Pruned incumbents stay known at 0 until they lose their slot.
  EXPECT_EQ(t.prune(600 * kS, 1e-6), 3U);
  t.record_trade(sym("O:LATE"), 600 * kS, 1.0);
  const Allocation b = s.rebalance(t, 2, 600 * kS);
  EXPECT_EQ(role_set(b, SlotRole::Reserved), std::vector<std::string>{"O:LATE"});
  EXPECT_EQ(b.active.size(), 2U);  // an incumbent at 0 fills the other slot
}

TEST(Scheduler, TheStringAndTrackerSurfacesAgree) {
  const SchedulerConfig c{.top_n = 20, .exploration_fraction = 0.1, .half_life_s = 30.0, .put_call_pooling = 0.15};
  ActivityTracker t(c);
  SubscriptionScheduler by_id(c);
  SubscriptionScheduler by_string(c);
  std::uint64_t x = 12345;
  std::int64_t now = 0;
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 400; ++i) {
      x = detail::sched::mix64(x);
      const int k = static_cast<int>(x % 900);
      const char right = (x >> 20U) % 2 == 0 ? 'C' : 'P';
      const std::string s = "O:SPY2512" + std::to_string(10 + k % 20) + right + "00" + std::to_string(100000 + k);
      t.record_option_trade(sym(s), now + static_cast<std::int64_t>(x % 5000) * kS / 1000 - kS,
                            static_cast<double>(1 + x % 7));
    }
    now += 5 * kS;
    if (round % 7 == 6) {
      t.prune(now, 0.01);
    }
    if (round == 12) {
      const Symbol refused = by_id.subscribed().front().symbol;
      EXPECT_TRUE(by_id.exclude(refused, now + 20 * kS));
      EXPECT_TRUE(by_string.exclude(refused, now + 20 * kS));
    }
    by_string.update_priorities(t.rates(now));
    const Allocation a = by_id.rebalance(t, 100, now);
    const Allocation b = by_string.rebalance(100, now);
    ASSERT_EQ(normalized(a), normalized(b)) << "round " << round;
    ASSERT_EQ(a.active.size(), 100U);
  }
  EXPECT_GT(by_id.epoch(), 0U);
}

// select_first puts exactly the k best at the front and only permutes, for every k from none to
// more than all, with many ties among equal values (200 distinct values in up to 5,000).
TEST(Scheduler, SelectFirstPutsTheKBestInFront) {
  std::uint64_t state = 11;
  const auto next = [&] {
    state = ws_source::detail::sched::mix64(state);
    return static_cast<int>(state % 200);
  };
  for (const std::size_t n : {1U, 2U, 50U, 64U, 1000U, 1017U, 5000U}) {
    for (const std::size_t k :
         {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{16}, std::size_t{17}, std::size_t{64},
          std::size_t{65}, n / 2, n - 65, n - 64, n - 16, n - 5, n - 1, n, n + 3}) {
      if (k > n + 3) {
        continue;  // (n - 64 wrapped)
      }
      std::vector<int> v(n);
      for (int& x : v) {
        x = next();
      }
      std::vector<int> want = v;
      std::sort(want.begin(), want.end(), std::greater<>());
      ws_source::detail::sched::select_first(v.begin(), v.end(), k, std::greater<>());
      const std::size_t kk = std::min(k, n);
      std::vector<int> front(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(kk));
      std::sort(front.begin(), front.end(), std::greater<>());
      ASSERT_EQ(front, std::vector<int>(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(kk)))
          << "n = " << n << ", k = " << k;
      std::vector<int> all = v;
      std::sort(all.begin(), all.end(), std::greater<>());
      ASSERT_EQ(all, want) << "a permutation: n = " << n << ", k = " << k;
    }
  }
}
