// Copyright (c) James Kassemi, SC, US. All rights reserved.
// validate(): the prototype's rules and messages, in its order, plus the fixes of PROTOTYPE.md
// section 11: items 2 (pinned option quotes are limited per shard after hashing, not in total),
// 3 (parse_config does not validate; load_config does) and 4 (the durations the prototype left
// unchecked are bounded so that ms -> ns never overflows; reset_after_healthy_ms > 0; top_n at
// most one connection's option-quote limit).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ws_source/config.hpp"
#include "ws_source/option_contract.hpp"
#include "ws_source/shard.hpp"
#include "ws_source/symbol.hpp"
#include "ws_source/url.hpp"

namespace ws_source {
namespace {

using Check = Result<void, ConfigError>;

Failure<ConfigError> invalid(std::string field, std::string message) {
  return fail(ConfigError{ConfigError::Kind::Invalid, std::move(field), std::move(message), 0, {}});
}

// Shortest round-trip form, as the prototype printed floats ("1.5", "NaN", "inf").
std::string number(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "inf" : "-inf";
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

// `s` in double quotes, with quotes, backslashes and bytes outside printable ASCII escaped.
std::string quote_text(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

Check duration(std::string_view field, std::uint64_t ms, bool positive) {
  if (positive && ms == 0) {
    return invalid(std::string(field), "must be greater than 0");
  }
  if (ms > kMaxDurationMs) {
    return invalid(std::string(field), "must be at most " + std::to_string(kMaxDurationMs) + " (one day)");
  }
  return {};
}

Check check_base_url(const WsConfig& c) {
  auto url = parse_url(cluster_url(c, Cluster::Stocks));
  if (!url) {
    return invalid("base_url", "not a URL: " + url.error());
  }
  if (auto ok = check_ws_url(*url); !ok) {
    return invalid("base_url", ok.error());
  }
  return {};
}

Check check_keys(const WsConfig& c) {
  if (c.shard_count == 0) {
    return invalid("shard_count", "must be at least 1");
  }
  if (c.api_keys.empty()) {
    return invalid("api_keys", "no API key: set " + std::string(kApiKeyEnv) + " or `api_keys` in the config file");
  }
  for (std::size_t i = 0; i < c.api_keys.size(); ++i) {
    if (c.api_keys[i].is_blank()) {
      return invalid("api_keys[" + std::to_string(i) + "]", "is empty");
    }
  }
  if (c.api_keys.size() < c.shard_count) {
    const std::string n = std::to_string(c.shard_count);
    return invalid("shard_count", n + " shards need " + n +
                                      " API keys (Massive allows one connection per cluster per account), but " +
                                      std::to_string(c.api_keys.size()) + " configured");
  }
  return {};
}

// Distinct symbols per shard: no shard may be asked to hold more than `limit`.
Check check_per_shard_limit(const std::string& field, const std::vector<std::string>& symbols, std::size_t limit,
                            std::size_t shard_count) {
  std::vector<std::size_t> per_shard(shard_count, 0);
  std::unordered_set<std::string_view> seen;
  for (const std::string& s : symbols) {
    if (seen.insert(s).second) {
      ++per_shard[shard_for(s, shard_count)];
    }
  }
  for (std::size_t shard = 0; shard < shard_count; ++shard) {
    if (per_shard[shard] > limit) {
      return invalid(field, std::to_string(per_shard[shard]) + " symbols fall on shard " + std::to_string(shard) +
                                " of " + std::to_string(shard_count) + ", more than the " + std::to_string(limit) +
                                " one connection may subscribe");
    }
  }
  return {};
}

Check check_feeds(const WsConfig& c) {
  for (ResourceType rt : kAllResourceTypes) {
    const FeedConfig& feed = c.feeds.get(rt);
    const std::string prefix = "feeds." + std::string(to_string(rt));
    if (feed.scheduled && rt != ResourceType::OptionsQuotes) {
      return invalid(prefix + ".scheduled", "only option quotes are scheduled (the other feeds have wildcards)");
    }
    if (feed.scheduled && feed.enabled && !c.feeds.options_trades.enabled) {
      return invalid(prefix + ".scheduled",
                     "the scheduler ranks contracts by their trades: enable feeds.options_trades (symbols = [\"*\"])");
    }
    const std::string field = prefix + ".symbols";
    for (std::size_t i = 0; i < feed.symbols.size(); ++i) {
      const std::string& s = feed.symbols[i];
      const std::string at = field + "[" + std::to_string(i) + "]";
      if (s == "*") {
        if (!supports_wildcard(rt)) {
          return invalid(at, "option quotes have no wildcard; list contracts or let the scheduler pick");
        }
        continue;
      }
      if (auto sym = Symbol::make(s); !sym) {
        return invalid(at, quote_text(s) + ": " + sym.error().message());
      }
      if (cluster(rt) == Cluster::Options) {
        if (auto occ = OptionContract::parse(s); !occ) {
          return invalid(at, quote_text(s) + ": " + std::string(describe(occ.error())));
        }
      }
    }
    if (auto limit = subscription_limit(rt)) {
      if (auto ok = check_per_shard_limit(field, feed.symbols, *limit, c.shard_count); !ok) {
        return ok;
      }
    }
  }
  return {};
}

Check check_connection(const ConnectionConfig& c) {
  const std::pair<std::string_view, std::uint64_t> positive[] = {
      {"connection.connect_timeout_ms", c.connect_timeout_ms},       {"connection.auth_timeout_ms", c.auth_timeout_ms},
      {"connection.ping_interval_ms", c.ping_interval_ms},           {"connection.pong_timeout_ms", c.pong_timeout_ms},
      {"connection.heartbeat_interval_ms", c.heartbeat_interval_ms},
  };
  for (const auto& [field, ms] : positive) {
    if (auto ok = duration(field, ms, true); !ok) {
      return ok;
    }
  }
  if (auto ok = duration("connection.allowed_lateness_ms", c.allowed_lateness_ms, false); !ok) {
    return ok;
  }
  if (c.queue_capacity == 0) {
    return invalid("connection.queue_capacity", "must be greater than 0");
  }
  if (c.queue_capacity > kMaxQueueCapacity) {
    return invalid("connection.queue_capacity", "must be at most " + std::to_string(kMaxQueueCapacity));
  }
  if (c.subscribe_chunk_size == 0) {
    return invalid("connection.subscribe_chunk_size", "must be greater than 0");
  }
  return duration("connection.max_future_skew_ms", c.max_future_skew_ms, false);
}

Check check_backoff(const BackoffConfig& b) {
  if (auto ok = duration("backoff.initial_ms", b.initial_ms, true); !ok) {
    return ok;
  }
  if (b.max_ms < b.initial_ms) {
    return invalid("backoff.max_ms", "must be at least backoff.initial_ms");
  }
  if (auto ok = duration("backoff.max_ms", b.max_ms, true); !ok) {
    return ok;
  }
  if (!(std::isfinite(b.multiplier) && b.multiplier >= 1.0)) {
    return invalid("backoff.multiplier", "must be a finite number >= 1");
  }
  if (!(b.jitter >= 0.0 && b.jitter <= 0.5)) {
    return invalid("backoff.jitter", "must be within [0, 0.5]");
  }
  return duration("backoff.reset_after_healthy_ms", b.reset_after_healthy_ms, true);
}

Check check_backpressure(const BackpressureConfig& b) {
  if (auto ok = duration("backpressure.max_staleness_ms", b.max_staleness_ms, true); !ok) {
    return ok;
  }
  if (auto ok = duration("backpressure.check_interval_ms", b.check_interval_ms, true); !ok) {
    return ok;
  }
  const std::pair<std::string_view, double> ratios[] = {
      {"backpressure.queue_high_ratio", b.queue_high_ratio},
      {"backpressure.shed_fraction", b.shed_fraction},
      {"backpressure.restore_step", b.restore_step},
  };
  for (const auto& [field, v] : ratios) {
    if (!(v > 0.0 && v <= 1.0)) {
      return invalid(std::string(field), "must be within (0, 1]");
    }
  }
  if (auto ok = duration("backpressure.shed_cooldown_ms", b.shed_cooldown_ms, false); !ok) {
    return ok;
  }
  return duration("backpressure.restore_after_ms", b.restore_after_ms, false);
}

Failure<ConfigError> not_finite(std::string_view name, double v) {
  return invalid("scheduler." + std::string(name),
                 "scheduler config: `" + std::string(name) + "` must be finite, got " + number(v));
}

Failure<ConfigError> out_of_range(std::string_view name, const std::string& v, std::string_view expected) {
  return invalid("scheduler." + std::string(name),
                 "scheduler config: `" + std::string(name) + "` = " + v + " is out of range: " + std::string(expected));
}

// A finite value in [lo, hi].
Check in_range(std::string_view name, double v, double lo, double hi, std::string_view expected) {
  if (!std::isfinite(v)) {
    return not_finite(name, v);
  }
  if (v < lo || v > hi) {
    return out_of_range(name, number(v), expected);
  }
  return {};
}

}  // namespace

Result<void, ConfigError> validate(const SchedulerConfig& s) {
  constexpr double kInf = HUGE_VAL;
  if (auto ok = in_range("exploration_fraction", s.exploration_fraction, 0.0, 1.0, "within [0, 1]"); !ok) {
    return ok;
  }
  if (s.rebalance_interval_s == 0) {
    return out_of_range("rebalance_interval_s", "0", ">= 1 second");
  }
  if (s.rebalance_interval_s > kMaxDurationMs / 1000) {
    return out_of_range("rebalance_interval_s", std::to_string(s.rebalance_interval_s), "<= 86400 seconds (one day)");
  }
  if (auto ok = in_range("hysteresis", s.hysteresis, 0.0, kInf, ">= 0"); !ok) {
    return ok;
  }
  if (s.exploration_hold_intervals == 0) {
    return out_of_range("exploration_hold_intervals", "0", ">= 1");
  }
  if (s.exploration_memory_epochs == 0) {
    return out_of_range("exploration_memory_epochs", "0", ">= 1");
  }
  if (auto ok = in_range("half_life_s", s.half_life_s, 0.001, 1e9, "between 0.001 and 1e9 seconds"); !ok) {
    return ok;
  }
  if (auto ok = in_range("volume_weight", s.volume_weight, 0.0, kInf, ">= 0"); !ok) {
    return ok;
  }
  return in_range("put_call_pooling", s.put_call_pooling, 0.0, 1.0, "within [0, 1]");
}

Result<void, ConfigError> validate(const WsConfig& c) {
  if (auto ok = check_base_url(c); !ok) {
    return ok;
  }
  if (auto ok = check_keys(c); !ok) {
    return ok;
  }
  if (auto ok = check_feeds(c); !ok) {
    return ok;
  }
  if (auto ok = check_connection(c.connection); !ok) {
    return ok;
  }
  if (auto ok = check_backoff(c.backoff); !ok) {
    return ok;
  }
  if (auto ok = check_backpressure(c.backpressure); !ok) {
    return ok;
  }
  if (auto ok = validate(c.scheduler); !ok) {
    return ok;
  }
  if (c.scheduler.top_n > kOptionQuotesPerConnection) {
    return out_of_range(
        "top_n", std::to_string(c.scheduler.top_n),
        "<= " + std::to_string(kOptionQuotesPerConnection) + " (the option-quote limit of one connection)");
  }
  return {};
}

}  // namespace ws_source
