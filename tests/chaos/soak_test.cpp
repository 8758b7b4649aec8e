// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The chaos soak (ctest label `soak`): a ConnectionManager with all four feeds (option quotes
// picked by the scheduler, option trades, stock quotes, stock trades) against massive-sim through
// the FaultProxy, while a seeded loop injects random faults of 15 kinds: the proxy's (cut, RST,
// stall half-open, drip, corrupt, delay, refuse) and the simulator's (close, reset, stall,
// slow-consumer, force-disconnect, malformed, bad-event, restart). Bounded in time and in count;
// every wait is bounded. Then the offered load stops, the last bytes arrive, the manager stops and
// the run is checked against the simulator's ground truth (every event it wrote, per connection,
// in order):
//
//   - exactly once, in order: no row delivered twice, none the simulator did not send, and per
//     connection and feed in the order it was written;
//   - zero unaccounted: every event the simulator wrote was delivered, or is one the client
//     counted (dropped when the ring was full, conflated), or was lost in flight when its
//     connection died. Those are attributed exactly: a connection's events after the last one
//     the client delivered from it (its tail) were on the wire (simulator queue, kernel buffers,
//     the proxy) when it went; the client reports every such end as a Gap on its next connection.
//     The check: rows missing *before* a connection's last delivered row can only be drops or
//     conflations (at most what the client counted), every connection with a lost tail was
//     followed by a reported gap (gaps == reconnections, per cluster), and the connection still
//     open at the end lost nothing;
//   - subscriptions resumed: the initial subscription of every new connection, as the simulator
//     received it, is exactly the set the previous connection had (the client re-sends its
//     desired set, which does not change while disconnected), wildcards included, less the
//     channels the server refused. One exception, counted apart: the scheduler's rebalance
//     (options, every second while connected) written on a connection that was dying (stalled,
//     or ended as it was written) never reaches the simulator, and the client then subscribes its
//     new set. Accepted only if the client was connected at a rebalance time and only scheduled
//     contracts differ (the host's channels never);
//   - never more than shard_count sockets per cluster open on the client's side at once (measured
//     at the proxy from accept/close times). The simulator's own `max_concurrent_per_key` is
//     printed too: it counts a stalled connection (simulator or proxy stall) that is still open on
//     the server when the client's replacement authenticates, which is the network's doing, so it
//     may read 2;
//   - no crash, no hang, and the consumer receives rows from both clusters after the faults end;
//   - memory flat: RSS from /proc/self/statm every 250 ms; the second half's max at most 8 MiB
//     above the first half's, plus what the in-process ground truth itself grew by in the second
//     half (the simulator records every event written, 16 bytes, up to twice that with vector
//     growth, and every command; both printed). Under AddressSanitizer the RSS measured is less
//     what ASan adds for the heap, from its allocator's statistics: what it maps beyond the live
//     bytes (the quarantine of freed blocks, made 16 MiB here, and the free lists, which grow
//     through the run) and the shadow of all it maps. The live bytes (the program's heap) stay
//     in, and are checked alone against the same margin.
//
// Short form (default, CI): about 50 s, 160 faults. Long form, run directly (ctest's TIMEOUT is
// 300 s):
//   WS_SOURCE_SOAK_SECONDS=900 WS_SOURCE_SOAK_FAULTS=1000 build/…/tests/chaos/ws_source_soak_tests
// Other knobs: WS_SOURCE_SOAK_SEED (default: from the clock, printed), WS_SOURCE_SOAK_RATE (offered
// events/s, default 4,000). The run stops at whichever of the fault count and the duration comes
// first, and prints a summary block for the README.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <massive_sim/console.hpp>
#include <massive_sim/server.hpp>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>
#include <ws_source/connection_manager.hpp>

#include "../integration/live_support.hpp"
#include "fault_proxy.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define WS_SOURCE_SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WS_SOURCE_SOAK_ASAN 1
#endif
#endif
#ifndef WS_SOURCE_SOAK_ASAN
#define WS_SOURCE_SOAK_ASAN 0
#endif

#if WS_SOURCE_SOAK_ASAN
// From <sanitizer/allocator_interface.h>, which GCC does not install (libasan exports them).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
extern "C" std::size_t __sanitizer_get_heap_size();

// A 16 MiB quarantine instead of ASan's default 256 MiB (ASAN_OPTIONS still wins). ASan keeps
// every freed block (poisoned, to catch a use after free) until its quarantine is full: 256 MiB
// fills up through the soak, and RSS with it. With 16 MiB, full in the first seconds, what ASan
// maps for the heap is resident and its statistics account for the RSS it adds (AsanHeap), so
// that "memory flat" can measure the program; a use after free of any of the last 16 MiB freed
// is still caught.
extern "C" const char* __asan_default_options();
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }
#endif

namespace ws_source::chaos {
namespace {

using namespace std::chrono_literals;
using massive_sim::Action;
using massive_sim::Target;
using Clock = std::chrono::steady_clock;

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before any thread starts
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

std::uint64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

double mib(std::uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

/// ASan's heap now: the bytes the program holds (live blocks) and the bytes ASan has mapped for
/// the heap (those, their redzones and headers, the quarantine of freed blocks, the free lists).
/// Both 0 without ASan.
struct AsanHeap {
  std::uint64_t live{0};
  std::uint64_t mapped{0};
  /// What ASan adds to the RSS for the heap: what it maps beyond the live bytes, and the shadow
  /// (one byte per 8) of all it maps. It grows through the soak whatever the program holds: the
  /// quarantine fills up, and blocks freed from it go to free lists by size class that are reused
  /// for that size only (about +25 MiB over a run, with the live bytes flat).
  [[nodiscard]] std::uint64_t overhead() const { return mapped + mapped / 8 - std::min(live, mapped); }
};
AsanHeap asan_heap() {
#if WS_SOURCE_SOAK_ASAN
  return {__sanitizer_get_current_allocated_bytes(), __sanitizer_get_heap_size()};
#else
  return {};
#endif
}

// ---- the fault kinds --------------------------------------------------------------------------

enum class Kind : std::uint8_t {
  ProxyCut,
  ProxyRst,
  ProxyStall,
  ProxyDrip,
  ProxyCorrupt,
  ProxyDelay,
  ProxyRefuse,
  SimClose,
  SimReset,
  SimStall,
  SimSlowConsumer,
  SimForceDisconnect,
  SimMalformed,
  SimBadEvent,
  SimRestart,
};
constexpr std::size_t kKinds = 15;
constexpr std::array<const char*, kKinds> kKindNames{"proxy cut",     "proxy rst",         "proxy stall (half-open)",
                                                     "proxy drip",    "proxy corrupt",     "proxy delay",
                                                     "proxy refuse",  "sim close",         "sim reset",
                                                     "sim stall",     "sim slow-consumer", "sim force-disconnect",
                                                     "sim malformed", "sim bad-event",     "sim restart"};

// ---- what the consumer saw --------------------------------------------------------------------

/// Symbols as small integers (the market's universe is bounded, so this table stops growing).
struct Symbols {
  std::mutex mutex;
  std::unordered_map<std::string, std::uint32_t> ids;
  std::uint32_t id(std::string_view s) {
    const std::lock_guard lock(mutex);
    auto it = ids.find(std::string(s));
    if (it != ids.end()) return it->second;
    const auto n = static_cast<std::uint32_t>(ids.size());
    ids.emplace(std::string(s), n);
    return n;
  }
};

std::uint64_t key_of(std::uint32_t sym, std::uint64_t seq) { return (static_cast<std::uint64_t>(sym) << 40U) | seq; }

struct Delivered {
  std::uint64_t key;
  std::uint32_t order;  ///< delivery position
  std::uint8_t feed;
  std::uint16_t epoch;  ///< connection of the feed's worker: 0 first, +1 per reported gap
};

struct Consumer {
  Consumer(BatchStream s, Symbols& syms, std::size_t expected_rows) : stream(std::move(s)), symbols(syms) {
    // Reserved and touched now, so that recording rows does not grow the RSS during the run.
    rows.resize(expected_rows);
    rows.resize(0);
    thread = std::thread([this] { loop(); });
  }
  ~Consumer() {
    if (thread.joinable()) thread.join();
  }
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  void loop() {
    while (auto lease = stream.next()) {
      const DataBatch<TradeOrNbbo>& b = **lease;
      const std::size_t f = index(b.meta.resource_type);
      const std::lock_guard lock(mutex);
      if (b.meta.gap) {
        ++epoch[f];
        gaps.push_back({b.meta.resource_type, *b.meta.gap});
      }
      dropped[f] += b.meta.dropped_since_last;
      conflated[f] += b.meta.conflated_since_last;
      for (const auto& r : b.rows) {
        rows.push_back({key_of(symbols.id(symbol_of(r).view()), sequence_of(r)),
                        static_cast<std::uint32_t>(rows.size()), static_cast<std::uint8_t>(f), epoch[f]});
      }
      if (!b.rows.empty()) {
        per_cluster_rows[static_cast<std::size_t>(cluster(b.meta.resource_type))] += b.rows.size();
      }
    }
  }
  std::uint64_t rows_of(Cluster c) {
    const std::lock_guard lock(mutex);
    return per_cluster_rows[static_cast<std::size_t>(c)];
  }
  BatchStream stream;
  Symbols& symbols;
  std::mutex mutex;
  std::vector<Delivered> rows;
  std::array<std::uint16_t, 4> epoch{};
  std::array<std::uint64_t, 4> dropped{}, conflated{};
  std::array<std::uint64_t, 2> per_cluster_rows{};
  std::vector<std::pair<ResourceType, Gap>> gaps;
  std::thread thread;
};

WorkerStats stats_of(const ConnectionManager& m, Cluster c) {
  for (const auto& w : m.stats().workers) {
    if (w.cluster == c) return w;
  }
  return {};
}

std::vector<std::string> split_channels(const std::string& params) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= params.size()) {
    const std::size_t comma = params.find(',', start);
    const std::string ch = params.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!ch.empty()) out.push_back(ch);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

/// The most intervals [open, close) of one tag open at once (close 0: still open).
std::size_t max_overlap(std::vector<std::pair<std::int64_t, std::int64_t>> iv) {
  std::vector<std::pair<std::int64_t, int>> points;
  for (auto [a, b] : iv) {
    points.emplace_back(a, +1);
    points.emplace_back(b == 0 ? std::numeric_limits<std::int64_t>::max() : b, -1);
  }
  std::sort(points.begin(), points.end());  // a close at the same instant as an open sorts first
  int open = 0, most = 0;
  for (auto [t, d] : points) {
    open += d;
    most = std::max(most, open);
  }
  return static_cast<std::size_t>(most);
}

TEST(ChaosSoak, RandomFaultsThroughTheProxyAndTheSimulatorLoseNothingUnaccounted) {
  const std::uint64_t seconds = env_u64("WS_SOURCE_SOAK_SECONDS", 50);
  const std::uint64_t target_faults = env_u64("WS_SOURCE_SOAK_FAULTS", 160);
  const std::uint64_t seed = env_u64(
      "WS_SOURCE_SOAK_SEED",
      static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) % 1'000'000'007ULL);
  const double rate = static_cast<double>(env_u64("WS_SOURCE_SOAK_RATE", 4'000));
  std::printf("chaos soak: seed %llu (WS_SOURCE_SOAK_SEED=%llu reproduces the fault sequence), %llu s, %llu faults\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seconds), static_cast<unsigned long long>(target_faults));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  const auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };

  // The simulator: the small market, every event recorded; quotes 20x trades as usual, options
  // quotes only for the contracts the scheduler subscribes.
  auto sim_cfg = massive_sim::SimConfig::for_tests();
  sim_cfg.seed = seed;
  sim_cfg.market.rates = massive_sim::Rates{rate * 0.55, rate * 0.1, rate * 0.3, rate * 0.05};
  auto sim = test::start_sim(sim_cfg);
  ASSERT_TRUE(sim);
  auto proxy_r = FaultProxy::start("127.0.0.1", sim->port());
  ASSERT_TRUE(proxy_r) << proxy_r.error();
  FaultProxy& proxy = **proxy_r;

  WsConfig cfg = test::config_for(*sim);
  cfg.base_url = "ws://127.0.0.1:" + std::to_string(proxy.port());
  cfg.feeds.options_quotes = FeedConfig::by_scheduler();
  cfg.scheduler.rebalance_interval_s = 1;
  cfg.scheduler.half_life_s = 5.0;
  cfg.connection.ping_interval_ms = 200;  // half-open after 500 ms
  cfg.connection.pong_timeout_ms = 300;
  cfg.connection.connect_timeout_ms = 1'000;
  cfg.connection.auth_timeout_ms = 1'000;
  cfg.backoff.initial_ms = 100;
  cfg.backoff.max_ms = 400;
  cfg.backoff.jitter = 0.1;
  // A consumer that keeps up: a loaded machine descheduling it for a moment is not a slow consumer.
  cfg.backpressure.max_staleness_ms = 1'000;
  test::Events events;
  ConnectionManager manager(cfg);
  ASSERT_FALSE(manager.config_error()) << manager.config_error()->to_string();
  ASSERT_EQ(manager.shard_count(), 1U);
  manager.on_event(std::ref(events));
  Symbols symbols;
  const auto expected_rows = static_cast<std::size_t>(rate * static_cast<double>(seconds + 30) * 1.2);
  auto consumer = std::make_unique<Consumer>(manager.run(), symbols, expected_rows);

  // RSS and the simulator's event count, every 250 ms, on a thread of their own.
  struct Sample {
    double t;
    std::uint64_t rss;
    AsanHeap heap;
    std::uint64_t events_sent;
  };
  std::vector<Sample> samples;
  samples.reserve(8192);
  std::atomic<bool> sampling{true};
  const auto t_start = Clock::now();
  const auto since_start = [&] { return std::chrono::duration<double>(Clock::now() - t_start).count(); };
  std::thread sampler([&] {
    while (sampling.load()) {
      if (samples.size() < samples.capacity())
        samples.push_back({since_start(), rss_bytes(), asan_heap(), sim->counters().events_sent});
      std::this_thread::sleep_for(250ms);
    }
  });
  // Whatever ends the test early (a failed ASSERT), the sampler is joined and the manager stopped
  // before the consumer (whose thread runs until the stream ends) is destroyed: no hang, no
  // std::terminate.
  struct Cleanup {
    std::atomic<bool>& sampling;
    std::thread& sampler;
    ConnectionManager& manager;
    ~Cleanup() {
      sampling = false;
      if (sampler.joinable()) sampler.join();
      manager.stop();
    }
  } cleanup{sampling, sampler, manager};

  const auto connected = [&](Cluster c) { return stats_of(manager, c).connected; };
  ASSERT_TRUE(test::eventually([&] { return connected(Cluster::Stocks) && connected(Cluster::Options); }, 10s));
  // Let the scheduler rank and subscribe option quotes before the faults start.
  ASSERT_TRUE(test::eventually([&] { return stats_of(manager, Cluster::Options).scheduled > 0; }, 10s));
  std::this_thread::sleep_for(1s);

  // ---- the faults ---------------------------------------------------------------------------
  std::array<std::uint64_t, kKinds> injected{};
  std::uint64_t attempted = 0;
  const auto fault_deadline = t_start + std::chrono::seconds(seconds > 12 ? seconds - 8 : 2);
  std::uint64_t total = 0;
  while (total < target_faults && Clock::now() < fault_deadline) {
    ++attempted;
    const auto kind = static_cast<Kind>(pick(0, kKinds - 1));
    const Cluster c = pick(0, 1) == 0 ? Cluster::Stocks : Cluster::Options;
    const std::string match = c == Cluster::Stocks ? "/stocks" : "/options";
    // Aim at a live connection: wait (bounded) for the cluster to be up again.
    (void)test::eventually([&] { return connected(c); }, 3000ms);
    bool applied = false;
    switch (kind) {
      case Kind::ProxyCut:
        applied = proxy.cut(match) > 0;
        break;
      case Kind::ProxyRst:
        applied = proxy.cut(match, true) > 0;
        break;
      case Kind::ProxyStall:
        applied = proxy.stall(match, std::chrono::milliseconds(pick(800, 1500))) > 0;
        break;
      case Kind::ProxyDrip:
        applied =
            proxy.drip(match, std::chrono::milliseconds(pick(100, 300)), std::chrono::microseconds(pick(50, 200))) > 0;
        break;
      case Kind::ProxyCorrupt:
        applied = proxy.corrupt(match) > 0;
        break;
      case Kind::ProxyDelay:
        applied =
            proxy.delay(match, std::chrono::milliseconds(pick(200, 1000)), std::chrono::milliseconds(pick(5, 30))) > 0;
        break;
      case Kind::ProxyRefuse:
        // A refusal bites the reconnection: refuse, then cut the cluster's connection.
        proxy.refuse(pick(0, 1) == 0 ? RefuseMode::AcceptAndClose : RefuseMode::StopAccepting,
                     std::chrono::milliseconds(pick(300, 800)));
        (void)proxy.cut(match);
        applied = true;
        break;
      case Kind::SimClose:
        applied = sim->inject(Action::Close, Target::of(c)) > 0;
        break;
      case Kind::SimReset:
        applied = sim->inject(Action::Reset, Target::of(c)) > 0;
        break;
      case Kind::SimStall:
        applied = sim->inject(Action::Stall, Target::of(c)) > 0;
        break;
      case Kind::SimSlowConsumer:
        applied = sim->inject(Action::SlowConsumer, Target::of(c)) > 0;
        break;
      case Kind::SimForceDisconnect:
        applied = sim->inject(Action::ForceDisconnect, Target::of(c)) > 0;
        break;
      case Kind::SimMalformed:
        applied = sim->inject(Action::Malformed, Target::of(c)) > 0;
        break;
      case Kind::SimBadEvent:
        applied = sim->inject(Action::BadEvent, Target::of(c)) > 0;
        break;
      case Kind::SimRestart: {
        // Through the console, as an operator would.
        const auto reply = massive_sim::run_console_command(*sim, "restart " + std::to_string(pick(100, 500)) + "ms");
        EXPECT_TRUE(reply.ok) << reply.text;
        applied = reply.ok;
        break;
      }
    }
    if (applied) {
      ++injected[static_cast<std::size_t>(kind)];
      ++total;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(30, 250)));
  }
  const double faults_end_s = since_start();

  // ---- the end: healthy again, the consumer still receiving, then quiet ---------------------
  (void)proxy.unstall("");
  (void)sim->inject(Action::Unstall, Target::all());
  const bool both_up = test::eventually([&] { return connected(Cluster::Stocks) && connected(Cluster::Options); }, 15s);
  EXPECT_TRUE(both_up) << "both clusters connected again after the faults";
  const auto stocks_before = consumer->rows_of(Cluster::Stocks);
  const auto options_before = consumer->rows_of(Cluster::Options);
  const bool receiving = test::eventually(
      [&] {
        return consumer->rows_of(Cluster::Stocks) > stocks_before + 500 &&
               consumer->rows_of(Cluster::Options) > options_before + 500;
      },
      15s);
  EXPECT_TRUE(receiving) << "the consumer keeps receiving after the faults end";
  // Every connection established now, with its subscriptions settled (a rebalance or two).
  std::this_thread::sleep_for(2s);
  sim->set_rates(massive_sim::Rates::zero());
  // Quiet: nothing more sent, and everything sent is read (or the client is stuck: bounded).
  std::uint64_t last_sent = 0, last_rows = 0;
  auto quiet_since = Clock::now();
  const bool quiet = test::eventually(
      [&] {
        std::uint64_t rows = 0;
        for (const auto& w : manager.stats().workers) rows += w.rows;
        const auto s = sim->counters().events_sent;
        if (s != last_sent || rows != last_rows) {
          last_sent = s;
          last_rows = rows;
          quiet_since = Clock::now();
        }
        return Clock::now() - quiet_since >= 500ms;
      },
      15s);
  EXPECT_TRUE(quiet);
  sampling = false;
  sampler.join();
  const ManagerStats final_stats = manager.stats();
  const auto sim_counters = sim->counters();
  manager.stop();
  consumer->thread.join();  // bounded: the stream ends once the workers stop
  const double run_s = since_start();

  // ---- the ground truth ---------------------------------------------------------------------
  const auto log = sim->command_log();
  std::map<std::uint64_t, Cluster> conn_cluster;
  for (const auto& r : log) conn_cluster[r.conn_id] = r.cluster;
  struct SentEntry {
    std::uint64_t key;
    std::uint32_t conn;  ///< index into `conns`
    std::uint32_t idx;   ///< position in the connection's writes
  };
  std::vector<std::uint64_t> conns;  // sim connection ids with data, in order
  std::vector<SentEntry> sent;
  std::uint64_t sent_records = 0;
  for (const auto& [id, cl] : conn_cluster) {
    const auto written = sim->sent(id);
    if (written.empty()) continue;
    const auto ci = static_cast<std::uint32_t>(conns.size());
    conns.push_back(id);
    for (std::size_t i = 0; i < written.size(); ++i) {
      sent.push_back({key_of(symbols.id(written[i].symbol), written[i].seq), ci, static_cast<std::uint32_t>(i)});
    }
    sent_records += written.size();
  }
  std::sort(sent.begin(), sent.end(),
            [](const SentEntry& a, const SentEntry& b) { return a.key != b.key ? a.key < b.key : a.conn < b.conn; });
  const auto candidates = [&](std::uint64_t key) {
    return std::equal_range(sent.begin(), sent.end(), SentEntry{key, 0, 0},
                            [](const SentEntry& a, const SentEntry& b) { return a.key < b.key; });
  };

  // Which simulator connection each (feed, epoch) read from: a vote of its rows whose event was
  // written on one connection only.
  std::vector<Delivered>& rows = consumer->rows;
  std::map<std::pair<std::uint8_t, std::uint16_t>, std::map<std::uint32_t, std::uint64_t>> votes;
  std::uint64_t invented = 0;
  for (const auto& d : rows) {
    auto [lo, hi] = candidates(d.key);
    if (lo == hi) {
      ++invented;
      continue;
    }
    if (hi - lo == 1) ++votes[{d.feed, d.epoch}][lo->conn];
  }
  std::map<std::pair<std::uint8_t, std::uint16_t>, std::uint32_t> epoch_conn;
  for (const auto& [fe, v] : votes) {
    epoch_conn[fe] = std::max_element(v.begin(), v.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  }
  // Each delivered row's connection and position; per connection, the last position delivered.
  std::vector<std::int64_t> last_delivered(conns.size(), -1);
  std::map<std::pair<std::uint32_t, std::uint8_t>, std::int64_t> last_idx_per_conn_feed;
  std::uint64_t out_of_order = 0;
  for (const Delivered& d : rows) {  // in delivery order
    auto [lo, hi] = candidates(d.key);
    if (lo == hi) continue;
    auto chosen = lo;
    if (hi - lo > 1) {
      auto it = epoch_conn.find({d.feed, d.epoch});
      for (auto e = lo; e != hi; ++e) {
        if (it != epoch_conn.end() && e->conn == it->second) chosen = e;
      }
    }
    last_delivered[chosen->conn] = std::max<std::int64_t>(last_delivered[chosen->conn], chosen->idx);
    const auto [at, fresh] = last_idx_per_conn_feed.try_emplace({chosen->conn, d.feed}, chosen->idx);
    if (!fresh) {
      if (static_cast<std::int64_t>(chosen->idx) <= at->second) ++out_of_order;
      at->second = std::max<std::int64_t>(at->second, chosen->idx);
    }
  }
  // Exactly once: no key delivered twice.
  std::vector<std::uint64_t> delivered_keys;
  delivered_keys.reserve(rows.size());
  for (const auto& d : rows) delivered_keys.push_back(d.key);
  std::sort(delivered_keys.begin(), delivered_keys.end());
  std::uint64_t duplicates = 0;
  for (std::size_t i = 1; i < delivered_keys.size(); ++i)
    duplicates += delivered_keys[i] == delivered_keys[i - 1] ? 1 : 0;

  // The final connection of each cluster (the last one with data): its tail must be empty.
  std::array<std::optional<std::uint32_t>, 2> final_conn{};
  for (std::uint32_t ci = 0; ci < conns.size(); ++ci)
    final_conn[static_cast<std::size_t>(conn_cluster[conns[ci]])] = ci;

  // Every event written, once: delivered, or lost mid-stream (must be counted by the client),
  // or lost in a connection's tail (in flight when it ended: inside the gap that followed).
  std::uint64_t unique_sent = 0, delivered_unique = 0;
  std::array<std::uint64_t, 2> mid{}, tail{}, tail_final{};
  for (auto it = sent.begin(); it != sent.end();) {
    auto end = it;
    while (end != sent.end() && end->key == it->key) ++end;
    ++unique_sent;
    if (std::binary_search(delivered_keys.begin(), delivered_keys.end(), it->key)) {
      ++delivered_unique;
    } else {
      bool in_tail = false, in_final_tail = false;
      const auto cl = static_cast<std::size_t>(conn_cluster[conns[it->conn]]);
      for (auto e = it; e != end; ++e) {
        if (static_cast<std::int64_t>(e->idx) > last_delivered[e->conn]) {
          in_tail = true;
          if (final_conn[cl] == e->conn) in_final_tail = true;
        }
      }
      if (in_tail && !in_final_tail) {
        ++tail[cl];
      } else if (in_final_tail) {
        ++tail_final[cl];
      } else {
        ++mid[cl];
      }
    }
    it = end;
  }
  std::array<std::uint64_t, 2> counted{}, gaps_reported{}, connects{};
  std::uint64_t dropped = 0, conflated = 0, parse_errors = 0, stalls = 0;
  for (const auto& w : final_stats.workers) {
    const auto cl = static_cast<std::size_t>(w.cluster);
    counted[cl] += w.rows_dropped_queue_full + w.rows_conflated;
    gaps_reported[cl] += w.gaps;
    connects[cl] += w.connects;
    dropped += w.rows_dropped_queue_full;
    conflated += w.rows_conflated;
    parse_errors += w.parse_errors;
    stalls += w.stalls;
  }
  std::uint64_t unaccounted = 0;
  for (std::size_t cl = 0; cl < 2; ++cl) {
    unaccounted += mid[cl] > counted[cl] ? mid[cl] - counted[cl] : 0;
    unaccounted += tail_final[cl];
    if (tail[cl] > 0 && gaps_reported[cl] + 1 != connects[cl]) unaccounted += tail[cl];  // a tail with no gap
  }
  const std::uint64_t in_gaps = tail[0] + tail[1];

  // ---- subscriptions resumed ----------------------------------------------------------------
  std::map<std::uint64_t, std::vector<const massive_sim::CommandRecord*>> cmds;
  for (const auto& r : log) cmds[r.conn_id].push_back(&r);
  const auto final_set = [&](std::uint64_t id) {
    std::set<std::string> s;
    for (const auto* r : cmds[id]) {
      if (r->action == "subscribe") {
        for (auto& ch : split_channels(r->params)) s.insert(ch);
      } else if (r->action == "unsubscribe") {
        for (auto& ch : split_channels(r->params)) s.erase(ch);
      }
    }
    return s;
  };
  std::map<Cluster, std::vector<ConnectionEvent>> connected_events, disconnected_events, rejected_events;
  std::map<Cluster, std::int64_t> worker_start_ns;
  for (const Cluster c : {Cluster::Stocks, Cluster::Options}) {
    connected_events[c] = events.of(ConnectionEvent::Kind::Connected, c);
    disconnected_events[c] = events.of(ConnectionEvent::Kind::Disconnected, c);
    rejected_events[c] = events.of(ConnectionEvent::Kind::SubscriptionRejected, c);
    const auto connecting = events.of(ConnectionEvent::Kind::Connecting, c);
    worker_start_ns[c] = connecting.empty() ? 0 : connecting.front().at_ns;
  }
  // The initial subscription of a connection: the subscribe messages after the auth, until they
  // hold the channels the client said it had (`Connected::channels`).
  const auto initial_set = [&](std::uint64_t id, std::size_t channels) {
    std::set<std::string> s;
    for (const auto* r : cmds[id]) {
      if (r->action == "auth") continue;
      if (r->action != "subscribe" || s.size() >= channels) break;
      for (auto& ch : split_channels(r->params)) s.insert(ch);
    }
    return s;
  };
  // The scheduler rebalances (options only) every `rebalance_interval_s` from the worker's start
  // (its first Connecting event), the first one second in, and only while connected
  // (worker.cpp: rebalances()). Was the client connected on a connection, from its Connected event
  // to the next Disconnected one, at one of those ticks? 50 ms either side for the timers' lateness.
  const auto rebalanced_during = [&](Cluster c, std::int64_t up_ns) {
    if (c != Cluster::Options || worker_start_ns[c] == 0) return false;
    std::int64_t down_ns = std::numeric_limits<std::int64_t>::max();
    for (const auto& d : disconnected_events[c]) {
      if (d.at_ns >= up_ns) {
        down_ns = d.at_ns;
        break;
      }
    }
    const std::int64_t every = static_cast<std::int64_t>(cfg.scheduler.rebalance_interval_s) * 1'000'000'000;
    const std::int64_t margin = 50'000'000;
    for (std::int64_t t = worker_start_ns[c] + std::min<std::int64_t>(every, 1'000'000'000); t <= down_ns + margin;
         t += every) {
      if (t >= up_ns - margin) return true;
    }
    return false;
  };
  // The scheduler's channels (option quotes: the soak subscribes none of its own); every other
  // channel is the host's and never changes.
  const auto scheduled = [](const std::string& ch) { return ch.starts_with("Q.O:"); };
  const std::map<Cluster, std::set<std::string>> wildcards{{Cluster::Stocks, {"Q.*", "T.*"}},
                                                           {Cluster::Options, {"T.*"}}};
  std::uint64_t reconnects_checked = 0, reconnects_resumed = 0, reconnects_in_flight = 0, reconnects_unmapped = 0;
  std::uint64_t channels_expected = 0, channels_resumed = 0, channels_in_flight = 0;
  std::vector<std::string> resume_failures;
  for (const Cluster c : {Cluster::Stocks, Cluster::Options}) {
    const auto& ce = connected_events[c];
    const ResourceType feed = c == Cluster::Stocks ? ResourceType::EquityTrades : ResourceType::OptionsTrades;
    std::uint64_t prev = 0;  // sim connection ids start at 1
    for (std::size_t e = 0; e < ce.size(); ++e) {
      auto it = epoch_conn.find({static_cast<std::uint8_t>(index(feed)), static_cast<std::uint16_t>(e)});
      if (it == epoch_conn.end()) {
        if (e > 0) ++reconnects_unmapped;
        prev = 0;
        continue;
      }
      const std::uint64_t id = conns[it->second];
      const auto init = initial_set(id, ce[e].channels);
      for (const auto& w : wildcards.at(c)) {
        if (!init.contains(w)) resume_failures.push_back("conn " + std::to_string(id) + " lacks " + w);
      }
      if (e > 0 && prev != 0) {
        ++reconnects_checked;
        // What the previous connection had: every channel it subscribed and did not unsubscribe,
        // but those the server refused (the client drops a refused channel from its set).
        auto before = final_set(prev);
        for (const auto& r : rejected_events[c]) {
          const auto colon = r.detail.rfind(": ");
          if (r.at_ns >= ce[e - 1].at_ns && r.at_ns < ce[e].at_ns && colon != std::string::npos)
            before.erase(r.detail.substr(colon + 2));
        }
        std::size_t present = 0;
        for (const auto& ch : before) present += init.contains(ch) ? 1 : 0;
        channels_expected += before.size();
        channels_resumed += present;
        // The host's channels: exactly the same, always.
        std::set<std::string> host_before, host_init;
        std::size_t differ = 0;
        for (const auto& ch : before) {
          if (!scheduled(ch)) host_before.insert(ch);
          differ += init.contains(ch) ? 0 : 1;
        }
        for (const auto& ch : init) {
          if (!scheduled(ch)) host_init.insert(ch);
          differ += before.contains(ch) ? 0 : 1;
        }
        if (init == before) {
          ++reconnects_resumed;
        } else if (host_init == host_before && rebalanced_during(c, ce[e - 1].at_ns)) {
          // The scheduler changed the set while the previous connection was dying (stalled, or
          // cut as the rebalance was written): its messages never reached the simulator, and the
          // client, which did send them, subscribes its current set. The simulator cannot see the
          // client's set; counted apart, and only scheduled contracts may differ.
          ++reconnects_resumed;
          ++reconnects_in_flight;
          channels_in_flight += differ;
        } else {
          resume_failures.push_back("conn " + std::to_string(id) + " after " + std::to_string(prev) + ": " +
                                    std::to_string(init.size()) + " channels, the previous had " +
                                    std::to_string(before.size()) + ", " + std::to_string(present) + " in common");
        }
      }
      prev = id;
    }
  }

  // ---- sockets per cluster, at the proxy (client side) and at the simulator ------------------
  std::array<std::vector<std::pair<std::int64_t, std::int64_t>>, 2> intervals;
  for (const auto& info : proxy.connections()) {
    if (info.request_line.find("/stocks") != std::string::npos)
      intervals[0].emplace_back(info.accepted_ns, info.client_closed_ns);
    if (info.request_line.find("/options") != std::string::npos)
      intervals[1].emplace_back(info.accepted_ns, info.client_closed_ns);
  }
  const std::array<std::size_t, 2> max_client_sockets{max_overlap(intervals[0]), max_overlap(intervals[1])};
  const auto pc = proxy.counters();

  // ---- memory ---------------------------------------------------------------------------------
  // RSS; under ASan less what ASan adds for the heap (AsanHeap::overhead: its quarantine and free
  // lists grow over the run whatever the program holds, and so does their shadow). The program's
  // own heap is still in it, as ASan's live bytes; those are checked alone too.
  std::uint64_t mem1 = 0, mem2 = 0, rss1 = 0, rss2 = 0, live1 = 0, live2 = 0, events_first = 0, events_second = 0;
  const double half = samples.empty() ? 0 : samples.back().t / 2;
  for (const auto& s : samples) {
    const std::uint64_t mem = s.rss - std::min(s.rss, s.heap.overhead());
    if (s.t < half) {
      mem1 = std::max(mem1, mem);
      rss1 = std::max(rss1, s.rss);
      live1 = std::max(live1, s.heap.live);
      events_first = s.events_sent;
    } else {
      mem2 = std::max(mem2, mem);
      rss2 = std::max(rss2, s.rss);
      live2 = std::max(live2, s.heap.live);
      events_second = s.events_sent;
    }
  }
  std::uint64_t cmd_bytes_second = 0;
  for (const auto& r : log) {
    if (std::chrono::duration<double>(r.at).count() >= half) cmd_bytes_second += r.params.size() + r.action.size() + 96;
  }
  const std::uint64_t truth_growth = 32 * (events_second - events_first) + cmd_bytes_second;
  const std::uint64_t rss_margin = (8ULL << 20U) + truth_growth;

  // ---- the report -----------------------------------------------------------------------------
  std::printf("\n```\n");
  std::printf("chaos soak: seed %llu, %.0f s (faults for %.0f s), %llu faults of %zu kinds (%llu tried)\n",
              static_cast<unsigned long long>(seed), run_s, faults_end_s - 1.0, static_cast<unsigned long long>(total),
              static_cast<std::size_t>(std::count_if(injected.begin(), injected.end(), [](auto n) { return n > 0; })),
              static_cast<unsigned long long>(attempted));
  std::printf("  %-26s %6s\n", "fault", "count");
  for (std::size_t k = 0; k < kKinds; ++k) {
    std::printf("  %-26s %6llu\n", kKindNames[k], static_cast<unsigned long long>(injected[k]));
  }
  std::printf("  client: %llu+%llu connects, %llu+%llu gaps, %llu half-open detected, %llu frames rejected\n",
              static_cast<unsigned long long>(connects[0]), static_cast<unsigned long long>(connects[1]),
              static_cast<unsigned long long>(gaps_reported[0]), static_cast<unsigned long long>(gaps_reported[1]),
              static_cast<unsigned long long>(stalls), static_cast<unsigned long long>(parse_errors));
  std::printf(
      "  subscriptions resumed: %llu of %llu reconnects (%.1f %%; %llu of them with a rebalance lost in flight, "
      "%llu scheduled contracts), %llu of %llu channels (%.2f %%); %llu reconnects without data not checked\n",
      static_cast<unsigned long long>(reconnects_resumed), static_cast<unsigned long long>(reconnects_checked),
      reconnects_checked ? 100.0 * static_cast<double>(reconnects_resumed) / static_cast<double>(reconnects_checked)
                         : 100.0,
      static_cast<unsigned long long>(reconnects_in_flight), static_cast<unsigned long long>(channels_in_flight),
      static_cast<unsigned long long>(channels_resumed), static_cast<unsigned long long>(channels_expected),
      channels_expected ? 100.0 * static_cast<double>(channels_resumed) / static_cast<double>(channels_expected)
                        : 100.0,
      static_cast<unsigned long long>(reconnects_unmapped));
  std::printf(
      "  sockets per cluster at once (client side, at the proxy): stocks %zu, options %zu (shard_count %zu); "
      "simulator max_concurrent_per_key stocks %llu, options %llu (stalls included)\n",
      max_client_sockets[0], max_client_sockets[1], manager.shard_count(),
      static_cast<unsigned long long>(sim_counters.max_concurrent_per_key[0]),
      static_cast<unsigned long long>(sim_counters.max_concurrent_per_key[1]));
  std::printf(
      "  proxy: %llu connections, %llu refused, %llu upstream failures, %llu live at the end, %llu internal errors\n",
      static_cast<unsigned long long>(pc.accepted), static_cast<unsigned long long>(pc.refused),
      static_cast<unsigned long long>(pc.upstream_connect_failures), static_cast<unsigned long long>(pc.live),
      static_cast<unsigned long long>(pc.internal_errors));
  if (WS_SOURCE_SOAK_ASAN) {
    std::printf(
        "  memory (RSS less ASan's heap overhead) max: first half %.1f MiB, second half %.1f MiB (+%.1f MiB; allowed "
        "8 MiB + ground truth's growth %.1f MiB); RSS %.1f, %.1f MiB; ASan's live heap %.1f, %.1f MiB (+%.1f MiB)\n",
        mib(mem1), mib(mem2), mib(mem2 > mem1 ? mem2 - mem1 : 0), mib(truth_growth), mib(rss1), mib(rss2), mib(live1),
        mib(live2), mib(live2 > live1 ? live2 - live1 : 0));
  } else {
    std::printf(
        "  RSS max: first half %.1f MiB, second half %.1f MiB (+%.1f MiB; allowed 8 MiB + ground truth's growth "
        "%.1f MiB)\n",
        mib(mem1), mib(mem2), mib(mem2 > mem1 ? mem2 - mem1 : 0), mib(truth_growth));
  }
  std::printf(
      "  rows: sent %llu (%llu writes), delivered %llu, dropped %llu, conflated %llu, in gaps %llu, unaccounted %llu\n",
      static_cast<unsigned long long>(unique_sent), static_cast<unsigned long long>(sent_records),
      static_cast<unsigned long long>(delivered_unique), static_cast<unsigned long long>(dropped),
      static_cast<unsigned long long>(conflated), static_cast<unsigned long long>(in_gaps),
      static_cast<unsigned long long>(unaccounted));
  std::printf(
      "        (missing before a connection's last delivered row: %llu, at most the %llu counted; duplicates "
      "%llu, not sent %llu, out of order %llu)\n",
      static_cast<unsigned long long>(mid[0] + mid[1]), static_cast<unsigned long long>(counted[0] + counted[1]),
      static_cast<unsigned long long>(duplicates), static_cast<unsigned long long>(invented),
      static_cast<unsigned long long>(out_of_order));
  std::printf("```\n");
  for (const auto& f : resume_failures) std::printf("  resume: %s\n", f.c_str());
  std::fflush(stdout);

  // ---- the checks -----------------------------------------------------------------------------
  EXPECT_GE(std::count_if(injected.begin(), injected.end(), [](auto n) { return n > 0; }), 7);
  EXPECT_GE(total, std::min<std::uint64_t>(target_faults, 100));
  EXPECT_EQ(duplicates, 0U) << "a row delivered twice";
  EXPECT_EQ(invented, 0U) << "a row the simulator never sent";
  EXPECT_EQ(out_of_order, 0U);
  EXPECT_EQ(unaccounted, 0U);
  EXPECT_EQ(tail_final[0] + tail_final[1], 0U) << "the last connection lost rows";
  EXPECT_EQ(delivered_unique + mid[0] + mid[1] + in_gaps + tail_final[0] + tail_final[1], unique_sent);
  EXPECT_EQ(delivered_unique, rows.size()) << "every delivered row is a sent event";
  EXPECT_TRUE(resume_failures.empty());
  EXPECT_EQ(reconnects_resumed, reconnects_checked);
  EXPECT_GT(reconnects_checked, 10U);
  EXPECT_LE(max_client_sockets[0], manager.shard_count());
  EXPECT_LE(max_client_sockets[1], manager.shard_count());
  EXPECT_EQ(pc.internal_errors, 0U);
  EXPECT_LE(mem2, mem1 + rss_margin) << "memory grew";
  EXPECT_LE(live2, live1 + rss_margin) << "the live heap grew";  // 0 <= 0 without ASan
  for (std::size_t cl = 0; cl < 2; ++cl) {
    EXPECT_EQ(gaps_reported[cl] + 1, connects[cl]) << "every reconnection reports its gap";
  }
  std::uint64_t dropped_meta = 0, conflated_meta = 0;
  for (std::size_t f = 0; f < 4; ++f) {
    dropped_meta += consumer->dropped[f];
    conflated_meta += consumer->conflated[f];
  }
  EXPECT_EQ(dropped_meta, dropped) << "the batches told the consumer of every drop";
  EXPECT_EQ(conflated_meta, conflated);
}

}  // namespace
}  // namespace ws_source::chaos
