// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "scenario_run.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>

#include "policies.hpp"
#include "record.hpp"

namespace ws_ingest::eval {

const PolicyResult* ScenarioResult::find(std::string_view name) const noexcept {
  const auto it = std::find_if(policies.begin(), policies.end(), [&](const PolicyResult& p) { return p.name == name; });
  return it == policies.end() ? nullptr : &*it;
}

ws_source::Result<ScenarioResult, std::string> run_scenario(const EvalOptions& options, const Setup& setup,
                                                            Scenario scenario) {
  const Recording rec = record(market_config(options, scenario), options.seed,
                               std::chrono::seconds(options.rebalance_interval_s), setup.intervals, options.slots);
  ScenarioResult out;
  out.scenario = scenario;
  out.contracts = rec.symbols.size();
  for (const auto& policy : make_policies(setup.config, options.slots, options.seed)) {
    auto row = evaluate(*policy, rec, options.slots, setup.warmup, setup.bucket);
    if (!row) return ws_source::fail("scenario " + std::string(to_string(scenario)) + ": " + row.error());
    out.policies.push_back(std::move(*row));
  }
  return out;
}

ws_source::Result<std::vector<ScenarioResult>, std::string> run_scenarios(const EvalOptions& options,
                                                                          const Setup& setup) {
  std::vector<std::optional<ws_source::Result<ScenarioResult, std::string>>> slots(setup.scenarios.size());
  {
    std::vector<std::jthread> threads;
    threads.reserve(setup.scenarios.size());
    for (std::size_t i = 0; i < setup.scenarios.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          slots[i].emplace(run_scenario(options, setup, setup.scenarios[i]));
        } catch (const std::exception& e) {  // std::bad_alloc: nothing else throws
          try {
            slots[i].emplace(
                ws_source::fail("scenario " + std::string(to_string(setup.scenarios[i])) + ": " + e.what()));
          } catch (...) {  // out of memory again: reported as "did not finish"
          }
        }
      });
    }
  }  // joined
  std::vector<ScenarioResult> out;
  out.reserve(slots.size());
  for (auto& s : slots) {
    if (!s) return ws_source::fail(std::string("a scenario did not finish"));
    if (!*s) return ws_source::fail(std::move(s->error()));
    out.push_back(std::move(s->value()));
  }
  return out;
}

}  // namespace ws_ingest::eval
