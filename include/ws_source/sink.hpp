// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `BatchSink`: where batches go besides the consumer's own code (a file, a message bus). The
/// host application may write its own; ws-source ships `JsonlFileSink` (jsonl_sink.hpp, in the
/// core library) and `NatsSink` (nats_sink.hpp, in the separate `ws_source::nats` library).
///
/// ```cpp
/// ws_source::BatchStream stream = manager.run();
/// for (const auto& batch : stream) {
///   if (auto ok = sink.write(batch); !ok) log(ok.error().message);   // a value, never a throw
/// }
/// (void)sink.flush(std::chrono::seconds(5));
/// ```
///
/// Contract of every sink (the ones ws-source ships and any a host writes):
/// - **Thread**: `write` and `flush` are called from one thread at a time, normally the stream's
///   consumer thread (the one that drains `BatchStream`), never the io thread. `stats()` may be
///   called from any thread.
/// - **Ownership**: `write` borrows the batch for the duration of the call only (a `BatchLease`'s
///   storage goes back to its producer right after): a sink copies or encodes what it keeps.
/// - **Errors are values**: nothing throws out of `write`, `flush` or `stats` (they are
///   `noexcept`; an implementation catches what its own code may throw). A batch the sink cannot
///   take is either an error value (the sink is broken: e.g. a file write failed) or a counted
///   drop (the sink is slow or its peer is down and it chose to shed: `SinkStats`), never both.
/// - **Blocking**: `write` should not block on I/O peers; a sink that must (a file on a slow
///   disk) says so in its own contract. A blocked consumer thread lets the SPSC rings fill, and
///   the io thread then drops rows (`queue_full`), so blocking is never silent either.

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "ws_source/model.hpp"
#include "ws_source/result.hpp"

namespace ws_source {

/// Why a sink refused a batch, could not flush, or could not start.
struct SinkError {
  enum class Kind : std::uint8_t {
    Io,        ///< the operating system refused a write, open or close (`message` has errno's text)
    Closed,    ///< the sink was closed (`close()`) or has failed for good
    Timeout,   ///< `flush` or `close` did not finish in time (what is still pending is in `message`)
    Config,    ///< an invalid option (e.g. a malformed URL or subject)
    Connect,   ///< the peer could not be reached (bad URL, nothing listening, connect timeout)
    Stream,    ///< the peer refused the stream the sink needs (NATS: missing, incompatible, no JetStream)
    Internal,  ///< anything else (out of memory, an unexpected library status)
  };
  Kind kind{Kind::Internal};
  std::string message;  ///< one sentence with context; never contains credentials

  friend bool operator==(const SinkError&, const SinkError&) = default;
};

/// "io", "closed", "timeout", "config", "connect", "stream", "internal".
[[nodiscard]] std::string_view to_string(SinkError::Kind kind) noexcept;
/// `kind: message`
std::ostream& operator<<(std::ostream& os, const SinkError& e);

/// What a sink did with the batches given to it (each counter exact; together not one atomic
/// snapshot unless the sink says so). At rest (after a successful `flush`):
/// `batches_in == batches_out + batches_dropped + batches_failed`, and the same for rows.
struct SinkStats {
  std::uint64_t batches_in{0};       ///< `write` calls
  std::uint64_t rows_in{0};          ///< rows in them
  std::uint64_t batches_out{0};      ///< batches that reached their destination (written / acknowledged)
  std::uint64_t rows_out{0};         ///< rows in them
  std::uint64_t batches_dropped{0};  ///< batches shed on purpose (buffer full, peer down too long)
  std::uint64_t rows_dropped{0};     ///< rows in them
  std::uint64_t batches_failed{0};   ///< batches refused with an error value
  std::uint64_t rows_failed{0};      ///< rows in them
  std::uint64_t pending{0};          ///< batches accepted and not yet resolved (buffered or in flight)
};

/// A destination for batches. See the file comment for the contract every implementation keeps.
/// Not copyable; destroying a sink closes it (each sink says how long its destructor may wait).
class BatchSink {
 public:
  BatchSink() = default;
  BatchSink(const BatchSink&) = delete;
  BatchSink& operator=(const BatchSink&) = delete;
  virtual ~BatchSink() = default;

  /// Takes `batch` (borrowed for the call only: copy or encode it). Heartbeats (no rows) are
  /// batches too; a sink decides whether they are worth writing and says so. Success means the
  /// sink accepted or deliberately dropped the batch (see `stats()`); an error means it failed.
  [[nodiscard]] virtual Result<void, SinkError> write(const DataBatch<TradeOrNbbo>& batch) noexcept = 0;

  /// Waits up to `timeout` until every accepted batch has reached its destination (or has been
  /// counted as dropped). `Timeout` when some are still pending at the deadline.
  [[nodiscard]] virtual Result<void, SinkError> flush(std::chrono::milliseconds timeout) noexcept = 0;

  /// The counters so far. Any thread.
  [[nodiscard]] virtual SinkStats stats() const noexcept = 0;

  /// A short label for logs and summaries, e.g. `jsonl:rows.jsonl` or `nats://127.0.0.1:4222`
  /// (credentials removed).
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace ws_source
