// Copyright (c) James Kassemi, SC, US. All rights reserved.
// WsConfig: defaults (PROTOTYPE.md 1.1), TOML parsing (unknown keys, types, syntax errors without
// source text), validation (every rule names its field, in the prototype's order), the
// environment, and the API key's redaction everywhere.
#include "ws_source/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "config/redact.hpp"
#include "ws_source/shard.hpp"
#include "ws_source/url.hpp"

using namespace ws_source;

namespace {

// A key that cannot appear in any text by accident.
constexpr const char* kDistinctiveKey = "sk-ZQX7-DISTINCTIVE-9f3b2c81";

WsConfig with_key(WsConfig c = {}) {
  c.api_keys = {ApiKey("k")};
  return c;
}

ConfigError parse_error(std::string_view toml) {
  auto r = parse_config(toml);
  EXPECT_FALSE(r) << "parsed: " << toml;
  return r ? ConfigError{} : r.error();
}

ConfigError validation_error(const WsConfig& c) {
  auto r = validate(c);
  EXPECT_FALSE(r);
  return r ? ConfigError{} : r.error();
}

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A file in the test's temporary directory, removed afterwards.
class TempFile {
 public:
  explicit TempFile(std::string_view text) {
    path_ = std::filesystem::temp_directory_path() /
            ("ws_source_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".toml");
    std::ofstream(path_) << text;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// n distinct valid option contracts.
std::vector<std::string> contracts(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "O:SPY2512%02zuC%08zu", 1 + i % 28, 100000 + i);
    out.emplace_back(buf);
  }
  return out;
}

}  // namespace

// --- defaults ---------------------------------------------------------------------------

TEST(ConfigDefaults, MatchThePrototype) {
  const WsConfig c;
  EXPECT_TRUE(c.api_keys.empty());
  EXPECT_EQ(c.base_url, "wss://socket.massive.com");
  EXPECT_EQ(c.shard_count, 1U);

  EXPECT_EQ(c.feeds.options_quotes, (FeedConfig{true, {}, true}));
  EXPECT_EQ(c.feeds.options_trades, (FeedConfig{true, {"*"}, false}));
  EXPECT_EQ(c.feeds.equity_quotes, (FeedConfig{true, {}, false}));
  EXPECT_EQ(c.feeds.equity_trades, (FeedConfig{true, {"*"}, false}));
  EXPECT_EQ(FeedConfig{}, (FeedConfig{true, {}, false}));
  EXPECT_EQ(FeedConfig::all(), (FeedConfig{true, {"*"}, false}));
  EXPECT_EQ(FeedConfig::by_scheduler(), (FeedConfig{true, {}, true}));

  const ConnectionConfig& n = c.connection;
  EXPECT_EQ(n.connect_timeout_ms, 10000U);
  EXPECT_EQ(n.auth_timeout_ms, 10000U);
  EXPECT_EQ(n.ping_interval_ms, 20000U);
  EXPECT_EQ(n.pong_timeout_ms, 15000U);
  EXPECT_EQ(n.heartbeat_interval_ms, 250U);
  EXPECT_EQ(n.allowed_lateness_ms, 500U);
  EXPECT_EQ(n.queue_capacity, 4096U);
  EXPECT_EQ(n.subscribe_chunk_size, 500U);
  EXPECT_EQ(n.max_future_skew_ms, 60000U);

  const BackoffConfig& b = c.backoff;
  EXPECT_EQ(b.initial_ms, 1000U);
  EXPECT_EQ(b.max_ms, 60000U);
  EXPECT_EQ(b.multiplier, 2.0);
  EXPECT_EQ(b.jitter, 0.1);
  EXPECT_EQ(b.reset_after_healthy_ms, 30000U);

  const BackpressureConfig& p = c.backpressure;
  EXPECT_EQ(p.max_staleness_ms, 100U);
  EXPECT_EQ(p.check_interval_ms, 20U);
  EXPECT_EQ(p.queue_high_ratio, 0.5);
  EXPECT_EQ(p.shed_fraction, 0.25);
  EXPECT_EQ(p.restore_step, 0.25);
  EXPECT_EQ(p.shed_cooldown_ms, 100U);
  EXPECT_EQ(p.restore_after_ms, 2000U);

  const SchedulerConfig& s = c.scheduler;
  EXPECT_EQ(s.top_n, 500U);
  EXPECT_EQ(s.exploration_fraction, 0.01);
  EXPECT_EQ(s.rebalance_interval_s, 5U);
  EXPECT_EQ(s.hysteresis, 0.5);
  EXPECT_EQ(s.exploration_weighting, ExplorationWeighting::Posterior);
  EXPECT_EQ(s.seed, 0x5EEDU);
  EXPECT_EQ(s.exploration_hold_intervals, 2U);
  EXPECT_EQ(s.exploration_memory_epochs, 12U);
  EXPECT_EQ(s.half_life_s, 120.0);
  EXPECT_EQ(s.volume_weight, 0.0);
  EXPECT_EQ(s.put_call_pooling, 0.15);

  EXPECT_TRUE(c.tls.ca_file.empty());  // the system trust store only
}

TEST(ConfigDefaults, NeedOnlyAKey) {
  EXPECT_EQ(validation_error(WsConfig{}).field, "api_keys");
  EXPECT_TRUE(validate(with_key()));
}

TEST(ConfigDefaults, FeedsByTypeAndCluster) {
  WsConfig c;
  c.feeds.equity_quotes.enabled = false;
  EXPECT_EQ(&c.feeds.get(ResourceType::OptionsQuotes), &c.feeds.options_quotes);
  EXPECT_EQ(&c.feeds.get(ResourceType::EquityTrades), &c.feeds.equity_trades);
  EXPECT_EQ(c.feeds.enabled_on(Cluster::Options),
            (std::vector<ResourceType>{ResourceType::OptionsQuotes, ResourceType::OptionsTrades}));
  EXPECT_EQ(c.feeds.enabled_on(Cluster::Stocks), (std::vector<ResourceType>{ResourceType::EquityTrades}));
}

// --- parsing ----------------------------------------------------------------------------

TEST(ConfigParse, EmptyTextIsTheDefaults) {
  auto c = parse_config("");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(*c, WsConfig{});
}

TEST(ConfigParse, ReadsEveryField) {
  auto c = parse_config(R"(
api_keys = ["a", "b"]
base_url = "ws://127.0.0.1:8765/"
shard_count = 2
[feeds.options_quotes]
enabled = false
symbols = ["O:SPY251219C00650000"]
scheduled = false
[feeds.equity_quotes]
symbols = ["AAPL", "MSFT"]
[connection]
connect_timeout_ms = 1
auth_timeout_ms = 2
ping_interval_ms = 3
pong_timeout_ms = 4
heartbeat_interval_ms = 5
allowed_lateness_ms = 6
queue_capacity = 7
subscribe_chunk_size = 8
max_future_skew_ms = 9
[backoff]
initial_ms = 10
max_ms = 11
multiplier = 3        # an integer where a number is expected
jitter = 0.25
reset_after_healthy_ms = 12
[scheduler]
top_n = 13
exploration_fraction = 0.5
rebalance_interval_s = 14
hysteresis = 1.5
exploration_weighting = "uniform"
seed = 15
exploration_hold_intervals = 16
exploration_memory_epochs = 17
half_life_s = 18.5
volume_weight = 0.75
put_call_pooling = 0.3
[backpressure]
max_staleness_ms = 19
queue_high_ratio = 0.6
check_interval_ms = 20
shed_fraction = 0.4
shed_cooldown_ms = 21
restore_after_ms = 22
restore_step = 0.7
[tls]
ca_file = "/etc/ssl/private-ca.pem"
)");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->api_keys.size(), 2U);
  EXPECT_EQ(c->api_keys[1].expose(), "b");
  EXPECT_EQ(c->base_url, "ws://127.0.0.1:8765/");
  EXPECT_EQ(c->shard_count, 2U);
  EXPECT_EQ(c->feeds.options_quotes, (FeedConfig{false, {"O:SPY251219C00650000"}, false}));
  EXPECT_EQ(c->feeds.options_trades, FeedConfig::all());
  EXPECT_EQ(c->feeds.equity_quotes.symbols, (std::vector<std::string>{"AAPL", "MSFT"}));
  EXPECT_EQ(c->connection, (ConnectionConfig{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(c->backoff, (BackoffConfig{10, 11, 3.0, 0.25, 12}));
  EXPECT_EQ(c->scheduler,
            (SchedulerConfig{13, 0.5, 14, 1.5, ExplorationWeighting::Uniform, 15, 16, 17, 18.5, 0.75, 0.3}));
  EXPECT_EQ(c->backpressure, (BackpressureConfig{19, 0.6, 20, 0.4, 21, 22, 0.7}));
  EXPECT_EQ(c->tls.ca_file, "/etc/ssl/private-ca.pem");
}

TEST(ConfigParse, DoesNotValidate) {
  // PROTOTYPE.md section 11, item 3: parsing and validation are separate steps.
  auto c = parse_config("shard_count = 0\n[connection]\nqueue_capacity = 0\n");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->shard_count, 0U);
  EXPECT_FALSE(validate(*c));
}

TEST(ConfigParse, UnknownKeysAreNamedWithTheirLine) {
  auto e = parse_error("api_keys = [\"SECRET\"]\n\n[connection]\npingg = 3\n");
  EXPECT_EQ(e.kind, ConfigError::Kind::Schema);
  EXPECT_EQ(e.field, "connection.pingg");
  EXPECT_EQ(e.line, 4U);
  const std::string text = e.to_string();
  EXPECT_NE(text.find("config field `connection.pingg`: unknown key"), std::string::npos) << text;
  EXPECT_NE(text.find("ping_interval_ms"), std::string::npos) << text;  // the keys it expected
  EXPECT_NE(text.find("(line 4)"), std::string::npos) << text;
  EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;

  EXPECT_EQ(parse_error("shards = 2").field, "shards");
  EXPECT_EQ(parse_error("[feeds.option_quotes]\nenabled = true").field, "feeds.option_quotes");
  EXPECT_EQ(parse_error("[feeds.equity_trades]\nsymbol = []").field, "feeds.equity_trades.symbol");
  EXPECT_EQ(parse_error("[scheduler]\ntopn = 3").field, "scheduler.topn");
  EXPECT_EQ(parse_error("[backoff]\ninitial = 3").field, "backoff.initial");
  EXPECT_EQ(parse_error("[backpressure]\nmax_staleness = 3").field, "backpressure.max_staleness");
  EXPECT_EQ(parse_error("[metrics]\naddr = 3").field, "metrics");
  EXPECT_EQ(parse_error("[tls]\nverify = false").field, "tls.verify");
  // Several unknown keys in one table: the first line is reported.
  auto two = parse_error("[connection]\nzzz = 1\naaa = 2\n");
  EXPECT_EQ(two.field, "connection.zzz");
  EXPECT_EQ(two.line, 2U);
}

TEST(ConfigParse, WrongTypesAreNamed) {
  struct Case {
    const char* toml;
    const char* field;
    const char* message;
  };
  const Case cases[] = {
      {"shard_count = \"two\"", "shard_count", "must be an integer, not a string"},
      {"shard_count = -1", "shard_count", "must be >= 0, got -1"},
      {"shard_count = 1.5", "shard_count", "must be an integer, not a floating-point number"},
      {"base_url = 3", "base_url", "must be a string, not an integer"},
      {"api_keys = \"k\"", "api_keys", "must be an array of strings, not a string"},
      {"api_keys = [\"k\", 7]", "api_keys[1]", "must be a string, not an integer"},
      {"feeds = 1", "feeds", "must be a table, not an integer"},
      {"[feeds.options_quotes]\nenabled = 1", "feeds.options_quotes.enabled", "must be a boolean, not an integer"},
      {"[feeds.equity_trades]\nsymbols = [\"*\", 1]", "feeds.equity_trades.symbols[1]",
       "must be a string, not an integer"},
      {"[backoff]\nmultiplier = \"2\"", "backoff.multiplier", "must be a number, not a string"},
      {"[scheduler]\nexploration_weighting = \"random\"", "scheduler.exploration_weighting",
       R"(must be one of "uniform", "priority", "posterior")"},
      {"[scheduler]\nexploration_weighting = 2", "scheduler.exploration_weighting", "must be a string, not an integer"},
      {"[connection]\nqueue_capacity = 1979-05-27", "connection.queue_capacity", "must be an integer, not a date"},
  };
  for (const Case& c : cases) {
    auto e = parse_error(c.toml);
    EXPECT_EQ(e.kind, ConfigError::Kind::Schema) << c.toml;
    EXPECT_EQ(e.field, c.field) << c.toml;
    EXPECT_EQ(e.message, c.message) << c.toml;
    EXPECT_GE(e.line, 1U) << c.toml;
  }
}

TEST(ConfigParse, SyntaxErrorsGiveTheLineButNoSourceText) {
  const std::string key = kDistinctiveKey;
  const std::string broken[] = {
      "api_keys = [\"" + key + "\"\n",                       // unclosed array
      "api_keys = [\"" + key + "\n",                         // unclosed string
      "\napi_keys = [" + key + "]\n",                        // a bare word as a value
      "api_keys = [\"a\"]\n" + key + "\n",                   // a bare key without a value
      key + " = 1\n" + key + " = 2\n",                       // redefinition
      "api_keys = [\"a\"]\napi_keys = [\"" + key + "\"]\n",  // redefinition of a key
      "[" + key + "\n",                                      // unclosed table header
      "x = 0x" + key + "\n",                                 // bad hex
      "x = \"" + key + "\\q\"\n",                            // bad escape
  };
  for (const std::string& text : broken) {
    auto r = parse_config(text);
    ASSERT_FALSE(r) << text;
    const std::string msg = r.error().to_string();
    EXPECT_EQ(msg.find(key), std::string::npos) << msg;
    EXPECT_EQ(msg.find("DISTINCTIVE"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("ZQX7"), std::string::npos) << msg;
    EXPECT_GE(r.error().line, 1U) << msg;
    EXPECT_NE(msg.find("(line "), std::string::npos) << msg;
  }
  auto e = parse_error("\n\napi_keys = [\"a\"\n");
  EXPECT_EQ(e.kind, ConfigError::Kind::Syntax);
  EXPECT_GE(e.line, 3U);
  EXPECT_EQ(e.to_string().rfind("config file is not valid: ", 0), 0U) << e.to_string();
}

TEST(ConfigParse, ToTomlReadsBackEqualWithKeysRedacted) {
  WsConfig c = with_key();
  c.api_keys.emplace_back(kDistinctiveKey);
  c.base_url = "ws://localhost:8765/\"quoted\"\\";
  c.shard_count = 2;
  c.feeds.equity_quotes.symbols = {"AAPL", "BRK.A"};
  c.feeds.options_quotes.symbols = contracts(3);
  c.backoff.multiplier = 1.0;  // prints as an integer-looking number: must stay a float
  c.backoff.jitter = 0.1 + 0.2;
  c.scheduler.half_life_s = 1e300;
  c.scheduler.exploration_weighting = ExplorationWeighting::Priority;
  c.backpressure.restore_step = std::nextafter(0.25, 1.0);
  c.tls.ca_file = "/tmp/ca.pem";

  const std::string text = to_toml(c);
  EXPECT_EQ(text.find(kDistinctiveKey), std::string::npos) << text;
  std::ostringstream os;
  os << c;
  EXPECT_EQ(os.str(), text);

  auto back = parse_config(text);
  ASSERT_TRUE(back) << back.error() << "\n" << text;
  ASSERT_EQ(back->api_keys.size(), 2U);
  EXPECT_EQ(back->api_keys[1].expose(), "***");
  back->api_keys = c.api_keys;
  EXPECT_EQ(*back, c) << text;
}

// --- validation ---------------------------------------------------------------------------

TEST(ConfigValidate, EveryRuleNamesItsField) {
  struct Case {
    std::function<void(WsConfig&)> change;
    std::string field;
    std::string message;
  };
  const auto scheduler = [](std::string name, std::string rest) { return "scheduler config: `" + name + "` " + rest; };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {[](WsConfig& c) { c.base_url = "socket.massive.com"; }, "base_url",
       "not a URL: missing scheme (expected e.g. wss://host)"},
      {[](WsConfig& c) { c.base_url = "wss://"; }, "base_url", "not a URL: missing host"},
      {[](WsConfig& c) { c.base_url = "wss://user:pw@socket.massive.com"; }, "base_url",
       "not a URL: user info (credentials) in the URL is not supported"},
      {[](WsConfig& c) { c.base_url = "wss://socket.massive.com:99999"; }, "base_url",
       "not a URL: port out of range 1-65535"},
      {[](WsConfig& c) { c.base_url = "ws://socket.massive.com"; }, "base_url",
       "plain ws:// is only allowed for loopback hosts; use wss://"},
      {[](WsConfig& c) { c.base_url = "https://socket.massive.com"; }, "base_url", "unsupported scheme \"https\""},
      {[](WsConfig& c) { c.shard_count = 0; }, "shard_count", "must be at least 1"},
      {[](WsConfig& c) { c.api_keys.clear(); }, "api_keys",
       "no API key: set MASSIVE_API_KEY or `api_keys` in the config file"},
      {[](WsConfig& c) { c.api_keys.emplace_back(" \t"); }, "api_keys[1]", "is empty"},
      {[](WsConfig& c) { c.shard_count = 2; }, "shard_count",
       "2 shards need 2 API keys (Massive allows one connection per cluster per account), but 1 configured"},
      {[](WsConfig& c) { c.feeds.options_trades.scheduled = true; }, "feeds.options_trades.scheduled",
       "only option quotes are scheduled (the other feeds have wildcards)"},
      {[](WsConfig& c) { c.feeds.equity_quotes.scheduled = true; }, "feeds.equity_quotes.scheduled",
       "only option quotes are scheduled (the other feeds have wildcards)"},
      {[](WsConfig& c) {
         c.feeds.options_quotes.symbols = {"O:SPY251219C00650000", "*"};
       },
       "feeds.options_quotes.symbols[1]", "option quotes have no wildcard; list contracts or let the scheduler pick"},
      {[](WsConfig& c) {
         c.feeds.equity_quotes.symbols = {"AAPL", "AA PL"};
       },
       "feeds.equity_quotes.symbols[1]", "\"AA PL\": invalid byte 0x20 at offset 2"},
      {[](WsConfig& c) { c.feeds.equity_trades.symbols = {""}; }, "feeds.equity_trades.symbols[0]", "\"\": empty"},
      {[](WsConfig& c) { c.feeds.equity_quotes.symbols = {"A\x01"}; }, "feeds.equity_quotes.symbols[0]",
       "\"A\\x01\": invalid byte 0x01 at offset 1"},
      {[](WsConfig& c) { c.feeds.options_trades.symbols = {"O:SPY251319C00650000"}; },
       "feeds.options_trades.symbols[0]", "\"O:SPY251319C00650000\": invalid expiry date"},
      {[](WsConfig& c) { c.feeds.options_quotes.symbols = {"AAPL"}; }, "feeds.options_quotes.symbols[0]",
       "\"AAPL\": missing `O:` prefix"},
      {[](WsConfig& c) { c.connection.connect_timeout_ms = 0; }, "connection.connect_timeout_ms",
       "must be greater than 0"},
      {[](WsConfig& c) { c.connection.auth_timeout_ms = 0; }, "connection.auth_timeout_ms", "must be greater than 0"},
      {[](WsConfig& c) { c.connection.ping_interval_ms = 0; }, "connection.ping_interval_ms", "must be greater than 0"},
      {[](WsConfig& c) { c.connection.pong_timeout_ms = 0; }, "connection.pong_timeout_ms", "must be greater than 0"},
      {[](WsConfig& c) { c.connection.heartbeat_interval_ms = 0; }, "connection.heartbeat_interval_ms",
       "must be greater than 0"},
      {[](WsConfig& c) { c.connection.pong_timeout_ms = 86'400'001; }, "connection.pong_timeout_ms",
       "must be at most 86400000 (one day)"},
      {[](WsConfig& c) { c.connection.allowed_lateness_ms = UINT64_MAX; }, "connection.allowed_lateness_ms",
       "must be at most 86400000 (one day)"},
      {[](WsConfig& c) { c.connection.queue_capacity = 0; }, "connection.queue_capacity", "must be greater than 0"},
      {[](WsConfig& c) { c.connection.queue_capacity = (1U << 20) + 1; }, "connection.queue_capacity",
       "must be at most 1048576"},
      {[](WsConfig& c) { c.connection.subscribe_chunk_size = 0; }, "connection.subscribe_chunk_size",
       "must be greater than 0"},
      {[](WsConfig& c) { c.connection.max_future_skew_ms = 86'400'001; }, "connection.max_future_skew_ms",
       "must be at most 86400000 (one day)"},
      {[](WsConfig& c) { c.backoff.initial_ms = 0; }, "backoff.initial_ms", "must be greater than 0"},
      {[](WsConfig& c) { c.backoff.max_ms = 999; }, "backoff.max_ms", "must be at least backoff.initial_ms"},
      {[](WsConfig& c) { c.backoff.max_ms = 86'400'001; }, "backoff.max_ms", "must be at most 86400000 (one day)"},
      {[](WsConfig& c) { c.backoff.multiplier = 0.5; }, "backoff.multiplier", "must be a finite number >= 1"},
      {[nan](WsConfig& c) { c.backoff.multiplier = nan; }, "backoff.multiplier", "must be a finite number >= 1"},
      {[inf](WsConfig& c) { c.backoff.multiplier = inf; }, "backoff.multiplier", "must be a finite number >= 1"},
      {[](WsConfig& c) { c.backoff.jitter = 0.51; }, "backoff.jitter", "must be within [0, 0.5]"},
      {[](WsConfig& c) { c.backoff.jitter = -0.01; }, "backoff.jitter", "must be within [0, 0.5]"},
      {[nan](WsConfig& c) { c.backoff.jitter = nan; }, "backoff.jitter", "must be within [0, 0.5]"},
      {[](WsConfig& c) { c.backoff.reset_after_healthy_ms = 0; }, "backoff.reset_after_healthy_ms",
       "must be greater than 0"},
      {[](WsConfig& c) { c.backoff.reset_after_healthy_ms = 86'400'001; }, "backoff.reset_after_healthy_ms",
       "must be at most 86400000 (one day)"},
      {[](WsConfig& c) { c.backpressure.max_staleness_ms = 0; }, "backpressure.max_staleness_ms",
       "must be greater than 0"},
      {[](WsConfig& c) { c.backpressure.check_interval_ms = 0; }, "backpressure.check_interval_ms",
       "must be greater than 0"},
      {[](WsConfig& c) { c.backpressure.queue_high_ratio = 0; }, "backpressure.queue_high_ratio",
       "must be within (0, 1]"},
      {[](WsConfig& c) { c.backpressure.shed_fraction = 1.01; }, "backpressure.shed_fraction", "must be within (0, 1]"},
      {[nan](WsConfig& c) { c.backpressure.restore_step = nan; }, "backpressure.restore_step", "must be within (0, 1]"},
      {[](WsConfig& c) { c.backpressure.shed_cooldown_ms = 86'400'001; }, "backpressure.shed_cooldown_ms",
       "must be at most 86400000 (one day)"},
      {[](WsConfig& c) { c.backpressure.restore_after_ms = UINT64_MAX; }, "backpressure.restore_after_ms",
       "must be at most 86400000 (one day)"},
      {[nan](WsConfig& c) { c.scheduler.exploration_fraction = nan; }, "scheduler.exploration_fraction",
       scheduler("exploration_fraction", "must be finite, got NaN")},
      {[](WsConfig& c) { c.scheduler.exploration_fraction = 1.5; }, "scheduler.exploration_fraction",
       scheduler("exploration_fraction", "= 1.5 is out of range: within [0, 1]")},
      {[](WsConfig& c) { c.scheduler.rebalance_interval_s = 0; }, "scheduler.rebalance_interval_s",
       scheduler("rebalance_interval_s", "= 0 is out of range: >= 1 second")},
      {[](WsConfig& c) { c.scheduler.rebalance_interval_s = 86401; }, "scheduler.rebalance_interval_s",
       scheduler("rebalance_interval_s", "= 86401 is out of range: <= 86400 seconds (one day)")},
      {[inf](WsConfig& c) { c.scheduler.hysteresis = inf; }, "scheduler.hysteresis",
       scheduler("hysteresis", "must be finite, got inf")},
      {[](WsConfig& c) { c.scheduler.hysteresis = -1; }, "scheduler.hysteresis",
       scheduler("hysteresis", "= -1 is out of range: >= 0")},
      {[](WsConfig& c) { c.scheduler.exploration_hold_intervals = 0; }, "scheduler.exploration_hold_intervals",
       scheduler("exploration_hold_intervals", "= 0 is out of range: >= 1")},
      {[](WsConfig& c) { c.scheduler.exploration_memory_epochs = 0; }, "scheduler.exploration_memory_epochs",
       scheduler("exploration_memory_epochs", "= 0 is out of range: >= 1")},
      {[](WsConfig& c) { c.scheduler.half_life_s = 0; }, "scheduler.half_life_s",
       scheduler("half_life_s", "= 0 is out of range: between 0.001 and 1e9 seconds")},
      {[](WsConfig& c) { c.scheduler.half_life_s = 1e300; }, "scheduler.half_life_s",
       scheduler("half_life_s", "= 1e+300 is out of range: between 0.001 and 1e9 seconds")},
      {[](WsConfig& c) { c.scheduler.volume_weight = -2; }, "scheduler.volume_weight",
       scheduler("volume_weight", "= -2 is out of range: >= 0")},
      {[](WsConfig& c) { c.scheduler.put_call_pooling = 1.5; }, "scheduler.put_call_pooling",
       scheduler("put_call_pooling", "= 1.5 is out of range: within [0, 1]")},
      {[nan](WsConfig& c) { c.scheduler.put_call_pooling = nan; }, "scheduler.put_call_pooling",
       scheduler("put_call_pooling", "must be finite, got NaN")},
      {[](WsConfig& c) { c.scheduler.top_n = 1001; }, "scheduler.top_n",
       scheduler("top_n", "= 1001 is out of range: <= 1000 (the option-quote limit of one connection)")},
  };
  for (const Case& k : cases) {
    WsConfig c = with_key();
    k.change(c);
    const ConfigError e = validation_error(c);
    EXPECT_EQ(e.kind, ConfigError::Kind::Invalid) << k.field;
    EXPECT_EQ(e.field, k.field);
    EXPECT_EQ(e.message, k.message) << k.field;
    EXPECT_EQ(e.to_string(), "config field `" + k.field + "`: " + k.message);
  }
}

TEST(ConfigValidate, ReportsTheFirstBadFieldInThePrototypesOrder) {
  WsConfig c;  // no key
  c.base_url = "ftp://x";
  c.shard_count = 0;
  c.connection.queue_capacity = 0;
  c.scheduler.top_n = 5000;
  EXPECT_EQ(validation_error(c).field, "base_url");
  c.base_url = "wss://x";
  EXPECT_EQ(validation_error(c).field, "shard_count");
  c.shard_count = 1;
  EXPECT_EQ(validation_error(c).field, "api_keys");
  c.api_keys = {ApiKey("k")};
  c.feeds.options_quotes.symbols = {"*"};
  EXPECT_EQ(validation_error(c).field, "feeds.options_quotes.symbols[0]");
  c.feeds.options_quotes.symbols.clear();
  EXPECT_EQ(validation_error(c).field, "connection.queue_capacity");
  c.connection.queue_capacity = 1;
  c.backoff.jitter = 1;
  c.backpressure.shed_fraction = 0;
  EXPECT_EQ(validation_error(c).field, "backoff.jitter");
  c.backoff.jitter = 0;
  EXPECT_EQ(validation_error(c).field, "backpressure.shed_fraction");
  c.backpressure.shed_fraction = 1;
  EXPECT_EQ(validation_error(c).field, "scheduler.top_n");
  c.scheduler.top_n = 1000;
  EXPECT_TRUE(validate(c));
}

TEST(ConfigValidate, LoopbackMayUsePlainWs) {
  for (const char* url :
       {"ws://127.0.0.1:9", "ws://localhost", "ws://LOCALHOST:8765/", "ws://127.1.2.3", "ws://[::1]:8765",
        "wss://socket.massive.com", "wss://delayed.massive.com/", "WSS://Socket.Massive.com:443"}) {
    WsConfig c = with_key();
    c.base_url = url;
    EXPECT_TRUE(validate(c)) << url;
  }
  for (const char* url : {"ws://10.0.0.1", "ws://localhost.example.com", "ws://[::2]", "ws://128.0.0.1"}) {
    WsConfig c = with_key();
    c.base_url = url;
    EXPECT_EQ(validation_error(c).field, "base_url") << url;
  }
}

TEST(ConfigValidate, PinnedQuotesAreLimitedPerShardAfterHashing) {
  // PROTOTYPE.md section 11, item 2: the prototype allowed 1000 × shard_count in total, so one
  // shard could be handed more than a connection may hold.
  WsConfig c = with_key();
  c.api_keys = {ApiKey("a"), ApiKey("b")};
  c.shard_count = 2;
  std::vector<std::string> shard0;
  std::vector<std::string> shard1;
  for (const std::string& s : contracts(4000)) {
    (shard_for(s, 2) == 0 ? shard0 : shard1).push_back(s);
  }
  ASSERT_GE(shard0.size(), 1001U);
  ASSERT_GE(shard1.size(), 1000U);

  // 1000 on each shard: fine (2000 in all).
  c.feeds.options_quotes.symbols.assign(shard0.begin(), shard0.begin() + 1000);
  c.feeds.options_quotes.symbols.insert(c.feeds.options_quotes.symbols.end(), shard1.begin(), shard1.begin() + 1000);
  EXPECT_TRUE(validate(c));

  // 1001 on shard 0 and 10 on shard 1: 1011 in all, below the prototype's 2000, still refused.
  c.feeds.options_quotes.symbols.assign(shard0.begin(), shard0.begin() + 1001);
  c.feeds.options_quotes.symbols.insert(c.feeds.options_quotes.symbols.end(), shard1.begin(), shard1.begin() + 10);
  const ConfigError e = validation_error(c);
  EXPECT_EQ(e.field, "feeds.options_quotes.symbols");
  EXPECT_EQ(e.message, "1001 symbols fall on shard 0 of 2, more than the 1000 one connection may subscribe");

  // Repeats count once.
  c.feeds.options_quotes.symbols.assign(shard0.begin(), shard0.begin() + 1000);
  c.feeds.options_quotes.symbols.push_back(shard0.front());
  EXPECT_TRUE(validate(c));

  // Option trades have no limit.
  c.feeds.options_quotes.symbols.clear();
  c.feeds.options_trades.symbols = contracts(3000);
  EXPECT_TRUE(validate(c));
}

TEST(ConfigValidate, SchedulerAloneUsesTheSameRules) {
  SchedulerConfig s;
  EXPECT_TRUE(validate(s));
  s.top_n = 5000;  // the scheduler alone does not know a connection's limit
  EXPECT_TRUE(validate(s));
  s.hysteresis = -0.5;
  auto r = validate(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "scheduler.hysteresis");
}

// --- URLs -------------------------------------------------------------------------------

TEST(ConfigUrl, ClusterUrlAppendsThePath) {
  WsConfig c;
  EXPECT_EQ(cluster_url(c, Cluster::Options), "wss://socket.massive.com/options");
  EXPECT_EQ(cluster_url(c, Cluster::Stocks), "wss://socket.massive.com/stocks");
  c.base_url = "wss://delayed.massive.com//";
  EXPECT_EQ(cluster_url(c, Cluster::Stocks), "wss://delayed.massive.com/stocks");
  c.base_url = "ws://127.0.0.1:8765/delayed";
  EXPECT_EQ(cluster_url(c, Cluster::Options), "ws://127.0.0.1:8765/delayed/options");
}

TEST(ConfigUrl, ParsesHostPortAndTarget) {
  auto u = parse_url("wss://Socket.Massive.com/options");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->scheme, "wss");
  EXPECT_EQ(u->host, "socket.massive.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_FALSE(u->explicit_port);
  EXPECT_EQ(u->target, "/options");
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->authority(), "socket.massive.com");

  u = parse_url("ws://[::1]:8765");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8765);
  EXPECT_EQ(u->target, "/");
  EXPECT_FALSE(u->tls());
  EXPECT_EQ(u->authority(), "[::1]:8765");
  EXPECT_TRUE(check_ws_url(*u));

  EXPECT_EQ(parse_url("ws://h")->port, 80);
  EXPECT_EQ(parse_url("").error(), "empty");
  EXPECT_EQ(parse_url("wss://a b").error(), "contains a space, a control character or a non-ASCII byte");
  EXPECT_EQ(parse_url("wss://h/x?key=1").error(), "a query or fragment is not supported");
  EXPECT_EQ(parse_url("wss://h:").error(), "invalid port");
  EXPECT_EQ(parse_url("wss://h:0").error(), "port out of range 1-65535");
  EXPECT_EQ(parse_url("wss://[::1").error(), "unclosed '[' in the host");
  EXPECT_EQ(parse_url("wss://[zz]").error(), "invalid IPv6 address");
  EXPECT_EQ(parse_url("1ws://h").error(), "invalid scheme");
  EXPECT_EQ(parse_url("wss://h%41").error(), "invalid character in the host");
  // The credentials are not repeated in the error.
  auto creds = parse_url(std::string("wss://user:") + kDistinctiveKey + "@h");
  ASSERT_FALSE(creds);
  EXPECT_EQ(creds.error().find(kDistinctiveKey), std::string::npos);
}

TEST(ConfigUrl, LoopbackHosts) {
  for (const char* h : {"localhost", "LocalHost", "localhost.", "127.0.0.1", "127.255.0.9", "::1", "0:0:0:0:0:0:0:1",
                        "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(h)) << h;
  }
  for (const char* h :
       {"", "localhost.localdomain", "127.1", "128.0.0.1", "10.0.0.1", "::2", "::ffff:10.0.0.1", "example.com"}) {
    EXPECT_FALSE(is_loopback_host(h)) << h;
  }
}

// --- environment and files ----------------------------------------------------------------

TEST(ConfigEnv, TakesTheTrimmedKeyOnlyWhenNoneIsConfigured) {
  {
    ScopedEnv env("MASSIVE_API_KEY", "  from-env \n");
    WsConfig c;
    apply_env(c);
    ASSERT_EQ(c.api_keys.size(), 1U);
    EXPECT_EQ(c.api_keys[0].expose(), "from-env");

    WsConfig configured = with_key();
    apply_env(configured);
    ASSERT_EQ(configured.api_keys.size(), 1U);
    EXPECT_EQ(configured.api_keys[0].expose(), "k");
  }
  {
    ScopedEnv env("MASSIVE_API_KEY", " \t ");
    WsConfig c;
    apply_env(c);
    EXPECT_TRUE(c.api_keys.empty());
  }
  {
    ScopedEnv env("MASSIVE_API_KEY", nullptr);
    WsConfig c;
    apply_env(c);
    EXPECT_TRUE(c.api_keys.empty());
  }
}

TEST(ConfigFile, TheExampleFileIsValid) {
  ScopedEnv env("MASSIVE_API_KEY", "example-key");
  auto c = load_config(WS_SOURCE_EXAMPLE_CONFIG);
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->feeds.options_quotes.scheduled);
  EXPECT_EQ(c->feeds.equity_quotes.symbols, (std::vector<std::string>{"AAPL", "MSFT", "NVDA"}));
  ASSERT_EQ(c->api_keys.size(), 1U);
  EXPECT_EQ(c->api_keys[0].expose(), "example-key");
  // Apart from the equity quotes it lists, the example shows the defaults.
  WsConfig expected = with_key();
  expected.api_keys = c->api_keys;
  expected.feeds.equity_quotes.symbols = {"AAPL", "MSFT", "NVDA"};
  EXPECT_EQ(*c, expected);
}

TEST(ConfigFile, LoadReadsParsesAppliesTheEnvironmentAndValidates) {
  ScopedEnv env("MASSIVE_API_KEY", "env-key");
  {
    TempFile f("shard_count = 1\n[connection]\nqueue_capacity = 64\n");
    auto c = load_config(f.path());
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->connection.queue_capacity, 64U);
    EXPECT_EQ(c->api_keys.at(0).expose(), "env-key");
  }
  {
    TempFile f("[connection]\nqueue_capacity = 0\n");
    auto c = load_config(f.path());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, ConfigError::Kind::Invalid);
    EXPECT_EQ(c.error().path, f.path().string());
    EXPECT_EQ(c.error().to_string(),
              f.path().string() + ": config field `connection.queue_capacity`: must be greater than 0");
  }
  {
    TempFile f("[connection\n");
    auto c = load_config(f.path());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, ConfigError::Kind::Syntax);
    EXPECT_EQ(c.error().to_string().rfind("config file " + f.path().string() + " is not valid: ", 0), 0U) << c.error();
  }
}

TEST(ConfigFile, IoErrorsNameThePath) {
  const std::filesystem::path missing = std::filesystem::temp_directory_path() / "ws_source_no_such_config.toml";
  auto c = load_config(missing);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ConfigError::Kind::Io);
  EXPECT_EQ(c.error().to_string(), "cannot read config file " + missing.string() + ": No such file or directory");

  auto dir = load_config(std::filesystem::temp_directory_path());
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().kind, ConfigError::Kind::Io);
  EXPECT_NE(dir.error().to_string().find(std::filesystem::temp_directory_path().string()), std::string::npos);
}

// --- the key is never shown -----------------------------------------------------------------

TEST(ConfigSecret, TheKeyNeverAppearsInFormattedOutput) {
  const ApiKey key(kDistinctiveKey);
  EXPECT_EQ(key.expose(), kDistinctiveKey);
  std::ostringstream os;
  os << key;
  EXPECT_EQ(os.str(), "ApiKey(***)");
  EXPECT_EQ(testing::PrintToString(key), "ApiKey(***)");
  EXPECT_EQ(testing::PrintToString(std::vector<ApiKey>{key, key}).find(kDistinctiveKey), std::string::npos);

  WsConfig c;
  c.api_keys = {key};
  std::ostringstream dump;
  dump << c;
  EXPECT_EQ(dump.str().find(kDistinctiveKey), std::string::npos);
  EXPECT_NE(dump.str().find("api_keys = [\"***\"]"), std::string::npos) << dump.str();
  EXPECT_EQ(testing::PrintToString(c).find(kDistinctiveKey), std::string::npos);
}

TEST(ConfigSecret, TheKeyNeverAppearsInErrors) {
  const std::string k = kDistinctiveKey;
  // Errors of configurations that hold the key somewhere.
  std::vector<std::string> texts = {
      "api_keys = [\"" + k + "\"]\nshard_count = 2\n",                     // validation: shard_count
      "api_keys = [\"" + k + "\", \"\"]\n",                                // validation: api_keys[1]
      "api_keys = [\"" + k + "\", 3]\n",                                   // schema: api_keys[1]
      "api_keys = [\"" + k + "\"]\nbase_url = \"ws://example.com\"\n",     // validation: base_url
      "api_keys = [\"" + k + "\"]\n[connection]\nqueue_capacity = \"x\"",  // schema
      "api_keys = [\"" + k + "\"]\n[connection]\npingg = 1\n",             // unknown key
      "api_keys = [\"" + k + "\"]\n[connection\n",                         // syntax
      "base_url = \"wss://u:" + k + "@h\"\napi_keys = [\"a\"]\n",          // credentials in the URL
  };
  for (const std::string& t : texts) {
    ConfigError e;
    auto parsed = parse_config(t);
    if (!parsed) {
      e = parsed.error();
    } else {
      auto ok = validate(*parsed);
      ASSERT_FALSE(ok) << t;
      e = ok.error();
    }
    const std::string text = e.to_string();
    EXPECT_EQ(text.find(k), std::string::npos) << text;
    std::ostringstream os;
    os << e;
    EXPECT_EQ(os.str(), text);
  }
  // And through a file.
  ScopedEnv env("MASSIVE_API_KEY", kDistinctiveKey);
  TempFile f("shard_count = 3\n");
  auto c = load_config(f.path());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().field, "shard_count");
  EXPECT_EQ(c.error().to_string().find(k), std::string::npos) << c.error();
}

TEST(ConfigSecret, CopiesMovesAndBlankness) {
  ApiKey a(kDistinctiveKey);
  ApiKey b = a;
  EXPECT_EQ(a, b);
  ApiKey c = std::move(b);
  EXPECT_EQ(c.expose(), kDistinctiveKey);
  EXPECT_TRUE(b.expose().empty());  // NOLINT(bugprone-use-after-move): moved-from keys are wiped, empty
  b = c;
  EXPECT_EQ(b, c);
  c = ApiKey("short");
  EXPECT_EQ(c.expose(), "short");
  EXPECT_TRUE(ApiKey().is_blank());
  EXPECT_TRUE(ApiKey(" \t\n").is_blank());
  EXPECT_FALSE(ApiKey(" x ").is_blank());
  Secret s = a;  // the alias
  EXPECT_EQ(s, a);
}

TEST(ConfigSecret, ParserMessagesLoseTheirQuotedFragments) {
  using detail::redact_quoted;
  EXPECT_EQ(redact_quoted("expected '=', saw 'x'"), "expected '=', saw '\xe2\x80\xa6'");
  EXPECT_EQ(redact_quoted("saw '\\n'"), "saw '\\n'");
  EXPECT_EQ(redact_quoted("cannot redefine existing array 'api_keys'"),
            "cannot redefine existing array '\xe2\x80\xa6'");
  EXPECT_EQ(redact_quoted("'sk-123' could not be interpreted"), "'\xe2\x80\xa6' could not be interpreted");
  EXPECT_EQ(redact_quoted("unclosed 'sk-123"), "unclosed '\xe2\x80\xa6'");
  EXPECT_EQ(redact_quoted("a\tb\x01"), "a b ");
  EXPECT_EQ(redact_quoted("no quotes"), "no quotes");
}
