// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "scheduler/priority_snapshot.hpp"

#include <algorithm>
#include <numeric>

namespace ws_source::detail::sched {

void PrioritySnapshot::assign(const std::unordered_map<std::string, double>& rates) {
  table_ = SymbolTable{};
  table_.reserve(rates.size());
  priorities_.clear();
  priorities_.reserve(rates.size());
  for (const auto& [key, value] : rates) {
    auto symbol = Symbol::make(key);
    if (!symbol) {
      continue;  // cannot be subscribed
    }
    table_.insert(*symbol, table_hash(*symbol));  // map keys are distinct: always new, ids 0, 1, ...
    priorities_.push_back(sanitize(value));
  }
  order_.resize(table_.size());
  std::iota(order_.begin(), order_.end(), std::uint32_t{0});
  std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (priorities_[a] != priorities_[b]) {
      return priorities_[a] > priorities_[b];
    }
    return table_.symbol(a) < table_.symbol(b);
  });
}

double PrioritySnapshot::priority_of(std::string_view symbol) const noexcept {
  auto s = Symbol::make(symbol);
  if (!s) {
    return 0.0;
  }
  const std::uint32_t h = table_.find(*s);
  return h == SymbolTable::kNone ? 0.0 : priorities_[h];
}

}  // namespace ws_source::detail::sched
