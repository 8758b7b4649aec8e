// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The baselines and the scheduler policy of `ws-ingest eval-scheduler` on hand-built recordings.

#include "policies.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "record.hpp"

namespace {

using ws_ingest::eval::ContractIndex;
using ws_ingest::eval::Decision;
using ws_ingest::eval::Recording;
using ws_ingest::eval::Trade;

constexpr std::int64_t kStart = 1'748'871'000'000'000'000;
constexpr std::int64_t kInterval = 5'000'000'000;

/// `n` contracts; interval r has `trades[r]` (contract indices), each of size 1.
Recording recording(std::size_t n, const std::vector<std::vector<ContractIndex>>& trades) {
  Recording rec;
  rec.start_ns = kStart;
  rec.interval_ns = kInterval;
  for (std::size_t i = 0; i < n; ++i) {
    rec.symbols.push_back(ws_source::Symbol::unchecked("O:T" + std::to_string(1000 + i) + "250620C00100000"));
  }
  rec.build_index();
  rec.bounds.push_back(0);
  for (std::size_t r = 0; r < trades.size(); ++r) {
    for (std::size_t k = 0; k < trades[r].size(); ++k) {
      rec.trades.push_back(Trade{trades[r][k], rec.decision_ns(r) + static_cast<std::int64_t>(k + 1) * 1000, 1, 1.0});
    }
    rec.bounds.push_back(rec.trades.size());
    rec.listed.push_back(static_cast<ContractIndex>(n));
    rec.oracle.push_back({});
  }
  return rec;
}

Decision at(const Recording& rec, std::size_t r, std::size_t slots, std::size_t warmup = 0) {
  return Decision{r, rec.decision_ns(r), slots, warmup};
}

std::vector<ContractIndex> sorted(std::vector<ContractIndex> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(EvalPolicies, RandomDrawsDistinctListedContractsDeterministically) {
  const Recording rec = recording(50, std::vector<std::vector<ContractIndex>>(3));
  ws_ingest::eval::RandomPolicy a(7);
  ws_ingest::eval::RandomPolicy b(7);
  ws_ingest::eval::RandomPolicy c(8);
  const auto pa = a.decide(rec, at(rec, 0, 10));
  EXPECT_EQ(pa.size(), 10U);
  EXPECT_EQ(std::set<ContractIndex>(pa.begin(), pa.end()).size(), 10U);
  EXPECT_TRUE(std::all_of(pa.begin(), pa.end(), [](ContractIndex i) { return i < 50; }));
  EXPECT_EQ(pa, b.decide(rec, at(rec, 0, 10)));
  EXPECT_NE(pa, c.decide(rec, at(rec, 0, 10)));
  EXPECT_NE(pa, a.decide(rec, at(rec, 1, 10)));  // redrawn at every decision
  // More slots than listed contracts: every one of them.
  EXPECT_EQ(sorted(a.decide(rec, at(rec, 2, 80))).size(), 50U);
}

TEST(EvalPolicies, StaticPicksTheWarmUpsTopAndFreezes) {
  // Warm-up of 2 intervals: contract 3 trades most, then 1; later only contract 0 trades.
  const Recording rec = recording(5, {{3, 3, 1}, {3, 1, 2}, {0, 0, 0}, {0, 0}});
  ws_ingest::eval::StaticTopKPolicy p;
  EXPECT_TRUE(p.decide(rec, at(rec, 0, 2, 2)).empty());
  p.observe(rec, rec.trades_of(0));
  EXPECT_TRUE(p.decide(rec, at(rec, 1, 2, 2)).empty());
  p.observe(rec, rec.trades_of(1));
  const auto chosen = p.decide(rec, at(rec, 2, 2, 2));
  EXPECT_EQ(chosen, (std::vector<ContractIndex>{1, 3}));
  p.observe(rec, rec.trades_of(2));
  EXPECT_EQ(p.decide(rec, at(rec, 3, 2, 2)), chosen);
}

TEST(EvalPolicies, OracleReadsTheRecordedChoice) {
  Recording rec = recording(4, {{}, {}});
  rec.oracle = {{0, 2}, {1, 3}};
  ws_ingest::eval::OraclePolicy p;
  EXPECT_EQ(p.decide(rec, at(rec, 1, 2)), (std::vector<ContractIndex>{1, 3}));
  EXPECT_TRUE(p.decide(rec, at(rec, 5, 2)).empty());
}

TEST(EvalPolicies, GreedyIsEverySlotByPriorityWithoutExplorationOrHysteresis) {
  ws_source::SchedulerConfig ours;
  ours.half_life_s = 60;
  ours.put_call_pooling = 0.3;
  const auto g = ws_ingest::eval::greedy_config(ours, 700, false);
  EXPECT_EQ(g.top_n, 700U);
  EXPECT_EQ(g.exploration_fraction, 0.0);
  EXPECT_EQ(g.hysteresis, 0.0);
  EXPECT_EQ(g.put_call_pooling, 0.0);
  EXPECT_EQ(g.half_life_s, 60.0);
  EXPECT_EQ(ws_ingest::eval::greedy_config(ours, 700, true).put_call_pooling, 0.3);
}

TEST(EvalPolicies, SchedulerPolicyFollowsTheTrades) {
  // Contracts 2 and 4 trade; with 2 slots and no exploration the scheduler takes both.
  const Recording rec = recording(6, {{2, 2, 4, 2}, {4, 2}, {}});
  ws_source::SchedulerConfig cfg;
  cfg.top_n = 2;
  cfg.exploration_fraction = 0;
  ws_ingest::eval::SchedulerPolicy p("ours", cfg);
  EXPECT_EQ(p.name(), "ours");
  (void)p.decide(rec, at(rec, 0, 2));
  p.observe(rec, rec.trades_of(0));
  EXPECT_EQ(sorted(p.decide(rec, at(rec, 1, 2))), (std::vector<ContractIndex>{2, 4}));
}

TEST(EvalPolicies, MakePoliciesInReportOrder) {
  const auto policies = ws_ingest::eval::make_policies(ws_source::SchedulerConfig{}, 10, 1);
  std::vector<std::string> names;
  for (const auto& p : policies) names.emplace_back(p->name());
  EXPECT_EQ(names, (std::vector<std::string>{"oracle", "ours", "greedy", "greedy+pool", "static", "random"}));
}

}  // namespace
