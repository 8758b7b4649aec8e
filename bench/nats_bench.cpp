// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// ws_source_nats_bench: batches and rows per second published through JetStream with acks
// (ws_source::NatsSink: encode, queue, js_PublishMsgAsync, ack), against a plain NATS core
// publish of the same encoded bytes (natsConnection_Publish, no ack, no stream) in the same run,
// on loopback to a nats-server this program starts (127.0.0.1, a free port, -js, file storage in
// a temporary directory).
//
//   ws_source_nats_bench [rounds=5] [batches=20000] [rows=100] [max_in_flight=256]
//
// Each round publishes `batches` batches of `rows` option quotes: JetStream until every batch is
// acknowledged (flush), core until the server answered a PING after the last one (every byte
// processed). Prints each round and the medians, and the ratio JetStream / core.

#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "nats_server.hpp"
#include "sample_batches.hpp"
#include "ws_source/logging.hpp"
#include "ws_source/nats_codec.hpp"
#include "ws_source/nats_sink.hpp"

using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::size_t batches = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20'000;
  const std::size_t rows = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 100;
  const std::size_t in_flight = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 256;
  ws_source::set_log_level(ws_source::LogLevel::Warn);

  std::string error;
  auto server = ws_source::test::NatsServer::start(error);
  if (!server) {
    std::cerr << "ws_source_nats_bench: " << error << "\n";
    return 1;
  }
  // The batches, built once (feed 0: options quotes); the core baseline sends their encodings.
  std::vector<ws_source::DataBatch<ws_source::TradeOrNbbo>> data;
  std::vector<std::vector<std::uint8_t>> encoded;
  for (std::size_t i = 0; i < 64; ++i) {
    auto b = ws_source::test::sample_batch(i * 4, rows);
    encoded.push_back(ws_source::encode_batch(b));
    data.push_back(std::move(b));
  }
  std::cout << "nats-server " << server->url() << " (-js, file storage); " << rounds << " rounds of " << batches
            << " batches x " << rows << " option quotes (" << encoded.front().size() << " bytes encoded), " << in_flight
            << " in flight at most\n";

  ws_source::NatsSinkConfig cfg;
  cfg.connection.url = server->url();
  cfg.max_in_flight = in_flight;
  cfg.max_queued_batches = batches + 1;  // measure throughput, not the drop policy
  cfg.max_queued_bytes = std::size_t{4} << 30;
  auto sink = ws_source::NatsSink::create(cfg);
  if (!sink) {
    std::cerr << "ws_source_nats_bench: " << sink.error() << "\n";
    return 1;
  }
  natsConnection* nc = nullptr;
  if (natsConnection_ConnectTo(&nc, server->url().c_str()) != NATS_OK) {
    std::cerr << "ws_source_nats_bench: core connection failed\n";
    return 1;
  }

  std::vector<double> js_bps;
  std::vector<double> core_bps;
  for (int r = 0; r < rounds; ++r) {
    // JetStream through the sink, acked.
    const auto before = (*sink)->nats_stats();
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < batches; ++i) (void)(*sink)->write(data[i % data.size()]);
    const auto flushed = (*sink)->flush(std::chrono::seconds(120));
    const double js_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto after = (*sink)->nats_stats();
    if (!flushed || after.acked - before.acked != batches) {
      std::cerr << "ws_source_nats_bench: JetStream round incomplete: acked " << after.acked - before.acked << " of "
                << batches << ", dropped " << (after.dropped_full + after.dropped_failed) << "\n";
      return 1;
    }
    // Core NATS, the same bytes, then a round trip so the server has processed them all.
    t0 = Clock::now();
    for (std::size_t i = 0; i < batches; ++i) {
      const auto& e = encoded[i % encoded.size()];
      (void)natsConnection_Publish(nc, "bench.core", e.data(), static_cast<int>(e.size()));
    }
    (void)natsConnection_FlushTimeout(nc, 120'000);
    const double core_s = std::chrono::duration<double>(Clock::now() - t0).count();
    js_bps.push_back(static_cast<double>(batches) / js_s);
    core_bps.push_back(static_cast<double>(batches) / core_s);
    std::printf("round %d: jetstream %9.0f batches/s %11.0f rows/s | core %9.0f batches/s %11.0f rows/s\n", r + 1,
                js_bps.back(), js_bps.back() * static_cast<double>(rows), core_bps.back(),
                core_bps.back() * static_cast<double>(rows));
  }
  const double js = median(js_bps);
  const double core = median(core_bps);
  std::printf("median:  jetstream %9.0f batches/s %11.0f rows/s | core %9.0f batches/s %11.0f rows/s | ratio %.3f\n",
              js, js * static_cast<double>(rows), core, core * static_cast<double>(rows), js / core);
  natsConnection_Destroy(nc);
  (void)(*sink)->close(std::chrono::seconds(10));
  return 0;
}
