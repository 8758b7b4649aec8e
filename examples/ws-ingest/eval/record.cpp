// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "record.hpp"

#include <algorithm>

namespace ws_ingest::eval {

namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;

}  // namespace

std::span<const Trade> Recording::trades_of(std::size_t r) const noexcept {
  if (r + 1 >= bounds.size()) return {};
  const std::size_t a = std::min(bounds[r], trades.size());
  const std::size_t b = std::clamp(bounds[r + 1], a, trades.size());
  return std::span<const Trade>(trades).subspan(a, b - a);
}

std::int64_t Recording::decision_ns(std::size_t r) const noexcept {
  return start_ns + interval_ns * static_cast<std::int64_t>(r);
}

void Recording::build_index() {
  index.clear();
  index.reserve(symbols.size());
  for (std::size_t i = 0; i < symbols.size(); ++i) index.emplace(symbols[i], static_cast<ContractIndex>(i));
}

std::vector<ContractIndex> top_k_by_rate(std::vector<std::pair<ContractIndex, double>> candidates, std::size_t k) {
  const auto better = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  if (candidates.size() > k) {
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k), candidates.end(), better);
    candidates.resize(k);
  }
  std::vector<ContractIndex> out;
  out.reserve(candidates.size());
  for (const auto& c : candidates) out.push_back(c.first);
  std::sort(out.begin(), out.end());
  return out;
}

Recording record(const massive_sim::MarketConfig& config, std::uint64_t seed, std::chrono::nanoseconds interval,
                 std::size_t intervals, std::size_t slots) {
  massive_sim::Market market(config, seed);
  const auto n_stocks = static_cast<std::uint32_t>(market.n_stocks());
  Recording rec;
  rec.start_ns = market.now_ns();
  rec.interval_ns = interval.count();
  rec.bounds.reserve(intervals + 1);
  rec.listed.reserve(intervals);
  rec.oracle.reserve(intervals);
  rec.bounds.push_back(0);
  std::vector<std::pair<ContractIndex, double>> truth;
  for (std::size_t r = 0; r < intervals; ++r) {
    rec.listed.push_back(static_cast<ContractIndex>(market.contracts().size()));
    truth.clear();
    for (const auto& [id, rate] : market.option_trade_intensities()) {
      if (id.value >= n_stocks) truth.emplace_back(id.value - n_stocks, rate);
    }
    rec.oracle.push_back(top_k_by_rate(truth, slots));
    market.advance_with(
        interval, massive_sim::Feeds::option_trades_only(),
        [&](const massive_sim::Event& e, std::string_view /*symbol*/) {
          if (e.instrument.value < n_stocks) return;
          rec.trades.push_back(Trade{e.instrument.value - n_stocks, e.ts_ms * kNsPerMs, e.size, e.notional()});
        });
    rec.bounds.push_back(rec.trades.size());
  }
  const auto contracts = market.contracts();
  rec.symbols.reserve(contracts.size());
  for (const massive_sim::Contract& c : contracts) {
    auto s = ws_source::Symbol::make(c.symbol);
    rec.symbols.push_back(s ? *s : ws_source::Symbol{});  // every listed OCC symbol fits; never empty
  }
  rec.build_index();
  return rec;
}

}  // namespace ws_ingest::eval
