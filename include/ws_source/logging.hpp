// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Logging: the `ws_source` spdlog logger (replaceable, silenceable), `LogLine` for key=value
/// context (`cluster=options shard=0 error="…"`), `RateLimiter` for repeats, and `log_event`,
/// which writes a `ConnectionEvent` at its level.
///
/// spdlog stays out of this header (only `spdlog::logger` is declared): the library links spdlog
/// privately, and a host that passes its own logger includes spdlog itself. Everything ws-source
/// logs goes through `log_line`, which removes the registered API keys (`add_log_redaction`)
/// from the text. ws-source never logs per event.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ws_source/connection.hpp"
#include "ws_source/resource_type.hpp"
#include "ws_source/secret.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace ws_source {

/// The name of ws-source's logger.
inline constexpr std::string_view kLoggerName = "ws_source";

/// Severity, in spdlog's order (`Off` silences).
enum class LogLevel : std::uint8_t { Trace, Debug, Info, Warn, Error, Critical, Off };

/// "trace", "debug", "info", "warn", "error", "critical", "off".
[[nodiscard]] std::string_view to_string(LogLevel level) noexcept;

/// The logger ws-source writes to. Until `set_logger`: one named `ws_source` writing to stderr
/// (colours on a terminal), level `Info`, made on first use and not registered in spdlog's
/// registry (so `spdlog::set_level` does not reach it: use `set_log_level`). Shared ownership: the
/// caller may keep and use it; after `set_logger` ws-source stops writing to it. Any thread.
[[nodiscard]] std::shared_ptr<spdlog::logger> logger();

/// Makes ws-source write to `logger` (the host's: its sinks, pattern and level apply) from now on;
/// `nullptr` silences ws-source (a logger without sinks, level off). Lines being written on other
/// threads at that moment finish on the old logger. Any thread.
void set_logger(std::shared_ptr<spdlog::logger> logger);

/// Back to a fresh default logger (stderr, `Info`). Any thread.
void reset_logger();

/// Sets the level of the current logger (`Off` silences it). A logger installed later keeps its
/// own level. Any thread.
void set_log_level(LogLevel level);

/// The level of the current logger.
[[nodiscard]] LogLevel log_level();

/// Whether a line at `level` would be written (check before building an expensive line).
[[nodiscard]] bool log_enabled(LogLevel level);

/// Writes `line` at `level` to the current logger, with every registered key replaced by
/// `ApiKey(***)`. Never throws (a failing sink loses the line). Any thread.
void log_line(LogLevel level, std::string_view line) noexcept;

/// Registers `key` so that `log_line` (and so `log_event`, `flush_log_repeats`) replaces it in
/// every line: protection against a key echoed in a server message or an error. Blank keys are
/// ignored; the same key twice is kept once. The registered copies are wiped when cleared or at
/// exit. Lines the host writes to `logger()` directly are not filtered. Any thread.
void add_log_redaction(const ApiKey& key);
/// Forgets every registered key.
void clear_log_redactions();

/// Appends ` key=value` to `out`. The value is written as is when it is non-empty and has no
/// space, `"`, `=`, `\` or control character; otherwise in double quotes with `"` and `\`
/// escaped and line breaks, tabs and other control characters as `\n`, `\r`, `\t`, `\xNN` (a line
/// stays one line). Characters of `key` other than letters, digits, `_`, `.`, `-` become `_`.
void append_kv(std::string& out, std::string_view key, std::string_view value);

/// One log line: a message followed by key=value context, e.g.
/// `LogLine("disconnected").context(Cluster::Options, 0).kv("error", e.message)` →
/// `disconnected cluster=options shard=0 error="no data or pong for 30000 ms"`.
/// A value type; not shared between threads.
class LogLine {
 public:
  explicit LogLine(std::string_view message) : text_(message) {}

  /// ` key=value` (see `append_kv`).
  LogLine& kv(std::string_view key, std::string_view value) {
    append_kv(text_, key, value);
    return *this;
  }
  /// Integers in decimal; `bool` as `true`/`false`.
  template <std::integral T>
  LogLine& kv(std::string_view key, T value) {
    if constexpr (std::same_as<T, bool>) {
      return kv(key, std::string_view(value ? "true" : "false"));
    } else if constexpr (std::signed_integral<T>) {
      return kv_int(key, static_cast<std::int64_t>(value));
    } else {
      return kv_uint(key, static_cast<std::uint64_t>(value));
    }
  }
  /// `cluster=options shard=N`.
  LogLine& context(Cluster cluster, std::size_t shard);
  /// Appends ` text` as is (e.g. a note in parentheses).
  LogLine& note(std::string_view text);
  /// ` (N more since last report)` when `suppressed` > 0 (see `RateLimiter`).
  LogLine& repeats(std::uint64_t suppressed);

  /// The line so far.
  [[nodiscard]] const std::string& str() const noexcept { return text_; }

 private:
  LogLine& kv_int(std::string_view key, std::int64_t value);
  LogLine& kv_uint(std::string_view key, std::uint64_t value);
  std::string text_;
};

/// Limits repeats per key: the first occurrence of a key is logged; later ones within `interval`
/// of that key's last logged line are counted instead; the first one after the interval is logged
/// with the count (`Decision::suppressed`, "(N more since last report)"). `drain` reports counts
/// left pending when a flood stops. Time is passed in (ns on any clock that does not go back; if
/// it does, the key's interval starts again), so tests are deterministic.
///
/// Bounded: at most `max_keys` keys; when full, keys whose interval passed with nothing pending
/// are forgotten, and if none can be, a new key shares the entry `kOverflowKey` (rate-limited as
/// one). Not thread-safe: one per thread, or behind the caller's lock.
class RateLimiter {
 public:
  /// What to do with one occurrence.
  struct Decision {
    bool log{false};              ///< write this line
    std::uint64_t suppressed{0};  ///< when `log`: weight not logged since the key's previous line
  };
  /// A key with repeats not reported yet.
  struct Pending {
    std::string key;
    std::uint64_t suppressed{0};
  };
  /// The key shared by new keys once `max_keys` are tracked.
  static constexpr std::string_view kOverflowKey = "(other keys)";

  explicit RateLimiter(std::chrono::nanoseconds interval = std::chrono::seconds(1), std::size_t max_keys = 256);

  /// One occurrence of `key` at `now_ns`, counting `weight` (e.g. the frames an event stands for).
  [[nodiscard]] Decision admit(std::string_view key, std::int64_t now_ns, std::uint64_t weight = 1);

  /// The keys whose interval has passed with repeats not yet reported, sorted by key; each is then
  /// reported (its count reset, its interval restarted at `now_ns`). Call it from a periodic timer
  /// so that the end of a flood is counted too.
  [[nodiscard]] std::vector<Pending> drain(std::int64_t now_ns);

  /// Keys tracked (the overflow entry included).
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::int64_t last_ns{0};
    std::uint64_t suppressed{0};
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  void forget_quiet(std::int64_t now_ns);

  std::int64_t interval_ns_;
  std::size_t max_keys_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

/// Logs a connection event as one key=value line at its level: `Connecting` debug; `Connected`
/// info (with the gap it closed); `Disconnected` warn with the reason and error (`Shutdown` info,
/// `auth_failed` error, `max_connections` an error that says another client took the connection);
/// `BackingOff` info; `Stopped` info, or error with a fatal error; `FrameRejected` and
/// `SubscriptionRejected` warn, rate-limited per kind, cluster and shard to one line per second
/// (by the event's `at_ns`, or the wall clock when it is 0) with the count of what was held back.
/// The ConnectionManager calls it for every event. Any thread (the rate limiter is shared, behind
/// a lock). Never throws.
void log_event(const ConnectionEvent& event) noexcept;

/// Writes one warn line per rate-limited kind with repeats still unreported whose second has
/// passed at `now_ns` (Unix ns), e.g. `frames rejected cluster=options shard=0 (41 more since last
/// report)`. Call it about once a second. Any thread. Never throws.
void flush_log_repeats(std::int64_t now_ns) noexcept;

/// Forgets the rate limiter's state of `log_event` (for tests).
void reset_log_repeats() noexcept;

}  // namespace ws_source
