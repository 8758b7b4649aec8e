// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The backpressure governor as pure logic (loads in, decisions out) and the quote conflator.

#include "net/backpressure.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "net/conflator.hpp"
#include "net/rebalancer.hpp"

namespace ws_source::detail {
namespace {

constexpr std::int64_t kMs = 1'000'000;
using Action = Governor::Decision::Action;

Governor::Load load(std::int64_t t_ms, double ratio, std::int64_t stale_ms, std::size_t held) {
  return Governor::Load{t_ms * kMs, ratio, stale_ms * kMs, held};
}

TEST(Governor, HealthyLoadHoldsWithoutConflation) {
  Governor g(BackpressureConfig{}, 1000);
  for (int t = 0; t < 100; ++t) {
    const auto d = g.check(load(t * 20, 0.1, 5, 1000));
    EXPECT_EQ(d.action, Action::Hold);
    EXPECT_FALSE(d.conflate);
  }
  EXPECT_EQ(g.capacity(), 1000U);
}

TEST(Governor, ConflatesFirstThenShedsAfterTheCooldown) {
  Governor g(BackpressureConfig{}, 1000);  // high 0.5, limit 100 ms, cooldown 100 ms, cut 25 %
  auto d = g.check(load(0, 0.6, 10, 1000));
  EXPECT_TRUE(d.conflate);
  EXPECT_EQ(d.action, Action::Hold) << "conflation gets its chance before anything is shed";
  d = g.check(load(60, 0.6, 10, 1000));
  EXPECT_EQ(d.action, Action::Hold);
  d = g.check(load(100, 0.6, 10, 1000));
  EXPECT_EQ(d.action, Action::Shed);
  EXPECT_EQ(d.capacity, 750U);
  d = g.check(load(150, 0.6, 10, 750));
  EXPECT_EQ(d.action, Action::Hold) << "a cut has its cooldown";
  d = g.check(load(200, 0.6, 10, 750));
  EXPECT_EQ(d.action, Action::Shed);
  EXPECT_EQ(d.capacity, 562U);  // 750 - ceil(187.5)
  EXPECT_TRUE(d.conflate);
}

TEST(Governor, StalenessAloneTriggersAndSevereOverloadCutsTwice) {
  Governor g(BackpressureConfig{}, 1000);
  EXPECT_FALSE(g.check(load(0, 0.0, 20, 1000)).conflate);
  EXPECT_TRUE(g.check(load(0, 0.0, 30, 1000)).conflate) << "conflation from a quarter of the limit";
  EXPECT_EQ(g.check(load(150, 0.0, 45, 1000)).action, Action::Hold) << "no cut below half the limit";
  EXPECT_EQ(g.check(load(200, 0.0, 60, 1000)).capacity, 750U) << "a cut from half the limit";
  Governor s(BackpressureConfig{}, 1000);
  (void)s.check(load(0, 0.0, 30, 1000));
  const auto d = s.check(load(100, 0.0, 150, 1000));  // above the limit: severe
  EXPECT_EQ(d.action, Action::Shed);
  EXPECT_EQ(d.capacity, 500U);
  Governor q(BackpressureConfig{}, 1000);
  (void)q.check(load(0, 0.8, 0, 1000));  // fill > (1 + 0.5) / 2: severe
  EXPECT_EQ(q.check(load(100, 0.8, 0, 1000)).capacity, 500U);
}

TEST(Governor, CutsWhatIsHeldNotTheNominalCapacity) {
  Governor g(BackpressureConfig{}, 1000);
  (void)g.check(load(0, 0.6, 0, 200));
  const auto d = g.check(load(100, 0.6, 0, 200));
  EXPECT_EQ(d.action, Action::Shed);
  EXPECT_EQ(d.capacity, 150U);
}

TEST(Governor, NothingToShedAtZero) {
  Governor g(BackpressureConfig{}, 1000);
  (void)g.check(load(0, 0.6, 0, 0));
  const auto d = g.check(load(100, 0.6, 0, 0));
  EXPECT_EQ(d.action, Action::Hold);
  EXPECT_TRUE(d.conflate) << "conflation still applies with nothing scheduled";
}

TEST(Governor, InBetweenHoldsAndCalmEndsConflation) {
  Governor g(BackpressureConfig{}, 1000);
  EXPECT_TRUE(g.check(load(0, 0.6, 0, 1000)).conflate);
  EXPECT_TRUE(g.check(load(20, 0.4, 0, 1000)).conflate) << "below the mark but above half of it";
  EXPECT_TRUE(g.check(load(40, 0.1, 20, 1000)).conflate) << "staleness above an eighth of the limit";
  EXPECT_FALSE(g.check(load(60, 0.1, 10, 1000)).conflate);
}

TEST(Governor, RestoresGraduallyAfterBeingCalmLongEnough) {
  Governor g(BackpressureConfig{}, 1000);  // restore after 2 s, +25 % of the capacity per step
  (void)g.check(load(0, 0.9, 0, 1000));
  ASSERT_EQ(g.check(load(100, 0.9, 0, 1000)).capacity, 500U);
  EXPECT_EQ(g.check(load(200, 0.0, 0, 500)).action, Action::Hold);
  EXPECT_EQ(g.check(load(2'100, 0.0, 0, 500)).action, Action::Hold) << "2 s calm, but since 200 ms";
  auto d = g.check(load(2'200, 0.0, 0, 500));
  EXPECT_EQ(d.action, Action::Restore);
  EXPECT_EQ(d.capacity, 625U);
  EXPECT_EQ(g.check(load(3'000, 0.0, 0, 625)).action, Action::Hold);
  d = g.check(load(4'200, 0.0, 0, 625));
  EXPECT_EQ(d.action, Action::Restore);
  EXPECT_EQ(d.capacity, 782U);  // 625 + ceil(156.25)
  for (int t = 6'200; t <= 12'200; t += 2'000) (void)g.check(load(t, 0.0, 0, 1000));
  EXPECT_EQ(g.capacity(), 1000U) << "up to the maximum, not beyond";
  EXPECT_EQ(g.check(load(20'000, 0.0, 0, 1000)).action, Action::Hold) << "at the maximum";
}

TEST(Governor, RestoresFromZeroOneSlotAtATime) {
  BackpressureConfig cfg;
  cfg.shed_fraction = 1.0;
  Governor g(cfg, 100);
  (void)g.check(load(0, 0.9, 0, 100));
  ASSERT_EQ(g.check(load(100, 0.9, 0, 100)).capacity, 0U);
  std::vector<std::size_t> seen;
  for (int t = 200; t <= 200 + 5 * 2'000; t += 2'000) {
    if (const auto d = g.check(load(t, 0.0, 0, 0)); d.action == Action::Restore) seen.push_back(d.capacity);
  }
  EXPECT_EQ(seen, (std::vector<std::size_t>{1, 2, 3, 4, 5}));
}

TEST(Governor, AnOverloadRestartsTheCalmClock) {
  Governor g(BackpressureConfig{}, 1000);
  (void)g.check(load(0, 0.9, 0, 1000));
  (void)g.check(load(100, 0.9, 0, 1000));  // 500
  (void)g.check(load(200, 0.0, 0, 500));
  (void)g.check(load(1'500, 0.4, 0, 500));  // in between: not calm
  EXPECT_EQ(g.check(load(2'300, 0.0, 0, 500)).action, Action::Hold);
  EXPECT_EQ(g.check(load(4'300, 0.0, 0, 500)).action, Action::Restore);
}

Governor::Load conflating_load(std::int64_t t_ms, double superseded, std::size_t held = 1000) {
  Governor::Load l = load(t_ms, 0.0, 0, held);  // an empty ring: conflation keeps it so
  l.superseded_ratio = superseded;
  return l;
}

TEST(Governor, PressStartsConflationBetweenChecks) {
  Governor g(BackpressureConfig{}, 1000);
  EXPECT_EQ(Governor::conflate_threshold_ns(BackpressureConfig{}), 25 * kMs);
  g.press(0);
  EXPECT_TRUE(g.conflating());
  // A check of a load that is merely "in between" keeps what the press started.
  EXPECT_TRUE(g.check(load(20, 0.0, 15, 1000)).conflate);
}

TEST(Governor, AnEmptyRingDoesNotEndConflationWhileQuotesAreStillSuperseded) {
  Governor g(BackpressureConfig{}, 1000);
  ASSERT_TRUE(g.check(load(0, 0.0, 30, 1000)).conflate);
  // The ring is empty and fresh because conflation keeps it so: still conflating.
  EXPECT_TRUE(g.check(conflating_load(20, 0.3)).conflate);
  EXPECT_TRUE(g.check(conflating_load(40, 0.11)).conflate);
  // Few quotes superseded: the consumer takes them about as fast as they come.
  EXPECT_FALSE(g.check(conflating_load(60, 0.1)).conflate);
}

TEST(Governor, ShedsWhenConflatedQuotesWaitTooLong) {
  Governor g(BackpressureConfig{}, 1000);  // limit 100 ms, cooldown 100 ms, cut 25 %
  ASSERT_TRUE(g.check(load(0, 0.0, 30, 1000)).conflate);
  Governor::Load l = conflating_load(50, 0.9);
  l.held_ns = 30 * kMs;  // one quote per contract takes the consumer longer than a quarter
  EXPECT_EQ(g.check(l).action, Action::Hold) << "conflation gets its chance";
  l.now_ns = 100 * kMs;
  auto d = g.check(l);
  EXPECT_EQ(d.action, Action::Shed);
  EXPECT_EQ(d.capacity, 750U);
  // Held briefly, however many are superseded: conflation copes, nothing more is cut (and,
  // superseded as they are, nothing restored).
  for (int t = 200; t < 3000; t += 20) {
    Governor::Load k = conflating_load(t, 0.9, 750);
    k.held_ns = 20 * kMs;
    d = g.check(k);
    EXPECT_EQ(d.action, Action::Hold) << t;
    EXPECT_TRUE(d.conflate);
  }
  EXPECT_EQ(g.capacity(), 750U);
  // Held long again while calm otherwise: not calm, conflation stays.
  Governor::Load k = conflating_load(3000, 0.0, 750);
  k.held_ns = 15 * kMs;
  EXPECT_TRUE(g.check(k).conflate);
}

TEST(Governor, SetMaxClampsTheCapacity) {
  Governor g(BackpressureConfig{}, 1000);
  g.set_max(300);
  EXPECT_EQ(g.capacity(), 300U);
  EXPECT_EQ(g.max_capacity(), 300U);
}

// ---- Conflator -----------------------------------------------------------------------------------

Nbbo quote(const std::string& sym, std::int64_t ts, double bid) {
  Nbbo q;
  q.symbol = Symbol::unchecked(sym);
  q.sip_ts_ns = ts;
  q.bid_price = bid;
  q.ask_price = bid + 0.05;
  return q;
}

TEST(Conflator, KeepsTheLatestQuotePerContractInFirstSeenOrder) {
  Conflator c(16);
  EXPECT_EQ(c.add(quote("O:A", 1, 1.0)), Conflator::Added::New);
  EXPECT_EQ(c.add(quote("O:B", 2, 2.0)), Conflator::Added::New);
  EXPECT_EQ(c.add(quote("O:A", 3, 1.5)), Conflator::Added::Superseded);
  EXPECT_EQ(c.add(quote("O:C", 4, 3.0)), Conflator::Added::New);
  ASSERT_EQ(c.size(), 3U);
  EXPECT_EQ(std::get<Nbbo>(c.rows()[0]), quote("O:A", 3, 1.5));
  EXPECT_EQ(std::get<Nbbo>(c.rows()[1]), quote("O:B", 2, 2.0)) << "a quiet contract keeps its last state";
  EXPECT_EQ(std::get<Nbbo>(c.rows()[2]), quote("O:C", 4, 3.0));
  EXPECT_EQ(c.max_sip_ts_ns(), 4);
  c.clear();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.max_sip_ts_ns(), 0);
  EXPECT_EQ(c.add(quote("O:A", 5, 1.0)), Conflator::Added::New) << "clear forgets every symbol";
}

TEST(Conflator, ReportsFullInsteadOfDroppingAndStillSupersedes) {
  Conflator c(2);
  EXPECT_EQ(c.add(quote("O:A", 1, 1.0)), Conflator::Added::New);
  EXPECT_EQ(c.add(quote("O:B", 1, 1.0)), Conflator::Added::New);
  EXPECT_EQ(c.add(quote("O:C", 1, 1.0)), Conflator::Added::Full);
  EXPECT_EQ(c.size(), 2U);
  EXPECT_EQ(c.add(quote("O:B", 2, 2.0)), Conflator::Added::Superseded);
}

// Against a model: a map from symbol to its last row and the order of first appearance; the
// counts of New and Superseded add up to the rows added; after clear, the table is clean.
RC_GTEST_PROP(ConflatorProperties, EqualsLastRowPerSymbolInFirstSeenOrder, ()) {
  const auto rounds = *rc::gen::inRange(1, 4);
  Conflator c(64);
  for (int round = 0; round < rounds; ++round) {
    const auto picks = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 64));
    std::map<std::string, std::size_t> at;
    std::vector<Nbbo> expected;
    std::size_t fresh = 0;
    std::size_t superseded = 0;
    std::int64_t ts = 0;
    for (const int p : picks) {
      const Nbbo q = quote("O:S" + std::to_string(p), ++ts, p);
      switch (c.add(q)) {
        case Conflator::Added::New:
          ++fresh;
          break;
        case Conflator::Added::Superseded:
          ++superseded;
          break;
        case Conflator::Added::Full:
          RC_FAIL("64 symbols fit");
      }
      const auto [it, inserted] = at.emplace(q.symbol.str(), expected.size());
      if (inserted) {
        expected.push_back(q);
      } else {
        expected[it->second] = q;
      }
    }
    RC_ASSERT(fresh == expected.size());
    RC_ASSERT(fresh + superseded == picks.size());
    RC_ASSERT(c.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) RC_ASSERT(std::get<Nbbo>(c.rows()[i]) == expected[i]);
    c.clear();
    RC_ASSERT(c.empty());
  }
}

// ---- Rebalancer shedding -------------------------------------------------------------------------

TEST(RebalancerShedding, ShedsTheLowestAndCapsLaterRebalancesUntilRaised) {
  SchedulerConfig cfg;
  cfg.top_n = 5;
  cfg.exploration_fraction = 0.0;
  Rebalancer r(cfg, 0, 1, 10);
  std::vector<TradeOrNbbo> rows;
  for (int i = 0; i < 20; ++i) {
    for (int k = 0; k < 20 - i; ++k) {
      OptionTrade t;
      t.symbol = Symbol::unchecked("O:SPY250620C00" + std::to_string(100000 + i));
      t.price = 1.0;
      t.size = 1;
      t.sip_ts_ns = 1'000'000'000;
      rows.emplace_back(t);
    }
  }
  r.on_rows(rows);
  ASSERT_EQ(r.rebalance(1'000'000'000, 0).active, 10U);
  const auto shed = r.shed_to(6);
  EXPECT_EQ(shed.size(), 4U);
  for (const auto& ch : shed) EXPECT_TRUE(ch.starts_with("Q.O:SPY")) << ch;
  EXPECT_EQ(r.scheduled(), 6U);
  // The least active went: contracts 6..9.
  for (int i = 6; i < 10; ++i) {
    const std::string ch = "Q.O:SPY250620C00" + std::to_string(100000 + i);
    EXPECT_NE(std::find(shed.begin(), shed.end(), ch), shed.end()) << ch;
  }
  auto c = r.rebalance(6'000'000'000, 0);
  EXPECT_EQ(c.capacity, 6U) << "capped until restored";
  EXPECT_EQ(c.active, 6U);
  r.set_cap(8);
  c = r.rebalance(11'000'000'000, 0);
  EXPECT_EQ(c.capacity, 8U);
  EXPECT_EQ(c.active, 8U);
  EXPECT_EQ(c.subscribe.size(), 2U);
}

}  // namespace
}  // namespace ws_source::detail
