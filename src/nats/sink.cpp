// Copyright (c) James Kassemi, SC, US. All rights reserved.
// NatsSink: write() encodes and queues (bounded); a publisher thread hands batches to cnats'
// asynchronous JetStream publish; cnats' ack handler resolves them (acked, or back for a resend
// with the same Nats-Msg-Id, or dropped past the retry horizon).
//
// Lifetimes. cnats calls the handlers below on its own threads with a pointer to `Shared`; the
// connection callbacks arrive on cnats' asynchronous-callback thread, even after
// natsConnection_Close returned. So `Shared` is freed only once cnats has said, through the
// closed callback, that no callback of the connection will follow, and once the JetStream
// context has no publication left (js_PublishAsyncGetPendingList, then js_PublishAsyncComplete
// for a handler that was already running). If either is not observed in time, `Shared` is
// deliberately leaked (a few KiB, logged) rather than freed under a running callback.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "handles.hpp"
#include "ws_source/logging.hpp"
#include "ws_source/nats_codec.hpp"
#include "ws_source/nats_sink.hpp"
#include "ws_source/timestamp.hpp"

namespace ws_source {

using namespace nats_detail;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kMsgIdHeader = "Nats-Msg-Id";
/// Pause before a failed publication is tried again.
constexpr auto kResendPause = std::chrono::milliseconds(100);
/// How often the publisher thread wakes without work (resends, drop reports).
constexpr auto kPublisherTick = std::chrono::milliseconds(50);
/// cnats' own in-flight bound sits slightly above ours (its count drops after our ack handler
/// returns), so that its stall never triggers.
constexpr std::int64_t kMaxPendingMargin = 8;

std::string make_sink_id() {
  std::uint64_t v = static_cast<std::uint64_t>(now_ns()) * 0x9E3779B97F4A7C15ULL;
  v ^= static_cast<std::uint64_t>(::getpid()) << 32;
  try {
    std::random_device rd;
    v ^= (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  } catch (const std::exception&) {  // no entropy source: time and pid only
  }
  std::array<char, 17> hex{};
  for (int i = 15; i >= 0; --i) {
    hex[static_cast<std::size_t>(i)] = "0123456789abcdef"[v & 0xF];
    v >>= 4;
  }
  return std::string(hex.data(), 16);
}

struct Item {
  std::vector<std::uint8_t> bytes;
  std::uint64_t number{0};  // the <n> of the message id
  std::uint32_t rows{0};
  std::uint8_t feed{0};
};

/// A publication not resolved yet (in flight in cnats, or waiting here for a resend).
struct Pending {
  std::uint32_t rows{0};
  std::uint32_t attempts{0};
  Clock::time_point first;
  Clock::time_point not_before;
};

}  // namespace

/// What cnats' threads and ours share. See the file comment for its lifetime.
struct SinkShared {
  NatsSinkConfig cfg;
  std::string url_shown;  // redacted

  std::mutex mu;
  std::condition_variable work_cv;  // the publisher waits here
  std::condition_variable idle_cv;  // flush() and the closed callback wait here
  std::deque<Item> queue;
  std::size_t queued_bytes{0};
  std::vector<std::vector<std::uint8_t>> pool;  // recycled encode buffers
  std::unordered_map<natsMsg*, Pending> unresolved;
  std::deque<natsMsg*> resend;  // ours (not in cnats): waiting for not_before
  std::size_t in_transit{0};    // taken from `queue`, not yet in `unresolved`
  bool closing{false};          // resolve failures as drops from now on
  bool connection_closed{false};
  std::atomic<bool> closing_connection{false};  // our own close: not a disconnection to report
  std::atomic<bool> published_any{false};       // cnats made its async-publish state

  std::atomic<std::uint64_t> written{0}, rows_written{0}, accepted{0}, rows_accepted{0}, dropped_full{0},
      rows_dropped_full{0}, dropped_failed{0}, rows_dropped_failed{0}, acked{0}, rows_acked{0}, duplicates{0},
      resends{0}, publish_errors{0}, skipped_heartbeats{0}, bytes_published{0}, queued_count{0}, queued_bytes_a{0},
      in_flight{0}, disconnects{0}, reconnects{0};
  std::atomic<bool> connected{false};

  // Under `mu`.
  void drop_failed(std::uint32_t rows) {
    dropped_failed.fetch_add(1, std::memory_order_relaxed);
    rows_dropped_failed.fetch_add(rows, std::memory_order_relaxed);
  }
  void update_in_flight() { in_flight.store(unresolved.size() + in_transit, std::memory_order_relaxed); }
  [[nodiscard]] bool idle() const { return queue.empty() && in_transit == 0 && unresolved.empty(); }
};

namespace {

// cnats' ack handler (its reply-subscription thread): resolves one publication.
void on_ack(jsCtx* /*js*/, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) noexcept {
  auto* s = static_cast<SinkShared*>(closure);
  bool destroy = true;
  {
    const std::lock_guard lock(s->mu);
    const auto it = s->unresolved.find(msg);
    if (it != s->unresolved.end()) {
      Pending& p = it->second;
      if (pa != nullptr) {
        s->acked.fetch_add(1, std::memory_order_relaxed);
        s->rows_acked.fetch_add(p.rows, std::memory_order_relaxed);
        if (pa->Duplicate) s->duplicates.fetch_add(1, std::memory_order_relaxed);
        s->unresolved.erase(it);
      } else {
        (void)pae;
        s->publish_errors.fetch_add(1, std::memory_order_relaxed);
        const auto now = Clock::now();
        if (s->closing || now - p.first >= s->cfg.retry_for) {
          s->drop_failed(p.rows);
          s->unresolved.erase(it);
        } else {
          p.not_before = now + kResendPause;
          try {
            s->resend.push_back(msg);
            destroy = false;
          } catch (const std::bad_alloc&) {
            s->drop_failed(p.rows);
            s->unresolved.erase(it);
          }
        }
      }
      s->update_in_flight();
      if (s->idle()) s->idle_cv.notify_all();
    }
  }
  s->work_cv.notify_one();
  if (destroy) natsMsg_Destroy(msg);
}

// Logging from a callback: a failure to build the line (out of memory) loses the line only.
template <class F>
void log_quietly(F&& f) noexcept {
  try {
    f();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing may leave a cnats callback
  }
}

void on_disconnected(natsConnection* /*nc*/, void* closure) noexcept {
  auto* s = static_cast<SinkShared*>(closure);
  s->connected.store(false);
  if (s->closing_connection.load()) return;
  s->disconnects.fetch_add(1, std::memory_order_relaxed);
  log_quietly([&] {
    log_line(LogLevel::Warn, LogLine("nats sink: disconnected, buffering up to the queue's bound")
                                 .kv("url", s->url_shown)
                                 .kv("in_flight", s->in_flight.load(std::memory_order_relaxed))
                                 .str());
  });
}

void on_reconnected(natsConnection* /*nc*/, void* closure) noexcept {
  auto* s = static_cast<SinkShared*>(closure);
  s->connected.store(true);
  s->reconnects.fetch_add(1, std::memory_order_relaxed);
  log_quietly([&] {
    log_line(LogLevel::Info, LogLine("nats sink: reconnected")
                                 .kv("url", s->url_shown)
                                 .kv("queued", s->queued_count.load(std::memory_order_relaxed))
                                 .str());
  });
  s->work_cv.notify_one();
}

void on_closed(natsConnection* /*nc*/, void* closure) noexcept {
  auto* s = static_cast<SinkShared*>(closure);
  // All under the lock: the moment it is released, teardown may free `s` (this is cnats' last
  // callback of the connection).
  const std::lock_guard lock(s->mu);
  s->connection_closed = true;
  s->connected.store(false);
  s->idle_cv.notify_all();
}

void on_error(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsStatus err, void* closure) noexcept {
  auto* s = static_cast<SinkShared*>(closure);
  log_quietly([&] {
    log_line(
        LogLevel::Warn,
        LogLine("nats sink: asynchronous error").kv("url", s->url_shown).kv("error", natsStatus_GetText(err)).str());
  });
}

Result<void, NatsError> validate(const NatsSinkConfig& c) {
  const auto bad = [](std::string what) { return fail(NatsError{NatsError::Kind::Config, std::move(what)}); };
  if (c.max_in_flight == 0) return bad("max_in_flight must be at least 1");
  if (c.max_queued_batches == 0) return bad("max_queued_batches must be at least 1");
  if (c.max_queued_bytes == 0) return bad("max_queued_bytes must be at least 1");
  if (c.ack_timeout.count() <= 0) return bad("ack_timeout must be positive");
  if (c.retry_for.count() < 0) return bad("retry_for must not be negative");
  if (auto ok = validate_subject_prefix(c.stream.subject_prefix); !ok) return ok;
  return validate_stream_name(c.stream.name);
}

}  // namespace

struct NatsSink::Impl {
  std::unique_ptr<SinkShared> shared;
  std::string sink_id;
  std::array<std::string, 4> subjects;
  ConnectionPtr nc;
  JsPtr js;
  std::thread publisher;
  std::atomic<bool> stop{false};
  std::atomic<bool> accepting{false};
  bool closed{false};
  bool started{false};  // the publisher thread ran: close logs a summary
  std::optional<Result<void, SinkError>> close_result;
  std::vector<std::uint8_t> encode_buf;  // the writer thread's

  ~Impl() { teardown(std::chrono::milliseconds(0)); }

  // The publisher thread.
  void run() noexcept {
    try {
      publish_loop();
    } catch (const std::exception& e) {  // out of memory: stop publishing, say so
      log_quietly([&] {
        log_line(
            LogLevel::Error,
            LogLine("nats sink: publisher thread stopped").kv("url", shared->url_shown).kv("error", e.what()).str());
      });
    }
  }

  void publish_loop() {
    SinkShared& s = *shared;
    jsPubOptions pub;
    jsPubOptions_Init(&pub);
    pub.MaxWait = s.cfg.ack_timeout.count();
    std::vector<natsMsg*> resend_now;
    std::vector<Item> fresh;
    std::vector<natsMsg*> fresh_msgs;
    std::array<char, 48> id{};
    std::uint64_t reported_full = 0;
    std::uint64_t reported_failed = 0;
    auto next_report = Clock::now() + std::chrono::seconds(1);
    bool was_up = true;
    while (!stop.load()) {
      resend_now.clear();
      fresh.clear();
      {
        std::unique_lock lock(s.mu);
        if (was_up) {
          // New work wakes the thread at once; resends and reports come with the tick.
          s.work_cv.wait_for(lock, kPublisherTick, [&] {
            return stop.load() || (s.connected.load() && !s.queue.empty() && s.unresolved.size() < s.cfg.max_in_flight);
          });
        } else {
          s.work_cv.wait_for(lock, kPublisherTick);  // down: no hurry
        }
      }
      if (stop.load()) break;
      // Asked outside `mu` (it takes the connection's lock; cnats never holds that one while
      // calling into the sink, but there is no need to rely on it).
      const bool up = natsConnection_Status(nc.get()) == NATS_CONN_STATUS_CONNECTED;
      was_up = up;
      {
        const std::lock_guard lock(s.mu);
        const auto now = Clock::now();
        // Resends past the horizon are dropped; the rest wait while disconnected.
        for (auto it = s.resend.begin(); it != s.resend.end();) {
          const auto p = s.unresolved.find(*it);
          if (p != s.unresolved.end() && now - p->second.first >= s.cfg.retry_for) {
            s.drop_failed(p->second.rows);
            natsMsg_Destroy(*it);
            s.unresolved.erase(p);
            it = s.resend.erase(it);
          } else {
            ++it;
          }
        }
        if (up) {
          for (auto it = s.resend.begin(); it != s.resend.end();) {
            const auto p = s.unresolved.find(*it);
            if (p != s.unresolved.end() && p->second.not_before <= now) {
              ++p->second.attempts;
              resend_now.push_back(*it);
              it = s.resend.erase(it);
            } else {
              ++it;
            }
          }
          std::size_t room = s.cfg.max_in_flight > s.unresolved.size() ? s.cfg.max_in_flight - s.unresolved.size() : 0;
          while (room > 0 && !s.queue.empty()) {
            s.queued_bytes -= s.queue.front().bytes.size();
            fresh.push_back(std::move(s.queue.front()));
            s.queue.pop_front();
            --room;
          }
          s.in_transit = fresh.size();
          s.queued_count.store(s.queue.size(), std::memory_order_relaxed);
          s.queued_bytes_a.store(s.queued_bytes, std::memory_order_relaxed);
        }
        s.update_in_flight();
        if (s.idle()) s.idle_cv.notify_all();
      }
      // New messages (outside the lock: natsMsg_Create copies the payload).
      fresh_msgs.clear();
      for (Item& item : fresh) {
        natsMsg* m = nullptr;
        natsStatus st = natsMsg_Create(&m, subjects[item.feed].c_str(), nullptr,
                                       reinterpret_cast<const char*>(item.bytes.data()),  // NOLINT(*-reinterpret-cast)
                                       static_cast<int>(item.bytes.size()));
        if (st == NATS_OK) {
          const std::size_t n = sink_id.size();
          std::copy(sink_id.begin(), sink_id.end(), id.begin());
          id[n] = '-';
          const auto [end, ec] = std::to_chars(id.data() + n + 1, id.data() + id.size() - 1, item.number);
          (void)ec;  // 20 digits fit
          *end = '\0';
          st = natsMsgHeader_Set(m, kMsgIdHeader, id.data());
        }
        if (st != NATS_OK) {
          natsMsg_Destroy(m);
          m = nullptr;
        }
        fresh_msgs.push_back(m);
      }
      {
        const std::lock_guard lock(s.mu);
        const auto now = Clock::now();
        s.in_transit = 0;
        for (std::size_t i = 0; i < fresh.size(); ++i) {
          if (fresh_msgs[i] == nullptr) {
            s.publish_errors.fetch_add(1, std::memory_order_relaxed);
            s.drop_failed(fresh[i].rows);  // out of memory in cnats
            continue;
          }
          s.unresolved.emplace(fresh_msgs[i], Pending{fresh[i].rows, 1, now, now});
        }
        for (Item& item : fresh) {
          if (s.pool.size() < 64) {
            item.bytes.clear();
            s.pool.push_back(std::move(item.bytes));
          }
        }
        s.update_in_flight();
        if (s.idle()) s.idle_cv.notify_all();  // every new message failed to build
      }
      const auto publish = [&](natsMsg* m, bool is_resend) {
        s.published_any.store(true);
        const int len = natsMsg_GetDataLength(m);
        natsMsg* owned = m;
        const natsStatus st = js_PublishMsgAsync(js.get(), &owned, &pub);
        if (st == NATS_OK) {
          s.bytes_published.fetch_add(static_cast<std::uint64_t>(len), std::memory_order_relaxed);
          if (is_resend) s.resends.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        // Still ours (disconnected meanwhile, reconnect buffer full, ...): try again shortly.
        s.publish_errors.fetch_add(1, std::memory_order_relaxed);
        const std::lock_guard lock(s.mu);
        const auto p = s.unresolved.find(m);
        if (p != s.unresolved.end()) p->second.not_before = Clock::now() + kResendPause;
        s.resend.push_back(m);
      };
      for (natsMsg* m : resend_now) publish(m, true);
      for (natsMsg* m : fresh_msgs) {
        if (m != nullptr) publish(m, false);
      }
      // Drops are reported here, once a second at most, never on the writer's thread.
      if (const auto now = Clock::now(); now >= next_report) {
        next_report = now + std::chrono::seconds(1);
        const std::uint64_t full = s.dropped_full.load(std::memory_order_relaxed);
        const std::uint64_t failed = s.dropped_failed.load(std::memory_order_relaxed);
        if (full != reported_full || failed != reported_failed) {
          log_line(LogLevel::Warn, LogLine("nats sink: dropped batches")
                                       .kv("url", s.url_shown)
                                       .kv("queue_full", full - reported_full)
                                       .kv("unacknowledged", failed - reported_failed)
                                       .kv("total_dropped", full + failed)
                                       .kv("queued", s.queued_count.load(std::memory_order_relaxed))
                                       .kv("in_flight", s.in_flight.load(std::memory_order_relaxed))
                                       .kv("connected", s.connected.load())
                                       .str());
          reported_full = full;
          reported_failed = failed;
        }
      }
    }
  }

  Result<void, SinkError> flush(std::chrono::milliseconds timeout) {
    SinkShared& s = *shared;
    std::unique_lock lock(s.mu);
    s.work_cv.notify_one();
    if (s.idle_cv.wait_for(lock, timeout, [&] { return s.idle(); })) return {};
    return fail(SinkError{SinkError::Kind::Timeout, "nats sink: " + std::to_string(s.queue.size()) +
                                                        " batches queued, " + std::to_string(s.unresolved.size()) +
                                                        " in flight after the flush timeout"});
  }

  // Stops everything; counts what is left as dropped. Returns whether anything was dropped.
  bool teardown(std::chrono::milliseconds timeout) noexcept {
    if (closed || !shared) return false;
    closed = true;
    accepting.store(false);
    SinkShared& s = *shared;
    bool dropped = false;
    if (publisher.joinable()) {
      if (timeout.count() > 0) dropped = !flush(timeout).has_value();
      stop.store(true);
      s.work_cv.notify_all();
      publisher.join();
    }
    {
      const std::lock_guard lock(s.mu);
      s.closing = true;
      for (const Item& item : s.queue) s.drop_failed(item.rows);
      dropped = dropped || !s.queue.empty();
      s.queue.clear();
      s.queued_bytes = 0;
      s.queued_count.store(0);
      s.queued_bytes_a.store(0);
      for (natsMsg* m : s.resend) {
        if (const auto p = s.unresolved.find(m); p != s.unresolved.end()) {
          s.drop_failed(p->second.rows);
          s.unresolved.erase(p);
        }
        natsMsg_Destroy(m);
        dropped = true;
      }
      s.resend.clear();
    }
    bool quiet = true;                   // no cnats callback can reach `shared` any more
    if (js && s.published_any.load()) {  // (cnats 3.4 crashes taking the list before any publication)
      natsMsgList pending{nullptr, 0};
      if (js_PublishAsyncGetPendingList(&pending, js.get()) == NATS_OK) {
        const std::lock_guard lock(s.mu);
        for (int i = 0; i < pending.Count; ++i) {
          if (const auto p = s.unresolved.find(pending.Msgs[i]); p != s.unresolved.end()) {
            s.drop_failed(p->second.rows);
            s.unresolved.erase(p);
            dropped = true;
          }
        }
      }
      natsMsgList_Destroy(&pending);
      // A handler already running when the list was taken: wait for it to return.
      jsPubOptions wait;
      jsPubOptions_Init(&wait);
      wait.MaxWait = 2'000;
      quiet = js_PublishAsyncComplete(js.get(), &wait) == NATS_OK;
    }
    js.reset();
    {
      const std::lock_guard lock(s.mu);
      for (const auto& [m, p] : s.unresolved) s.drop_failed(p.rows);  // none expected
      dropped = dropped || !s.unresolved.empty();
      s.unresolved.clear();
      s.update_in_flight();
      s.idle_cv.notify_all();
    }
    if (nc) {
      s.closing_connection.store(true);
      natsConnection_Close(nc.get());
      std::unique_lock lock(s.mu);
      quiet = s.idle_cv.wait_for(lock, std::chrono::seconds(5), [&] { return s.connection_closed; }) && quiet;
      lock.unlock();
      nc.reset();
    }
    const std::uint64_t lost = s.dropped_full.load() + s.dropped_failed.load();
    if (started) {
      log_quietly([&] {
        log_line(lost != 0 ? LogLevel::Warn : LogLevel::Info, LogLine("nats sink: closed")
                                                                  .kv("url", s.url_shown)
                                                                  .kv("acked", s.acked.load())
                                                                  .kv("duplicates", s.duplicates.load())
                                                                  .kv("resends", s.resends.load())
                                                                  .kv("dropped_full", s.dropped_full.load())
                                                                  .kv("dropped_failed", s.dropped_failed.load())
                                                                  .str());
      });
    }
    if (!quiet) {
      log_quietly([&] {
        log_line(LogLevel::Warn, LogLine("nats sink: cnats did not confirm its callbacks ended; keeping their state")
                                     .kv("url", s.url_shown)
                                     .str());
      });
      (void)shared.release();  // NOLINT(bugprone-unused-return-value): deliberately leaked, see the file comment
    }
    return dropped;
  }
};

NatsSink::NatsSink(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

NatsSink::~NatsSink() {
  if (impl_) (void)close(impl_->shared ? impl_->shared->cfg.close_timeout : std::chrono::milliseconds(0));
}

Result<std::unique_ptr<NatsSink>, NatsError> NatsSink::create(NatsSinkConfig config) {
  try {
    if (auto ok = validate(config); !ok) return fail(std::move(ok.error()));
    auto impl = std::make_unique<Impl>();
    impl->shared = std::make_unique<SinkShared>();
    SinkShared& s = *impl->shared;
    s.cfg = std::move(config);
    s.url_shown = redact_nats_url(s.cfg.connection.url);
    impl->sink_id = make_sink_id();
    for (const ResourceType rt : kAllResourceTypes) {
      impl->subjects[index(rt)] = nats_subject(s.cfg.stream.subject_prefix, rt);
    }
    ConnectionCallbacks cbs{on_disconnected, on_reconnected, on_closed, on_error, &s};
    auto nc = connect(s.cfg.connection, cbs);
    if (!nc) {
      // No connection: cnats has no callback of ours to call.
      return fail(std::move(nc.error()));
    }
    impl->nc = std::move(*nc);
    s.connected.store(true);
    jsOptions jso;
    jsOptions_Init(&jso);
    jso.PublishAsync.MaxPending = static_cast<std::int64_t>(s.cfg.max_in_flight) + kMaxPendingMargin;
    jso.PublishAsync.AckHandler = on_ack;
    jso.PublishAsync.AckHandlerClosure = &s;
    jso.PublishAsync.StallWait = 50;
    auto js = jetstream(impl->nc.get(), s.cfg.connection, jso);
    if (!js) return fail(std::move(js.error()));  // ~Impl closes the connection
    impl->js = std::move(*js);
    const auto horizon = std::chrono::duration_cast<std::chrono::nanoseconds>(s.cfg.retry_for + s.cfg.ack_timeout);
    auto stream = ensure_stream(impl->js.get(), s.cfg.connection, s.cfg.stream, s.cfg.stream.create, horizon);
    if (!stream) return fail(std::move(stream.error()));
    log_line(LogLevel::Info,
             LogLine(stream->created ? "nats sink: created stream" : "nats sink: using stream")
                 .kv("url", s.url_shown)
                 .kv("stream", s.cfg.stream.name)
                 .kv("subjects", s.cfg.stream.subject_prefix + ".>")
                 .kv("duplicate_window_ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(stream->duplicate_window).count())
                 .kv("sink_id", impl->sink_id)
                 .str());
    Impl* raw = impl.get();
    impl->publisher = std::thread([raw] { raw->run(); });
    impl->started = true;
    impl->accepting.store(true);
    return std::unique_ptr<NatsSink>(new NatsSink(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return fail(NatsError{NatsError::Kind::Nats, "out of memory creating the NATS sink"});
  } catch (const std::system_error& e) {
    return fail(NatsError{NatsError::Kind::Nats, std::string("cannot start the NATS sink's thread: ") + e.what()});
  }
}

Result<void, SinkError> NatsSink::write(const DataBatch<TradeOrNbbo>& batch) noexcept {
  Impl& impl = *impl_;
  if (!impl.accepting.load(std::memory_order_relaxed)) {
    return fail(SinkError{SinkError::Kind::Closed, "nats sink is closed"});
  }
  SinkShared& s = *impl.shared;
  const auto rows = static_cast<std::uint32_t>(batch.rows.size());
  s.written.fetch_add(1, std::memory_order_relaxed);
  s.rows_written.fetch_add(rows, std::memory_order_relaxed);
  if (rows == 0 && !s.cfg.publish_heartbeats) {
    s.skipped_heartbeats.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  const auto drop = [&] {
    s.dropped_full.fetch_add(1, std::memory_order_relaxed);
    s.rows_dropped_full.fetch_add(rows, std::memory_order_relaxed);
    return Result<void, SinkError>{};
  };
  // Full already: do not spend the encoding.
  if (s.queued_count.load(std::memory_order_relaxed) >= s.cfg.max_queued_batches) return drop();
  try {
    impl.encode_buf.clear();
    encode_batch(batch, impl.encode_buf);
  } catch (const std::bad_alloc&) {
    return drop();
  }
  {
    const std::lock_guard lock(s.mu);
    if (s.queue.size() >= s.cfg.max_queued_batches ||
        s.queued_bytes + impl.encode_buf.size() > s.cfg.max_queued_bytes) {
      return drop();
    }
    const std::uint64_t n = s.accepted.fetch_add(1, std::memory_order_relaxed) + 1;
    s.rows_accepted.fetch_add(rows, std::memory_order_relaxed);
    s.queued_bytes += impl.encode_buf.size();
    try {
      s.queue.push_back(Item{std::move(impl.encode_buf), n, rows, static_cast<std::uint8_t>(batch.meta.resource_type)});
    } catch (const std::bad_alloc&) {
      s.accepted.fetch_sub(1, std::memory_order_relaxed);
      s.rows_accepted.fetch_sub(rows, std::memory_order_relaxed);
      s.queued_bytes -= impl.encode_buf.size();
      return drop();
    }
    s.queued_count.store(s.queue.size(), std::memory_order_relaxed);
    s.queued_bytes_a.store(s.queued_bytes, std::memory_order_relaxed);
    impl.encode_buf = {};
    if (!s.pool.empty()) {
      impl.encode_buf = std::move(s.pool.back());
      s.pool.pop_back();
    }
  }
  s.work_cv.notify_one();
  return {};
}

Result<void, SinkError> NatsSink::flush(std::chrono::milliseconds timeout) noexcept {
  if (impl_->closed) return fail(SinkError{SinkError::Kind::Closed, "nats sink is closed"});
  try {
    return impl_->flush(timeout);
  } catch (const std::exception& e) {
    return fail(SinkError{SinkError::Kind::Internal, e.what()});
  }
}

Result<void, SinkError> NatsSink::close(std::chrono::milliseconds timeout) noexcept {
  Impl& impl = *impl_;
  if (impl.close_result) return *impl.close_result;
  const bool dropped = impl.teardown(timeout);
  if (dropped) {
    impl.close_result =
        fail(SinkError{SinkError::Kind::Timeout, "nats sink: batches still pending at close were dropped"});
  } else {
    impl.close_result = Result<void, SinkError>{};
  }
  return *impl.close_result;
}

NatsSinkStats NatsSink::nats_stats() const noexcept {
  NatsSinkStats o;
  const SinkShared* s = impl_->shared.get();
  if (s == nullptr) return o;
  const auto r = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  o.written = r(s->written);
  o.rows_written = r(s->rows_written);
  o.accepted = r(s->accepted);
  o.rows_accepted = r(s->rows_accepted);
  o.dropped_full = r(s->dropped_full);
  o.rows_dropped_full = r(s->rows_dropped_full);
  o.dropped_failed = r(s->dropped_failed);
  o.rows_dropped_failed = r(s->rows_dropped_failed);
  o.acked = r(s->acked);
  o.rows_acked = r(s->rows_acked);
  o.duplicates = r(s->duplicates);
  o.resends = r(s->resends);
  o.publish_errors = r(s->publish_errors);
  o.skipped_heartbeats = r(s->skipped_heartbeats);
  o.bytes_published = r(s->bytes_published);
  o.queued = r(s->queued_count);
  o.queued_bytes = r(s->queued_bytes_a);
  o.in_flight = r(s->in_flight);
  o.disconnects = r(s->disconnects);
  o.reconnects = r(s->reconnects);
  o.connected = s->connected.load();
  return o;
}

SinkStats NatsSink::stats() const noexcept {
  const NatsSinkStats n = nats_stats();
  SinkStats o;
  o.batches_in = n.written;
  o.rows_in = n.rows_written;
  o.batches_out = n.acked + n.skipped_heartbeats;  // skipped heartbeats: handled as configured
  o.rows_out = n.rows_acked;
  o.batches_dropped = n.dropped_full + n.dropped_failed;
  o.rows_dropped = n.rows_dropped_full + n.rows_dropped_failed;
  o.pending = n.queued + n.in_flight;
  return o;
}

std::string NatsSink::describe() const { return impl_->shared ? impl_->shared->url_shown : std::string("nats"); }

const std::string& NatsSink::sink_id() const noexcept { return impl_->sink_id; }

}  // namespace ws_source
