// Copyright (c) James Kassemi, SC, US. All rights reserved.
// parse_config: TOML text -> WsConfig, with toml++ (the only translation unit that includes it).
// toml++ is built with exceptions on Debian (its ABI namespace `ex`), so its parse_error is
// caught here and turned into a ConfigError; nothing else escapes but std::bad_alloc.
//
// Each table is read through a TableReader that knows the table's dotted prefix, records the keys
// it reads, and afterwards reports any other key as unknown (the one on the lowest line first).
// The first error wins; later reads are no-ops.
#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config/redact.hpp"
#include "ws_source/config.hpp"

namespace ws_source {
namespace {

std::string_view type_name(toml::node_type t) noexcept {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::size_t line_of(const toml::source_region& r) noexcept { return r.begin.line; }

// Holds the first error of a parse.
struct ErrorSink {
  std::optional<ConfigError> error;

  [[nodiscard]] bool failed() const noexcept { return error.has_value(); }
  void schema(std::string field, std::string message, std::size_t line) {
    if (!error) {
      error = ConfigError{ConfigError::Kind::Schema, std::move(field), std::move(message), line, {}};
    }
  }
};

class TableReader {
 public:
  // `table` may be null (the table is absent: every read keeps its default).
  TableReader(const toml::table* table, std::string prefix, ErrorSink& sink)
      : table_(table), prefix_(std::move(prefix)), sink_(sink) {}

  template <class T>
  requires(std::is_unsigned_v<T> && !std::is_same_v<T, bool>) void read(std::string_view key, T& out) {
    const toml::node* n = find(key);
    if (n == nullptr) {
      return;
    }
    const auto* v = n->as_integer();
    if (v == nullptr) {
      wrong_type(key, *n, "an integer");
      return;
    }
    const std::int64_t x = v->get();
    if (x < 0) {
      sink_.schema(field(key), "must be >= 0, got " + std::to_string(x), line_of(n->source()));
      return;
    }
    if constexpr (std::numeric_limits<T>::max() < std::numeric_limits<std::uint64_t>::max()) {
      if (static_cast<std::uint64_t>(x) > std::numeric_limits<T>::max()) {
        sink_.schema(field(key), "is too large", line_of(n->source()));
        return;
      }
    }
    out = static_cast<T>(x);
  }

  void read(std::string_view key, bool& out) {
    if (const toml::node* n = find(key)) {
      if (const auto* v = n->as_boolean()) {
        out = v->get();
      } else {
        wrong_type(key, *n, "a boolean");
      }
    }
  }

  // An integer is accepted where a number is expected (`multiplier = 2`).
  void read(std::string_view key, double& out) {
    if (const toml::node* n = find(key)) {
      if (const auto* f = n->as_floating_point()) {
        out = f->get();
      } else if (const auto* i = n->as_integer()) {
        out = static_cast<double>(i->get());
      } else {
        wrong_type(key, *n, "a number");
      }
    }
  }

  void read(std::string_view key, std::string& out) {
    if (const toml::node* n = find(key)) {
      if (const auto* v = n->as_string()) {
        out = v->get();
      } else {
        wrong_type(key, *n, "a string");
      }
    }
  }

  void read(std::string_view key, std::vector<std::string>& out) {
    read_strings(
        key, [&](std::string s) { out.push_back(std::move(s)); }, [&] { out.clear(); });
  }

  void read(std::string_view key, std::vector<ApiKey>& out) {
    read_strings(
        key, [&](std::string s) { out.emplace_back(std::move(s)); }, [&] { out.clear(); });
  }

  void read(std::string_view key, ExplorationWeighting& out) {
    const toml::node* n = find(key);
    if (n == nullptr) {
      return;
    }
    const auto* v = n->as_string();
    if (v == nullptr) {
      wrong_type(key, *n, "a string");
      return;
    }
    for (auto w : {ExplorationWeighting::Uniform, ExplorationWeighting::Priority, ExplorationWeighting::Posterior}) {
      if (v->get() == to_string(w)) {
        out = w;
        return;
      }
    }
    sink_.schema(field(key), R"(must be one of "uniform", "priority", "posterior")", line_of(n->source()));
  }

  // The sub-table `key` (absent: a reader of nothing, so the defaults stay).
  [[nodiscard]] TableReader table(std::string_view key) {
    const toml::node* n = find(key);
    const toml::table* t = nullptr;
    if (n != nullptr) {
      t = n->as_table();
      if (t == nullptr) {
        wrong_type(key, *n, "a table");
      }
    }
    return TableReader(t, field(key) + ".", sink_);
  }

  // Reports the first (lowest-line) key of the table that no read asked for.
  void finish() {
    if (table_ == nullptr || sink_.failed()) {
      return;
    }
    const toml::key* unknown = nullptr;
    for (const auto& [k, v] : *table_) {
      (void)v;
      if (!is_known(k.str()) && (unknown == nullptr || k.source().begin < unknown->source().begin)) {
        unknown = &k;
      }
    }
    if (unknown != nullptr) {
      std::string expected;
      for (std::string_view k : known_) {
        expected += expected.empty() ? "" : ", ";
        expected += k;
      }
      sink_.schema(field(unknown->str()), "unknown key (expected one of: " + expected + ")",
                   line_of(unknown->source()));
    }
  }

 private:
  [[nodiscard]] std::string field(std::string_view key) const { return prefix_ + std::string(key); }

  [[nodiscard]] bool is_known(std::string_view key) const noexcept {
    for (std::string_view k : known_) {
      if (k == key) {
        return true;
      }
    }
    return false;
  }

  // Marks `key` as known and returns its node, or null when absent or after an error.
  const toml::node* find(std::string_view key) {
    known_.push_back(key);
    if (table_ == nullptr || sink_.failed()) {
      return nullptr;
    }
    return table_->get(key);
  }

  void wrong_type(std::string_view key, const toml::node& n, std::string_view expected) {
    sink_.schema(field(key), "must be " + std::string(expected) + ", not " + std::string(type_name(n.type())),
                 line_of(n.source()));
  }

  // An array of strings; an element of another type is named by its index, never quoted (it
  // may be a key).
  template <class Push, class Clear>
  void read_strings(std::string_view key, Push push, Clear clear) {
    const toml::node* n = find(key);
    if (n == nullptr) {
      return;
    }
    const auto* arr = n->as_array();
    if (arr == nullptr) {
      wrong_type(key, *n, "an array of strings");
      return;
    }
    clear();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      const auto* s = el.as_string();
      if (s == nullptr) {
        sink_.schema(field(key) + "[" + std::to_string(i) + "]",
                     "must be a string, not " + std::string(type_name(el.type())), line_of(el.source()));
        return;
      }
      push(s->get());
    }
  }

  const toml::table* table_;
  std::string prefix_;
  ErrorSink& sink_;
  std::vector<std::string_view> known_;
};

void read_feed(TableReader t, FeedConfig& f) {
  t.read("enabled", f.enabled);
  t.read("symbols", f.symbols);
  t.read("scheduled", f.scheduled);
  t.finish();
}

void read_feeds(TableReader t, FeedsConfig& f) {
  for (ResourceType rt : kAllResourceTypes) {
    read_feed(t.table(to_string(rt)), f.get(rt));
  }
  t.finish();
}

void read_connection(TableReader t, ConnectionConfig& c) {
  t.read("connect_timeout_ms", c.connect_timeout_ms);
  t.read("auth_timeout_ms", c.auth_timeout_ms);
  t.read("ping_interval_ms", c.ping_interval_ms);
  t.read("pong_timeout_ms", c.pong_timeout_ms);
  t.read("heartbeat_interval_ms", c.heartbeat_interval_ms);
  t.read("allowed_lateness_ms", c.allowed_lateness_ms);
  t.read("queue_capacity", c.queue_capacity);
  t.read("subscribe_chunk_size", c.subscribe_chunk_size);
  t.read("max_future_skew_ms", c.max_future_skew_ms);
  t.finish();
}

void read_backoff(TableReader t, BackoffConfig& b) {
  t.read("initial_ms", b.initial_ms);
  t.read("max_ms", b.max_ms);
  t.read("multiplier", b.multiplier);
  t.read("jitter", b.jitter);
  t.read("reset_after_healthy_ms", b.reset_after_healthy_ms);
  t.finish();
}

void read_backpressure(TableReader t, BackpressureConfig& b) {
  t.read("max_staleness_ms", b.max_staleness_ms);
  t.read("queue_high_ratio", b.queue_high_ratio);
  t.read("check_interval_ms", b.check_interval_ms);
  t.read("shed_fraction", b.shed_fraction);
  t.read("shed_cooldown_ms", b.shed_cooldown_ms);
  t.read("restore_after_ms", b.restore_after_ms);
  t.read("restore_step", b.restore_step);
  t.finish();
}

void read_scheduler(TableReader t, SchedulerConfig& s) {
  t.read("top_n", s.top_n);
  t.read("exploration_fraction", s.exploration_fraction);
  t.read("rebalance_interval_s", s.rebalance_interval_s);
  t.read("hysteresis", s.hysteresis);
  t.read("exploration_weighting", s.exploration_weighting);
  t.read("seed", s.seed);
  t.read("exploration_hold_intervals", s.exploration_hold_intervals);
  t.read("exploration_memory_epochs", s.exploration_memory_epochs);
  t.read("half_life_s", s.half_life_s);
  t.read("volume_weight", s.volume_weight);
  t.read("put_call_pooling", s.put_call_pooling);
  t.finish();
}

void read_tls(TableReader t, TlsConfig& tls) {
  t.read("ca_file", tls.ca_file);
  t.finish();
}

}  // namespace

Result<WsConfig, ConfigError> parse_config(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return fail(
        ConfigError{ConfigError::Kind::Syntax, {}, detail::redact_quoted(e.description()), line_of(e.source()), {}});
  }

  WsConfig config;
  ErrorSink sink;
  TableReader top(&root, "", sink);
  top.read("api_keys", config.api_keys);
  top.read("base_url", config.base_url);
  top.read("shard_count", config.shard_count);
  read_feeds(top.table("feeds"), config.feeds);
  read_connection(top.table("connection"), config.connection);
  read_backoff(top.table("backoff"), config.backoff);
  read_scheduler(top.table("scheduler"), config.scheduler);
  read_backpressure(top.table("backpressure"), config.backpressure);
  read_tls(top.table("tls"), config.tls);
  top.finish();
  if (sink.error) {
    return fail(std::move(*sink.error));
  }
  return config;
}

}  // namespace ws_source
