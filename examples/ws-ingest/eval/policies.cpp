// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "policies.hpp"

#include <algorithm>
#include <utility>

namespace ws_ingest::eval {

SchedulerPolicy::SchedulerPolicy(std::string name, const ws_source::SchedulerConfig& config)
    : name_(std::move(name)), tracker_(config), scheduler_(config) {}

void SchedulerPolicy::observe(const Recording& rec, std::span<const Trade> trades) {
  for (const Trade& t : trades) {
    if (t.contract >= rec.symbols.size()) continue;
    tracker_.record_option_trade(rec.symbols[t.contract], t.ts_ns, static_cast<double>(t.size));
  }
}

std::vector<ContractIndex> SchedulerPolicy::decide(const Recording& rec, const Decision& d) {
  tracker_.prune(d.now_ns, kPruneBelow);
  const ws_source::Allocation a = scheduler_.rebalance(tracker_, d.slots, d.now_ns);
  std::vector<ContractIndex> out;
  out.reserve(a.active.size());
  for (const ws_source::Slot& s : a.active) {
    if (const auto it = rec.index.find(s.symbol); it != rec.index.end()) out.push_back(it->second);
  }
  return out;
}

ws_source::SchedulerConfig greedy_config(const ws_source::SchedulerConfig& ours, std::size_t slots, bool pooled) {
  ws_source::SchedulerConfig g = ours;
  g.top_n = slots;
  g.exploration_fraction = 0;
  g.hysteresis = 0;
  if (!pooled) g.put_call_pooling = 0;
  return g;
}

std::vector<ContractIndex> OraclePolicy::decide(const Recording& rec, const Decision& d) {
  if (d.r >= rec.oracle.size()) return {};
  return rec.oracle[d.r];
}

void StaticTopKPolicy::observe(const Recording& rec, std::span<const Trade> trades) {
  if (frozen_) return;
  if (counts_.size() < rec.symbols.size()) counts_.resize(rec.symbols.size(), 0);
  for (const Trade& t : trades) {
    if (t.contract < counts_.size()) ++counts_[t.contract];
  }
}

std::vector<ContractIndex> StaticTopKPolicy::decide(const Recording& /*rec*/, const Decision& d) {
  if (frozen_) return chosen_;
  if (d.r < d.warmup_intervals) return {};  // warm-up: nothing measured, nothing subscribed
  std::vector<std::pair<ContractIndex, double>> traded;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] > 0) traded.emplace_back(static_cast<ContractIndex>(i), static_cast<double>(counts_[i]));
  }
  chosen_ = top_k_by_rate(std::move(traded), d.slots);
  frozen_ = true;
  counts_ = {};
  return chosen_;
}

std::uint64_t RandomPolicy::next() noexcept {
  state_ += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<ContractIndex> RandomPolicy::decide(const Recording& rec, const Decision& d) {
  const std::uint64_t listed = d.r < rec.listed.size() ? rec.listed[d.r] : 0;
  const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(d.slots, listed));
  std::vector<ContractIndex> out;
  out.reserve(k);
  if (k == listed) {  // everything listed: no draw needed
    for (std::uint64_t i = 0; i < listed; ++i) out.push_back(static_cast<ContractIndex>(i));
    return out;
  }
  std::vector<bool> taken(listed, false);
  while (out.size() < k) {
    const auto c = static_cast<ContractIndex>(next() % listed);
    if (!taken[c]) {
      taken[c] = true;
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::unique_ptr<Policy>> make_policies(const ws_source::SchedulerConfig& ours, std::size_t slots,
                                                   std::uint64_t seed) {
  std::vector<std::unique_ptr<Policy>> p;
  p.push_back(std::make_unique<OraclePolicy>());
  p.push_back(std::make_unique<SchedulerPolicy>("ours", ours));
  p.push_back(std::make_unique<SchedulerPolicy>("greedy", greedy_config(ours, slots, false)));
  p.push_back(std::make_unique<SchedulerPolicy>("greedy+pool", greedy_config(ours, slots, true)));
  p.push_back(std::make_unique<StaticTopKPolicy>());
  p.push_back(std::make_unique<RandomPolicy>(seed));
  return p;
}

}  // namespace ws_ingest::eval
