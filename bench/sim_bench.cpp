// Copyright (c) James Kassemi, SC, US. All rights reserved.
// massive-sim's generator throughput, one core, no sockets:
//   BM_AdvanceWith/<rate>        Market::advance_with on the default universe (~223,000 contracts)
//                                into a no-op sink, at <rate> events/s of simulated time (1 ms steps
//                                at 1M/s; the default 8,000/s in 125 ms steps)
//   BM_AdvanceAndEncode/<rate>   the same with every event encoded into a reused buffer (the
//                                server generator's work before the sockets)
//   BM_WriteEvent/<feed>         wire::write_event of recorded market events into a reused buffer
//                                (feed 0-3 as massive_sim::Feed, 4 = the default mix)
//   BM_BuildDefaultUniverse      Market construction
// items_per_second is events/s.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "massive_sim/market.hpp"
#include "massive_sim/wire.hpp"

using namespace massive_sim;

namespace {

class NoopSink final : public EventSink {
 public:
  void on_event(const Event& ev, std::string_view symbol) override {
    benchmark::DoNotOptimize(ev.seq);
    benchmark::DoNotOptimize(symbol.data());
    ++count;
  }
  std::uint64_t count{0};
};

class EncodingSink final : public EventSink {
 public:
  void on_event(const Event& ev, std::string_view symbol) override {
    wire::write_event(buffer, ev, symbol);
    buffer.push_back(',');
    ++count;
  }
  std::string buffer;
  std::uint64_t count{0};
};

// Steps of about 1,000 events (1 ms at 1M events/s), never longer than a second.
std::chrono::nanoseconds step_for(double rate) {
  const double ns = std::min(1e9, 1'000.0 / rate * 1e9);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

MarketConfig config_at(std::int64_t rate) {
  MarketConfig cfg;
  cfg.rates = Rates::with_total(static_cast<double>(rate));
  return cfg;
}

void BM_AdvanceWith(benchmark::State& state) {
  Market m(config_at(state.range(0)), 1);
  const auto dt = step_for(static_cast<double>(state.range(0)));
  NoopSink sink;
  m.advance_with(std::chrono::seconds(2), Feeds::all(), sink);  // warm the chain tables
  sink.count = 0;
  for (auto _ : state) {
    m.advance_with(dt, Feeds::all(), sink);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(sink.count));
}
BENCHMARK(BM_AdvanceWith)->Arg(8'000)->Arg(1'000'000)->Arg(2'000'000)->Unit(benchmark::kMicrosecond);

void BM_AdvanceAndEncode(benchmark::State& state) {
  Market m(config_at(state.range(0)), 1);
  const auto dt = step_for(static_cast<double>(state.range(0)));
  EncodingSink sink;
  sink.buffer.reserve(1 << 20);
  m.advance_with(std::chrono::seconds(2), Feeds::all(), sink);
  sink.count = 0;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    sink.buffer.clear();
    m.advance_with(dt, Feeds::all(), sink);
    bytes += sink.buffer.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(sink.count));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_AdvanceAndEncode)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

struct Recorded {
  Event ev;
  std::string symbol;
};

// 4,096 events of one feed (or of the default mix, feed 4) from the default market.
std::vector<Recorded> record(std::int64_t feed) {
  MarketConfig cfg;
  cfg.rates = Rates::with_total(1'000'000);
  Market m(cfg, 1);
  const Feeds feeds = feed < 4 ? Feeds::only(kAllFeeds[static_cast<std::size_t>(feed)]) : Feeds::all();
  std::vector<Recorded> out;
  while (out.size() < 4'096) {
    m.advance_with(std::chrono::milliseconds(1), feeds, [&out](const Event& ev, std::string_view sym) {
      if (out.size() < 4'096) {
        out.push_back({ev, std::string(sym)});
      }
    });
  }
  return out;
}

void BM_WriteEvent(benchmark::State& state) {
  const std::vector<Recorded> events = record(state.range(0));
  std::string buffer;
  buffer.reserve(1 << 20);
  std::size_t i = 0;
  for (auto _ : state) {
    const Recorded& r = events[i++ & 4'095U];
    wire::write_event(buffer, r.ev, r.symbol);
    if (buffer.size() > (1U << 19)) {
      buffer.clear();
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_WriteEvent)->DenseRange(0, 4);

void BM_BuildDefaultUniverse(benchmark::State& state) {
  for (auto _ : state) {
    Market m(MarketConfig{}, 1);
    benchmark::DoNotOptimize(m.instrument_count());
  }
}
BENCHMARK(BM_BuildDefaultUniverse)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
