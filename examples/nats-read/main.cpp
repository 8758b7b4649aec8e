// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// ws-nats-read: reads the batches `ws-ingest --sink nats://…` published to JetStream back as
// DataBatch<TradeOrNbbo> values (ws_source::NatsReader) and prints one line per batch (and, with
// --rows, each row), the way a remote consumer would use them.
//
//   ws-nats-read [--url nats://127.0.0.1:4222] [--stream MASSIVE] [--prefix massive]
//                [--feed options_quotes]... [--from-seq N | --last S | --new] [--count N] [--idle S] [--rows]
//
// Exit status: 0 at the end (count reached, idle, Ctrl-C), 1 on a NATS error, 2 on bad arguments.

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>
#include <ws_source/nats_reader.hpp>
#include <ws_source/timestamp.hpp>

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int /*sig*/) { g_interrupted.store(true); }

bool parse_feed(const std::string& name, ws_source::ResourceType& out) {
  for (const ws_source::ResourceType rt : ws_source::kAllResourceTypes) {
    if (ws_source::to_string(rt) == name) {
      out = rt;
      return true;
    }
  }
  return false;
}

int run(int argc, char** argv) {
  CLI::App app{"ws-nats-read: read ws-source batches back from NATS JetStream"};
  ws_source::NatsReaderConfig cfg;
  std::vector<std::string> feeds;
  std::uint64_t from_seq = 0;
  double last_s = 0;
  bool only_new = false;
  std::uint64_t count = 0;
  double idle_s = 0;
  bool rows = false;
  app.add_option("--url", cfg.connection.url, "NATS server URL")->capture_default_str();
  app.add_option("--stream", cfg.stream.name, "JetStream stream")->capture_default_str();
  app.add_option("--prefix", cfg.stream.subject_prefix, "subject prefix (<prefix>.<cluster>.<quotes|trades>)")
      ->capture_default_str();
  app.add_option("--feed", feeds,
                 "options_quotes, options_trades, equity_quotes or equity_trades (repeatable; default all)");
  auto* seq_opt = app.add_option("--from-seq", from_seq, "start at this stream sequence");
  auto* last_opt = app.add_option("--last", last_s, "start at what was stored in the last S seconds");
  auto* new_opt = app.add_flag("--new", only_new, "only what is published from now on");
  seq_opt->excludes(last_opt)->excludes(new_opt);
  last_opt->excludes(new_opt);
  app.add_option("--count", count, "stop after N batches (0 = no limit)")->capture_default_str();
  app.add_option("--idle", idle_s, "stop after S seconds without a batch (0 = never)")->capture_default_str();
  app.add_flag("--rows", rows, "print every row too");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (const std::string& f : feeds) {
    ws_source::ResourceType rt{};
    if (!parse_feed(f, rt)) {
      std::cerr << "ws-nats-read: unknown feed " << f << "\n";
      return 2;
    }
    cfg.feeds.push_back(rt);
  }
  if (*seq_opt) cfg.start = ws_source::StreamStart::at_sequence(from_seq);
  if (*last_opt) {
    cfg.start = ws_source::StreamStart::at_time(ws_source::now_ns() - static_cast<std::int64_t>(last_s * 1e9));
  }
  if (only_new) cfg.start = ws_source::StreamStart::new_only();

  auto reader = ws_source::NatsReader::open(cfg);
  if (!reader) {
    std::cerr << "ws-nats-read: " << reader.error() << "\n";
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  ws_source::ReceivedBatch got;
  std::uint64_t n = 0;
  std::uint64_t n_rows = 0;
  auto idle_since = std::chrono::steady_clock::now();
  while (!g_interrupted.load() && (count == 0 || n < count)) {
    auto r = (*reader)->next(got, std::chrono::milliseconds(200));
    if (!r) {
      std::cerr << "ws-nats-read: " << r.error() << "\n";
      if (r.error().kind == ws_source::NatsError::Kind::Decode) continue;  // skip it, go on
      return 1;
    }
    if (!*r) {
      if (idle_s > 0 && std::chrono::steady_clock::now() - idle_since > std::chrono::duration<double>(idle_s)) break;
      continue;
    }
    idle_since = std::chrono::steady_clock::now();
    ++n;
    n_rows += got.batch.rows.size();
    std::cout << "seq=" << got.stream_sequence << " subject=" << got.subject << " rows=" << got.batch.rows.size()
              << (got.batch.is_heartbeat() ? " (heartbeat)" : "") << ' ' << got.batch.meta << '\n';
    if (rows) {
      for (const auto& row : got.batch.rows) std::cout << "  " << row << '\n';
    }
  }
  std::cout << "ws-nats-read: " << n << " batches, " << n_rows << " rows";
  if ((*reader)->skipped() != 0) std::cout << " (" << (*reader)->skipped() << " of other feeds skipped)";
  std::cout << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // std::bad_alloc, or a CLI11 internal error
    std::cerr << "ws-nats-read: " << e.what() << "\n";
    return 1;
  }
}
