// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `NatsSink`: a `BatchSink` that publishes every batch (rows and meta, heartbeats and gaps
/// included) to NATS JetStream, so that many consumers on many machines share one Massive
/// connection per cluster. Library `ws_source::nats` (CMake option `WS_SOURCE_WITH_NATS`; needs
/// libnats, which the core library never does).
///
/// ```cpp
/// ws_source::NatsSinkConfig cfg;
/// cfg.connection.url = "nats://127.0.0.1:4222";
/// auto sink = ws_source::NatsSink::create(cfg);      // connects, creates or checks the stream
/// if (!sink) { std::cerr << sink.error() << '\n'; return 1; }   // bad URL, no server: quick error
/// for (const auto& batch : stream) (void)(*sink)->write(batch);  // never blocks
/// (void)(*sink)->close(std::chrono::seconds(5));     // waits for the acks, then counts the rest dropped
/// ```
///
/// **What is published.** One JetStream message per batch on the feed's subject
/// (`massive.options.quotes`, …, nats_common.hpp), the payload in the encoding of
/// nats_codec.hpp, with the header `Nats-Msg-Id: <sink id>-<n>`: `<sink id>` is 16 hex digits
/// drawn at random when the sink is created, `<n>` counts the sink's batches from 1. Every batch
/// has its own id, and a resend of a batch (after a NATS reconnection, a lost ack) carries the
/// same id, which the stream's duplicate window turns into a no-op: each batch is in the stream
/// at most once. Resends happen only within `retry_for`, which must be shorter than the stream's
/// duplicate window (checked at start).
///
/// **Never blocks the caller.** `write` encodes the batch (on the caller's thread, into a
/// recycled buffer) and appends it to a bounded queue (`max_queued_batches`,
/// `max_queued_bytes`); a publisher thread of the sink takes it from there and hands it to
/// cnats' asynchronous JetStream publish (`js_PublishMsgAsync`) with at most `max_in_flight`
/// batches unacknowledged. When NATS is slow or down, the queue fills and `write` drops the
/// batch and counts it (`dropped_full`); the publisher thread logs the drops once a second. While
/// the connection is down nothing is published (the queue absorbs the outage up to its bound);
/// batches whose ack did not come within `ack_timeout` (or that the server refused) are resent
/// after a short pause, until `retry_for` after their first publication, and then dropped and
/// counted (`dropped_failed`). No batch the sink does not count as acknowledged is silently lost:
/// at rest `accepted == acked + dropped_failed` and `written == accepted + dropped_full`. (A
/// batch counted `dropped_failed` may still be in the stream: stored, with its ack lost for good.
/// The count never misses a batch that is not there; it may include one that is.)
///
/// **Order.** Per subject, batches are stored in the order of `write`, except around a
/// reconnection, where a resent batch may be stored after later ones (its `batch_seq` still
/// says where it belongs).
///
/// **Threads.** `write` from one thread at a time (the stream's consumer); `flush` and `close`
/// from that thread too; `stats()` and `describe()` from any thread. The sink runs one publisher
/// thread of its own; cnats runs its connection threads and calls the sink's handlers on them
/// (they never block and never throw). Nothing throws out of the public functions.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ws_source/model.hpp"
#include "ws_source/nats_common.hpp"
#include "ws_source/result.hpp"
#include "ws_source/sink.hpp"

namespace ws_source {

/// What a `NatsSink` connects to and how much it may buffer.
struct NatsSinkConfig {
  NatsConnectSettings connection;
  NatsStreamSettings stream;
  /// Batches published and not yet resolved (awaiting their ack, or a resend), at most; cnats'
  /// `PublishAsync.MaxPending` is set just above it, so that cnats itself never stalls.
  std::size_t max_in_flight{256};
  /// Batches waiting for the publisher thread, at most; beyond, `write` drops.
  std::size_t max_queued_batches{8'192};
  /// Encoded bytes waiting for the publisher thread, at most; beyond, `write` drops.
  std::size_t max_queued_bytes{std::size_t{64} << 20};
  /// How long an ack may take before the batch is resent (cnats' `jsPubOptions.MaxWait`).
  std::chrono::milliseconds ack_timeout{2'000};
  /// How long after its first publication a batch is still resent; then it is dropped and
  /// counted. Must be shorter than the stream's duplicate window (minus `ack_timeout`).
  std::chrono::milliseconds retry_for{std::chrono::seconds(30)};
  /// Heartbeats (batches without rows) are published too (they carry the watermark and the
  /// connection state); false skips them (counted as `skipped_heartbeats`).
  bool publish_heartbeats{true};
  /// How long the destructor waits for acks (as `close`).
  std::chrono::milliseconds close_timeout{std::chrono::seconds(5)};
};

/// The sink's counters (each exact; read together, not one atomic snapshot).
struct NatsSinkStats {
  std::uint64_t written{0};       ///< `write` calls
  std::uint64_t rows_written{0};  ///< rows in them
  std::uint64_t accepted{0};      ///< batches queued for publication
  std::uint64_t rows_accepted{0};
  std::uint64_t dropped_full{0};  ///< batches dropped by `write`: the queue was full
  std::uint64_t rows_dropped_full{0};
  std::uint64_t dropped_failed{0};  ///< accepted batches given up: no ack within `retry_for`, or closed first
  std::uint64_t rows_dropped_failed{0};
  std::uint64_t acked{0};  ///< batches the stream acknowledged (stored, or already stored)
  std::uint64_t rows_acked{0};
  std::uint64_t duplicates{0};          ///< acks saying "duplicate": a resend the stream had already stored
  std::uint64_t resends{0};             ///< publications of a batch after its first
  std::uint64_t publish_errors{0};      ///< failed attempts (ack timeout, refusal, publish call error)
  std::uint64_t skipped_heartbeats{0};  ///< heartbeats not published (`publish_heartbeats = false`)
  std::uint64_t bytes_published{0};     ///< payload bytes handed to cnats (resends included)
  std::uint64_t queued{0};              ///< batches waiting for the publisher thread now
  std::uint64_t queued_bytes{0};
  std::uint64_t in_flight{0};    ///< batches published or waiting to be resent, not resolved
  std::uint64_t disconnects{0};  ///< NATS connection losses
  std::uint64_t reconnects{0};   ///< NATS reconnections
  bool connected{false};         ///< the NATS connection is up now
};

/// Publishes batches to JetStream. See the file comment for the contract.
class NatsSink final : public BatchSink {
 public:
  /// Connects (bounded by `connection.connect_timeout`), creates or checks the stream (bounded
  /// by `connection.api_timeout`), and starts the publisher thread. Errors: `Config` (bad
  /// bounds, prefix, or `retry_for` not shorter than the duplicate window), `Connect` (bad URL,
  /// no server, timeout), `Stream` (JetStream not enabled, the stream missing with `create`
  /// false, or its subjects not covering the four feeds'). Any thread.
  [[nodiscard]] static Result<std::unique_ptr<NatsSink>, NatsError> create(NatsSinkConfig config);

  /// `close(config.close_timeout)`.
  ~NatsSink() override;

  /// Encodes and queues `batch`, or drops and counts it when the queue is full. Never blocks on
  /// NATS; takes the queue's lock briefly. `Closed` after `close`.
  [[nodiscard]] Result<void, SinkError> write(const DataBatch<TradeOrNbbo>& batch) noexcept override;

  /// Waits up to `timeout` until nothing is queued or in flight (every accepted batch acked or
  /// dropped). `Timeout` otherwise (the batches stay pending).
  [[nodiscard]] Result<void, SinkError> flush(std::chrono::milliseconds timeout) noexcept override;

  /// Stops accepting, waits up to `timeout` for what is pending, then counts what is left as
  /// `dropped_failed` (logged), stops the publisher thread and closes the connection.
  /// Idempotent. `Timeout` when batches had to be dropped.
  [[nodiscard]] Result<void, SinkError> close(std::chrono::milliseconds timeout) noexcept;

  [[nodiscard]] SinkStats stats() const noexcept override;
  /// The NATS-specific counters. Any thread.
  [[nodiscard]] NatsSinkStats nats_stats() const noexcept;
  /// `nats://host:port` (credentials removed).
  [[nodiscard]] std::string describe() const override;
  /// The 16 hex digits that begin each of this sink's message ids.
  [[nodiscard]] const std::string& sink_id() const noexcept;

  struct Impl;

 private:
  explicit NatsSink(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source
