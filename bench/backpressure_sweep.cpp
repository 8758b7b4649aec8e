// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// ws_source_backpressure_sweep: staleness and accounting across offered loads. For each load,
// massive-sim (in this process, its own threads) offers that many events/s on the options
// cluster (19 quotes : 1 trade; quotes scheduled, 1,000 contracts at most), and a consumer that
// spends a fixed time per row takes the batches. After `--seconds`, the simulator stops, the
// client reads what was sent, the manager stops and the consumer drains. One line per load:
// sent, consumed, dropped, conflated, unaccounted (sent - consumed - dropped - conflated), sheds,
// and the consumer's staleness (batch: taken - frame read; event: taken - SIP time).
//
//   ws_source_backpressure_sweep [--seconds S] [--per-row-us U] [LOAD ...]   (default 50000 … 800000)

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <massive_sim/server.hpp>
#include <string>
#include <thread>
#include <vector>
#include <ws_source/connection_manager.hpp>
#include <ws_source/histogram.hpp>

namespace {

using namespace std::chrono_literals;

struct Row {
  double offered{0};
  std::uint64_t sent{0}, consumed{0}, dropped{0}, conflated{0}, sheds{0}, parse_errors{0};
  ws_source::HistogramSnapshot batch, event;
};

double ms(std::optional<std::int64_t> ns) { return ns ? static_cast<double>(*ns) / 1e6 : -1.0; }

Row run(double load, std::chrono::seconds seconds, std::int64_t per_row_ns) {
  Row r;
  r.offered = load;
  massive_sim::SimConfig sim_cfg = massive_sim::SimConfig::for_tests();
  sim_cfg.record_sent = false;
  sim_cfg.market.rates = massive_sim::Rates{load * 0.95, load * 0.05, 0, 0};
  auto sim = massive_sim::Server::start(sim_cfg);
  if (!sim) {
    std::fprintf(stderr, "massive-sim: %s\n", sim.error().c_str());
    std::exit(1);
  }
  ws_source::WsConfig cfg;
  cfg.api_keys = {ws_source::ApiKey(std::string(massive_sim::kDemoKey))};
  cfg.base_url = "ws://127.0.0.1:" + std::to_string((*sim)->port());
  cfg.feeds.options_quotes = ws_source::FeedConfig::by_scheduler();
  cfg.feeds.options_trades = ws_source::FeedConfig::all();
  cfg.feeds.equity_quotes = ws_source::FeedConfig{false, {}, false};
  cfg.feeds.equity_trades = ws_source::FeedConfig{false, {}, false};
  cfg.scheduler.rebalance_interval_s = 1;
  ws_source::ConnectionManager manager(cfg);
  std::atomic<std::int64_t> cost{per_row_ns};
  std::atomic<std::uint64_t> consumed{0};
  std::thread consumer([&, stream = manager.run()]() mutable {
    while (auto lease = stream.next()) {
      const std::size_t n = (*lease)->rows.size();
      consumed += n;
      if (const std::int64_t c = cost.load(); c > 0 && n > 0) {
        // Busy for n × cost: a consumer doing work per row (not sleeping, which rounds up).
        const auto until =
            std::chrono::steady_clock::now() + std::chrono::nanoseconds(c * static_cast<std::int64_t>(n));
        while (std::chrono::steady_clock::now() < until) {
        }
      }
    }
  });
  const auto parsed = [&] {
    std::uint64_t n = 0;
    for (const auto& w : manager.stats().workers) n += w.rows;
    return n;
  };
  std::this_thread::sleep_for(seconds);
  (*sim)->set_rates(massive_sim::Rates::zero());
  std::uint64_t last = 0;
  auto quiet = std::chrono::steady_clock::now();
  const auto deadline = quiet + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto s = (*sim)->counters().events_sent;
    if (s != last) {
      last = s;
      quiet = std::chrono::steady_clock::now();
    }
    if (std::chrono::steady_clock::now() - quiet > 300ms && parsed() == s) break;
    std::this_thread::sleep_for(10ms);
  }
  cost.store(0);
  manager.stop();
  consumer.join();
  r.sent = (*sim)->counters().events_sent;
  r.consumed = consumed.load();
  for (const auto& w : manager.stats().workers) {
    r.dropped += w.rows_dropped_queue_full;
    r.conflated += w.rows_conflated;
    r.sheds += w.sheds;
    r.parse_errors += w.parse_errors;
    r.batch += w.staleness_batch;
    r.event += w.staleness_event;
  }
  (*sim)->shutdown();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::chrono::seconds seconds{8};
  double per_row_us = 30;
  std::vector<double> loads;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::chrono::seconds(std::atoi(argv[++i]));
    } else if (a == "--per-row-us" && i + 1 < argc) {
      per_row_us = std::atof(argv[++i]);
    } else if (!a.empty() && a[0] != '-') {
      loads.push_back(std::atof(a.c_str()));
    } else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--per-row-us U] [LOAD ...]\n", argv[0]);
      return 2;
    }
  }
  if (loads.empty()) loads = {50'000, 100'000, 200'000, 400'000, 800'000};
  std::printf("consumer: %.1f us per row (about %.0f rows/s); %lld s per load; options cluster, 19 quotes : 1 trade\n",
              per_row_us, per_row_us > 0 ? 1e6 / per_row_us : 0.0, static_cast<long long>(seconds.count()));
  std::printf("%10s %10s %10s %9s %10s %11s %6s %10s %10s %10s %10s\n", "offered/s", "sent", "consumed", "dropped",
              "conflated", "unaccounted", "sheds", "batch p50", "batch p99", "event p99", "max ms");
  for (const double load : loads) {
    const Row r = run(load, seconds, static_cast<std::int64_t>(per_row_us * 1000));
    const auto accounted = r.consumed + r.dropped + r.conflated;
    const long long unaccounted = static_cast<long long>(r.sent) - static_cast<long long>(accounted);
    std::printf("%10.0f %10llu %10llu %9llu %10llu %11lld %6llu %10.1f %10.1f %10.1f %10.1f\n", r.offered,
                static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.consumed),
                static_cast<unsigned long long>(r.dropped), static_cast<unsigned long long>(r.conflated), unaccounted,
                static_cast<unsigned long long>(r.sheds), ms(r.batch.quantile(0.5)), ms(r.batch.quantile(0.99)),
                ms(r.event.quantile(0.99)), ms(r.batch.max_ns));
    std::fflush(stdout);
  }
  return 0;
}
