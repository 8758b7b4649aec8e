// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// ws-ingest: the ingest demo and runner.
//   ws-ingest demo [--duration S] [--rate R] [--scenario NAME] [--oracle-quotes N] [--jsonl FILE]
//                [--sink jsonl:FILE | --sink nats://HOST:PORT]...   (both: sinks.hpp)
//       starts massive-sim on loopback and ingests all four feeds from it (no API key);
//   ws-ingest run --config FILE [--duration S] [--jsonl FILE] [--sink SPEC]... [--metrics-addr ADDR|off]
//       ingests from the real service (the key from the file or MASSIVE_API_KEY);
//   ws-ingest eval-scheduler [--seeds N] [--scenario NAME] [--plot FILE.svg] ...
//       the scheduler against an oracle and baselines on simulated markets, in virtual time.
// demo and run print one summary line per second: events/s per feed, sockets, subscriptions, reconnects,
// drops, parse errors, watermark lag and the consumer's staleness p99.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <massive_sim/server.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <ws_source/connection_manager.hpp>
#include <ws_source/metrics.hpp>
#include <ws_source/metrics_server.hpp>
#include <ws_source/timestamp.hpp>

#include "eval_command.hpp"
#include "sinks.hpp"
#include "summary.hpp"

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int /*sig*/) { g_interrupted.store(true); }

struct Options {
  double duration_s{0};                                      // 0: until Ctrl-C
  std::string jsonl;                                         // --jsonl FILE: the same as --sink jsonl:FILE
  std::vector<std::string> sinks;                            // --sink SPEC (sinks.hpp)
  std::string metrics_addr{ws_source::kDefaultMetricsAddr};  // --metrics-addr ADDR|off
};

/// Consumes the stream on this thread until it ends, the duration passes or Ctrl-C; prints the
/// summary every second. Returns the process exit code.
int ingest(ws_source::ConnectionManager& manager, const Options& opt, ws_source::BatchStream stream) {
  std::vector<std::string> specs = opt.sinks;
  if (!opt.jsonl.empty()) specs.insert(specs.begin(), "jsonl:" + opt.jsonl);
  std::string sink_error;
  auto sinks = ws_ingest::Sinks::open(specs, sink_error);
  if (!sinks) {
    std::cerr << "ws-ingest: " << sink_error << "\n";
    manager.stop();
    return 1;
  }
  // Prometheus text of the manager's counters, gauges and staleness histograms at /metrics.
  auto endpoint = ws_source::parse_metrics_addr(opt.metrics_addr);
  if (!endpoint) {
    std::cerr << "ws-ingest: --metrics-addr: " << endpoint.error() << "\n";
    manager.stop();
    return 2;
  }
  ws_source::MetricsServer metrics([&manager] { return ws_source::to_prometheus(manager.stats()); });
  if (*endpoint) {
    if (auto ok = metrics.listen(**endpoint); !ok) {
      std::cerr << "ws-ingest: " << ok.error() << " (--metrics-addr off disables it)\n";
      manager.stop();
      return 1;
    }
    ws_source::MetricsEndpoint bound = **endpoint;
    bound.port = metrics.port();
    std::cout << "ws-ingest: metrics on http://" << bound.to_string() << "/metrics" << std::endl;
  }
  ws_ingest::Summary summary;
  const auto start = std::chrono::steady_clock::now();
  auto next_print = start + std::chrono::seconds(1);
  bool stopping = false;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (!stopping && (g_interrupted.load() ||
                      (opt.duration_s > 0 && now - start >= std::chrono::duration<double>(opt.duration_s)))) {
      manager.stop();  // the stream ends once the workers have closed and it is drained
      stopping = true;
    }
    if (now >= next_print) {
      std::cout << summary.line(manager.stats(), ws_source::now_ns()) << std::endl;
      next_print += std::chrono::seconds(1);
    }
    auto lease = stream.next(std::chrono::milliseconds(100));
    if (!lease) {
      if (stream.ended()) break;
      continue;
    }
    summary.add(**lease, ws_source::now_ns());
    sinks->write(**lease);
  }
  std::cout << summary.line(manager.stats(), ws_source::now_ns()) << std::endl;
  std::cout << summary.totals() << std::endl;
  sinks->finish(std::cout);
  return 0;
}

void add_common(CLI::App& app, Options& opt) {
  app.add_option("--duration", opt.duration_s, "seconds to run (0 = until Ctrl-C)")->capture_default_str();
  app.add_option("--jsonl", opt.jsonl, "also write every row as one JSON object per line to this file");
  app.add_option("--metrics-addr", opt.metrics_addr,
                 "serve Prometheus metrics at http://ADDR/metrics (HOST:PORT, :PORT, port 0 = any free one, or off)")
      ->capture_default_str();
  app.add_option("--sink", opt.sinks,
                 "also send every batch to jsonl:FILE or nats://HOST:PORT (JetStream; repeatable)");
}

}  // namespace

static int run_main(int argc, char** argv) {
  CLI::App app{"ws-ingest: ingest Massive's WebSocket feeds with ws-source"};
  app.require_subcommand(1);
  Options opt;

  auto* demo = app.add_subcommand("demo", "start massive-sim on loopback and ingest all four feeds from it (no key)");
  double rate = 20'000;
  std::string scenario = "default";
  std::size_t oracle_quotes = 0;
  std::uint64_t seed = 1;
  add_common(*demo, opt);
  demo->add_option("--rate", rate, "the simulator's offered load, events/s over the four feeds")->capture_default_str();
  demo->add_option("--scenario", scenario, "stationary, drifting, bursty, new-listings or default")
      ->capture_default_str();
  demo->add_option("--oracle-quotes", oracle_quotes,
                   "instead of the scheduler, pin the N contracts the market quotes most (its oracle; at most 1000)")
      ->capture_default_str();
  demo->add_option("--seed", seed, "the market's seed")->capture_default_str();

  auto* run = app.add_subcommand("run", "ingest from the real service");
  std::string config_path;
  add_common(*run, opt);
  run->add_option("--config", config_path, "the TOML configuration (see ws-source.example.toml)")->required();

  ws_ingest::EvalSchedulerCommand eval_scheduler(app);  // `eval-scheduler` (eval/eval_command.hpp)

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the help, or the error naming the option
    return code == 0 ? 0 : 2;      // bad command-line input: exit code 2
  }
  if (eval_scheduler.selected()) return eval_scheduler.run();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  if (*run) {
    auto cfg = ws_source::load_config(config_path);
    if (!cfg) {
      std::cerr << "ws-ingest: " << cfg.error() << "\n";
      return 2;
    }
    // Connection events go to the library's `ws_source` logger (stderr by default).
    ws_source::ConnectionManager manager(std::move(*cfg));
    return ingest(manager, opt, manager.run());
  }

  // demo
  auto market = massive_sim::MarketConfig::preset(scenario);
  if (!market) {
    std::cerr << "ws-ingest: unknown scenario: " << scenario << " (stationary, drifting, bursty, new-listings)\n";
    return 2;
  }
  market->rates = massive_sim::Rates::with_total(rate);
  massive_sim::SimConfig sim_cfg;
  sim_cfg.market = *market;
  sim_cfg.seed = seed;
  auto sim = massive_sim::Server::start(sim_cfg);
  if (!sim) {
    std::cerr << "ws-ingest: " << sim.error() << "\n";
    return 1;
  }
  // Option quotes: the scheduler picks up to 1,000 contracts from their trades (`T.*`), every
  // rebalance_interval_s; or, with --oracle-quotes N, the N the market quotes most, pinned.
  std::vector<std::string> contracts;
  if (oracle_quotes > 0) {
    (*sim)->with_market([&](massive_sim::Market& m) {
      auto q = m.option_quote_intensities();
      std::sort(q.begin(), q.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      for (std::size_t i = 0; i < std::min<std::size_t>({oracle_quotes, q.size(), 1000}); ++i) {
        contracts.emplace_back(m.symbol(q[i].first));
      }
    });
  }
  ws_source::WsConfig cfg;
  cfg.api_keys = {ws_source::ApiKey(std::string(massive_sim::kDemoKey))};
  cfg.base_url = "ws://127.0.0.1:" + std::to_string((*sim)->port());
  cfg.feeds.options_quotes =
      contracts.empty() ? ws_source::FeedConfig::by_scheduler() : ws_source::FeedConfig{true, contracts, false};
  cfg.feeds.options_trades = ws_source::FeedConfig::all();
  cfg.feeds.equity_quotes = ws_source::FeedConfig::all();
  cfg.feeds.equity_trades = ws_source::FeedConfig::all();
  std::cout << "ws-ingest demo: massive-sim on " << (*sim)->url("") << " (" << scenario << ", " << rate
            << " events/s offered), option quotes "
            << (contracts.empty() ? std::string("scheduled (up to 1,000 contracts, rebalanced every 5 s)")
                                  : std::to_string(contracts.size()) + " oracle contracts pinned")
            << "; Ctrl-C stops" << std::endl;
  ws_source::ConnectionManager manager(cfg);
  if (manager.config_error()) {
    std::cerr << "ws-ingest: " << *manager.config_error() << "\n";
    return 2;
  }
  const int code = ingest(manager, opt, manager.run());
  (*sim)->shutdown();
  return code;
}

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {  // std::bad_alloc, or a CLI11 internal error
    std::cerr << "ws-ingest: " << e.what() << "\n";
    return 1;
  }
}
