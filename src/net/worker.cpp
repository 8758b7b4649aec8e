// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "net/worker.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <ctime>
#include <exception>
#include <iterator>

#include "net/handshake.hpp"
#include "net/transport.hpp"
#include "ws_source/logging.hpp"
#include "ws_source/shard.hpp"
#include "ws_source/timestamp.hpp"

namespace ws_source::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kInitialReadBuffer = 64U << 10U;
constexpr std::chrono::seconds kRejectEventEvery{1};
constexpr std::chrono::milliseconds kCloseTimeout{1000};
/// Distinct contracts a conflated batch holds: above the server's 1,000 quote channels per
/// connection (a full conflator flushes early, nothing is lost).
constexpr std::size_t kConflateCapacity = 2048;
/// Conflated quotes are flushed once the ring holds at most this many batches.
constexpr std::size_t kFlushDepth = 1;
/// The shortest interval the consumer's speed is measured over.
constexpr std::int64_t kMeasureEveryNs = 2'000'000;

std::int64_t ms_to_ns(std::uint64_t ms) noexcept {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(ms, kMaxDurationMs)) * 1'000'000;
}

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept { c.fetch_add(n, std::memory_order_relaxed); }

/// The calling thread's CPU time (0 if the clock is unavailable; the figures are then 0).
std::uint64_t thread_cpu_ns() noexcept {
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// The calling thread's CPU time since `start` (a `thread_cpu_ns()` reading; 0 if a read failed).
std::uint64_t cpu_since(std::uint64_t start) noexcept {
  const std::uint64_t now = thread_cpu_ns();
  return start != 0 && now > start ? now - start : 0;
}

std::int64_t sip_ts(const TradeOrNbbo& row) noexcept {
  return std::visit([](const auto& r) { return r.sip_ts_ns; }, row);
}

}  // namespace

std::vector<std::string> initial_channels(const WsConfig& config, Cluster cluster, std::size_t shard) {
  std::set<std::string> out;
  for (const ResourceType rt : config.feeds.enabled_on(cluster)) {
    for (const std::string& sym : config.feeds.get(rt).symbols) {
      if (sym == "*" || shard_for(sym, config.shard_count) == shard) {
        std::string ch(channel_prefix(rt));
        ch += '.';
        ch += sym;
        out.insert(std::move(ch));
      }
    }
  }
  return {out.begin(), out.end()};
}

Worker::Worker(const asio::any_io_executor& io, WsWorker spec, BackoffConfig backoff,
               const BackpressureConfig& backpressure, BatchProducer producer, std::vector<std::string> initial,
               EventHandler events, std::unique_ptr<Rebalancer> rebalancer, std::uint64_t rebalance_interval_s)
    : strand_(asio::make_strand(io)),
      spec_(std::move(spec)),
      backoff_(backoff, backoff_seed(spec_.cluster(), spec_.shard_id)),
      producer_(std::move(producer)),
      events_(std::move(events)),
      desired_(initial.begin(), initial.end()),
      backoff_timer_(strand_),
      write_wake_(strand_),
      watchdog_timer_(strand_),
      heartbeat_timer_(strand_),
      rebalance_timer_(strand_),
      tasks_done_(strand_),
      rebalancer_(std::move(rebalancer)),
      rebalance_interval_(std::chrono::seconds(std::max<std::uint64_t>(rebalance_interval_s, 1))),
      backpressure_(backpressure),
      governor_(backpressure, rebalancer_ ? rebalancer_->slots_for(0) : 0),
      conflator_(kConflateCapacity),
      governs_(std::find(spec_.feeds.begin(), spec_.feeds.end(), ResourceType::OptionsQuotes) != spec_.feeds.end()),
      govern_timer_(strand_) {
  for (const std::string& c : desired_) {
    if (c.starts_with("Q.")) host_quotes_.insert(c);
  }
  for (std::size_t i = 0; i < feeds_all_.size(); ++i) feeds_all_[i].feed = kAllResourceTypes[i];
  counters_.subs_active.store(desired_.size(), std::memory_order_relaxed);
  counters_.shed_capacity.store(governor_.capacity(), std::memory_order_relaxed);
  if (governs_) conflated_out_.reserve(kConflateCapacity);
  press_stale_ns_ = Governor::conflate_threshold_ns(backpressure_);
  rx_.reserve(kInitialReadBuffer);
}

Worker::~Worker() = default;

void Worker::start(std::function<void()> done) {
  done_ = std::move(done);
  asio::co_spawn(strand_, run(), [self = shared_from_this()](const std::exception_ptr& e) {
    // Nothing throws in run() but std::bad_alloc; whatever it was, the worker is over.
    if (e) {
      self->producer_.close();
      if (self->done_) self->done_();
    }
  });
}

void Worker::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stopping_) return;
    self->stopping_ = true;
    self->backoff_timer_.cancel();
    self->heartbeat_timer_.cancel();
    self->rebalance_timer_.cancel();
    self->govern_timer_.cancel();
    if (self->conn_ != nullptr) {
      self->push_write({WriteItem::Kind::Close, {}});
      // Beast's close waits for the server's close frame through the read loop's pending read,
      // which the stream's timeout does not cover (it applies to operations started after it is
      // set): the watchdog enforces the deadline, so stop() ends even if the server never
      // answers.
      self->close_deadline_ = Clock::now() + kCloseTimeout;
      self->watchdog_timer_.cancel();  // re-arms with the deadline
    }
  });
}

void Worker::change(bool subscribe, std::vector<std::string> channels) {
  asio::post(strand_, [self = shared_from_this(), subscribe, channels = std::move(channels)] {
    self->apply_change(subscribe, channels, false);
  });
}

void Worker::apply_change(bool subscribe, const std::vector<std::string>& channels, bool by_scheduler) {
  std::vector<std::string> changed;
  for (const std::string& c : channels) {
    const bool quote = c.starts_with("Q.");
    if (quote && !by_scheduler) {
      // The host's quote channels: kept apart, so the scheduler never takes them away.
      if (subscribe) {
        host_quotes_.insert(c);
      } else {
        host_quotes_.erase(c);
        if (rebalancer_ && rebalancer_->holds(c)) continue;  // still the scheduler's
      }
    }
    if (quote && by_scheduler && !subscribe && host_quotes_.contains(c)) continue;
    const bool present = desired_.contains(c);
    if (subscribe && !present) {
      desired_.insert(c);
      changed.push_back(c);
    } else if (!subscribe && present) {
      desired_.erase(c);
      changed.push_back(c);
    }
  }
  counters_.subs_active.store(desired_.size(), std::memory_order_relaxed);
  // Disconnected: only the set changes; it is sent in full on the next connection.
  if (conn_ == nullptr || changed.empty()) return;
  for (std::string& m :
       subscribe_messages(subscribe ? "subscribe" : "unsubscribe", changed, spec_.connection.subscribe_chunk_size)) {
    push_write({WriteItem::Kind::Text, std::move(m)});
  }
}

WorkerStats Worker::stats() const {
  const auto& c = counters_;
  const auto r = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  WorkerStats s;
  s.cluster = spec_.cluster();
  s.shard = spec_.shard_id;
  s.connected = c.connected.load(std::memory_order_relaxed);
  s.connects = r(c.connects);
  s.attempts = r(c.attempts);
  s.disconnects = r(c.disconnects);
  s.failed_attempts = r(c.failed_attempts);
  s.frames = r(c.frames);
  s.rows = r(c.rows);
  s.rows_delivered = r(c.rows_delivered);
  s.rows_dropped_queue_full = r(c.rows_dropped_queue_full);
  s.batches = r(c.batches);
  s.heartbeats = r(c.heartbeats);
  s.parse_errors = r(c.parse_errors);
  s.skipped_events = r(c.skipped_events);
  s.late_rows = r(c.late_rows);
  s.gaps = r(c.gaps);
  s.max_connections = r(c.max_connections);
  s.slow_consumer = r(c.slow_consumer);
  s.force_disconnect = r(c.force_disconnect);
  s.stalls = r(c.stalls);
  s.subscription_errors = r(c.subscription_errors);
  s.subs_active = r(c.subs_active);
  s.rebalances = r(c.rebalances);
  s.evictions = r(c.evictions);
  s.scheduled = r(c.scheduled);
  s.scheduled_capacity = r(c.scheduled_capacity);
  s.rebalance_last_ns = r(c.rebalance_last_ns);
  s.rebalance_max_ns = r(c.rebalance_max_ns);
  s.rebalance_max_cpu_ns = r(c.rebalance_max_cpu_ns);
  s.watermark_ts_ns = c.watermark_ts_ns.load(std::memory_order_relaxed);
  s.rows_conflated = r(c.rows_conflated);
  s.conflating = c.conflating.load(std::memory_order_relaxed);
  s.conflate_held = r(c.conflate_held);
  s.sheds = r(c.sheds);
  s.restores = r(c.restores);
  s.shed_contracts = r(c.shed_contracts);
  s.shed_capacity = r(c.shed_capacity);
  s.staleness_ns = r(c.staleness_ns);
  const ChannelStats ring = producer_.stats();
  s.rows_consumed = ring.rows_taken;
  s.queue_depth = ring.depth();
  s.queue_capacity = producer_.capacity();
  s.staleness_batch = producer_.batch_staleness().snapshot();
  s.staleness_event = producer_.event_staleness().snapshot();
  return s;
}

// ---- events -------------------------------------------------------------------------------------

ConnectionEvent Worker::base_event(ConnectionEvent::Kind kind) const {
  ConnectionEvent e;
  e.kind = kind;
  e.cluster = spec_.cluster();
  e.shard = spec_.shard_id;
  e.at_ns = now_ns();
  return e;
}

void Worker::event(const ConnectionEvent& e) {
  if (!events_) return;
  try {
    events_(e);
  } catch (...) {  // NOLINT(bugprone-empty-catch): a host handler's exception must not cross the io thread
  }
}

// ---- the connection loop ------------------------------------------------------------------------

asio::awaitable<void> Worker::run() {
  auto self = shared_from_this();
  worker_tasks_ = 1;
  asio::co_spawn(strand_, heartbeats(), [self](const std::exception_ptr&) {
    --self->worker_tasks_;
    self->tasks_done_.cancel();
  });
  if (rebalancer_) {
    ++worker_tasks_;
    asio::co_spawn(strand_, rebalances(), [self](const std::exception_ptr&) {
      --self->worker_tasks_;
      self->tasks_done_.cancel();
    });
  }
  if (governs_) {
    ++worker_tasks_;
    asio::co_spawn(strand_, governs(), [self](const std::exception_ptr&) {
      --self->worker_tasks_;
      self->tasks_done_.cancel();
    });
  }
  down_since_ns_ = now_ns();
  bool stopped_event_sent = false;
  while (!stopping_) {
    auto connecting = base_event(ConnectionEvent::Kind::Connecting);
    connecting.attempt = backoff_.attempt();
    event(connecting);
    bump(counters_.attempts);
    std::vector<std::string> sent(desired_.begin(), desired_.end());
    auto r = co_await connect_and_subscribe(spec_, sent);
    if (stopping_) {
      if (r) co_await r->close();
      break;
    }
    std::optional<WsError> ended;
    if (!r) {
      bump(counters_.failed_attempts);
      ended = std::move(r).error();
      // A gap keeps the reason the connection was lost, not that of the attempts after it.
      if (ended->reason == DisconnectReason::MaxConnections) bump(counters_.max_connections);
      auto e = base_event(ConnectionEvent::Kind::Disconnected);
      e.error = *ended;
      event(e);
    } else {
      const std::int64_t up_ns = now_ns();
      const auto up_at = Clock::now();
      std::optional<Gap> gap;
      if (ever_connected_) {
        gap = Gap{down_since_ns_, up_ns, down_reason_};
        bump(counters_.gaps);
        for (const ResourceType rt : spec_.feeds) feeds_all_[index(rt)].pending_gap = gap;
      }
      if (rebalancer_ && ever_connected_) rebalancer_->on_reconnect();
      ever_connected_ = true;
      connected_ = true;
      counters_.connected.store(true, std::memory_order_relaxed);
      bump(counters_.connects);
      auto e = base_event(ConnectionEvent::Kind::Connected);
      e.channels = desired_.size();
      e.attempt = backoff_.attempt();
      e.gap = gap;
      event(e);
      ended = co_await serve(*r, sent);
      connected_ = false;
      counters_.connected.store(false, std::memory_order_relaxed);
      down_since_ns_ = now_ns();  // the gap starts here, and so does the Disconnected event
      down_reason_ = stopping_ ? DisconnectReason::Shutdown : ended->reason;
      bump(counters_.disconnects);
      switch (ended->reason) {
        case DisconnectReason::MaxConnections:
          bump(counters_.max_connections);
          break;
        case DisconnectReason::SlowConsumer:
          bump(counters_.slow_consumer);
          break;
        case DisconnectReason::ForceDisconnect:
          bump(counters_.force_disconnect);
          break;
        default:
          break;
      }
      backoff_.connection_ended(Clock::now() - up_at);
      if (!stopping_) {
        auto d = base_event(ConnectionEvent::Kind::Disconnected);
        d.at_ns = down_since_ns_;
        d.error = *ended;
        event(d);
      }
    }
    if (stopping_) break;
    if (ended->is_fatal()) {
      // auth_failed: retrying a refused key is a retry storm. The worker stops, loudly.
      auto s = base_event(ConnectionEvent::Kind::Stopped);
      s.error = std::move(ended);
      event(s);
      stopped_event_sent = true;
      stopping_ = true;
      heartbeat_timer_.cancel();
      rebalance_timer_.cancel();
      govern_timer_.cancel();
      break;
    }
    const auto delay = backoff_.next_delay();
    auto b = base_event(ConnectionEvent::Kind::BackingOff);
    b.attempt = backoff_.attempt();
    b.delay = delay;
    b.error = ended;
    event(b);
    backoff_timer_.expires_after(delay);
    co_await backoff_timer_.async_wait(kNoThrow);
  }
  stopping_ = true;
  heartbeat_timer_.cancel();
  rebalance_timer_.cancel();
  govern_timer_.cancel();
  while (worker_tasks_ > 0) {
    tasks_done_.expires_at(Clock::time_point::max());
    co_await tasks_done_.async_wait(kNoThrow);
  }
  // Quotes still held by conflation are real rows: delivered (or counted as dropped), never lost.
  flush_conflated(true);
  if (!stopped_event_sent) event(base_event(ConnectionEvent::Kind::Stopped));
  producer_.close();
  if (done_) done_();
}

asio::awaitable<WsError> Worker::serve(WebSocketStream& stream, const std::vector<std::string>& sent) {
  auto self = shared_from_this();
  conn_ = &stream;
  close_deadline_.reset();
  writes_.clear();
  // Changes made while the handshake ran: unsubscribe what left the set, subscribe what joined.
  {
    std::vector<std::string> removed;
    std::vector<std::string> added;
    std::set_difference(sent.begin(), sent.end(), desired_.begin(), desired_.end(), std::back_inserter(removed));
    std::set_difference(desired_.begin(), desired_.end(), sent.begin(), sent.end(), std::back_inserter(added));
    for (std::string& m : subscribe_messages("unsubscribe", removed, spec_.connection.subscribe_chunk_size)) {
      writes_.push_back({WriteItem::Kind::Text, std::move(m)});
    }
    for (std::string& m : subscribe_messages("subscribe", added, spec_.connection.subscribe_chunk_size)) {
      writes_.push_back({WriteItem::Kind::Text, std::move(m)});
    }
  }
  stall_.reset();
  last_rx_ = Clock::now();
  stream.impl().visit([this](auto& ws) {
    ws.control_callback([this](websocket::frame_type, beast::string_view) { last_rx_ = Clock::now(); });
  });
  conn_tasks_ = 2;
  const auto finished = [self](const std::exception_ptr&) { self->task_done(); };
  asio::co_spawn(strand_, writer(stream), finished);
  asio::co_spawn(strand_, watchdog(), finished);
  WsError end = co_await read_loop(stream);
  conn_ = nullptr;
  close_socket_of(stream);
  write_wake_.cancel();
  watchdog_timer_.cancel();
  while (conn_tasks_ > 0) {
    tasks_done_.expires_at(Clock::time_point::max());
    co_await tasks_done_.async_wait(kNoThrow);
  }
  stream.impl().visit([](auto& ws) { ws.control_callback(); });
  if (stall_) end = *std::exchange(stall_, std::nullopt);
  if (stopping_) end.reason = DisconnectReason::Shutdown;
  co_return end;
}

void Worker::task_done() {
  --conn_tasks_;
  tasks_done_.cancel();
}

void Worker::close_socket_of(WebSocketStream& stream) {
  stream.impl().visit([](auto& ws) {
    beast::error_code ec;
    tcp_of(ws).socket().close(ec);
  });
}

asio::awaitable<WsError> Worker::read_loop(WebSocketStream& stream) {
  co_return co_await stream.impl().visit([this, &stream](auto& ws) { return read_messages(stream.impl(), ws); });
}

template <class Ws>
asio::awaitable<WsError> Worker::read_messages(WebSocketStream::Impl& impl, Ws& ws) {
  for (;;) {
    auto [ec, n] = co_await ws.async_read(rx_, kNoThrow);
    if (ec) {
      rx_.clear();
      co_return read_error(impl, ec, ws.reason());
    }
    last_rx_ = Clock::now();
    if (auto end = on_message(n)) co_return std::move(*end);
  }
}

asio::awaitable<void> Worker::writer(WebSocketStream& stream) {
  co_await stream.impl().visit([this](auto& ws) { return write_messages(ws); });
}

template <class Ws>
asio::awaitable<void> Worker::write_messages(Ws& ws) {
  while (conn_ != nullptr) {
    if (writes_.empty()) {
      write_wake_.expires_at(Clock::time_point::max());
      co_await write_wake_.async_wait(kNoThrow);
      continue;
    }
    WriteItem item = std::move(writes_.front());
    writes_.pop_front();
    beast::error_code ec;
    switch (item.kind) {
      case WriteItem::Kind::Text: {
        auto [e, n] = co_await ws.async_write(asio::buffer(item.text), kNoThrow);
        (void)n;
        ec = e;
        break;
      }
      case WriteItem::Kind::Ping: {
        auto [e] = co_await ws.async_ping({}, kNoThrow);
        ec = e;
        break;
      }
      case WriteItem::Kind::Close: {
        tcp_of(ws).expires_after(kCloseTimeout);
        auto [e] = co_await ws.async_close(websocket::close_code::normal, kNoThrow);
        (void)e;
        ec = asio::error::operation_aborted;  // the connection is over either way
        break;
      }
    }
    if (ec) {
      beast::error_code ignore;
      tcp_of(ws).socket().close(ignore);  // the read loop ends with the reason
      co_return;
    }
  }
}

asio::awaitable<void> Worker::watchdog() {
  const auto ping_every = std::chrono::milliseconds(spec_.connection.ping_interval_ms);
  const auto limit = ping_every + std::chrono::milliseconds(spec_.connection.pong_timeout_ms);
  const auto check = std::max<Clock::duration>(limit / 8, std::chrono::milliseconds(10));
  auto next_ping = Clock::now() + ping_every;
  while (conn_ != nullptr) {
    const auto now = Clock::now();
    watchdog_timer_.expires_at(std::min({now + check, next_ping, close_deadline_.value_or(Clock::time_point::max())}));
    co_await watchdog_timer_.async_wait(kNoThrow);
    if (conn_ == nullptr) break;
    const auto t = Clock::now();
    if (close_deadline_ && t >= *close_deadline_) {
      log_line(LogLevel::Warn, LogLine("stopping: the server did not answer the close frame; socket closed")
                                   .context(spec_.cluster(), spec_.shard_id)
                                   .kv("waited_ms", kCloseTimeout.count())
                                   .str());
      close_socket_of(*conn_);
      break;
    }
    if (t >= next_ping) {
      push_write({WriteItem::Kind::Ping, {}});
      next_ping = t + ping_every;
    }
    if (t - last_rx_ > limit) {
      const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(t - last_rx_).count();
      stall_ = WsError{DisconnectReason::Stalled, spec_.cluster(), spec_.shard_id,
                       "no data or pong for " + std::to_string(silent) + " ms: the connection is half-open"};
      bump(counters_.stalls);
      close_socket_of(*conn_);
      break;
    }
  }
}

void Worker::push_write(WriteItem item) {
  writes_.push_back(std::move(item));
  write_wake_.cancel();
}

// ---- data ---------------------------------------------------------------------------------------

std::optional<WsError> Worker::on_message(std::size_t n) {
  // In place: the frame is parsed where Beast read it, with kParsePadding bytes after it.
  (void)rx_.prepare(kParsePadding);
  const auto data = rx_.cdata();
  const std::span<const char> buffer(static_cast<const char*>(data.data()), n + kParsePadding);
  FrameContext ctx;
  ctx.received_at_ns = now_ns();
  ctx.shard_id = spec_.shard_id;
  ctx.max_future_skew_ns = ms_to_ns(spec_.connection.max_future_skew_ms);
  bump(counters_.frames);
  const auto parsed = parser_.parse(buffer, n, ctx, frame_);
  rx_.consume(n);
  if (!parsed) {
    bump(counters_.parse_errors);
    ++rejected_since_event_;
    if (rejected_since_event_ == 1) last_reject_ = parsed.error().message();  // what a late report says
    const auto now = Clock::now();
    if (now - last_reject_event_ >= kRejectEventEvery) {
      auto e = base_event(ConnectionEvent::Kind::FrameRejected);
      e.count = std::exchange(rejected_since_event_, 0);
      e.detail = parsed.error().message();
      last_reject_event_ = now;
      event(e);
    }
    return std::nullopt;
  }
  bump(counters_.skipped_events, frame_.skipped_events);
  for (DataBatch<TradeOrNbbo>& b : frame_.batches) {
    bump(counters_.rows, b.rows.size());
    if (rebalancer_ && b.meta.resource_type == ResourceType::OptionsTrades) rebalancer_->on_rows(b.rows);
    if (b.meta.resource_type == ResourceType::OptionsQuotes && governs_ && !conflating_) {
      press_if_stale(ctx.received_at_ns);
    }
    if (b.meta.resource_type == ResourceType::OptionsQuotes && (conflating_ || !conflator_.empty())) {
      conflate(b, ctx.received_at_ns);
      continue;
    }
    publish(b.meta.resource_type, &b.rows, b.meta, ctx.received_at_ns);
  }
  std::optional<WsError> end;
  for (const StatusMessage& s : frame_.statuses) {
    if (auto e = status_error(spec_, s)) {
      if (!end) end = std::move(e);
    } else if (s.kind == StatusKind::Error) {
      bump(counters_.subscription_errors);
      if (rebalancer_) {
        // A scheduled contract the server refused leaves the desired set (a reconnection would
        // only send it again); the scheduler keeps it out or learns the lower limit.
        if (std::string ch = rebalancer_->on_refusal(s.message, now_ns()); !ch.empty() && !host_quotes_.contains(ch)) {
          desired_.erase(ch);
          counters_.subs_active.store(desired_.size(), std::memory_order_relaxed);
          counters_.scheduled.store(rebalancer_->scheduled(), std::memory_order_relaxed);
        }
      }
      auto ev = base_event(ConnectionEvent::Kind::SubscriptionRejected);
      ev.detail = s.message;
      event(ev);
    }
  }
  frame_.clear();
  return end;
}

bool Worker::publish(ResourceType feed, std::vector<TradeOrNbbo>* rows, const BatchMeta& parsed, std::int64_t now) {
  FeedState& f = feeds_all_[index(feed)];
  const std::uint64_t n = rows != nullptr ? rows->size() : 0;
  std::uint64_t late = 0;
  if (n != 0 && f.watermark != 0) {
    for (const TradeOrNbbo& r : *rows) late += sip_ts(r) < f.watermark ? 1 : 0;
  }
  Batch* b = producer_.acquire();
  if (b == nullptr) {
    f.dropped += n;
    bump(counters_.rows_dropped_queue_full, n);
    return false;
  }
  if (rows != nullptr) b->rows.swap(*rows);
  const std::int64_t watermark = std::max(f.watermark, n != 0 ? parsed.watermark_ts_ns : f.watermark);
  BatchMeta& m = b->meta;
  m.resource_type = feed;
  m.shard_id = spec_.shard_id;
  m.watermark_ts_ns = watermark;
  m.received_at_ns = now;
  m.connection = connected_ ? ConnectionState::Connected : ConnectionState::Disconnected;
  m.dropped_since_last = f.dropped;
  m.conflated_since_last = f.conflated;
  m.batch_seq = f.seq;
  m.late_rows = late;
  m.gap = f.pending_gap;
  if (!producer_.publish(b)) {
    f.dropped += n;
    bump(counters_.rows_dropped_queue_full, n);
    return false;
  }
  ++f.seq;
  f.dropped = 0;
  f.conflated = 0;
  f.pending_gap.reset();
  f.watermark = watermark;
  if (n != 0) f.data_since_tick = true;
  bump(counters_.batches);
  bump(counters_.rows_delivered, n);
  bump(counters_.late_rows, late);
  if (n == 0) bump(counters_.heartbeats);
  std::int64_t wm = counters_.watermark_ts_ns.load(std::memory_order_relaxed);
  if (watermark > wm) counters_.watermark_ts_ns.store(watermark, std::memory_order_relaxed);
  return true;
}

asio::awaitable<void> Worker::rebalances() {
  // The first after a second of trades: quotes start flowing without waiting a whole interval
  // (the next rebalances correct a ranking made on little data).
  auto next = Clock::now() + std::min<Clock::duration>(rebalance_interval_, std::chrono::seconds(1));
  while (!stopping_) {
    rebalance_timer_.expires_at(next);
    co_await rebalance_timer_.async_wait(kNoThrow);
    if (stopping_) break;
    next += rebalance_interval_;
    if (next < Clock::now()) next = Clock::now() + rebalance_interval_;
    // Disconnected: no trades arrive, and the set is re-sent in full on the next connection.
    if (connected_) co_await rebalance_once();
  }
}

asio::awaitable<void> Worker::rebalance_once() {
  const auto since = [](Clock::time_point t) {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count());
  };
  auto t = Clock::now();
  auto cpu = thread_cpu_ns();
  auto changes = rebalancer_->rebalance(now_ns(), host_quotes_.size());
  std::uint64_t longest = since(t);
  std::uint64_t longest_cpu = cpu_since(cpu);
  counters_.rebalances.store(rebalancer_->rebalances(), std::memory_order_relaxed);
  counters_.evictions.store(rebalancer_->evictions(), std::memory_order_relaxed);
  counters_.scheduled.store(changes.active, std::memory_order_relaxed);
  counters_.scheduled_capacity.store(changes.capacity, std::memory_order_relaxed);
  // Unsubscribe first: the write queue keeps the order, so the server never holds more than the
  // capacity, even between the messages. One chunk per turn of the strand: the read loop runs
  // between them, so a rebalance that replaces many contracts does not hold it up at once.
  const std::size_t chunk = std::max<std::size_t>(spec_.connection.subscribe_chunk_size, 1);
  for (const bool subscribe : {false, true}) {
    const std::vector<std::string>& all = subscribe ? changes.subscribe : changes.unsubscribe;
    for (std::size_t i = 0; i < all.size(); i += chunk) {
      co_await asio::post(strand_, asio::use_awaitable);
      if (stopping_) co_return;
      t = Clock::now();
      cpu = thread_cpu_ns();
      const auto last = all.begin() + static_cast<std::ptrdiff_t>(std::min(i + chunk, all.size()));
      apply_change(subscribe, std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(i), last), true);
      longest = std::max(longest, since(t));
      longest_cpu = std::max(longest_cpu, cpu_since(cpu));
    }
  }
  counters_.rebalance_last_ns.store(longest, std::memory_order_relaxed);
  if (longest > counters_.rebalance_max_ns.load(std::memory_order_relaxed)) {
    counters_.rebalance_max_ns.store(longest, std::memory_order_relaxed);
  }
  if (longest_cpu > counters_.rebalance_max_cpu_ns.load(std::memory_order_relaxed)) {
    counters_.rebalance_max_cpu_ns.store(longest_cpu, std::memory_order_relaxed);
  }
}

asio::awaitable<void> Worker::heartbeats() {
  const auto every = std::chrono::milliseconds(spec_.connection.heartbeat_interval_ms);
  const std::int64_t lateness = ms_to_ns(spec_.connection.allowed_lateness_ms);
  auto next = Clock::now() + every;
  while (!stopping_) {
    heartbeat_timer_.expires_at(next);
    co_await heartbeat_timer_.async_wait(kNoThrow);
    if (stopping_) break;
    next += every;
    if (next < Clock::now()) next = Clock::now() + every;  // a stall of the process: no burst
    const std::int64_t now = now_ns();
    // The end of a flood of bad frames: what was counted since the last event is reported too.
    if (rejected_since_event_ > 0 && Clock::now() - last_reject_event_ >= kRejectEventEvery) {
      auto e = base_event(ConnectionEvent::Kind::FrameRejected);
      e.count = std::exchange(rejected_since_event_, 0);
      e.detail = last_reject_;
      last_reject_event_ = Clock::now();
      event(e);
    }
    for (const ResourceType rt : spec_.feeds) {
      FeedState& f = feeds_all_[index(rt)];
      // Conflated quotes held: they go out now if the ring has room; either way no heartbeat
      // (its watermark would claim the held rows are out).
      if (rt == ResourceType::OptionsQuotes && !conflator_.empty()) {
        flush_conflated(false);
        continue;
      }
      if (connected_) {
        if (std::exchange(f.data_since_tick, false)) continue;  // data flowed: no heartbeat needed
        // Idle and connected: nothing older than the allowed lateness is still on its way (the
        // claim rests on the local clock; rows that arrive below it are flagged `late_rows`).
        f.watermark = std::max(f.watermark, now - lateness);
      }
      // Disconnected: the watermark stays frozen; the batch says the connection is down.
      publish(rt, nullptr, BatchMeta{}, now);
    }
  }
}

// ---- backpressure -------------------------------------------------------------------------------

void Worker::conflate(DataBatch<TradeOrNbbo>& batch, std::int64_t now) {
  FeedState& f = feeds_all_[index(ResourceType::OptionsQuotes)];
  if (conflator_.empty()) first_held_ns_ = batch.meta.received_at_ns != 0 ? batch.meta.received_at_ns : now;
  std::uint64_t superseded = 0;
  for (const TradeOrNbbo& row : batch.rows) {
    auto added = conflator_.add(row);
    if (added == Conflator::Added::Full) {
      flush_conflated(true);  // more contracts than a connection may hold: send what is held
      added = conflator_.add(row);
    }
    if (added == Conflator::Added::Superseded) ++superseded;
  }
  conflated_in_ += batch.rows.size();
  superseded_in_ += superseded;
  batch.rows.clear();
  f.conflated += superseded;
  bump(counters_.rows_conflated, superseded);
  flush_conflated(false);
}

bool Worker::flush_conflated(bool force) {
  if (conflator_.empty()) return true;
  // Paced by the consumer: the held quotes go out once it has taken what was queued before them
  // (at most one batch left), not on a timer. Pushed any sooner they would queue behind a backlog
  // and age there, which is what conflation is for; and an idle consumer gets them at once.
  if (!force && producer_.depth() > kFlushDepth) {
    counters_.conflate_held.store(conflator_.size(), std::memory_order_relaxed);
    return false;
  }
  conflated_out_.assign(conflator_.rows().begin(), conflator_.rows().end());
  BatchMeta meta;
  meta.watermark_ts_ns = conflator_.max_sip_ts_ns();
  conflator_.clear();
  counters_.conflate_held.store(0, std::memory_order_relaxed);
  // Received when its oldest row was: staleness counts the time the rows were held.
  publish(ResourceType::OptionsQuotes, &conflated_out_, meta, first_held_ns_);  // a failure counts the rows as dropped
  conflated_out_.clear();
  return true;
}

asio::awaitable<void> Worker::governs() {
  const auto every = std::chrono::milliseconds(std::max<std::uint64_t>(backpressure_.check_interval_ms, 1));
  auto next = Clock::now() + every;
  while (!stopping_) {
    govern_timer_.expires_at(next);
    co_await govern_timer_.async_wait(kNoThrow);
    if (stopping_) break;
    next += every;
    if (next < Clock::now()) next = Clock::now() + every;
    govern_once();
  }
}

void Worker::press_if_stale(std::int64_t wall) {
  // The governor looks every check_interval_ms; a burst fills the ring much faster than that (at
  // 400 k quotes/s, 20 ms is 8,000 rows), so every quote batch checks the age of the queue head
  // itself and starts conflation at the governor's own threshold.
  // Also the rows queued: at a few hundred thousand quotes a second the head is young while the
  // ring already holds far more than the consumer can take in that time, so the ring's rows are
  // weighed against the consumer's measured speed (once there is a measure; measured here too,
  // every kMeasureEvery, so that a burst from the start is caught within milliseconds).
  if (wall - last_measure_ns_ >= kMeasureEveryNs) measure_consumer(wall);
  const bool backlog =
      consumer_rows_per_s_ > 0.0 &&
      static_cast<double>(producer_.queued_rows()) > consumer_rows_per_s_ * static_cast<double>(press_stale_ns_) * 1e-9;
  if (!backlog && producer_.head_age_ns(wall) <= press_stale_ns_) return;
  governor_.press(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
  set_conflating(true, wall);
}

void Worker::set_conflating(bool on, std::int64_t wall) {
  if (on == conflating_) return;
  conflating_ = on;
  counters_.conflating.store(conflating_, std::memory_order_relaxed);
  // A consumer at the edge turns conflation on and off often: one line a second, with a count.
  if (const auto admit = log_limit_.admit(conflating_ ? "conflate on" : "conflate off", wall); admit.log) {
    log_line(conflating_ ? LogLevel::Warn : LogLevel::Info,
             LogLine(conflating_ ? "consumer falling behind: conflating option quotes"
                                 : "consumer caught up: option quotes no longer conflated")
                 .context(spec_.cluster(), spec_.shard_id)
                 .kv("queue_depth", producer_.depth())
                 .kv("staleness_ms", producer_.head_age_ns(wall) / 1'000'000)
                 .repeats(admit.suppressed)
                 .str());
  }
}

void Worker::measure_consumer(std::int64_t now) {
  // The consumer's speed, from the rows it took over an interval during which it always had some
  // to take (the ring non-empty at both ends): a floor of what it can do, smoothed. (Wall clock:
  // an interval that runs backwards is skipped.)
  const std::uint64_t taken = producer_.stats().rows_taken;
  const bool busy = producer_.depth() > 0;
  if (busy && consumer_busy_ && now > last_measure_ns_ && taken > last_rows_taken_) {
    const double sample =
        static_cast<double>(taken - last_rows_taken_) * 1e9 / static_cast<double>(now - last_measure_ns_);
    consumer_rows_per_s_ = consumer_rows_per_s_ > 0.0 ? 0.7 * consumer_rows_per_s_ + 0.3 * sample : sample;
  }
  consumer_busy_ = busy;
  last_rows_taken_ = taken;
  last_measure_ns_ = now;
}

void Worker::govern_once() {
  const std::int64_t wall = now_ns();
  measure_consumer(wall);
  const std::int64_t age = producer_.head_age_ns(wall);
  counters_.staleness_ns.store(static_cast<std::uint64_t>(age), std::memory_order_relaxed);
  if (rebalancer_) governor_.set_max(rebalancer_->slots_for(host_quotes_.size()));
  Governor::Load load;
  load.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  load.queue_ratio = static_cast<double>(producer_.depth()) / static_cast<double>(producer_.capacity());
  load.staleness_ns = age;
  load.held = rebalancer_ ? rebalancer_->scheduled() : 0;
  if (conflated_in_ > 0) {
    load.superseded_ratio = static_cast<double>(superseded_in_) / static_cast<double>(conflated_in_);
  }
  conflated_in_ = 0;
  superseded_in_ = 0;
  if (!conflator_.empty()) load.held_ns = std::max<std::int64_t>(wall - first_held_ns_, 0);
  const Governor::Decision d = governor_.check(load);
  set_conflating(d.conflate, wall);
  flush_conflated(!conflating_);
  if (rebalancer_ && d.action == Governor::Decision::Action::Shed) {
    const std::vector<std::string> shed = rebalancer_->shed_to(d.capacity);
    apply_change(false, shed, true);
    bump(counters_.sheds);
    bump(counters_.shed_contracts, shed.size());
    counters_.scheduled.store(rebalancer_->scheduled(), std::memory_order_relaxed);
    log_line(LogLevel::Warn, LogLine("consumer falling behind: shedding the lowest-priority option quotes")
                                 .context(spec_.cluster(), spec_.shard_id)
                                 .kv("shed", shed.size())
                                 .kv("capacity", d.capacity)
                                 .kv("staleness_ms", age / 1'000'000)
                                 .str());
  } else if (rebalancer_ && d.action == Governor::Decision::Action::Restore) {
    rebalancer_->set_cap(d.capacity);  // the next rebalance fills the slots given back
    bump(counters_.restores);
    log_line(LogLevel::Info, LogLine("consumer healthy: restoring option-quote capacity")
                                 .context(spec_.cluster(), spec_.shard_id)
                                 .kv("capacity", d.capacity)
                                 .str());
  }
  counters_.shed_capacity.store(rebalancer_ ? governor_.capacity() : 0, std::memory_order_relaxed);
}

}  // namespace ws_source::detail
