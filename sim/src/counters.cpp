// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include <massive_sim/counters.hpp>

namespace massive_sim {

CounterSnapshot Counters::snapshot() const noexcept {
  CounterSnapshot s;
#define MASSIVE_SIM_LOAD(name, doc) s.name = name.load(std::memory_order_relaxed);
  MASSIVE_SIM_COUNTERS(MASSIVE_SIM_LOAD)
#undef MASSIVE_SIM_LOAD
  for (std::size_t i = 0; i < 2; ++i) {
    s.open[i] = open[i].load(std::memory_order_relaxed);
    s.max_concurrent_per_key[i] = max_concurrent_per_key[i].load(std::memory_order_relaxed);
  }
  return s;
}

std::string CounterSnapshot::to_json() const {
  std::string out = "{";
#define MASSIVE_SIM_JSON(name, doc) out += "\"" #name "\":" + std::to_string(name) + ",";
  MASSIVE_SIM_COUNTERS(MASSIVE_SIM_JSON)
#undef MASSIVE_SIM_JSON
  out += "\"open\":[" + std::to_string(open[0]) + "," + std::to_string(open[1]) + "],";
  out += "\"max_concurrent_per_key\":[" + std::to_string(max_concurrent_per_key[0]) + "," +
         std::to_string(max_concurrent_per_key[1]) + "]}";
  return out;
}

}  // namespace massive_sim
