// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// JSON lines: every row as one JSON object per line (`write_jsonl`), and `JsonlFileSink`, a
/// `BatchSink` that appends them to a file (what `ws-ingest --sink jsonl:FILE` and `--jsonl FILE`
/// use).
///
/// One line per row, fields in this order, optional fields only when present:
///
/// ```
/// {"type":"equity_trade","sym":"AAPL","x":4,"i":"52983525034825","p":229.87,"s":100,"z":3,"c":[12,37],"t_ns":1732546800123000000,"q":1423581}
/// {"type":"option_trade","sym":"O:SPY251219C00650000","x":65,"p":1.25,"s":3,"c":[209],"t_ns":…,"q":…}
/// {"type":"option_quote","sym":"O:SPY251219C00650000","bx":7,"ax":7,"bp":1.2,"ap":1.3,"bs":10,"as":12,"t_ns":…,"q":…}
/// {"type":"equity_quote","sym":"AAPL","bx":11,"ax":12,"bp":229.8,"ap":229.9,"bs":2,"as":3,"c":1,"i":[604],"z":3,"t_ns":…,"q":…}
/// ```
///
/// Equity trades also carry `ds` (fractional size), `trfi` and `trft_ns` when set. Times are Unix
/// nanoseconds; doubles are written in shortest round-trip form (parsing the text gives back the
/// same double); a non-finite double (never produced by the parser) is written as `null`.
/// Symbols and trade ids are printable ASCII; a `"` or `\` in them is escaped.
///
/// With `JsonlOptions::batches`, each batch is preceded by one batch line (heartbeats included,
/// so a reader sees the watermark advance, disconnections and gaps):
///
/// ```
/// {"type":"batch","feed":"options_quotes","shard":0,"seq":41,"rows":2,"watermark_ns":…,"received_ns":…,"connection":"connected","dropped":0,"conflated":0,"late":0}
/// {"type":"batch",…,"gap":{"start_ns":…,"end_ns":…,"reason":"closed"}}
/// ```

#include <cstdio>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "ws_source/model.hpp"
#include "ws_source/result.hpp"
#include "ws_source/sink.hpp"

namespace ws_source {

/// What `write_jsonl` writes.
struct JsonlOptions {
  /// Also one `{"type":"batch",…}` line before each batch's rows, heartbeats included. Off by
  /// default: rows only, the format `ws-ingest --jsonl` has always written.
  bool batches{false};
};

/// Appends the lines of `batch` to `out` (its rows; and its batch line with `options.batches`).
/// Allocates only to grow `out`. Never throws except `std::bad_alloc`.
void append_jsonl(std::string& out, const DataBatch<TradeOrNbbo>& batch, const JsonlOptions& options = {});

/// Writes the lines of `batch` to `os` (as `append_jsonl`). The stream's error state says
/// whether it worked.
void write_jsonl(std::ostream& os, const DataBatch<TradeOrNbbo>& batch, const JsonlOptions& options = {});

/// A `BatchSink` that appends JSON lines to a file.
///
/// Blocking: `write` formats the batch and writes it through a 1 MiB stdio buffer **on the
/// calling thread** (the operating system's page cache absorbs it; a full or slow disk slows the
/// consumer, which the io thread then sees as a full ring and counts as `queue_full` drops). An
/// I/O error is an `Io` error value, and the sink is then `Closed` for good (a half-written file
/// is not continued). `flush` pushes the buffer to the operating system (no `fsync`).
/// Counts every batch as `batches_out` once written to the buffer; heartbeats write nothing
/// unless `JsonlOptions::batches`. One writer thread (see sink.hpp); `stats()` from any thread.
class JsonlFileSink final : public BatchSink {
 public:
  /// Opens (creates or truncates) `path`. `Io` when the file cannot be opened for writing.
  [[nodiscard]] static Result<std::unique_ptr<JsonlFileSink>, SinkError> open(const std::filesystem::path& path,
                                                                              JsonlOptions options = {});
  /// Flushes and closes the file (an error at that point is logged, not thrown).
  ~JsonlFileSink() override;

  [[nodiscard]] Result<void, SinkError> write(const DataBatch<TradeOrNbbo>& batch) noexcept override;
  [[nodiscard]] Result<void, SinkError> flush(std::chrono::milliseconds timeout) noexcept override;
  [[nodiscard]] SinkStats stats() const noexcept override;
  /// `jsonl:<path>`
  [[nodiscard]] std::string describe() const override;

  /// Flushes and closes the file now; later writes are `Closed`. An error closing is returned.
  [[nodiscard]] Result<void, SinkError> close() noexcept;

  struct Impl;

 private:
  explicit JsonlFileSink(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source
