// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "net/rebalancer.hpp"

#include <algorithm>
#include <variant>

#include "ws_source/option_contract.hpp"
#include "ws_source/shard.hpp"

namespace ws_source::detail {

namespace {

constexpr std::string_view kQuotePrefix = "Q.";
constexpr std::string_view kLimitExceeded = "subscription limit exceeded";

std::string quote_channel(const Symbol& contract) {
  std::string ch(kQuotePrefix);
  ch += contract.view();
  return ch;
}

}  // namespace

Rebalancer::Rebalancer(const SchedulerConfig& config, std::size_t shard, std::size_t shard_count, std::size_t limit)
    : tracker_(config),
      scheduler_(config),
      shard_(shard),
      shard_count_(std::max<std::size_t>(shard_count, 1)),
      limit_(limit) {}

void Rebalancer::on_rows(const std::vector<TradeOrNbbo>& rows) {
  for (const TradeOrNbbo& row : rows) {
    const auto* t = std::get_if<OptionTrade>(&row);
    if (t == nullptr) continue;
    if (shard_count_ == 1) {
      tracker_.record_option_trade(*t);
      continue;
    }
    // Every shard reads `T.*`, and a contract's quotes go to the shard it hashes to: this one
    // tracks its own contracts, with the pooling credit of a trade on their pair whichever shard
    // that pair is on (else two shards could subscribe one contract, and deliver it twice).
    const auto size = static_cast<double>(t->size);
    if (shard_for(t->symbol.view(), shard_count_) == shard_) tracker_.record_trade(t->symbol, t->sip_ts_ns, size);
    if (const auto pair = put_call_pair(t->symbol); pair && shard_for(pair->view(), shard_count_) == shard_) {
      tracker_.credit_pair(*pair, t->sip_ts_ns, size);
    }
  }
}

Rebalancer::Changes Rebalancer::rebalance(std::int64_t now_ns, std::size_t pinned) {
  Changes out;
  const std::size_t slots = std::min(slots_for(pinned), cap_);
  // The data's clock when trades came in (the rates exploration draws from depend on it); the
  // local one before any.
  const std::int64_t at = tracker_.latest_ns() > 0 ? tracker_.latest_ns() : now_ns;
  // Contracts that stopped trading long ago: bounded memory (costs what it removes).
  tracker_.prune(at, kPruneBelow);
  const Allocation a = scheduler_.rebalance(tracker_, slots, at);
  out.capacity = a.capacity;  // `slots`, lowered by a learned limit
  ++rebalances_;
  evictions_ += a.evictions();
  out.unsubscribe.reserve(a.removed.size());
  for (const Symbol& s : a.removed) out.unsubscribe.push_back(quote_channel(s));
  out.subscribe.reserve(a.added.size());
  for (const Symbol& s : a.added) out.subscribe.push_back(quote_channel(s));
  out.active = a.active.size();
  return out;
}

std::string Rebalancer::on_refusal(std::string_view message, std::int64_t now_ns) {
  // The service names the channel after a colon: "subscription limit exceeded: Q.O:SPY…".
  const auto at = message.find("Q.O:");
  if (at == std::string_view::npos) return {};
  std::string_view channel = message.substr(at);
  channel = channel.substr(0, channel.find_first_of(" ,;\"'"));
  if (!holds(channel)) return {};
  const Symbol contract = Symbol::unchecked(channel.substr(kQuotePrefix.size()));
  if (message.find(kLimitExceeded) != std::string_view::npos) {
    scheduler_.on_limit_rejection(contract);
  } else {
    scheduler_.exclude(contract, now_ns + kExcludeFor);
  }
  return std::string(channel);
}

std::vector<std::string> Rebalancer::shed_to(std::size_t capacity) {
  cap_ = capacity;
  std::vector<std::string> out;
  for (const Symbol& s : scheduler_.shed_to(capacity)) out.push_back(quote_channel(s));
  return out;
}

bool Rebalancer::holds(std::string_view channel) const noexcept {
  if (!channel.starts_with(kQuotePrefix)) return false;
  const std::string_view contract = channel.substr(kQuotePrefix.size());
  if (contract.size() > Symbol::kCapacity) return false;
  return scheduler_.is_subscribed(Symbol::unchecked(contract));
}

}  // namespace ws_source::detail
