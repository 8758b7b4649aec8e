// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Logging: key=value formatting, the rate limiter (a flood of 10,000 repeats in one second is two
// lines with the right count; counts add up exactly over a longer flood; bounded keys), log_event
// levels and texts, the API key never in a line, and replacing or silencing the logger. Lines are
// captured through a ring-buffer sink with the pattern "LEVEL|message".
#include "ws_source/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ws_source/connection.hpp"

using namespace ws_source;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSecond;  // a wall time, Unix ns

std::string kv(std::string_view key, std::string_view value) {
  std::string s;
  append_kv(s, key, value);
  return s;
}

TEST(LogKv, PlainValuesAsIsOthersQuotedAndEscaped) {
  EXPECT_EQ(kv("cluster", "options"), " cluster=options");
  EXPECT_EQ(kv("symbol", "O:SPY251219C00650000"), " symbol=O:SPY251219C00650000");
  EXPECT_EQ(kv("error", "connection refused"), " error=\"connection refused\"");
  EXPECT_EQ(kv("error", ""), " error=\"\"");
  EXPECT_EQ(kv("x", "a=b"), " x=\"a=b\"");
  EXPECT_EQ(kv("x", R"(say "hi")"), R"( x="say \"hi\"")");
  EXPECT_EQ(kv("x", R"(back\slash)"), R"( x="back\\slash")");
  EXPECT_EQ(kv("x", "two\nlines\r\tand\x01"), R"( x="two\nlines\r\tand\x01")");  // one line stays one line
  EXPECT_EQ(kv("bad key=", "v"), " bad_key_=v");
  EXPECT_EQ(kv("x", "caf\xc3\xa9"), " x=caf\xc3\xa9");  // UTF-8 passes through
}

TEST(LogKv, LogLineBuildsMessageAndContext) {
  const auto line = LogLine("disconnected")
                        .context(Cluster::Options, 0)
                        .kv("symbol", "O:SPY251219C00650000")
                        .kv("error", "no data or pong for 30000 ms")
                        .kv("attempt", 3U)
                        .kv("delta", -2)
                        .kv("fatal", false)
                        .repeats(0);
  EXPECT_EQ(line.str(),
            "disconnected cluster=options shard=0 symbol=O:SPY251219C00650000 error=\"no data or pong for 30000 ms\" "
            "attempt=3 delta=-2 fatal=false");
  EXPECT_EQ(LogLine("x").repeats(41).str(), "x (41 more since last report)");
  EXPECT_EQ(LogLine("x").note("(note)").str(), "x (note)");
}

// ---- RateLimiter --------------------------------------------------------------------------------

TEST(RateLimiter, FirstLogsThenOneLinePerIntervalWithTheCount) {
  RateLimiter r(std::chrono::seconds(1));
  EXPECT_TRUE(r.admit("k", kT0).log);
  for (int i = 1; i < 5; ++i) EXPECT_FALSE(r.admit("k", kT0 + i * 100'000'000).log);
  const auto d = r.admit("k", kT0 + kSecond);
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.suppressed, 4U);
  EXPECT_FALSE(r.admit("k", kT0 + kSecond + 1).log);
  const auto d2 = r.admit("k", kT0 + 2 * kSecond, 10);  // its own weight is not "suppressed"
  EXPECT_TRUE(d2.log);
  EXPECT_EQ(d2.suppressed, 1U);
  EXPECT_TRUE(r.admit("other", kT0 + 2 * kSecond).log);  // keys are independent
}

TEST(RateLimiter, WeightsAddUp) {
  RateLimiter r(std::chrono::seconds(1));
  EXPECT_TRUE(r.admit("k", kT0, 5).log);
  EXPECT_FALSE(r.admit("k", kT0 + 1, 7).log);
  EXPECT_FALSE(r.admit("k", kT0 + 2, 8).log);
  EXPECT_EQ(r.admit("k", kT0 + kSecond).suppressed, 15U);
}

TEST(RateLimiter, DrainReportsTheEndOfAFlood) {
  RateLimiter r(std::chrono::seconds(1));
  EXPECT_TRUE(r.admit("b", kT0).log);
  EXPECT_TRUE(r.admit("a", kT0).log);
  EXPECT_TRUE(r.admit("quiet", kT0).log);
  EXPECT_FALSE(r.admit("a", kT0 + 1).log);
  EXPECT_FALSE(r.admit("b", kT0 + 2).log);
  EXPECT_FALSE(r.admit("b", kT0 + 3).log);
  EXPECT_TRUE(r.drain(kT0 + kSecond - 1).empty());  // not yet a second since their lines
  const auto p = r.drain(kT0 + kSecond);
  ASSERT_EQ(p.size(), 2U);  // "quiet" has nothing pending
  EXPECT_EQ(p[0].key, "a");
  EXPECT_EQ(p[0].suppressed, 1U);
  EXPECT_EQ(p[1].key, "b");
  EXPECT_EQ(p[1].suppressed, 2U);
  EXPECT_TRUE(r.drain(kT0 + 5 * kSecond).empty());  // reported once
  // Draining restarted the interval: the next repeat within a second of the report is held.
  EXPECT_FALSE(r.admit("a", kT0 + kSecond + 10).log);
}

TEST(RateLimiter, ClockGoingBackRestartsTheInterval) {
  RateLimiter r(std::chrono::seconds(1));
  EXPECT_TRUE(r.admit("k", kT0).log);
  EXPECT_FALSE(r.admit("k", kT0 - 3600 * kSecond).log);  // an hour back: held, interval restarts there
  const auto d = r.admit("k", kT0 - 3600 * kSecond + kSecond);
  EXPECT_TRUE(d.log);  // not an hour of silence
  EXPECT_EQ(d.suppressed, 1U);
}

TEST(RateLimiter, KeysAreBounded) {
  RateLimiter r(std::chrono::seconds(1), 8);
  for (int i = 0; i < 1000; ++i) static_cast<void>(r.admit("key" + std::to_string(i), kT0 + i));
  EXPECT_LE(r.size(), 9U);  // 8 keys + the shared overflow entry
  // All distinct keys in one second: the first 8 log, then the overflow key once, the rest held.
  RateLimiter s(std::chrono::seconds(1), 8);
  int logged = 0;
  for (int i = 0; i < 1000; ++i) logged += s.admit("key" + std::to_string(i), kT0 + i).log ? 1 : 0;
  EXPECT_EQ(logged, 9);
  const auto p = s.drain(kT0 + 2 * kSecond);
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].key, RateLimiter::kOverflowKey);
  EXPECT_EQ(p[0].suppressed, 1000U - 9U);
  // Once the keys went quiet for an interval they are forgotten, and new keys get entries again.
  EXPECT_TRUE(s.admit("fresh", kT0 + 3 * kSecond).log);
  EXPECT_LE(s.size(), 9U);
  EXPECT_TRUE(s.drain(kT0 + 10 * kSecond).empty());
}

// ---- the logger ---------------------------------------------------------------------------------

// Captures ws-source's lines as "level|message" for the test's duration.
class Capture : public ::testing::Test {
 protected:
  void SetUp() override {
    reset_log_repeats();
    clear_log_redactions();
    sink_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100'000);
    sink_->set_pattern("%l|%v");
    auto l = std::make_shared<spdlog::logger>("test", sink_);
    l->set_level(spdlog::level::trace);
    set_logger(l);
  }
  void TearDown() override {
    reset_log_repeats();
    clear_log_redactions();
    reset_logger();
  }
  std::vector<std::string> lines() const {
    auto v = sink_->last_formatted();
    for (auto& s : v) {
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    }
    return v;
  }
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

ConnectionEvent event(ConnectionEvent::Kind kind, Cluster c = Cluster::Options, std::size_t shard = 0) {
  ConnectionEvent e;
  e.kind = kind;
  e.cluster = c;
  e.shard = shard;
  e.at_ns = kT0;
  return e;
}

ConnectionEvent rejected(std::int64_t at_ns, std::uint64_t count = 1, std::size_t shard = 0) {
  ConnectionEvent e = event(ConnectionEvent::Kind::FrameRejected, Cluster::Options, shard);
  e.at_ns = at_ns;
  e.count = count;
  e.detail = "event 3: field `bp`: expected a number";
  return e;
}

// The count a line reports: frames=N plus "(M more since last report)".
std::uint64_t reported(const std::string& line) {
  std::uint64_t n = 0;
  if (const auto f = line.find("frames="); f != std::string::npos) n += std::stoull(line.substr(f + 7));
  if (const auto m = line.find(" (");
      m != std::string::npos && line.find("more since last report)") != std::string::npos) {
    n += std::stoull(line.substr(m + 2));
  }
  return n;
}

TEST_F(Capture, AFloodOfRejectedFramesIsTwoLinesWithTheCount) {
  // 10,000 rejected frames within one second (one event each, 100 µs apart), then the periodic
  // flush one second after the first line.
  for (int i = 0; i < 10'000; ++i) log_event(rejected(kT0 + i * 100'000));
  flush_log_repeats(kT0 + kSecond);
  const auto l = lines();
  ASSERT_EQ(l.size(), 2U);
  EXPECT_EQ(
      l[0],
      "warning|frames rejected cluster=options shard=0 frames=1 error=\"event 3: field `bp`: expected a number\"");
  EXPECT_EQ(l[1], "warning|frames rejected cluster=options shard=0 (9999 more since last report)");
  flush_log_repeats(kT0 + 10 * kSecond);  // nothing left to report
  EXPECT_EQ(lines().size(), 2U);
}

TEST_F(Capture, ALongFloodIsOneLinePerSecondAndEveryFrameIsCounted) {
  // 3.5 s of events carrying 1–3 frames each, on two shards; a flush every 250 ms.
  std::uint64_t sent = 0;
  std::int64_t next_flush = kT0;
  for (int i = 0; i < 35'000; ++i) {
    const std::int64_t t = kT0 + static_cast<std::int64_t>(i) * 100'000;
    if (t >= next_flush) {
      flush_log_repeats(t);
      next_flush += kSecond / 4;
    }
    const std::uint64_t frames = 1 + static_cast<std::uint64_t>(i % 3);
    log_event(rejected(t, frames, static_cast<std::size_t>(i % 2)));
    sent += frames;
  }
  flush_log_repeats(kT0 + 10 * kSecond);
  std::uint64_t counted = 0;
  std::size_t per_shard[2] = {0, 0};
  for (const auto& line : lines()) {
    counted += reported(line);
    ++per_shard[line.find("shard=1") != std::string::npos ? 1 : 0];
  }
  EXPECT_EQ(counted, sent);
  // 4 seconds touched (0–3.5 s) + the final flush: at most 5 lines per shard.
  EXPECT_LE(per_shard[0], 5U);
  EXPECT_LE(per_shard[1], 5U);
  EXPECT_GE(per_shard[0], 4U);
}

TEST_F(Capture, EventsAtTheirLevels) {
  set_log_level(LogLevel::Trace);
  auto connecting = event(ConnectionEvent::Kind::Connecting);
  connecting.attempt = 2;
  log_event(connecting);

  auto connected = event(ConnectionEvent::Kind::Connected, Cluster::Stocks, 1);
  connected.channels = 1000;
  connected.gap = Gap{kT0 - 4 * kSecond, kT0, DisconnectReason::Stalled};
  log_event(connected);

  auto closed = event(ConnectionEvent::Kind::Disconnected);
  closed.error = WsError{DisconnectReason::Closed, Cluster::Options, 0, "the server closed the connection"};
  log_event(closed);

  auto max = event(ConnectionEvent::Kind::Disconnected);
  max.error = WsError{DisconnectReason::MaxConnections, Cluster::Options, 0, "max_connections"};
  log_event(max);

  auto auth = event(ConnectionEvent::Kind::Disconnected);
  auth.error = WsError{DisconnectReason::AuthFailed, Cluster::Options, 0, "authentication failed"};
  log_event(auth);

  auto backoff = event(ConnectionEvent::Kind::BackingOff);
  backoff.attempt = 3;
  backoff.delay = std::chrono::milliseconds(4000);
  log_event(backoff);

  log_event(event(ConnectionEvent::Kind::Stopped));
  auto fatal = event(ConnectionEvent::Kind::Stopped);
  fatal.error = auth.error;
  log_event(fatal);

  auto shutdown = event(ConnectionEvent::Kind::Disconnected);
  shutdown.error = WsError{DisconnectReason::Shutdown, Cluster::Options, 0, "stop()"};
  log_event(shutdown);

  auto sub = event(ConnectionEvent::Kind::SubscriptionRejected);
  sub.detail = "subscription limit exceeded: Q.O:SPY251219C00650000";
  log_event(sub);
  log_event(sub);  // within the second: held

  const std::vector<std::string> want = {
      "debug|connecting cluster=options shard=0 attempt=2",
      "info|connected cluster=stocks shard=1 channels=1000 attempt=0 gap_ms=4000 gap_reason=stalled "
      "gap_start_ns=1699999996000000000 gap_end_ns=1700000000000000000",
      "warning|disconnected cluster=options shard=0 reason=closed error=\"the server closed the connection\"",
      "error|MAX_CONNECTIONS: another client on this account took the connection; backing off instead of fighting "
      "for it cluster=options shard=0 reason=max_connections error=max_connections",
      "error|authentication failed: the API key was refused; not retrying cluster=options shard=0 reason=auth_failed "
      "error=\"authentication failed\"",
      "info|backing off cluster=options shard=0 attempt=3 delay_ms=4000",
      "info|stopped cluster=options shard=0",
      "error|stopped after a fatal error cluster=options shard=0 reason=auth_failed error=\"authentication failed\"",
      "info|disconnected cluster=options shard=0 reason=shutdown error=stop()",
      "warning|subscription rejected cluster=options shard=0 error=\"subscription limit exceeded: "
      "Q.O:SPY251219C00650000\"",
  };
  EXPECT_EQ(lines(), want);
}

TEST_F(Capture, TheApiKeyNeverAppears) {
  const ApiKey key("secret-key-123");
  add_log_redaction(key);
  WsWorker w;
  w.key = key;
  std::ostringstream printed;
  printed << w.key;  // the library's text form: ApiKey(***)

  // Errors of every shape, including a server that echoes the key back and the key's own form.
  std::vector<ConnectionEvent> events;
  auto auth = event(ConnectionEvent::Kind::Disconnected);
  auth.error =
      WsError{DisconnectReason::AuthFailed, Cluster::Options, 0, "auth_failed: key secret-key-123 is not authorized"};
  events.push_back(auth);
  auto stopped = event(ConnectionEvent::Kind::Stopped);
  stopped.error = auth.error;
  events.push_back(stopped);
  auto bad = rejected(kT0);
  bad.detail = "event 0: `ev` \"secret-key-123\" unknown; key " + printed.str();
  events.push_back(bad);
  auto sub = event(ConnectionEvent::Kind::SubscriptionRejected, Cluster::Stocks, 0);
  sub.detail = "not authorized: secret-key-123secret-key-123";
  events.push_back(sub);
  auto closed = event(ConnectionEvent::Kind::Disconnected, Cluster::Stocks, 0);
  closed.error =
      WsError{DisconnectReason::Protocol, Cluster::Stocks, 0, "unexpected frame {\"auth\":\"secret-key-123\"}"};
  events.push_back(closed);
  for (const auto& e : events) log_event(e);
  log_line(LogLevel::Error, "direct: " + std::string(key.expose()));
  for (int i = 1; i <= 3; ++i) log_event(rejected(kT0 + i));
  flush_log_repeats(kT0 + kSecond);

  const auto l = lines();
  ASSERT_EQ(l.size(), 7U);
  for (const auto& line : l) {
    EXPECT_EQ(line.find("secret-key-123"), std::string::npos) << line;
    EXPECT_EQ(line.find("secret"), std::string::npos) << line;
  }
  EXPECT_NE(l[0].find("key ApiKey(***) is not authorized"), std::string::npos) << l[0];
  EXPECT_NE(l[3].find("not authorized: ApiKey(***)ApiKey(***)"), std::string::npos) << l[3];
}

TEST_F(Capture, WithoutTheRedactionAnEchoedKeyWouldShow) {
  // The control for the test above: the redaction is what removes an echoed key.
  auto e = event(ConnectionEvent::Kind::Disconnected);
  e.error = WsError{DisconnectReason::AuthFailed, Cluster::Options, 0, "key secret-key-123 refused"};
  log_event(e);
  ASSERT_EQ(lines().size(), 1U);
  EXPECT_NE(lines()[0].find("secret-key-123"), std::string::npos);
  clear_log_redactions();
  add_log_redaction(ApiKey("   "));  // blank keys are ignored (they would redact every space)
  log_line(LogLevel::Info, "a b c");
  EXPECT_EQ(lines().back(), "info|a b c");
}

TEST_F(Capture, ReplacingTheLogger) {
  log_line(LogLevel::Info, "to the first");
  auto other_sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10);
  other_sink->set_pattern("%v");
  auto other = std::make_shared<spdlog::logger>("host", other_sink);
  set_logger(other);
  EXPECT_EQ(logger(), other);
  log_line(LogLevel::Info, "to the second");
  log_line(LogLevel::Debug, "below the host's level (info)");
  EXPECT_EQ(lines(), std::vector<std::string>{"info|to the first"});
  ASSERT_EQ(other_sink->last_formatted().size(), 1U);
  EXPECT_EQ(other_sink->last_formatted()[0].substr(0, 13), "to the second");
}

TEST_F(Capture, SilencingByLevelAndByNullLogger) {
  set_log_level(LogLevel::Off);
  EXPECT_EQ(log_level(), LogLevel::Off);
  EXPECT_FALSE(log_enabled(LogLevel::Critical));
  log_line(LogLevel::Critical, "silenced");
  log_event(event(ConnectionEvent::Kind::Stopped));
  EXPECT_TRUE(lines().empty());
  set_log_level(LogLevel::Warn);
  EXPECT_EQ(log_level(), LogLevel::Warn);
  log_line(LogLevel::Info, "below warn");
  log_line(LogLevel::Warn, "at warn");
  EXPECT_EQ(lines(), std::vector<std::string>{"warning|at warn"});

  set_logger(nullptr);  // silenced: a logger without sinks
  ASSERT_NE(logger(), nullptr);
  EXPECT_EQ(log_level(), LogLevel::Off);
  log_line(LogLevel::Critical, "nowhere");
  EXPECT_EQ(lines().size(), 1U);
}

TEST(Logger, DefaultIsNamedWsSourceAtInfo) {
  reset_logger();
  const auto l = logger();
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->name(), kLoggerName);
  EXPECT_EQ(log_level(), LogLevel::Info);
  EXPECT_FALSE(log_enabled(LogLevel::Debug));
  EXPECT_TRUE(log_enabled(LogLevel::Info));
  EXPECT_EQ(logger(), l);  // one logger until replaced
  EXPECT_EQ(to_string(LogLevel::Warn), "warn");
}

TEST_F(Capture, LoggingWhileTheLoggerIsReplacedIsSafe) {
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&done, t] {
      for (int i = 0; !done.load(); ++i) log_event(rejected(kT0 + i, 1, static_cast<std::size_t>(t)));
    });
  }
  for (int i = 0; i < 200; ++i) {
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4);
    set_logger(std::make_shared<spdlog::logger>("swap", sink));
  }
  done = true;
  for (auto& w : writers) w.join();
  SUCCEED();  // the sanitizer builds are the judges here
}

}  // namespace
