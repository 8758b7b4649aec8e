// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// End to end, one connection: massive-sim replays pre-encoded frames of 100 equity quotes as fast
// as the socket takes them, and
//   1. a read-and-discard Beast client (no parsing): the ceiling of the socket path;
//   2. ws-source (ConnectionManager -> parse in place -> ring -> BatchStream) with a consumer that
//      drops every batch: events/s delivered, rows dropped, and the ratio to (1) in the same run;
//   3. ws-source on the live market at 100,000 events/s: frame received -> batch taken by the
//      consumer, p50 / p99 / max from every batch (not an average); once with a consumer that
//      waits in next() (spin, then futex) and once with one that busy-polls try_next().
//   The two throughput runs also print the CPU their busiest threads used in the timed window (from
//   /proc/self/task, by thread name: massive-sim-io, ws-source-io, consumer), as a share of one
//   core, and the process's total: on a machine where the simulator and the client share the
//   cores, that says whether a ratio is bound by the client's code or by the machine.
// Usage: ws_source_e2e_bench [SECONDS_PER_RUN]   (default 3)

#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <massive_sim/server.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <ws_source/connection_manager.hpp>
#include <ws_source/timestamp.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

std::unique_ptr<massive_sim::Server> start_sim(massive_sim::SimConfig cfg) {
  auto s = massive_sim::Server::start(std::move(cfg));
  if (!s) {
    std::fprintf(stderr, "%s\n", s.error().c_str());
    std::exit(1);
  }
  return std::move(*s);
}

massive_sim::SimConfig replay_sim() {
  massive_sim::SimConfig cfg;
  cfg.market = massive_sim::MarketConfig::small();
  cfg.replay = massive_sim::ReplayConfig{massive_sim::Feed::StockQuotes, 256, 100};
  cfg.send_buffer_bytes = 256U << 20U;
  return cfg;
}

/// A thread's name (as `pthread_setname_np` set it) and its CPU ticks (user + system).
struct ThreadTicks {
  std::string name;
  long ticks{0};
};

/// Every thread of this process, by thread id (a thread whose stat cannot be read is left out).
std::map<long, ThreadTicks> thread_ticks() {
  std::map<long, ThreadTicks> out;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return out;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/stat");
    std::string line;
    std::getline(f, line);
    const auto open = line.find('(');
    const auto close = line.rfind(')');  // the name may hold spaces and ')'; the fields follow it
    if (open == std::string::npos || close == std::string::npos || close < open || close + 2 > line.size()) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    long ticks = 0;
    bool ok = true;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
      if (i == 14 || i == 15) {
        long v = 0;
        const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
        ok = ok && ec == std::errc() && ptr == field.data() + field.size();
        ticks += v;
      }
    }
    long tid = 0;
    const std::string_view id(e->d_name);
    if (!ok || std::from_chars(id.data(), id.data() + id.size(), tid).ec != std::errc()) continue;
    out[tid] = ThreadTicks{line.substr(open + 1, close - open - 1), ticks};
  }
  closedir(dir);
  return out;
}

/// The CPU snapshot taken at the start of a timed window, and the summary at its end.
struct CpuWindow {
  std::map<long, ThreadTicks> at_start;
  Clock::time_point started;
  std::string summary = "cpu: not measured";

  void start() {
    at_start = thread_ticks();
    started = Clock::now();
  }
  /// The busiest three threads by name over the window, as shares of one core, and the total.
  void finish() {
    const auto after = thread_ticks();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (at_start.empty() || seconds <= 0) return;
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    std::vector<std::pair<double, std::string>> shares;
    double total = 0;
    for (const auto& [tid, t] : after) {
      const auto it = at_start.find(tid);
      const double used = static_cast<double>(t.ticks - (it == at_start.end() ? 0 : it->second.ticks)) / hz / seconds;
      shares.emplace_back(used, t.name);
      total += used;
    }
    std::sort(shares.begin(), shares.end(), std::greater<>());
    summary = "cpu (share of a core):";
    char buf[96];
    for (std::size_t i = 0; i < shares.size() && i < 3; ++i) {
      std::snprintf(buf, sizeof buf, "%s %s %.2f", i == 0 ? "" : ",", shares[i].second.c_str(), shares[i].first);
      summary += buf;
    }
    std::snprintf(buf, sizeof buf, "; all threads %.2f cores", total);
    summary += buf;
  }
};

/// Messages read per second by a client that only reads and discards.
double read_only(double seconds, CpuWindow& cpu) {
  auto sim = start_sim(replay_sim());
  std::atomic<bool> stop{false};
  std::uint64_t messages = 0;
  std::uint64_t counted = 0;
  std::thread t([&] {
    pthread_setname_np(pthread_self(), "beast-reader");
    asio::io_context ioc;
    beast::websocket::stream<asio::ip::tcp::socket> ws(ioc);
    beast::error_code ec;
    ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), sim->port()}, ec);
    if (!ec) ws.handshake("127.0.0.1", "/stocks", ec);
    std::string auth = R"({"action":"auth","params":")" + std::string(massive_sim::kDemoKey) + "\"}";
    if (!ec) ws.write(asio::buffer(auth), ec);
    std::string sub = R"({"action":"subscribe","params":"Q.*"})";
    if (!ec) ws.write(asio::buffer(sub), ec);
    beast::flat_buffer buf;
    const auto t0 = Clock::now() + std::chrono::milliseconds(500);
    const auto t1 = t0 + std::chrono::duration<double>(seconds);
    bool started = false;
    while (!ec) {
      const std::size_t n = ws.read(buf, ec);
      buf.consume(n);
      const auto now = Clock::now();
      if (now >= t0 && !started) {
        started = true;
        cpu.start();
      }
      if (now >= t0 && now < t1) ++counted;
      ++messages;
      if (now >= t1) break;
    }
    if (started) cpu.finish();
  });
  t.join();
  return static_cast<double>(counted) / seconds;
}

ws_source::WsConfig config_for(const massive_sim::Server& sim) {
  ws_source::WsConfig c;
  c.api_keys = {ws_source::ApiKey(std::string(massive_sim::kDemoKey))};
  c.base_url = "ws://127.0.0.1:" + std::to_string(sim.port());
  c.feeds.options_quotes.enabled = false;
  c.feeds.options_trades.enabled = false;
  c.feeds.equity_trades.enabled = false;
  c.feeds.equity_quotes = ws_source::FeedConfig::all();
  return c;
}

struct Run {
  double rows_per_s{0};
  std::uint64_t dropped{0};
  std::uint64_t parse_errors{0};
  std::vector<std::int64_t> latency_ns;  // per data batch: received -> taken
  CpuWindow cpu;
};

/// ws-source against `sim` for `seconds` after a 0.5 s warm-up; the consumer drops every batch.
/// `busy_poll`: the consumer spins on `try_next()` (a core of its own, as a latency-sensitive
/// engine runs it) instead of `next(timeout)`, which polls briefly and then sleeps on a futex.
/// `measure_cpu`: the threads' CPU over the window (the snapshots, a scan of /proc, are taken on
/// the consumer thread: left out of the latency runs).
Run ingest(const massive_sim::Server& sim, double seconds, bool busy_poll = false, bool measure_cpu = false) {
  ws_source::ConnectionManager manager(config_for(sim));
  auto stream = manager.run();
  Run r;
  r.latency_ns.reserve(2'000'000);
  std::uint64_t rows = 0;
  const auto t0 = Clock::now() + std::chrono::milliseconds(500);
  const auto t1 = t0 + std::chrono::duration<double>(seconds);
  bool started = false;
  for (;;) {
    auto lease = busy_poll ? stream.try_next() : stream.next(std::chrono::milliseconds(50));
    const auto now = Clock::now();
    if (now >= t0 && !started) {
      started = true;
      if (measure_cpu) r.cpu.start();
    }
    if (lease && !(*lease)->rows.empty() && now >= t0 && now < t1) {
      rows += (*lease)->rows.size();
      r.latency_ns.push_back(ws_source::now_ns() - (*lease)->meta.received_at_ns);
    }
    if (now >= t1) break;
  }
  if (measure_cpu && started) r.cpu.finish();
  const auto s = manager.stats();
  for (const auto& w : s.workers) {
    r.dropped += w.rows_dropped_queue_full;
    r.parse_errors += w.parse_errors;
  }
  manager.stop();
  while (stream.next()) {
  }
  r.rows_per_s = static_cast<double>(rows) / seconds;
  std::sort(r.latency_ns.begin(), r.latency_ns.end());
  return r;
}

double pct(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[i]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  pthread_setname_np(pthread_self(), "consumer");
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::printf(
      "end to end, one connection, %.1f s per run, 100 equity quotes per frame, simulator and client on "
      "the same machine (%u hardware threads)\n",
      seconds, std::thread::hardware_concurrency());
  CpuWindow ro_cpu;
  const double ceiling = read_only(seconds, ro_cpu) * 100.0;
  std::printf("read-only Beast client:       %12.0f events/s; %s\n", ceiling, ro_cpu.summary.c_str());
  {
    auto sim = start_sim(replay_sim());
    const Run r = ingest(*sim, seconds, false, true);
    std::printf(
        "ws-source, replay:            %12.0f events/s delivered (%.2f of read-only), dropped %llu, "
        "parse errors %llu; latency p50 %.1f us, p99 %.1f us; %s\n",
        r.rows_per_s, ceiling > 0 ? r.rows_per_s / ceiling : 0.0, static_cast<unsigned long long>(r.dropped),
        static_cast<unsigned long long>(r.parse_errors), pct(r.latency_ns, 0.5), pct(r.latency_ns, 0.99),
        r.cpu.summary.c_str());
  }
  {
    massive_sim::SimConfig cfg;
    cfg.market = massive_sim::MarketConfig::stationary();
    cfg.market.rates = massive_sim::Rates::zero();
    cfg.market.rates.stock_quotes = 100'000;
    auto sim = start_sim(cfg);
    for (const bool busy : {false, true}) {
      const Run r = ingest(*sim, seconds, busy);
      std::printf(
          "ws-source, live 100k ev/s, %s: %9.0f events/s delivered, dropped %llu; frame received -> consumer: "
          "p50 %.1f us, p99 %.1f us, max %.1f us over %zu batches\n",
          busy ? "busy-poll" : "next()   ", r.rows_per_s, static_cast<unsigned long long>(r.dropped),
          pct(r.latency_ns, 0.5), pct(r.latency_ns, 0.99), pct(r.latency_ns, 1.0), r.latency_ns.size());
    }
  }
  return 0;
}
