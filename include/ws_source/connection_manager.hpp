// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `ConnectionManager`: runs one `WsWorker` per cluster × shard on an io_context (its own io
/// thread, or the host's), keeps exactly `shard_count` sockets per cluster, and hands every batch
/// to one consumer through a `BatchStream`.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ws_source/batch_stream.hpp"
#include "ws_source/config.hpp"
#include "ws_source/connection.hpp"
#include "ws_source/histogram.hpp"
#include "ws_source/shard.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ws_source {

/// One worker's counters at one instant (each exact; together not one atomic snapshot).
struct WorkerStats {
  Cluster cluster{Cluster::Stocks};
  std::size_t shard{0};
  bool connected{false};
  std::uint64_t connects{0};                 ///< successful connections (authenticated, subscribed)
  std::uint64_t attempts{0};                 ///< connection attempts, successful or not
  std::uint64_t disconnects{0};              ///< connections that ended (not failed attempts)
  std::uint64_t failed_attempts{0};          ///< attempts that did not connect
  std::uint64_t frames{0};                   ///< data messages read
  std::uint64_t rows{0};                     ///< rows parsed from them
  std::uint64_t rows_delivered{0};           ///< rows in batches handed to the ring
  std::uint64_t rows_dropped_queue_full{0};  ///< rows dropped: the ring (or the pool) was full
  /// Option quotes superseded by a newer quote of the same contract while conflating (the latest
  /// of each contract is delivered). Parsed rows = delivered + dropped + conflated + held now.
  std::uint64_t rows_conflated{0};
  std::uint64_t rows_consumed{0};        ///< rows in the batches the consumer took from the ring
  std::uint64_t batches{0};              ///< batches handed to the ring (heartbeats included)
  std::uint64_t heartbeats{0};           ///< empty batches among them
  std::uint64_t parse_errors{0};         ///< frames rejected by the parser (their rows not delivered)
  std::uint64_t skipped_events{0};       ///< events of types ws-source does not ingest (e.g. `AM`)
  std::uint64_t late_rows{0};            ///< rows below a watermark already emitted (delivered, flagged)
  std::uint64_t gaps{0};                 ///< downtime windows reported
  std::uint64_t max_connections{0};      ///< `max_connections` received
  std::uint64_t slow_consumer{0};        ///< `slow_consumer` received
  std::uint64_t force_disconnect{0};     ///< `force_disconnect` received
  std::uint64_t stalls{0};               ///< half-open connections detected
  std::uint64_t subscription_errors{0};  ///< channels the server refused
  std::uint64_t subs_active{0};          ///< channels in the desired set
  // Backpressure (see BackpressureConfig): the ring, staleness, conflation and shedding.
  std::uint64_t queue_depth{0};     ///< batches in the ring now
  std::uint64_t queue_capacity{0};  ///< batches the ring holds
  /// How long the oldest batch in the ring has waited since its frame was read, at the
  /// governor's last check (ns; 0 when the ring was empty).
  std::uint64_t staleness_ns{0};
  bool conflating{false};           ///< option quotes are being conflated now
  std::uint64_t conflate_held{0};   ///< option quotes held for the next conflated batch
  std::uint64_t sheds{0};           ///< times scheduled option quotes were shed
  std::uint64_t restores{0};        ///< times shed capacity was given back
  std::uint64_t shed_contracts{0};  ///< scheduled contracts unsubscribed by shedding
  /// The backpressure cap on scheduled option-quote slots (the connection's maximum when healthy;
  /// 0 on connections without scheduled quotes).
  std::uint64_t shed_capacity{0};
  /// Consumer side: batches with rows, time of the take minus the time their frame was read.
  HistogramSnapshot staleness_batch;
  /// Consumer side: every row, time of the take minus its SIP time.
  HistogramSnapshot staleness_event;
  // Scheduling of option quotes (options connections with `scheduled` quotes; 0 elsewhere).
  std::uint64_t rebalances{0};          ///< rebalances run
  std::uint64_t evictions{0};           ///< scheduled contracts unsubscribed by rebalances
  std::uint64_t scheduled{0};           ///< contracts the scheduler holds now
  std::uint64_t scheduled_capacity{0};  ///< slots the last rebalance could use
  /// The longest stretch the last rebalance held the io thread (the allocation, or one chunk of
  /// its changes: the read loop runs between them).
  std::uint64_t rebalance_last_ns{0};
  std::uint64_t rebalance_max_ns{0};  ///< the same, the longest over every rebalance
  /// The io thread's CPU time in its longest-CPU stretch over every rebalance: what the rebalance
  /// itself used. A `rebalance_max_ns` well above it is the OS's scheduling (the thread waited
  /// for a core), not the rebalance's work.
  std::uint64_t rebalance_max_cpu_ns{0};
  std::int64_t watermark_ts_ns{0};  ///< the largest watermark over the worker's feeds
};

/// Counters of every worker, by cluster then shard.
struct ManagerStats {
  std::vector<WorkerStats> workers;
};

/// The live path. Thread safety: `subscribe`, `unsubscribe`, `stop`, `stats` may be called from
/// any thread; `run` once, from any thread; the returned stream from one consumer thread.
class ConnectionManager : public ShardAware {
 public:
  /// Runs on an io thread of its own, started by `run()`. An invalid `config` does not throw:
  /// `config_error()` says why and `run()` returns a stream that has already ended.
  explicit ConnectionManager(WsConfig config);
  /// Runs on the host's `io_context` (the host runs it, on as many threads as it likes; the
  /// workers use strands). `io` must outlive the manager.
  ConnectionManager(boost::asio::io_context& io, WsConfig config);
  /// Stops (as `stop()`) and waits for the workers to end.
  ~ConnectionManager() override;
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;

  /// The configuration error, if the configuration was refused.
  [[nodiscard]] const std::optional<ConfigError>& config_error() const noexcept;

  /// Watches connection events (connecting, connected with the gap it closed, disconnected with
  /// the reason, backing off, stopped, rejected frames and subscriptions). Set before `run()`;
  /// called on the io thread: keep it short, never block. Every event is also written to the
  /// `ws_source` logger first (`log_event`, logging.hpp), whether a handler is set or not.
  void on_event(std::function<void(const ConnectionEvent&)> handler);

  /// Starts every worker and returns the stream of their batches. A second call returns a stream
  /// that has already ended.
  [[nodiscard]] BatchStream run();

  /// Adds channels' symbols to a feed (routed to their shard by `shard_for`; `*` goes to every
  /// shard). Sent at once when connected, and again after every reconnection. Ignored for a
  /// feed that is not enabled (counted in the returned false).
  bool subscribe(ResourceType feed, const std::vector<std::string>& symbols);
  /// Removes symbols from a feed.
  bool unsubscribe(ResourceType feed, const std::vector<std::string>& symbols);

  /// Closes every connection (close frame), ends the stream once drained. Idempotent.
  void stop();

  [[nodiscard]] std::size_t shard_count() const override;
  [[nodiscard]] ManagerStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source
