// Copyright (c) James Kassemi, SC, US. All rights reserved.
// to_toml: the effective configuration as TOML, every API key written as "***".
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/config.hpp"

namespace ws_source {
namespace {

// A TOML basic string.
std::string str(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A TOML float that reads back to the same double: shortest round-trip digits, with ".0" when
// they look like an integer; nan and inf in TOML's spelling.
std::string num(double v) {
  if (std::isnan(v)) {
    return "nan";
  }
  if (std::isinf(v)) {
    return v > 0 ? "inf" : "-inf";
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string out(buf, ec == std::errc{} ? end : buf);
  if (out.find_first_of(".eE") == std::string::npos) {
    out += ".0";
  }
  return out;
}

std::string b(bool v) { return v ? "true" : "false"; }

class Writer {
 public:
  void table(std::string_view name) { out_ << (first_ ? "" : "\n") << '[' << name << "]\n"; }
  template <class T>
  void kv(std::string_view key, const T& value) {
    first_ = false;
    out_ << key << " = " << value << '\n';
  }
  [[nodiscard]] std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
  bool first_{true};
};

std::string strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    out += (i ? ", " : "") + str(v[i]);
  }
  return out + "]";
}

}  // namespace

std::string to_toml(const WsConfig& c) {
  Writer w;
  std::string keys = "[";
  for (std::size_t i = 0; i < c.api_keys.size(); ++i) {
    keys += i ? ", \"***\"" : "\"***\"";
  }
  w.kv("api_keys", keys + "]");
  w.kv("base_url", str(c.base_url));
  w.kv("shard_count", c.shard_count);
  for (ResourceType rt : kAllResourceTypes) {
    const FeedConfig& f = c.feeds.get(rt);
    w.table("feeds." + std::string(to_string(rt)));
    w.kv("enabled", b(f.enabled));
    w.kv("symbols", strings(f.symbols));
    w.kv("scheduled", b(f.scheduled));
  }
  const ConnectionConfig& n = c.connection;
  w.table("connection");
  w.kv("connect_timeout_ms", n.connect_timeout_ms);
  w.kv("auth_timeout_ms", n.auth_timeout_ms);
  w.kv("ping_interval_ms", n.ping_interval_ms);
  w.kv("pong_timeout_ms", n.pong_timeout_ms);
  w.kv("heartbeat_interval_ms", n.heartbeat_interval_ms);
  w.kv("allowed_lateness_ms", n.allowed_lateness_ms);
  w.kv("queue_capacity", n.queue_capacity);
  w.kv("subscribe_chunk_size", n.subscribe_chunk_size);
  w.kv("max_future_skew_ms", n.max_future_skew_ms);
  const BackoffConfig& bo = c.backoff;
  w.table("backoff");
  w.kv("initial_ms", bo.initial_ms);
  w.kv("max_ms", bo.max_ms);
  w.kv("multiplier", num(bo.multiplier));
  w.kv("jitter", num(bo.jitter));
  w.kv("reset_after_healthy_ms", bo.reset_after_healthy_ms);
  const SchedulerConfig& s = c.scheduler;
  w.table("scheduler");
  w.kv("top_n", s.top_n);
  w.kv("exploration_fraction", num(s.exploration_fraction));
  w.kv("rebalance_interval_s", s.rebalance_interval_s);
  w.kv("hysteresis", num(s.hysteresis));
  w.kv("exploration_weighting", str(to_string(s.exploration_weighting)));
  w.kv("seed", s.seed);
  w.kv("exploration_hold_intervals", s.exploration_hold_intervals);
  w.kv("exploration_memory_epochs", s.exploration_memory_epochs);
  w.kv("half_life_s", num(s.half_life_s));
  w.kv("volume_weight", num(s.volume_weight));
  w.kv("put_call_pooling", num(s.put_call_pooling));
  const BackpressureConfig& bp = c.backpressure;
  w.table("backpressure");
  w.kv("max_staleness_ms", bp.max_staleness_ms);
  w.kv("queue_high_ratio", num(bp.queue_high_ratio));
  w.kv("check_interval_ms", bp.check_interval_ms);
  w.kv("shed_fraction", num(bp.shed_fraction));
  w.kv("shed_cooldown_ms", bp.shed_cooldown_ms);
  w.kv("restore_after_ms", bp.restore_after_ms);
  w.kv("restore_step", num(bp.restore_step));
  w.table("tls");
  w.kv("ca_file", str(c.tls.ca_file));
  return w.str();
}

std::ostream& operator<<(std::ostream& os, const WsConfig& config) { return os << to_toml(config); }

}  // namespace ws_source
