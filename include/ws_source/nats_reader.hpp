// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `NatsReader`: reads the batches a `NatsSink` published back from the JetStream stream, as
/// the same `DataBatch<TradeOrNbbo>` values, so a remote consumer uses the types a local one
/// does. Library `ws_source::nats`.
///
/// ```cpp
/// ws_source::NatsReaderConfig cfg;
/// cfg.connection.url = "nats://127.0.0.1:4222";
/// cfg.start = ws_source::StreamStart::at_time(ws_source::now_ns() - 60'000'000'000);  // the last minute
/// auto reader = ws_source::NatsReader::open(cfg);
/// if (!reader) { std::cerr << reader.error() << '\n'; return 1; }
/// ws_source::ReceivedBatch got;
/// for (;;) {
///   auto r = (*reader)->next(got, std::chrono::seconds(1));
///   if (!r) { log(r.error()); continue; }      // e.g. a message that is not a batch (skipped)
///   if (*r) handle(got.batch, got.stream_sequence);
/// }
/// ```
///
/// It reads through an ordered consumer (ephemeral, no acks, flow-controlled, recreated by cnats
/// from the next sequence after a reconnection or a gap): batches come in stream order, each
/// once. It subscribes to `<prefix>.>` and skips the feeds not asked for.
///
/// Threads: one thread at a time uses a reader (all member functions); it has no callbacks.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ws_source/model.hpp"
#include "ws_source/nats_common.hpp"
#include "ws_source/result.hpp"

namespace ws_source {

/// Where in the stream reading starts.
struct StreamStart {
  enum class Kind : std::uint8_t { All, Sequence, Time, New };
  Kind kind{Kind::All};
  std::uint64_t sequence{0};  ///< Sequence: the first stream sequence delivered (from 1)
  std::int64_t time_ns{0};    ///< Time: the first message stored at or after this Unix ns

  [[nodiscard]] static StreamStart all() noexcept { return {}; }
  [[nodiscard]] static StreamStart at_sequence(std::uint64_t seq) noexcept { return {Kind::Sequence, seq, 0}; }
  [[nodiscard]] static StreamStart at_time(std::int64_t unix_ns) noexcept { return {Kind::Time, 0, unix_ns}; }
  /// Only what is published after the subscription.
  [[nodiscard]] static StreamStart new_only() noexcept { return {Kind::New, 0, 0}; }
};

/// What a reader reads.
struct NatsReaderConfig {
  NatsConnectSettings connection;
  NatsStreamSettings stream;        ///< `name` and `subject_prefix` are used (the stream must exist)
  std::vector<ResourceType> feeds;  ///< the feeds to read; empty = all four
  StreamStart start;
};

/// One batch read from the stream, with where it was in it.
struct ReceivedBatch {
  DataBatch<TradeOrNbbo> batch;
  std::uint64_t stream_sequence{0};  ///< the message's sequence in the stream
  std::int64_t stored_at_ns{0};      ///< when the stream stored it (Unix ns)
  std::string subject;               ///< e.g. `massive.options.quotes`
  std::string msg_id;                ///< its `Nats-Msg-Id` (`<sink id>-<n>`)
};

/// Reads batches from a JetStream stream. Movable only through its `unique_ptr`.
class NatsReader {
 public:
  /// Connects (bounded by `connect_timeout`), checks that the stream exists, and creates the
  /// ordered consumer from `start`. Errors: `Config`, `Connect`, `Stream` (missing stream, no
  /// JetStream, a start sequence or time the server refuses). Any thread.
  [[nodiscard]] static Result<std::unique_ptr<NatsReader>, NatsError> open(NatsReaderConfig config);
  ~NatsReader();
  NatsReader(const NatsReader&) = delete;
  NatsReader& operator=(const NatsReader&) = delete;

  /// Waits up to `timeout` for the next batch of the requested feeds and decodes it into `out`
  /// (storage reused): true; false when none came in time. A message that does not decode is a
  /// `Decode` error naming its stream sequence (the next call goes on after it); a closed
  /// connection is `Closed`.
  [[nodiscard]] Result<bool, NatsError> next(ReceivedBatch& out, std::chrono::milliseconds timeout);

  /// Messages skipped because they belonged to feeds not asked for.
  [[nodiscard]] std::uint64_t skipped() const noexcept;

  struct Impl;

 private:
  explicit NatsReader(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source
