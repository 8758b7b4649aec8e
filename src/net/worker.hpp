// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// One cluster × shard connection, kept alive: connect (backing off between attempts), read the
// socket at once into a padded buffer and parse in place, hand batches to the ring without ever
// waiting for the consumer, heartbeats and the watermark, gaps, pings and half-open detection,
// the desired subscription set (re-sent in full after every reconnection; changes while
// connected go out as unsubscribe-then-subscribe chunks through a small write queue).
//
// Threading: everything runs on the worker's strand. `start`, `stop`, `change` and `stats` may be
// called from any thread (they post to the strand or read atomics).

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "net/backoff.hpp"
#include "net/backpressure.hpp"
#include "net/conflator.hpp"
#include "net/rebalancer.hpp"
#include "stream/batch_producer.hpp"
#include "ws_source/connection.hpp"
#include "ws_source/connection_manager.hpp"
#include "ws_source/logging.hpp"
#include "ws_source/parse.hpp"

namespace ws_source::detail {

/// Relaxed atomic counters behind `WorkerStats`.
struct WorkerCounters {
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> connects{0}, attempts{0}, disconnects{0}, failed_attempts{0}, frames{0}, rows{0},
      rows_delivered{0}, rows_dropped_queue_full{0}, batches{0}, heartbeats{0}, parse_errors{0}, skipped_events{0},
      late_rows{0}, gaps{0}, max_connections{0}, slow_consumer{0}, force_disconnect{0}, stalls{0},
      subscription_errors{0}, subs_active{0}, rebalances{0}, evictions{0}, scheduled{0}, scheduled_capacity{0},
      rebalance_last_ns{0}, rebalance_max_ns{0}, rebalance_max_cpu_ns{0}, rows_conflated{0}, staleness_ns{0},
      conflate_held{0}, sheds{0}, restores{0}, shed_contracts{0}, shed_capacity{0};
  std::atomic<bool> conflating{false};
  std::atomic<std::int64_t> watermark_ts_ns{0};
};

class Worker : public std::enable_shared_from_this<Worker> {
 public:
  using EventHandler = std::function<void(const ConnectionEvent&)>;

  /// `initial`: the channels (`T.AAPL`, `Q.O:…`, `T.*`) the worker subscribes from the start.
  /// `rebalancer`: set on an options connection whose quotes are scheduled; it then picks the
  /// `Q.` channels every `rebalance_interval_s` (`scheduler`).
  /// `backpressure`: when to conflate the option quotes of this connection and shed its scheduled
  /// ones (only a connection carrying option quotes runs the governor).
  Worker(const boost::asio::any_io_executor& io, WsWorker spec, BackoffConfig backoff,
         const BackpressureConfig& backpressure, BatchProducer producer, std::vector<std::string> initial,
         EventHandler events, std::unique_ptr<Rebalancer> rebalancer = nullptr, std::uint64_t rebalance_interval_s = 5);
  ~Worker();

  /// Starts the worker's coroutines on its strand. `done` runs (on the strand) once it stopped.
  void start(std::function<void()> done);
  /// Graceful stop: a close frame on an open connection, no more attempts; then `done`.
  void stop();
  /// Adds (`subscribe`) or removes channels from the desired set; only real changes are sent.
  void change(bool subscribe, std::vector<std::string> channels);

  [[nodiscard]] WorkerStats stats() const;
  [[nodiscard]] const WsWorker& spec() const noexcept { return spec_; }

 private:
  struct WriteItem {
    enum class Kind : std::uint8_t { Text, Ping, Close };
    Kind kind{Kind::Text};
    std::string text;
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> heartbeats();
  /// Every `rebalance_interval_s_` while connected: the scheduler's changes, unsubscribe first.
  boost::asio::awaitable<void> rebalances();
  /// One rebalance: the scheduler's allocation, then its changes one chunk per strand turn.
  boost::asio::awaitable<void> rebalance_once();
  /// Adds or removes `channels` from the desired set and, when connected, sends the real changes
  /// (chunked). Strand only.
  /// `by_scheduler`: the rebalancer's change (it never removes a channel the host holds); else the
  /// host's (`change`).
  void apply_change(bool subscribe, const std::vector<std::string>& channels, bool by_scheduler);
  /// Serves one open connection until it ends; the reason it ended.
  /// `sent`: the channels the handshake subscribed; changes made meanwhile go out first.
  boost::asio::awaitable<WsError> serve(WebSocketStream& stream, const std::vector<std::string>& sent);
  boost::asio::awaitable<WsError> read_loop(WebSocketStream& stream);
  template <class Ws>
  boost::asio::awaitable<WsError> read_messages(WebSocketStream::Impl& impl, Ws& ws);
  boost::asio::awaitable<void> writer(WebSocketStream& stream);
  template <class Ws>
  boost::asio::awaitable<void> write_messages(Ws& ws);
  boost::asio::awaitable<void> watchdog();
  /// Every `check_interval_ms` (connections with option quotes): the governor's check, then
  /// conflation on or off, a shed or a restore of scheduled option quotes.
  boost::asio::awaitable<void> governs();
  void govern_once();
  /// Conflates an option-quote batch's rows into `conflator_` (its rows are consumed).
  void conflate(DataBatch<TradeOrNbbo>& batch, std::int64_t now);
  /// Publishes the conflated quotes as one batch once the consumer has taken all but at most one
  /// queued batch (`force`: now, whatever the ring; rows that cannot be published are dropped and
  /// counted). True when nothing is held any more.
  bool flush_conflated(bool force);
  /// Before an option-quote batch is delivered: starts conflation at once (and tells the
  /// governor) if the queue head is older than the governor's conflation threshold.
  void press_if_stale(std::int64_t wall);
  /// Conflation on or off, with the counter and a rate-limited log line.
  void set_conflating(bool on, std::int64_t wall);
  /// At each governor check and every few ms of quote batches: updates `consumer_rows_per_s_`
  /// from the rows the consumer took (`now`: wall-clock ns).
  void measure_consumer(std::int64_t now);
  void task_done();

  /// Parses the message in `rx_` (`n` bytes) in place and delivers its batches; an error when it
  /// carried a disconnect status (after its data was delivered).
  std::optional<WsError> on_message(std::size_t n);
  /// Publishes `rows` (swapped out of `*rows`; nullptr: a heartbeat) for `feed` with the worker's
  /// meta; counts the rows dropped when the ring or the pool is full.
  bool publish(ResourceType feed, std::vector<TradeOrNbbo>* rows, const BatchMeta& parsed, std::int64_t now);
  void push_write(WriteItem item);
  static void close_socket_of(WebSocketStream& stream);
  void event(const ConnectionEvent& e);
  [[nodiscard]] ConnectionEvent base_event(ConnectionEvent::Kind kind) const;

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  WsWorker spec_;
  Backoff backoff_;
  BatchProducer producer_;
  EventHandler events_;
  std::function<void()> done_;
  std::set<std::string, std::less<>> desired_;
  WorkerCounters counters_;

  // Connection state (strand only).
  WebSocketStream* conn_{nullptr};
  bool stopping_{false};
  bool writing_{false};
  int conn_tasks_{0};
  int worker_tasks_{0};
  std::deque<WriteItem> writes_;
  boost::asio::steady_timer backoff_timer_;
  boost::asio::steady_timer write_wake_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer rebalance_timer_;
  boost::asio::steady_timer tasks_done_;
  std::chrono::steady_clock::time_point last_rx_{};
  std::chrono::steady_clock::time_point last_ping_{};
  std::optional<WsError> stall_;  ///< set by the watchdog when it closed a half-open socket
  /// Set by `stop()` on a live connection: by then the server has answered the close frame, or
  /// the watchdog closes the socket (the close's own timeout cannot cover the pending read).
  std::optional<std::chrono::steady_clock::time_point> close_deadline_;

  // Parsing (strand only).
  Parser parser_;
  ParsedFrame frame_;
  boost::beast::flat_buffer rx_;

  // Per feed (index: `index(ResourceType)`; only this socket's feeds are used): meta bookkeeping.
  struct FeedState {
    ResourceType feed{ResourceType::OptionsTrades};
    std::int64_t watermark{0};   ///< the largest SIP time delivered (or idle-advanced)
    std::uint64_t seq{0};        ///< next batch_seq
    std::uint64_t dropped{0};    ///< rows dropped since the last published batch
    std::uint64_t conflated{0};  ///< rows conflated since the last published batch
    bool data_since_tick{false};
    std::optional<Gap> pending_gap;
  };
  std::array<FeedState, 4> feeds_all_;
  bool connected_{false};
  std::int64_t down_since_ns_{0};
  DisconnectReason down_reason_{DisconnectReason::Connect};
  bool ever_connected_{false};
  std::uint64_t rejected_since_event_{0};
  std::chrono::steady_clock::time_point last_reject_event_{};
  std::string last_reject_;

  // Scheduling of option quotes (options connections with `scheduled` quotes only; strand only).
  std::unique_ptr<Rebalancer> rebalancer_;
  /// The `Q.` channels of the configuration and of `change`: they hold slots the scheduler cannot
  /// use, and it never unsubscribes them.
  std::set<std::string, std::less<>> host_quotes_;
  std::chrono::seconds rebalance_interval_;

  // Backpressure (strand only). The governor runs on connections carrying option quotes.
  BackpressureConfig backpressure_;
  Governor governor_;
  Conflator conflator_;
  bool conflating_{false};
  bool governs_{false};
  std::int64_t press_stale_ns_{0};  ///< queue-head age at which a quote batch starts conflation
  std::int64_t first_held_ns_{0};   ///< when the oldest row the conflator holds was read
  std::uint64_t conflated_in_{0};   ///< quotes conflated since the governor's last check
  std::uint64_t superseded_in_{0};  ///< of which superseded by a later quote
  double consumer_rows_per_s_{0};   ///< the consumer's measured speed (0: not measured yet)
  std::uint64_t last_rows_taken_{0};
  std::int64_t last_measure_ns_{0};
  bool consumer_busy_{false};  ///< the ring was non-empty at the last measure
  std::vector<TradeOrNbbo> conflated_out_;
  boost::asio::steady_timer govern_timer_;
  RateLimiter log_limit_;
};

/// The channels one worker starts with: every enabled feed's symbols of `cluster` that hash to
/// `shard`, and wildcards on every shard; sorted.
[[nodiscard]] std::vector<std::string> initial_channels(const WsConfig& config, Cluster cluster, std::size_t shard);

}  // namespace ws_source::detail
