// Copyright (c) James Kassemi, SC, US. All rights reserved.
// log_event: a ConnectionEvent as one key=value line at its level; rejected frames and
// subscriptions rate-limited per kind, cluster and shard (one shared RateLimiter behind a lock).
#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "ws_source/logging.hpp"

namespace ws_source {
namespace {

using Kind = ConnectionEvent::Kind;

struct Repeats {
  std::mutex mutex;
  RateLimiter limiter{std::chrono::seconds(1), 256};
};

Repeats& repeats() {
  static Repeats r;
  return r;
}

std::int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The rate-limited kinds' key: their message and context, which is also what a repeat line says.
std::optional<std::string> repeat_key(const ConnectionEvent& e) {
  std::string_view what;
  if (e.kind == Kind::FrameRejected) {
    what = "frames rejected";
  } else if (e.kind == Kind::SubscriptionRejected) {
    what = "subscription rejected";
  } else {
    return std::nullopt;
  }
  return LogLine(what).context(e.cluster, e.shard).str();
}

void add_error(LogLine& line, const ConnectionEvent& e) {
  if (e.error) {
    line.kv("reason", to_string(e.error->reason));
    line.kv("error", e.error->message);
  }
}

}  // namespace

void log_event(const ConnectionEvent& e) noexcept {
  try {
    LogLevel level = LogLevel::Info;
    std::optional<LogLine> line;
    switch (e.kind) {
      case Kind::Connecting:
        level = LogLevel::Debug;
        line.emplace("connecting");
        line->context(e.cluster, e.shard).kv("attempt", e.attempt);
        break;
      case Kind::Connected:
        line.emplace("connected");
        line->context(e.cluster, e.shard).kv("channels", e.channels).kv("attempt", e.attempt);
        if (e.gap) {
          line->kv("gap_ms", (e.gap->end_ns - e.gap->start_ns) / 1'000'000)
              .kv("gap_reason", to_string(e.gap->reason))
              .kv("gap_start_ns", e.gap->start_ns)
              .kv("gap_end_ns", e.gap->end_ns);
        }
        break;
      case Kind::Disconnected: {
        const DisconnectReason r = e.error ? e.error->reason : DisconnectReason::Closed;
        if (r == DisconnectReason::MaxConnections) {
          level = LogLevel::Error;
          line.emplace(
              "MAX_CONNECTIONS: another client on this account took the connection; backing off instead of "
              "fighting for it");
        } else if (r == DisconnectReason::AuthFailed) {
          level = LogLevel::Error;
          line.emplace("authentication failed: the API key was refused; not retrying");
        } else {
          level = r == DisconnectReason::Shutdown ? LogLevel::Info : LogLevel::Warn;
          line.emplace("disconnected");
        }
        line->context(e.cluster, e.shard);
        add_error(*line, e);
        break;
      }
      case Kind::BackingOff:
        line.emplace("backing off");
        line->context(e.cluster, e.shard)
            .kv("attempt", e.attempt)
            .kv("delay_ms", std::chrono::duration_cast<std::chrono::milliseconds>(e.delay).count());
        break;
      case Kind::Stopped:
        level = e.error ? LogLevel::Error : LogLevel::Info;
        line.emplace(e.error ? "stopped after a fatal error" : "stopped");
        line->context(e.cluster, e.shard);
        add_error(*line, e);
        break;
      case Kind::FrameRejected:
      case Kind::SubscriptionRejected: {
        level = LogLevel::Warn;
        const std::string key = *repeat_key(e);
        const std::int64_t now = e.at_ns != 0 ? e.at_ns : wall_now_ns();
        const std::uint64_t weight = e.kind == Kind::FrameRejected ? std::max<std::uint64_t>(e.count, 1) : 1;
        RateLimiter::Decision d;
        {
          Repeats& r = repeats();
          const std::lock_guard lock(r.mutex);
          d = r.limiter.admit(key, now, weight);
        }
        if (!d.log) return;
        line.emplace(key);
        if (e.kind == Kind::FrameRejected) line->kv("frames", e.count);
        line->kv("error", e.detail);
        add_error(*line, e);
        line->repeats(d.suppressed);
        break;
      }
    }
    if (line) log_line(level, line->str());
  } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory: the line is lost, the io thread goes on
  }
}

void flush_log_repeats(std::int64_t now_ns) noexcept {
  try {
    std::vector<RateLimiter::Pending> pending;
    {
      Repeats& r = repeats();
      const std::lock_guard lock(r.mutex);
      pending = r.limiter.drain(now_ns);
    }
    for (const auto& p : pending) log_line(LogLevel::Warn, LogLine(p.key).repeats(p.suppressed).str());
  } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory: the lines are lost
  }
}

void reset_log_repeats() noexcept {
  try {
    Repeats& r = repeats();
    const std::lock_guard lock(r.mutex);
    r.limiter = RateLimiter{std::chrono::seconds(1), 256};
  } catch (...) {  // NOLINT(bugprone-empty-catch): the old state stays
  }
}

}  // namespace ws_source
