// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The scoring rule of `ws-ingest eval-scheduler` on hand-built recordings: the allocation
// decided at rebalance r covers interval r's trades, which the policy sees only afterwards.

#include "scoring.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "policies.hpp"
#include "record.hpp"

namespace {

using ws_ingest::eval::ContractIndex;
using ws_ingest::eval::Decision;
using ws_ingest::eval::evaluate;
using ws_ingest::eval::Policy;
using ws_ingest::eval::Recording;
using ws_ingest::eval::Trade;

constexpr std::int64_t kStart = 1'748'871'000'000'000'000;
constexpr std::int64_t kInterval = 5'000'000'000;

/// Contracts A, B, C and the trades of each interval (contract, premium).
Recording recording(const std::vector<std::vector<std::pair<ContractIndex, double>>>& per_interval) {
  Recording rec;
  rec.start_ns = kStart;
  rec.interval_ns = kInterval;
  for (const char* s : {"O:AAA250620C00100000", "O:BBB250620C00100000", "O:CCC250620C00100000"}) {
    rec.symbols.push_back(ws_source::Symbol::unchecked(s));
  }
  rec.build_index();
  rec.bounds.push_back(0);
  for (std::size_t r = 0; r < per_interval.size(); ++r) {
    for (std::size_t k = 0; k < per_interval[r].size(); ++k) {
      const auto [c, premium] = per_interval[r][k];
      rec.trades.push_back(Trade{c, rec.decision_ns(r) + static_cast<std::int64_t>(k + 1) * 1'000'000, 1, premium});
    }
    rec.bounds.push_back(rec.trades.size());
    rec.listed.push_back(3);
    rec.oracle.emplace_back();
  }
  return rec;
}

/// Subscribes a fixed set per interval and logs the calls it gets.
class ScriptedPolicy final : public Policy {
 public:
  explicit ScriptedPolicy(std::map<std::size_t, std::vector<ContractIndex>> script) : script_(std::move(script)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "scripted"; }
  void observe(const Recording& /*rec*/, std::span<const Trade> trades) override {
    log.push_back("observe " + std::to_string(trades.size()));
  }
  [[nodiscard]] std::vector<ContractIndex> decide(const Recording& /*rec*/, const Decision& d) override {
    log.push_back("decide " + std::to_string(d.r));
    const auto it = script_.find(d.r);
    return it == script_.end() ? std::vector<ContractIndex>{} : it->second;
  }
  std::vector<std::string> log;

 private:
  std::map<std::size_t, std::vector<ContractIndex>> script_;
};

/// Subscribes exactly the contracts of the trades it saw last: always one rebalance late.
class FollowerPolicy final : public Policy {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "follower"; }
  void observe(const Recording& /*rec*/, std::span<const Trade> trades) override {
    seen_.clear();
    for (const Trade& t : trades) seen_.push_back(t.contract);
  }
  [[nodiscard]] std::vector<ContractIndex> decide(const Recording& /*rec*/, const Decision& /*d*/) override {
    return seen_;
  }

 private:
  std::vector<ContractIndex> seen_;
};

constexpr ContractIndex A = 0;
constexpr ContractIndex B = 1;
constexpr ContractIndex C = 2;

TEST(EvalScoring, ATradeIsCoveredOnlyIfSubscribedByTheRebalanceBeforeIt) {
  // Interval 0: B trades. Interval 1: B and A trade. Interval 2: C trades.
  const Recording rec = recording({{{B, 10}}, {{B, 20}, {A, 40}}, {{C, 80}}});
  // B is subscribed only at rebalance 1, right after its first trade: that trade is missed, the
  // next one is covered. A is subscribed from rebalance 0. C is subscribed at rebalance 2 and
  // its interval-2 trade counts; unsubscribing A and B at 2 is churn.
  ScriptedPolicy policy({{0, {A}}, {1, {A, B}}, {2, {C}}});
  const auto res = evaluate(policy, rec, 3, 0, 1);
  ASSERT_TRUE(res) << res.error();
  EXPECT_EQ(res->total_trades, 4U);
  EXPECT_EQ(res->covered_trades, 3U);  // not interval 0's B
  EXPECT_DOUBLE_EQ(res->total_premium, 150);
  EXPECT_DOUBLE_EQ(res->covered_premium, 140);
  EXPECT_DOUBLE_EQ(res->coverage_count(), 0.75);
  // Churn from decision 1 on: +B at 1, then -A -B +C at 2.
  EXPECT_EQ(res->churn_ops, 4U);
  EXPECT_EQ(res->churn_decisions, 2U);
  EXPECT_DOUBLE_EQ(res->churn(), 2.0);
  EXPECT_DOUBLE_EQ(res->mean_active, 4.0 / 3.0);
  EXPECT_EQ(res->max_active, 2U);
  ASSERT_EQ(res->series.size(), 3U);
  EXPECT_DOUBLE_EQ(res->series[0].coverage, 0.0);
  EXPECT_DOUBLE_EQ(res->series[1].coverage, 1.0);
  EXPECT_DOUBLE_EQ(res->series[2].coverage, 1.0);
  EXPECT_DOUBLE_EQ(res->series[2].minutes, 15.0 / 60.0);
  // The policy decides before it sees the interval it covers.
  EXPECT_EQ(policy.log,
            (std::vector<std::string>{"decide 0", "observe 1", "decide 1", "observe 2", "decide 2", "observe 1"}));
}

TEST(EvalScoring, APolicyOneRebalanceLateCoversNothing) {
  // Each contract trades in one interval only: subscribing it right after its trade is too late.
  const Recording rec = recording({{{A, 1}}, {{B, 1}}, {{C, 1}}, {{A, 1}, {A, 1}}, {{B, 1}}});
  FollowerPolicy follower;
  const auto res = evaluate(follower, rec, 3, 0, 1);
  ASSERT_TRUE(res) << res.error();
  EXPECT_EQ(res->total_trades, 6U);
  EXPECT_EQ(res->covered_trades, 0U);
  EXPECT_DOUBLE_EQ(res->coverage_premium(), 0.0);
}

TEST(EvalScoring, WarmUpIsNeitherCoverageNorChurn) {
  const Recording rec = recording({{{A, 1}, {B, 1}}, {{A, 1}}, {{A, 1}, {C, 1}}, {{C, 1}}});
  // Warm-up of 2 intervals: decisions 0 and 1 are not measured; the switch at 2 is not churn.
  ScriptedPolicy policy({{0, {B}}, {1, {B}}, {2, {A}}, {3, {C}}});
  const auto res = evaluate(policy, rec, 1, 2, 10);
  ASSERT_TRUE(res) << res.error();
  EXPECT_EQ(res->total_trades, 3U);    // intervals 2 and 3
  EXPECT_EQ(res->covered_trades, 2U);  // A at 2 and C at 3, not C at 2
  EXPECT_EQ(res->churn_decisions, 1U);
  EXPECT_EQ(res->churn_ops, 2U);  // -A +C at 3
  // One point: the last partial bucket.
  ASSERT_EQ(res->series.size(), 1U);
  EXPECT_DOUBLE_EQ(res->mean_active, 1.0);
}

TEST(EvalScoring, MoreThanTheSlotsIsAnError) {
  const Recording rec = recording({{{A, 1}}, {{A, 1}}});
  ScriptedPolicy policy({{1, {A, B, C}}});
  const auto res = evaluate(policy, rec, 2, 0, 1);
  ASSERT_FALSE(res);
  EXPECT_NE(res.error().find("scripted"), std::string::npos) << res.error();
  EXPECT_NE(res.error().find("interval 1"), std::string::npos) << res.error();
}

TEST(EvalScoring, RepeatsAndUnknownContractsAreIgnored) {
  const Recording rec = recording({{{A, 1}, {B, 1}}});
  ScriptedPolicy policy({{0, {A, A, A, 99}}});
  const auto res = evaluate(policy, rec, 1, 0, 1);
  ASSERT_TRUE(res) << res.error();
  EXPECT_EQ(res->covered_trades, 1U);
  EXPECT_EQ(res->max_active, 1U);
}

TEST(EvalScoring, TopKBreaksTiesByIndexAndSorts) {
  using ws_ingest::eval::top_k_by_rate;
  const std::vector<std::pair<ContractIndex, double>> v{{5, 1.0}, {2, 3.0}, {9, 3.0}, {1, 0.5}, {7, 2.0}};
  EXPECT_EQ(top_k_by_rate(v, 1), (std::vector<ContractIndex>{2}));
  EXPECT_EQ(top_k_by_rate(v, 2), (std::vector<ContractIndex>{2, 9}));
  EXPECT_EQ(top_k_by_rate(v, 3), (std::vector<ContractIndex>{2, 7, 9}));
  EXPECT_EQ(top_k_by_rate(v, 0), (std::vector<ContractIndex>{}));
  EXPECT_EQ(top_k_by_rate(v, 10), (std::vector<ContractIndex>{1, 2, 5, 7, 9}));
}

}  // namespace
