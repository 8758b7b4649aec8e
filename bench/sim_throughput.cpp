// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// massive-sim's ceilings, measured end to end on loopback: a plain Beast client reads and
// discards (no parsing) while the simulator
//   1. generates the live market at an offered load (stock quotes only, `Q.*` on /stocks), from
//      a trickle to millions of events/s: how much of the offered load it delivers;
//   2. replays pre-encoded frames as fast as the socket takes them (the ceiling the client
//      benchmarks need).
// Prints one line per run: offered and sent (the server's counters) events/s, and what the client
// read (it only counts messages and bytes: parsing or even scanning them would make it the limit).
//
// Usage: massive_sim_throughput [SECONDS_PER_RUN] [RATE ... | replay]   (default 3 s; 1e5 5e5 1e6 2e6 4e6)

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <massive_sim/server.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

struct Reading {
  std::uint64_t messages{0};
  std::uint64_t bytes{0};
};

/// Reads and discards until the connection ends; counts into `out` (read after the join).
void read_and_discard(std::uint16_t port, std::atomic<bool>& ready, Reading& out) {
  asio::io_context ioc;
  beast::websocket::stream<asio::ip::tcp::socket> ws(ioc);
  beast::error_code ec;
  ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (!ec) ws.handshake("127.0.0.1", "/stocks", ec);
  if (!ec)
    ws.write(asio::buffer(std::string(R"({"action":"auth","params":")") + std::string(massive_sim::kDemoKey) + "\"}"),
             ec);
  if (!ec) ws.write(asio::buffer(std::string(R"({"action":"subscribe","params":"Q.*"})")), ec);
  ready = true;
  beast::flat_buffer buf;
  while (!ec) {
    const std::size_t n = ws.read(buf, ec);
    if (ec) break;
    ++out.messages;
    out.bytes += n;
    buf.consume(n);
  }
}

void run(const char* label, massive_sim::SimConfig cfg, double offered, double seconds) {
  auto started = massive_sim::Server::start(std::move(cfg));
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().c_str());
    std::exit(1);
  }
  auto& sim = **started;
  std::atomic<bool> ready{false};
  Reading r;
  std::thread client([&] { read_and_discard(sim.port(), ready, r); });
  while (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up
  const auto c0 = sim.counters();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const auto c1 = sim.counters();
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  sim.shutdown();
  client.join();
  const double sent = static_cast<double>(c1.events_sent - c0.events_sent) / dt;
  const double frames = static_cast<double>(c1.frames_sent - c0.frames_sent) / dt;
  const double mbps = static_cast<double>(c1.bytes_sent - c0.bytes_sent) / dt / 1e6;
  std::printf(
      "%-8s offered %12.0f ev/s  sent %12.0f ev/s (%5.1f%%)  %9.0f frames/s  %7.1f MB/s  client read %llu messages, "
      "%.1f MB in all, overflows %llu\n",
      label, offered, sent, offered > 0 ? 100.0 * sent / offered : 100.0, frames, mbps,
      static_cast<unsigned long long>(r.messages), static_cast<double>(r.bytes) / 1e6,
      static_cast<unsigned long long>(c1.send_buffer_overflows));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::vector<double> rates;
  bool replay_only = false;
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) == "replay") {
      replay_only = true;
    } else {
      rates.push_back(std::atof(argv[i]));
    }
  }
  if (rates.empty() && !replay_only) rates = {1e5, 5e5, 1e6, 2e6, 4e6};
  std::printf(
      "massive-sim throughput, %.1f s per run, 100 events per frame, stock quotes on /stocks, "
      "a read-and-discard Beast client on the same machine (%u hardware threads)\n",
      seconds, std::thread::hardware_concurrency());
  for (const double rate : rates) {
    auto cfg = massive_sim::SimConfig{};
    cfg.market = massive_sim::MarketConfig::stationary();
    cfg.market.rates = massive_sim::Rates::zero();
    cfg.market.rates.stock_quotes = rate;
    cfg.send_buffer_bytes = 256U << 20U;
    run("live", cfg, rate, seconds);
  }
  auto cfg = massive_sim::SimConfig{};
  cfg.market = massive_sim::MarketConfig::small();
  cfg.replay = massive_sim::ReplayConfig{massive_sim::Feed::StockQuotes, 256, 100};
  run("replay", cfg, 0, seconds);
  return 0;
}
