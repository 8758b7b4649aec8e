// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// ws_source_scheduler_bench: the subscription scheduler and the activity tracker (Google
// Benchmark). N known contracts (10,000 or 1,500,000), all tracked, in a stationary market: the
// contract of rank r has a decayed count of 5,300 / r^1.1 (Zipf-like; ~43,000 in all at 1.5 M,
// i.e. ~250 trades/s over a 120 s half-life, the prototype's evaluation market), and the trades
// between two rebalances (5 s) are drawn in proportion to those counts, as many as replace what
// the 5 s of decay took (with the put-call credit: ~1,060 at 1.5 M, ~870 at 10 k), so every
// rebalance sees the same market. The 10 k market is the 1.5 M one cut after rank 10,000: the
// same top, the same cut, the same rates there. A call and its put are neighbours in rank (they
// trade together; the pooling credit goes to a contract of about the same rate). 1,000 slots, the
// default config (top_n 500, 1 % exploration, posterior draws) unless the name says otherwise.
//
//   BM_Rebalance/<N>                  one committed rebalance (tracker surface), in steady state:
//                                     every iteration is 5 s later than the last, after that
//                                     interval's trades, recorded outside the timing. The ranking
//                                     is current when the rebalance starts: the tracker re-ranks a
//                                     contract as each trade is recorded, nothing is deferred to
//                                     the rebalance (that per-trade cost is BM_RecordTrade)
//   BM_TradesThenRebalance/<N>        the same with the interval's trades inside the timing:
//                                     everything that brings the ranking up to date, plus the
//                                     rebalance (the trades are drawn before, outside it: drawing
//                                     them is the simulated market's work, not the library's)
//   BM_RebalanceExploreEach/<N>       BM_Rebalance with exploration picks held one interval, not
//                                     the default two: every rebalance draws new picks (the
//                                     default draws on every other one; this is the cost of one
//                                     that does)
//   BM_Rebalance10pctExplore/<N>      BM_Rebalance with 10 % exploration (100 slots; the
//                                     prototype's benchmark config)
//   BM_RebalanceUniform/<N>           BM_Rebalance with uniform draws: every known contract is
//                                     drawn, O(N)
//   BM_FullRescanTopK/<N>             the baseline: what a rescan costs, i.e. reading every
//                                     contract's rate and selecting the top 1,000 (nth_element),
//                                     with none of the scheduling
//   BM_RecordTrade/<N>                ActivityTracker::record_option_trade (with the put-call
//                                     credit) of an existing contract, drawn like the market's
//   BM_StringSurface/<N>              update_priorities(map) + allocate_slots(1000) (the spec's
//                                     convenience surface; 10 k only)
//
// The timed rebalances include Google Benchmark's PauseTiming/ResumeTiming (about 0.7 us an
// iteration on the development VM). Counters: tracker_MiB (memory_bytes() of the N-contract
// tracker), active, evictions (per rebalance), trades (per iteration).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ws_source/activity_tracker.hpp"
#include "ws_source/scheduler.hpp"

namespace {

using ws_source::ActivityTracker;
using ws_source::SchedulerConfig;
using ws_source::SubscriptionScheduler;
using ws_source::Symbol;

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::size_t kSlots = 1000;
constexpr std::int64_t kInterval = 5 * kS;  // the default rebalance interval
constexpr std::int64_t kStart = 1'700'000'000 * kS;
constexpr double kHalfLifeNs = 120e9;  // the default half-life
constexpr double kPooling = 0.15;      // the default put-call credit

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

// A uniform double in [0, 1).
double uniform(std::uint64_t& rng) { return static_cast<double>(splitmix(rng) >> 11U) / 9007199254740992.0; }

// OCC-shaped, 20 bytes, all distinct: O:R<3 digits>251219<C|P><8 digits>; contract 2k and 2k + 1
// are a call and its put.
Symbol contract(std::size_t i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "O:R%03zu251219%c%08zu", (i / 2) % 1000, i % 2 == 0 ? 'C' : 'P', i / 2);
  return *Symbol::make(buf);
}

// Decayed count of the contract of rank `rank` (1-based): 5,300 / rank^1.1, ~43,000 in all at 1.5 M.
double zipf_count(std::size_t rank) { return 5300.0 / std::pow(static_cast<double>(rank), 1.1); }

struct Universe {
  std::vector<Symbol> symbols;     // by rank
  std::vector<double> cumulative;  // cumulative[r]: the counts of ranks 0..r, for drawing trades
  std::size_t per_interval{0};     // trades per interval
  ActivityTracker tracker;
  std::uint64_t rng{42};
  std::int64_t now{kStart};

  explicit Universe(std::size_t n) : tracker(SchedulerConfig{}) {
    symbols.reserve(n);
    cumulative.reserve(n);
    tracker.reserve(n);
    // Ranks 2k and 2k + 1 are a call and its put; the pairs are a fixed shuffle, so ranks and
    // symbol order are unrelated (2654435761 is prime to n / 2 for both sizes).
    for (std::size_t r = 0; r < n; ++r) {
      symbols.push_back(contract(2 * ((r / 2 * 2654435761ULL) % (n / 2)) + r % 2));
    }
    double total = 0;
    for (std::size_t r = 0; r < n; ++r) {
      // Spread over the last 10 minutes, so scores are not all stamped at one time.
      const auto ts = now - static_cast<std::int64_t>(splitmix(rng) % 600) * kS;
      tracker.record(symbols[r], ts, zipf_count(r + 1) * std::exp2(static_cast<double>(now - ts) / kHalfLifeNs), 0);
      total += zipf_count(r + 1);
      cumulative.push_back(total);
    }
    // An interval's decay takes (1 - 2^(-interval / half-life)) of every count; each trade gives
    // back 1 to its contract and the pooling credit to its pair.
    const double decayed = total * (1.0 - std::exp2(-static_cast<double>(kInterval) / kHalfLifeNs));
    per_interval = static_cast<std::size_t>(std::lround(decayed / (1.0 + kPooling)));
  }

  // A rank drawn in proportion to its count.
  std::size_t draw_rank() {
    const double x = uniform(rng) * cumulative.back();
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), x);
    return std::min(static_cast<std::size_t>(it - cumulative.begin()), symbols.size() - 1);
  }

  struct Trade {
    const Symbol* symbol;
    std::int64_t ts;
    double size;
  };

  // Draws the next interval's trades (the market, not the library: a binary search over N
  // cumulative counts per trade), spread over the next 5 s, into `pending`.
  void draw_trades() {
    pending.clear();
    for (std::size_t i = 0; i < per_interval; ++i) {
      const std::size_t r = draw_rank();
      const auto ts = now + static_cast<std::int64_t>(i) * kInterval / static_cast<std::int64_t>(per_interval);
      pending.push_back({&symbols[r], ts, static_cast<double>(1 + splitmix(rng) % 10)});
    }
  }

  // Records the drawn trades (put-call pooling on), then now += 5 s.
  void record_trades() {
    for (const Trade& t : pending) {
      tracker.record_option_trade(*t.symbol, t.ts, t.size);
    }
    now += kInterval;
  }

  std::vector<Trade> pending;
};

Universe& universe(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Universe>> cache;
  auto& u = cache[n];
  if (!u) {
    u = std::make_unique<Universe>(n);
  }
  return *u;
}

SchedulerConfig config(double exploration_fraction, ws_source::ExplorationWeighting w) {
  SchedulerConfig c;
  c.exploration_fraction = exploration_fraction;
  c.exploration_weighting = w;
  return c;
}

void run_rebalances(benchmark::State& state, const SchedulerConfig& cfg, bool time_trades) {
  Universe& u = universe(static_cast<std::size_t>(state.range(0)));
  SubscriptionScheduler sched(cfg);
  sched.rebalance(u.tracker, kSlots, u.now);  // steady state: incumbents exist
  std::size_t evictions = 0;
  std::size_t active = 0;
  for (auto _ : state) {
    state.PauseTiming();
    u.draw_trades();
    if (time_trades) {
      state.ResumeTiming();
    }
    u.record_trades();
    if (!time_trades) {
      state.ResumeTiming();
    }
    const auto a = sched.rebalance(u.tracker, kSlots, u.now);
    evictions += a.evictions();
    active = a.active.size();
    benchmark::DoNotOptimize(a.active.data());
  }
  state.counters["tracker_MiB"] = static_cast<double>(u.tracker.memory_bytes()) / (1024.0 * 1024.0);
  state.counters["tracked"] = static_cast<double>(u.tracker.size());
  state.counters["active"] = static_cast<double>(active);
  state.counters["evictions"] = benchmark::Counter(static_cast<double>(evictions), benchmark::Counter::kAvgIterations);
  if (time_trades) {
    state.counters["trades"] = static_cast<double>(u.per_interval);
  }
}

void BM_Rebalance(benchmark::State& state) {
  run_rebalances(state, config(0.01, ws_source::ExplorationWeighting::Posterior), false);
}
void BM_TradesThenRebalance(benchmark::State& state) {
  run_rebalances(state, config(0.01, ws_source::ExplorationWeighting::Posterior), true);
}
void BM_RebalanceExploreEach(benchmark::State& state) {
  SchedulerConfig c = config(0.01, ws_source::ExplorationWeighting::Posterior);
  c.exploration_hold_intervals = 1;
  run_rebalances(state, c, false);
}
void BM_Rebalance10pctExplore(benchmark::State& state) {
  run_rebalances(state, config(0.1, ws_source::ExplorationWeighting::Posterior), false);
}
void BM_RebalanceUniform(benchmark::State& state) {
  run_rebalances(state, config(0.01, ws_source::ExplorationWeighting::Uniform), false);
}

// The baseline: every contract's rate read (by symbol, as a rescan of a map would) and the top
// 1,000 selected. No scheduling at all.
void BM_FullRescanTopK(benchmark::State& state) {
  Universe& u = universe(static_cast<std::size_t>(state.range(0)));
  std::vector<std::pair<double, std::uint32_t>> rates(u.symbols.size());
  for (auto _ : state) {
    for (std::size_t i = 0; i < u.symbols.size(); ++i) {
      rates[i] = {u.tracker.rate(u.symbols[i], u.now), static_cast<std::uint32_t>(i)};
    }
    std::nth_element(rates.begin(), rates.begin() + kSlots, rates.end(), std::greater<>());
    benchmark::DoNotOptimize(rates.data());
  }
}

void BM_RecordTrade(benchmark::State& state) {
  Universe& u = universe(static_cast<std::size_t>(state.range(0)));
  std::vector<std::size_t> ranks(1 << 16);
  for (auto& r : ranks) {
    r = u.draw_rank();
  }
  std::size_t i = 0;
  std::int64_t ts = u.now;
  for (auto _ : state) {
    ts += 1000;
    benchmark::DoNotOptimize(u.tracker.record_option_trade(u.symbols[ranks[i++ & 0xffffU]], ts, 3.0));
  }
  u.now = ts;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_StringSurface(benchmark::State& state) {
  Universe& u = universe(static_cast<std::size_t>(state.range(0)));
  const auto rates = u.tracker.rates(u.now);
  SubscriptionScheduler sched(SchedulerConfig{});
  for (auto _ : state) {
    sched.update_priorities(rates);
    auto view = sched.allocate_slots(kSlots);
    benchmark::DoNotOptimize(view.size());
  }
}

// Fixed iteration counts where each iteration also records an interval's trades (outside the
// timing or not) or rescans 1.5 M contracts, so that a run with 5 repetitions takes minutes.
BENCHMARK(BM_Rebalance)->Arg(10'000)->Iterations(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Rebalance)->Arg(1'500'000)->Iterations(200)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TradesThenRebalance)->Arg(10'000)->Iterations(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TradesThenRebalance)->Arg(1'500'000)->Iterations(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RebalanceExploreEach)->Arg(10'000)->Iterations(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RebalanceExploreEach)->Arg(1'500'000)->Iterations(200)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Rebalance10pctExplore)->Arg(10'000)->Iterations(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Rebalance10pctExplore)->Arg(1'500'000)->Iterations(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RebalanceUniform)->Arg(10'000)->Iterations(200)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RebalanceUniform)->Arg(1'500'000)->Iterations(3)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FullRescanTopK)->Arg(10'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FullRescanTopK)->Arg(1'500'000)->Iterations(3)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RecordTrade)->Arg(10'000)->Arg(1'500'000);
BENCHMARK(BM_StringSurface)->Arg(10'000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
