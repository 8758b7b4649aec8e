// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// `--sink SPEC` (repeatable) for `ws-ingest demo` and `run`: where every batch goes besides the
// summary. SPEC is `jsonl:FILE` (JSON lines, ws_source::JsonlFileSink; `--jsonl FILE` is the same)
// or `nats://HOST:PORT` (JetStream, ws_source::NatsSink: stream MASSIVE, subjects
// massive.<cluster>.<quotes|trades>; needs a build with WS_SOURCE_WITH_NATS). The sinks are
// opened before ingesting (a bad spec, an unwritable file, an unreachable NATS server: a clear
// error and exit status 1), written on the consumer thread, flushed and reported at the end.

#include <memory>
#include <string>
#include <vector>
#include <ws_source/model.hpp>
#include <ws_source/sink.hpp>

namespace ws_ingest {

/// The sinks of one run, written in order.
class Sinks {
 public:
  /// Opens every sink of `specs`; on the first failure returns nullptr and sets `error`.
  [[nodiscard]] static std::unique_ptr<Sinks> open(const std::vector<std::string>& specs, std::string& error);

  /// Hands `batch` to every sink; a sink that fails is reported once on stderr and skipped after.
  void write(const ws_source::DataBatch<ws_source::TradeOrNbbo>& batch);
  /// Flushes every sink (up to 10 s each) and prints one line per sink: what it wrote, dropped,
  /// failed.
  void finish(std::ostream& os);
  [[nodiscard]] bool empty() const noexcept { return sinks_.empty(); }

 private:
  struct Entry {
    std::unique_ptr<ws_source::BatchSink> sink;
    bool failed{false};
  };
  std::vector<Entry> sinks_;
};

}  // namespace ws_ingest
