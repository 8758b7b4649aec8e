// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// What the live tests share: a simulator started for a test, a configuration pointing at it,
// a thread-safe collector of connection events, and a bounded wait.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <massive_sim/server.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <ws_source/connection_manager.hpp>

namespace ws_source::test {

using namespace std::chrono_literals;
using massive_sim::Server;
using massive_sim::SimConfig;

/// stdout line-buffered from before main: when ctest kills a hung test, what GoogleTest printed
/// to stdout (a failed assertion's message) is already in the pipe instead of lost in the
/// buffer. (The ws_source logger writes to stderr, which is unbuffered.)
[[maybe_unused]] inline const bool kLineBufferedStdout = [] {
  (void)std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
  return true;
}();

inline std::unique_ptr<Server> start_sim(SimConfig cfg) {
  auto s = Server::start(std::move(cfg));
  EXPECT_TRUE(s) << (s ? "" : s.error());
  return s ? std::move(*s) : nullptr;
}

inline SimConfig busy_sim(double rate = 20'000) {
  auto cfg = SimConfig::for_tests();
  cfg.market.rates = massive_sim::Rates::with_total(rate);
  return cfg;
}

/// A configuration for the simulator: trades of both clusters and stock quotes by wildcard, no
/// option quotes (they need the scheduler or a list), quick timeouts.
inline WsConfig config_for(const Server& sim, std::string key = std::string(massive_sim::kDemoKey)) {
  WsConfig c;
  c.api_keys = {ApiKey(std::move(key))};
  c.base_url = "ws://127.0.0.1:" + std::to_string(sim.port());
  c.feeds.options_quotes = FeedConfig{false, {}, false};
  c.feeds.options_trades = FeedConfig::all();
  c.feeds.equity_quotes = FeedConfig::all();
  c.feeds.equity_trades = FeedConfig::all();
  c.connection.heartbeat_interval_ms = 50;
  c.connection.connect_timeout_ms = 2'000;
  c.connection.auth_timeout_ms = 2'000;
  c.backoff.initial_ms = 100;
  c.backoff.max_ms = 1'000;
  c.backoff.jitter = 0.0;
  return c;
}

/// Options only, quotes scheduled (ranked by `T.*`, rebalanced every second, a short half-life
/// so that a few seconds of trades rank the contracts).
inline WsConfig scheduled_options_config(const Server& sim) {
  WsConfig c = config_for(sim);
  c.feeds.options_quotes = FeedConfig::by_scheduler();
  c.feeds.options_trades = FeedConfig::all();
  c.feeds.equity_quotes = FeedConfig{false, {}, false};
  c.feeds.equity_trades = FeedConfig{false, {}, false};
  c.scheduler.rebalance_interval_s = 1;
  c.scheduler.half_life_s = 5.0;
  return c;
}

/// Collects every event of a manager (thread-safe).
struct Events {
  std::mutex mutex;
  std::vector<ConnectionEvent> all;
  void operator()(const ConnectionEvent& e) {
    const std::lock_guard lock(mutex);
    all.push_back(e);
  }
  std::vector<ConnectionEvent> of(ConnectionEvent::Kind k, Cluster c) {
    const std::lock_guard lock(mutex);
    std::vector<ConnectionEvent> out;
    for (const auto& e : all) {
      if (e.kind == k && e.cluster == c) out.push_back(e);
    }
    return out;
  }
  std::size_t count(ConnectionEvent::Kind k, Cluster c) { return of(k, c).size(); }
};

inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

}  // namespace ws_source::test
