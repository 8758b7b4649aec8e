// Copyright (c) James Kassemi, SC, US. All rights reserved.
// RateLimiter: per key, one line per interval, with the count of what was held back.
#include <algorithm>

#include "ws_source/logging.hpp"

namespace ws_source {

RateLimiter::RateLimiter(std::chrono::nanoseconds interval, std::size_t max_keys)
    : interval_ns_(std::max<std::int64_t>(interval.count(), 0)), max_keys_(std::max<std::size_t>(max_keys, 1)) {}

void RateLimiter::forget_quiet(std::int64_t now_ns) {
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.suppressed == 0 && (now_ns < kv.second.last_ns || now_ns - kv.second.last_ns >= interval_ns_);
  });
}

RateLimiter::Decision RateLimiter::admit(std::string_view key, std::int64_t now_ns, std::uint64_t weight) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) forget_quiet(now_ns);
    if (entries_.size() >= max_keys_) key = kOverflowKey;
    it = entries_.find(key);
    if (it == entries_.end()) {
      entries_.emplace(std::string(key), Entry{now_ns, 0});
      return {true, 0};
    }
  }
  Entry& e = it->second;
  if (now_ns < e.last_ns) e.last_ns = now_ns;  // the clock went back: the interval starts again
  if (now_ns - e.last_ns >= interval_ns_) {
    const Decision d{true, e.suppressed};
    e = Entry{now_ns, 0};
    return d;
  }
  e.suppressed += weight;
  return {false, 0};
}

std::vector<RateLimiter::Pending> RateLimiter::drain(std::int64_t now_ns) {
  std::vector<Pending> out;
  for (auto& [key, e] : entries_) {
    if (e.suppressed == 0) continue;
    if (now_ns < e.last_ns) e.last_ns = now_ns;
    if (now_ns - e.last_ns < interval_ns_) continue;
    out.push_back(Pending{key, e.suppressed});
    e = Entry{now_ns, 0};
  }
  std::sort(out.begin(), out.end(), [](const Pending& a, const Pending& b) { return a.key < b.key; });
  return out;
}

}  // namespace ws_source
