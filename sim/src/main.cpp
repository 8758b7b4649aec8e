// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// massive-sim: runs a `massive_sim::Server` until SIGINT, SIGTERM or the console's `quit`. The
// first line of stdout is its URL; `--help` documents every option.

#include <pthread.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <massive_sim/console.hpp>
#include <massive_sim/market.hpp>
#include <massive_sim/server.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using massive_sim::Fault;
using massive_sim::Feed;
using massive_sim::MarketConfig;
using massive_sim::SimConfig;

std::optional<Feed> feed_named(const std::string& s) {
  if (s == "option-quotes") return Feed::OptionQuotes;
  if (s == "option-trades") return Feed::OptionTrades;
  if (s == "stock-quotes") return Feed::StockQuotes;
  if (s == "stock-trades") return Feed::StockTrades;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "massive-sim: a local server that speaks Massive's (Polygon.io's) WebSocket protocol on /stocks and /options "
      "(and /delayed/...), fed by a deterministic synthetic market, with fault injection.\n"
      "Prints its URL as the first line of stdout, then reads console commands on stdin (see `help`) until "
      "SIGINT/SIGTERM or `quit`."};
  SimConfig cfg;
  std::string scenario = "default";
  std::vector<std::string> keys;
  std::vector<std::string> faults;
  std::optional<std::size_t> underlyings;
  std::optional<double> chain_scale;
  std::optional<double> zipf;
  std::optional<double> total_rate;
  std::optional<double> option_quotes;
  std::optional<double> option_trades;
  std::optional<double> stock_quotes;
  std::optional<double> stock_trades;
  std::string auth_timeout = "10s";
  std::string stats_every = "0";
  std::string replay;
  std::size_t replay_frames = 256;
  std::size_t list_contracts = 0;
  bool no_console = false;
  cfg.port = 8765;

  app.add_option("--bind", cfg.bind_address, "address to listen on")->capture_default_str();
  app.add_option("--port", cfg.port, "port to listen on (0 = any free port)")->capture_default_str();
  app.add_option("--key", keys, "accepted API key (repeatable; default massive-sim-demo-key)");
  app.add_option("--seed", cfg.seed, "market seed (same seed, same market)")->capture_default_str();
  app.add_option("--scenario", scenario, "stationary, drifting, bursty, new-listings or default")
      ->capture_default_str();
  app.add_option("--underlyings", underlyings, "number of underlyings (default 600)");
  app.add_option("--chain-scale", chain_scale, "option chain size factor (1.0 = about 223,000 contracts)");
  app.add_option("--zipf", zipf, "Zipf exponent of underlying popularity (default 1.1)");
  app.add_option("--rate,--total-rate", total_rate,
                 "offered load, events/s over the four feeds, in the default proportions (5000:250:2500:250)");
  app.add_option("--option-quotes", option_quotes, "option quotes/s");
  app.add_option("--option-trades", option_trades, "option trades/s");
  app.add_option("--stock-quotes", stock_quotes, "stock quotes/s");
  app.add_option("--stock-trades", stock_trades, "stock trades/s");
  app.add_option("--events-per-frame", cfg.events_per_frame, "events per data frame (at most)")->capture_default_str();
  app.add_option("--auth-timeout", auth_timeout, "auth_timeout after this long without auth")->capture_default_str();
  app.add_option("--send-buffer-bytes", cfg.send_buffer_bytes, "per-connection bound of queued bytes (slow_consumer)")
      ->capture_default_str();
  app.add_option("--options-quote-limit", cfg.options_quote_limit, "Q channels per /options connection")
      ->capture_default_str();
  app.add_flag("--fixed-clock", cfg.fixed_clock, "timestamps from the market's fixed start, not the wall clock");
  app.add_option("--fault", faults,
                 "fault policy for every connection (repeatable): close-after=D, reset-after=D, stall-after=D, "
                 "force-disconnect-after=D, slow-consumer-after=D, malformed-after=D, bad-event-after=D, "
                 "reject-auth; D = 250ms, 5s, 2m, 1h");
  app.add_option("--stats-every", stats_every, "print the counters to stderr this often (0 = never)")
      ->capture_default_str();
  app.add_flag("--no-console", no_console, "do not read commands from stdin");
  app.add_option("--io-threads", cfg.io_threads, "threads serving the sockets")->capture_default_str();
  app.add_flag("--auto-fragment", cfg.auto_fragment, "split messages into 4 KB WebSocket frames (Beast's default)");
  app.add_option("--replay", replay,
                 "replay mode: send pre-encoded frames of this feed as fast as the socket takes them "
                 "(option-quotes, option-trades, stock-quotes, stock-trades)");
  app.add_option("--replay-frames", replay_frames, "distinct pre-encoded frames in replay mode")->capture_default_str();
  app.add_option("--list-contracts", list_contracts,
                 "print the N option contracts the market quotes most (its oracle), one per line, and exit");
  CLI11_PARSE(app, argc, argv);

  auto market = MarketConfig::preset(scenario);
  if (!market) {
    std::cerr << "massive-sim: unknown scenario: " << scenario
              << " (stationary, drifting, bursty, new-listings or default)\n";
    return 2;
  }
  if (underlyings) market->underlyings = *underlyings;
  if (chain_scale) market->chain_scale = *chain_scale;
  if (zipf) market->zipf_exponent = *zipf;
  if (total_rate) market->rates = massive_sim::Rates::with_total(*total_rate);
  if (option_quotes) market->rates.option_quotes = *option_quotes;
  if (option_trades) market->rates.option_trades = *option_trades;
  if (stock_quotes) market->rates.stock_quotes = *stock_quotes;
  if (stock_trades) market->rates.stock_trades = *stock_trades;
  cfg.market = *market;
  if (list_contracts > 0) {
    // For scripts that subscribe a realistic set of option quotes (scripts/rss.sh).
    // The contracts of the market a server started now would have: its calendar starts at the
    // wall clock unless --fixed-clock (as in Server::start).
    MarketConfig mc = *market;
    if (!cfg.fixed_clock) {
      mc.start_unix_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
    }
    massive_sim::Market m(mc, cfg.seed);
    auto q = m.option_quote_intensities();
    const auto n = std::min(list_contracts, q.size());
    std::partial_sort(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n), q.end(),
                      [](const auto& a, const auto& b) { return a.second > b.second; });
    for (std::size_t i = 0; i < n; ++i) std::cout << m.symbol(q[i].first) << '\n';
    return 0;
  }
  if (!keys.empty()) cfg.api_keys = keys;
  auto at = massive_sim::parse_duration(auth_timeout);
  if (!at) {
    std::cerr << "massive-sim: --auth-timeout: " << at.error() << "\n";
    return 2;
  }
  cfg.auth_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*at);
  for (const std::string& f : faults) {
    auto parsed = massive_sim::parse_fault(f);
    if (!parsed) {
      std::cerr << "massive-sim: --fault: " << parsed.error() << "\n";
      return 2;
    }
    cfg.faults.push_back(*parsed);
  }
  auto every = massive_sim::parse_duration(stats_every);
  if (!every) {
    std::cerr << "massive-sim: --stats-every: " << every.error() << "\n";
    return 2;
  }
  if (!replay.empty()) {
    const auto feed = feed_named(replay);
    if (!feed) {
      std::cerr << "massive-sim: --replay: unknown feed: " << replay << "\n";
      return 2;
    }
    cfg.replay = massive_sim::ReplayConfig{*feed, replay_frames, cfg.events_per_frame};
  }

  // SIGINT and SIGTERM are taken by sigwait below, in every thread started from here on.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto started = massive_sim::Server::start(cfg);
  if (!started) {
    std::cerr << "massive-sim: " << started.error() << "\n";
    return 1;
  }
  massive_sim::Server& server = **started;
  const std::string base = server.url("");
  std::cout << "massive-sim listening on " << base.substr(0, base.size() - 1) << " (paths /stocks, /options)"
            << std::endl;

  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  std::thread stats;
  if (every->count() > 0) {
    stats = std::thread([&] {
      std::unique_lock lock(m);
      while (!cv.wait_for(lock, *every, [&] { return stopping; })) {
        std::cerr << server.counters().to_json() << std::endl;
      }
    });
  }
  if (!no_console) {
    // Detached: a blocking read of stdin cannot be interrupted; the process exits past it.
    std::thread([&server] {
      std::string line;
      while (std::getline(std::cin, line)) {
        const auto reply = massive_sim::run_console_command(server, line);
        if (!reply.text.empty()) std::cout << reply.text << std::endl;
        if (reply.quit) {
          kill(getpid(), SIGTERM);
          return;
        }
      }
    }).detach();
  }
  int sig = 0;
  sigwait(&signals, &sig);
  {
    const std::lock_guard lock(m);
    stopping = true;
  }
  cv.notify_all();
  if (stats.joinable()) stats.join();
  server.shutdown();
  std::cerr << "massive-sim: stopped (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
  std::cout.flush();
  // The console thread may still be blocked reading stdin: leave without running destructors
  // under it (the server is already shut down).
  _exit(0);
}
