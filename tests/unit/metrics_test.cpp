// Copyright (c) James Kassemi, SC, US. All rights reserved.
// LatencyHistogram (buckets, quantiles, merge, concurrent records) and to_prometheus, whose text
// is read back by a small parser of the exposition format 0.0.4 that checks every line: names,
// labels and their escapes, values, HELP and TYPE before a family's samples, families contiguous,
// no repeated series, histograms cumulative with `+Inf` = `_count`.
#include "ws_source/metrics.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ws_source/config.hpp"
#include "ws_source/connection_manager.hpp"

using namespace ws_source;

namespace {

// ---- LatencyHistogram ---------------------------------------------------------------------------

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::int64_t>::is_always_lock_free);

constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;

TEST(LatencyHistogram, BucketsAreInclusiveUpperBounds) {
  EXPECT_EQ(LatencyHistogram::bucket_index(0), 0U);
  EXPECT_EQ(LatencyHistogram::bucket_index(kUs), 0U);
  EXPECT_EQ(LatencyHistogram::bucket_index(kUs + 1), 1U);
  EXPECT_EQ(LatencyHistogram::bucket_index(2 * kUs), 1U);
  EXPECT_EQ(LatencyHistogram::bucket_index(100 * kMs), 15U);
  EXPECT_EQ(LatencyHistogram::bucket_index(10 * kS), 21U);
  EXPECT_EQ(LatencyHistogram::bucket_index(10 * kS + 1), HistogramSnapshot::kBuckets - 1);
  EXPECT_EQ(LatencyHistogram::bucket_index(std::numeric_limits<std::int64_t>::max()), HistogramSnapshot::kBuckets - 1);
  // Log-spaced: each bound is 2 or 2.5 times the previous one.
  for (std::size_t i = 1; i < kLatencyBucketBoundsNs.size(); ++i) {
    const double r =
        static_cast<double>(kLatencyBucketBoundsNs[i]) / static_cast<double>(kLatencyBucketBoundsNs[i - 1]);
    EXPECT_TRUE(r == 2.0 || r == 2.5) << i;
  }
}

TEST(LatencyHistogram, SnapshotCountsSumAndMax) {
  LatencyHistogram h;
  h.record(500);        // bucket 0
  h.record(-5);         // clock skew: counts as 0, bucket 0
  h.record(3 * kUs);    // (2, 5] µs
  h.record(150 * kMs);  // (100, 200] ms
  h.record(20 * kS);    // +Inf
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, 5U);
  EXPECT_EQ(s.counts[0], 2U);
  EXPECT_EQ(s.counts[2], 1U);
  EXPECT_EQ(s.counts[16], 1U);
  EXPECT_EQ(s.counts[HistogramSnapshot::kBuckets - 1], 1U);
  EXPECT_EQ(s.sum_ns, static_cast<std::uint64_t>(500 + 3 * kUs + 150 * kMs + 20 * kS));
  EXPECT_EQ(s.max_ns, 20 * kS);
}

TEST(LatencyHistogram, QuantileIsTheUpperBoundOfItsBucket) {
  LatencyHistogram h;
  EXPECT_FALSE(h.snapshot().quantile(0.5).has_value());       // empty: no answer rather than 0
  for (std::int64_t v = 1; v <= 100; ++v) h.record(v * kUs);  // 1 µs … 100 µs
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.quantile(0.0), kUs);         // the smallest value's bucket
  EXPECT_EQ(s.quantile(0.02), 2 * kUs);    // rank 2 → (1, 2] µs
  EXPECT_EQ(s.quantile(0.05), 5 * kUs);    // rank 5
  EXPECT_EQ(s.quantile(0.06), 10 * kUs);   // rank 6 → (5, 10] µs
  EXPECT_EQ(s.quantile(0.5), 50 * kUs);    // rank 50 → (20, 50] µs
  EXPECT_EQ(s.quantile(0.51), 100 * kUs);  // rank 51 → (50, 100] µs
  EXPECT_EQ(s.quantile(0.99), 100 * kUs);
  EXPECT_EQ(s.quantile(1.0), 100 * kUs);
  EXPECT_EQ(s.quantile(7.0), 100 * kUs);  // clamped
  EXPECT_EQ(s.quantile(-1.0), kUs);
  EXPECT_EQ(s.quantile(std::nan("")), 100 * kUs);
}

TEST(LatencyHistogram, QuantileNeverExceedsTheMaximum) {
  LatencyHistogram h;
  h.record(3 * kUs);  // bucket (2, 5] µs, but nothing above 3 µs was seen
  EXPECT_EQ(h.snapshot().quantile(0.99), 3 * kUs);
  h.record(42 * kS);  // the +Inf bucket answers the maximum
  EXPECT_EQ(h.snapshot().quantile(1.0), 42 * kS);
  EXPECT_EQ(h.snapshot().quantile(0.5), 5 * kUs);  // the bucket's bound again, now below the maximum
}

TEST(LatencyHistogram, MergeAddsCountsAndKeepsTheMaximum) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.record(kUs);
  a.record(kMs);
  b.record(kMs);
  b.record(kS);
  HistogramSnapshot m = a.snapshot();
  m += b.snapshot();
  EXPECT_EQ(m.count, 4U);
  EXPECT_EQ(m.counts[LatencyHistogram::bucket_index(kMs)], 2U);
  EXPECT_EQ(m.sum_ns, static_cast<std::uint64_t>(kUs + 2 * kMs + kS));
  EXPECT_EQ(m.max_ns, kS);
  EXPECT_EQ(m.quantile(0.75), kMs);
}

TEST(LatencyHistogram, ConcurrentRecordsAreAllCounted) {
  LatencyHistogram h;
  constexpr int kThreads = 4;
  constexpr std::int64_t kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, t] {
      for (std::int64_t i = 0; i < kPerThread; ++i) h.record((i % 1000) * kUs + t);
    });
  }
  for (auto& t : threads) t.join();
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, static_cast<std::uint64_t>(kThreads * kPerThread));
  std::uint64_t expected_sum = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (std::int64_t i = 0; i < kPerThread; ++i) expected_sum += static_cast<std::uint64_t>((i % 1000) * kUs + t);
  }
  EXPECT_EQ(s.sum_ns, expected_sum);
  EXPECT_EQ(s.max_ns, 999 * kUs + kThreads - 1);
}

// ---- a reader of the exposition format ----------------------------------------------------------

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // decoded values
  std::vector<std::string> label_order;
  double value{0};
  std::string raw;  // the line
};

struct Exposition {
  std::map<std::string, std::string> help;  // family → decoded help
  std::map<std::string, std::string> type;  // family → type
  std::vector<std::string> family_order;
  std::vector<Sample> samples;

  // The value of the sample `name` with exactly `labels`; NaN (and a failure) when absent.
  double value(const std::string& name, const std::map<std::string, std::string>& labels) const {
    for (const Sample& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    ADD_FAILURE() << "no sample " << name;
    return std::nan("");
  }
  std::size_t count(const std::string& name) const {
    std::size_t n = 0;
    for (const Sample& s : samples) n += s.name == name ? 1 : 0;
    return n;
  }
};

bool metric_name_ok(const std::string& n) {
  if (n.empty()) return false;
  const auto start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  if (!start(n[0])) return false;
  for (const char c : n) {
    if (!start(c) && !std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool label_name_ok(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  for (const char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Go's ParseFloat as the format uses it: decimal or exponent notation, NaN, +Inf, -Inf.
bool parse_value(const std::string& t, double& out) {
  if (t == "NaN") {
    out = std::nan("");
    return true;
  }
  if (t == "+Inf" || t == "-Inf") {
    out = t[0] == '+' ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    return true;
  }
  if (t.empty() || t.find_first_not_of("0123456789.eE+-") != std::string::npos) return false;
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

// The family a sample belongs to (histogram samples carry a suffix).
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      const std::string base = name.substr(0, name.size() - suffix.size());
      const auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

// Parses and checks `text` line by line into `e`; every violation is a test failure naming the
// line (a fatal one stops the parse).
void parse_into(const std::string& text, Exposition& e) {
  if (!text.empty()) {
    EXPECT_EQ(text.back(), '\n') << "the text must end with a line feed";
  }
  std::istringstream in(text);
  std::string line;
  std::string current;  // the family whose samples are being read
  std::set<std::string> finished;
  std::set<std::string> series;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    SCOPED_TRACE("line " + std::to_string(n) + ": " + line);
    ASSERT_FALSE(line.empty()) << "empty line";
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const bool is_help = line[2] == 'H';
      const std::string rest = line.substr(7);
      const std::size_t sp = rest.find(' ');
      ASSERT_NE(sp, std::string::npos);
      const std::string name = rest.substr(0, sp);
      EXPECT_TRUE(metric_name_ok(name));
      EXPECT_TRUE(name.starts_with("ws_source_")) << name;
      if (is_help) {
        EXPECT_FALSE(e.help.contains(name)) << "second HELP for " << name;
        EXPECT_FALSE(e.type.contains(name)) << "HELP after TYPE for " << name;
        std::string decoded;
        const std::string h = rest.substr(sp + 1);
        for (std::size_t i = 0; i < h.size(); ++i) {
          if (h[i] == '\\') {
            ASSERT_LT(i + 1, h.size()) << "dangling escape in HELP";
            ASSERT_TRUE(h[i + 1] == '\\' || h[i + 1] == 'n') << "bad escape in HELP";
            decoded += h[i + 1] == 'n' ? '\n' : '\\';
            ++i;
          } else {
            decoded += h[i];
          }
        }
        e.help[name] = decoded;
        EXPECT_FALSE(finished.contains(name)) << "family " << name << " appears twice";
        if (!current.empty() && current != name) finished.insert(current);
        current = name;
        e.family_order.push_back(name);
      } else {
        EXPECT_TRUE(e.help.contains(name)) << "TYPE before HELP for " << name;
        EXPECT_FALSE(e.type.contains(name)) << "second TYPE for " << name;
        const std::string t = rest.substr(sp + 1);
        EXPECT_TRUE(t == "counter" || t == "gauge" || t == "histogram") << t;
        if (t == "counter") {
          EXPECT_TRUE(name.ends_with("_total")) << name;
        }
        e.type[name] = t;
      }
      continue;
    }
    ASSERT_NE(line[0], '#') << "an unexpected comment";
    Sample s;
    s.raw = line;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    EXPECT_TRUE(metric_name_ok(s.name)) << s.name;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find('=', i);
        ASSERT_NE(eq, std::string::npos);
        const std::string lname = line.substr(i, eq - i);
        EXPECT_TRUE(label_name_ok(lname)) << lname;
        EXPECT_FALSE(lname.starts_with("__")) << lname;
        ASSERT_LT(eq + 1, line.size());
        ASSERT_EQ(line[eq + 1], '"');
        std::string value;
        std::size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ASSERT_LT(j + 1, line.size());
            const char c = line[j + 1];
            ASSERT_TRUE(c == '\\' || c == '"' || c == 'n') << "bad escape \\" << c;
            value += c == 'n' ? '\n' : c;
            ++j;
          } else {
            value += line[j];
          }
        }
        ASSERT_LT(j, line.size()) << "unterminated label value";
        EXPECT_FALSE(s.labels.contains(lname)) << "label " << lname << " twice";
        s.labels[lname] = value;
        s.label_order.push_back(lname);
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ASSERT_LT(i, line.size());
      ++i;  // '}'
    }
    ASSERT_LT(i, line.size());
    ASSERT_EQ(line[i], ' ') << "one space before the value";
    const std::string value = line.substr(i + 1);
    ASSERT_TRUE(parse_value(value, s.value)) << "value '" << value << "'";
    const std::string family = family_of(s.name, e.type);
    EXPECT_TRUE(e.help.contains(family)) << "no HELP before the samples of " << family;
    EXPECT_TRUE(e.type.contains(family)) << "no TYPE before the samples of " << family;
    EXPECT_EQ(family, current) << "a sample outside its family's block";
    // Every ws_source series names its cluster and shard, first.
    ASSERT_GE(s.label_order.size(), 2U);
    EXPECT_EQ(s.label_order[0], "cluster");
    EXPECT_EQ(s.label_order[1], "shard");
    EXPECT_TRUE(s.labels["cluster"] == "options" || s.labels["cluster"] == "stocks");
    EXPECT_FALSE(s.labels["shard"].empty());
    EXPECT_EQ(s.labels["shard"].find_first_not_of("0123456789"), std::string::npos);
    if (e.type[family] == "counter") {
      EXPECT_GE(s.value, 0.0);
    }
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) key += "|" + k + "=" + v;
    EXPECT_TRUE(series.insert(key).second) << "series repeated";
    e.samples.push_back(std::move(s));
  }
  // Histograms: per series, buckets ascending in le, cumulative, ending in +Inf = _count.
  for (const auto& [family, t] : e.type) {
    if (t != "histogram") continue;
    std::map<std::string, std::vector<std::pair<double, double>>> buckets;  // series → (le, count)
    std::map<std::string, double> counts;
    for (const Sample& s : e.samples) {
      auto labels = s.labels;
      labels.erase("le");
      std::string key;
      for (const auto& [k, v] : labels) key += k + "=" + v + ",";
      if (s.name == family + "_bucket") {
        double le = 0;
        EXPECT_TRUE(s.labels.contains("le"));
        EXPECT_TRUE(parse_value(s.labels.at("le"), le));
        EXPECT_EQ(s.label_order.back(), "le");
        buckets[key].emplace_back(le, s.value);
      } else if (s.name == family + "_count") {
        counts[key] = s.value;
      }
    }
    EXPECT_FALSE(buckets.empty()) << family;
    for (const auto& [key, b] : buckets) {
      SCOPED_TRACE(family + " " + key);
      ASSERT_FALSE(b.empty());
      EXPECT_TRUE(std::isinf(b.back().first)) << "the last bucket must be +Inf";
      for (std::size_t i = 1; i < b.size(); ++i) {
        EXPECT_LT(b[i - 1].first, b[i].first);
        EXPECT_LE(b[i - 1].second, b[i].second);
      }
      ASSERT_TRUE(counts.contains(key));
      EXPECT_EQ(counts[key], b.back().second);
    }
  }
}

Exposition parse_exposition(const std::string& text) {
  Exposition e;
  parse_into(text, e);
  return e;
}

// The checker's complaints about `text`, intercepted (they do not fail the calling test).
std::vector<std::string> complaints(const std::string& text) {
  ::testing::TestPartResultArray results;
  {
    const ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    static_cast<void>(parse_exposition(text));
  }
  std::vector<std::string> out;
  for (int i = 0; i < results.size(); ++i) out.emplace_back(results.GetTestPartResult(i).message());
  return out;
}

// Whether the checker complains about `text` with a message containing `what`.
bool caught(const std::string& text, std::string_view what) {
  for (const std::string& c : complaints(text)) {
    if (c.find(what) != std::string::npos) return true;
  }
  return false;
}

// The checker itself fails on broken text (so that its silence on to_prometheus means something).
TEST(FormatChecker, CatchesBrokenText) {
  const std::string help_a = "# HELP ws_source_a A\n# TYPE ws_source_a gauge\n";
  const std::string at0 = "{cluster=\"options\",shard=\"0\"}";
  EXPECT_TRUE(complaints(help_a + "ws_source_a" + at0 + " 1\n").empty());  // the control: valid text
  EXPECT_TRUE(caught("ws_source_a_total" + at0 + " 1\n", "no HELP"));
  EXPECT_TRUE(caught("# HELP ws_source_a A\n# TYPE ws_source_a counter\nws_source_a" + at0 + " 1\n", "_total"));
  EXPECT_TRUE(caught(
      help_a + "# HELP ws_source_b B\n# TYPE ws_source_b gauge\nws_source_b" + at0 + " 1\nws_source_a" + at0 + " 1\n",
      "outside its family"));
  EXPECT_TRUE(caught(help_a + "ws_source_a" + at0 + " 1\nws_source_a" + at0 + " 2\n", "series repeated"));
  EXPECT_TRUE(caught(help_a + "ws_source_a{cluster=\"opt\\qions\",shard=\"0\"} 1\n", "bad escape"));
  EXPECT_TRUE(caught(help_a + "ws_source_a{cluster=\"nyse\",shard=\"0\"} 1\n", "options"));
  EXPECT_TRUE(caught(help_a + "ws_source_a 1\n", "label_order.size()"));  // no cluster, shard
  EXPECT_TRUE(caught(help_a + "ws_source_a" + at0 + " one\n", "value 'one'"));
  EXPECT_TRUE(caught(help_a + "ws_source_a" + at0 + "  1\n", "value ' 1'"));
  EXPECT_TRUE(caught(help_a + "ws_source_a" + at0 + " 1", "line feed"));
  EXPECT_TRUE(
      caught("# HELP ws_source_h H\n# TYPE ws_source_h histogram\n"
             "ws_source_h_bucket{cluster=\"options\",shard=\"0\",le=\"1\"} 5\n"
             "ws_source_h_bucket{cluster=\"options\",shard=\"0\",le=\"+Inf\"} 4\n"
             "ws_source_h_sum" +
                 at0 + " 1\nws_source_h_count" + at0 + " 4\n",
             "b[i].second"));  // not cumulative
}

// ---- to_prometheus ------------------------------------------------------------------------------

WorkerStats worker(Cluster c, std::size_t shard, std::uint64_t base) {
  WorkerStats s;
  s.cluster = c;
  s.shard = shard;
  s.connected = base % 2 == 1;
  s.connects = base + 1;
  s.attempts = base + 2;
  s.disconnects = 3 * base + 30;
  s.failed_attempts = base + 4;
  s.frames = base + 5;
  s.rows = base + 6;
  s.rows_delivered = base + 7;
  s.rows_dropped_queue_full = base + 8;
  s.batches = base + 9;
  s.heartbeats = base + 10;
  s.parse_errors = base + 11;
  s.skipped_events = base + 12;
  s.late_rows = base + 13;
  s.gaps = base + 14;
  s.max_connections = base + 15;
  s.slow_consumer = base + 2;
  s.force_disconnect = base + 3;
  s.stalls = base + 4;
  s.subscription_errors = base + 19;
  s.subs_active = base + 20;
  s.rebalances = base + 21;
  s.evictions = base + 22;
  s.scheduled = base + 23;
  s.scheduled_capacity = base + 24;
  s.rebalance_last_ns = 250'000;
  s.rebalance_max_ns = 1'500'000;
  s.rebalance_max_cpu_ns = 400'000;
  s.watermark_ts_ns = 1'700'000'000'123'000'000;
  return s;
}

std::map<std::string, std::string> at(std::string_view cluster, std::string_view shard) {
  return {{"cluster", std::string(cluster)}, {"shard", std::string(shard)}};
}

std::map<std::string, std::string> at(std::string_view cluster, std::string_view shard, const std::string& k,
                                      const std::string& v) {
  auto m = at(cluster, shard);
  m[k] = v;
  return m;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.starts_with(line + "\n") || text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Prometheus, EveryWorkerCounterAndGaugeWithItsLabels) {
  ManagerStats stats;
  stats.workers = {worker(Cluster::Options, 0, 100), worker(Cluster::Stocks, 0, 200), worker(Cluster::Options, 1, 300)};
  const std::string text = to_prometheus(stats);
  const Exposition e = parse_exposition(text);

  EXPECT_EQ(e.value("ws_source_connects_total", at("options", "0")), 101);
  EXPECT_EQ(e.value("ws_source_connection_attempts_total", at("stocks", "0")), 202);
  EXPECT_EQ(e.value("ws_source_connection_failures_total", at("options", "1")), 304);
  EXPECT_EQ(e.value("ws_source_reconnects_total", at("options", "0")), 100);  // connects − 1
  EXPECT_EQ(e.value("ws_source_max_connections_total", at("options", "0")), 115);
  EXPECT_EQ(e.value("ws_source_frames_total", at("options", "0")), 105);
  EXPECT_EQ(e.value("ws_source_events_received_total", at("options", "0")), 106);
  EXPECT_EQ(e.value("ws_source_events_delivered_total", at("options", "0")), 107);
  EXPECT_EQ(e.value("ws_source_events_dropped_total", at("options", "0", "reason", "queue_full")), 108);
  EXPECT_EQ(e.value("ws_source_batches_total", at("options", "0")), 109);
  EXPECT_EQ(e.value("ws_source_heartbeats_total", at("options", "0")), 110);
  EXPECT_EQ(e.value("ws_source_parse_errors_total", at("options", "0")), 111);
  EXPECT_EQ(e.value("ws_source_events_skipped_total", at("options", "0")), 112);
  EXPECT_EQ(e.value("ws_source_late_events_total", at("options", "0")), 113);
  EXPECT_EQ(e.value("ws_source_gaps_total", at("options", "0")), 114);
  EXPECT_EQ(e.value("ws_source_subscription_errors_total", at("options", "0")), 119);
  EXPECT_EQ(e.value("ws_source_subs_active", at("stocks", "0")), 220);
  EXPECT_EQ(e.value("ws_source_rebalances_total", at("options", "0")), 121);
  EXPECT_EQ(e.value("ws_source_evictions_total", at("options", "1")), 322);
  EXPECT_EQ(e.value("ws_source_scheduled_subs_active", at("options", "0")), 123);
  EXPECT_EQ(e.value("ws_source_scheduled_capacity", at("options", "0")), 124);
  EXPECT_DOUBLE_EQ(e.value("ws_source_rebalance_last_seconds", at("options", "0")), 0.00025);
  EXPECT_DOUBLE_EQ(e.value("ws_source_rebalance_max_seconds", at("options", "0")), 0.0015);
  EXPECT_DOUBLE_EQ(e.value("ws_source_rebalance_max_cpu_seconds", at("options", "0")), 0.0004);
  EXPECT_EQ(e.value("ws_source_connected", at("options", "0")), 0);
  EXPECT_EQ(e.value("ws_source_connected", at("options", "1")), 0);
  EXPECT_EQ(e.value("ws_source_connected", at("stocks", "0")), 0);
  EXPECT_DOUBLE_EQ(e.value("ws_source_watermark_timestamp_seconds", at("options", "0")), 1'700'000'000.123);
  // Disconnects by reason, one family; `other` is the rest of the connections that ended.
  EXPECT_EQ(e.value("ws_source_disconnects_total", at("options", "0", "reason", "slow_consumer")), 102);
  EXPECT_EQ(e.value("ws_source_disconnects_total", at("options", "0", "reason", "force_disconnect")), 103);
  EXPECT_EQ(e.value("ws_source_disconnects_total", at("options", "0", "reason", "stalled")), 104);
  EXPECT_EQ(e.value("ws_source_disconnects_total", at("options", "0", "reason", "other")), 330 - 102 - 103 - 104);
  EXPECT_EQ(e.type.at("ws_source_disconnects_total"), "counter");
  EXPECT_EQ(e.type.at("ws_source_subs_active"), "gauge");
  EXPECT_EQ(e.type.at("ws_source_connected"), "gauge");
  // Three workers, interleaved clusters: still one block per family, three samples in it.
  EXPECT_EQ(e.count("ws_source_frames_total"), 3U);
  EXPECT_EQ(e.count("ws_source_disconnects_total"), 12U);
  // Integers stay exact (no float detour), e.g. near 2^64.
  EXPECT_TRUE(has_line(text, "ws_source_frames_total{cluster=\"options\",shard=\"0\"} 105"));
  EXPECT_TRUE(has_line(text, "# TYPE ws_source_frames_total counter"));
}

TEST(Prometheus, CountersAreExactAndOtherDisconnectsSaturate) {
  WorkerStats s = worker(Cluster::Stocks, 3, 0);
  s.frames = std::numeric_limits<std::uint64_t>::max();
  s.connects = 0;     // never connected: no reconnects, not −1
  s.disconnects = 1;  // fewer than the reasons counted (read at different instants)
  s.connected = true;
  s.watermark_ts_ns = 0;
  ManagerStats stats;
  stats.workers = {s};
  const std::string text = to_prometheus(stats);
  static_cast<void>(parse_exposition(text));
  EXPECT_TRUE(has_line(text, "ws_source_frames_total{cluster=\"stocks\",shard=\"3\"} 18446744073709551615"));
  EXPECT_TRUE(has_line(text, "ws_source_reconnects_total{cluster=\"stocks\",shard=\"3\"} 0"));
  EXPECT_TRUE(has_line(text, "ws_source_disconnects_total{cluster=\"stocks\",shard=\"3\",reason=\"other\"} 0"));
  EXPECT_TRUE(has_line(text, "ws_source_connected{cluster=\"stocks\",shard=\"3\"} 1"));
  EXPECT_TRUE(has_line(text, "ws_source_watermark_timestamp_seconds{cluster=\"stocks\",shard=\"3\"} 0"));
}

TEST(Prometheus, NoWorkersNoText) { EXPECT_EQ(to_prometheus(ManagerStats{}), ""); }

TEST(Prometheus, ExtraCountersGaugesAndHistograms) {
  LatencyHistogram batch;
  for (std::int64_t v : {500 * kUs, 3 * kMs, 3 * kMs, 150 * kMs, 20 * kS}) batch.record(v);
  MetricsSnapshot m;
  m.stats.workers = {worker(Cluster::Options, 0, 1)};
  m.counters.push_back({"conflated", "Quotes superseded by a newer one.", {Cluster::Options, 0, {}}, 7});
  m.counters.push_back({"ws_source_resyncs_total", "Resyncs.", {Cluster::Options, 0, {}}, 2});
  // More rows of an existing family: dropped by another reason.
  m.counters.push_back(
      {"events_dropped", "ignored: the family has its help", {Cluster::Options, 0, {{"reason", "shed"}}}, 9});
  m.gauges.push_back({"consumer_lag_batches", "Batches in the ring.", {Cluster::Options, 0, {}}, 12});
  m.gauges.push_back({"consumer_lag_batches", "", {Cluster::Stocks, 0, {}}, 0.25});
  m.gauges.push_back({"weird", "Special values.", {Cluster::Stocks, 0, {{"v", "nan"}}}, std::nan("")});
  m.gauges.push_back({"weird", "", {Cluster::Stocks, 0, {{"v", "inf"}}}, std::numeric_limits<double>::infinity()});
  m.histograms.push_back({"handler_seconds",
                          "Frame received to handed to the consumer.",
                          {Cluster::Options, 0, {{"kind", "batch"}}},
                          batch.snapshot()});
  m.histograms.push_back({"handler_seconds", "", {Cluster::Options, 0, {{"kind", "event"}}}, HistogramSnapshot{}});
  const std::string text = to_prometheus(m);
  const Exposition e = parse_exposition(text);

  EXPECT_EQ(e.value("ws_source_conflated_total", at("options", "0")), 7);
  EXPECT_EQ(e.help.at("ws_source_conflated_total"), "Quotes superseded by a newer one.");
  EXPECT_EQ(e.value("ws_source_resyncs_total", at("options", "0")), 2);  // prefix and suffix not doubled
  EXPECT_EQ(e.value("ws_source_events_dropped_total", at("options", "0", "reason", "shed")), 9);
  EXPECT_EQ(e.value("ws_source_events_dropped_total", at("options", "0", "reason", "queue_full")), 9);
  EXPECT_TRUE(e.help.at("ws_source_events_dropped_total").starts_with("Rows not delivered, by reason"));
  EXPECT_EQ(e.value("ws_source_consumer_lag_batches", at("options", "0")), 12);
  EXPECT_EQ(e.value("ws_source_consumer_lag_batches", at("stocks", "0")), 0.25);
  EXPECT_TRUE(std::isnan(e.value("ws_source_weird", at("stocks", "0", "v", "nan"))));
  EXPECT_TRUE(has_line(text, "ws_source_weird{cluster=\"stocks\",shard=\"0\",v=\"inf\"} +Inf"));
  EXPECT_EQ(e.type.at("ws_source_handler_seconds"), "histogram");

  // Cumulative buckets in seconds, `le` in plain decimal, +Inf last, `_count` equal to it.
  const std::string b = "ws_source_handler_seconds_bucket{cluster=\"options\",shard=\"0\",kind=\"batch\",le=\"";
  EXPECT_TRUE(has_line(text, b + "0.000001\"} 0"));
  EXPECT_TRUE(has_line(text, b + "0.0005\"} 1"));
  EXPECT_TRUE(has_line(text, b + "0.002\"} 1"));
  EXPECT_TRUE(has_line(text, b + "0.005\"} 3"));
  EXPECT_TRUE(has_line(text, b + "0.1\"} 3"));
  EXPECT_TRUE(has_line(text, b + "0.2\"} 4"));
  EXPECT_TRUE(has_line(text, b + "10\"} 4"));
  EXPECT_TRUE(has_line(text, b + "+Inf\"} 5"));
  EXPECT_EQ(e.count("ws_source_handler_seconds_bucket"), 2 * HistogramSnapshot::kBuckets);
  EXPECT_DOUBLE_EQ(e.value("ws_source_handler_seconds_sum", at("options", "0", "kind", "batch")),
                   0.0005 + 0.003 + 0.003 + 0.15 + 20);
  EXPECT_EQ(e.value("ws_source_handler_seconds_count", at("options", "0", "kind", "batch")), 5);
  EXPECT_EQ(e.value("ws_source_handler_seconds_count", at("options", "0", "kind", "event")), 0);
}

TEST(Prometheus, LabelValuesAndHelpAreEscaped) {
  const std::string nasty = "a\"b\\c\nd}{,=x";
  MetricsSnapshot m;
  m.gauges.push_back(
      {"escape_test", "line one\nback\\slash \"quotes\" stay", {Cluster::Stocks, 2, {{"what", nasty}}}, 1});
  const std::string text = to_prometheus(m);
  const Exposition e = parse_exposition(text);
  EXPECT_EQ(e.value("ws_source_escape_test", at("stocks", "2", "what", nasty)), 1);  // decodes back
  EXPECT_TRUE(has_line(text, R"(ws_source_escape_test{cluster="stocks",shard="2",what="a\"b\\c\nd}{,=x"} 1)"));
  EXPECT_TRUE(has_line(text, R"(# HELP ws_source_escape_test line one\nback\\slash "quotes" stay)"));
  EXPECT_EQ(e.help.at("ws_source_escape_test"), "line one\nback\\slash \"quotes\" stay");
}

TEST(Prometheus, InvalidExtrasAreLeftOutAndTheTextStaysValid) {
  MetricsSnapshot m;
  m.stats.workers = {worker(Cluster::Options, 0, 1)};
  const SeriesLabels here{Cluster::Options, 0, {}};
  m.gauges.push_back({"bad name", "", here, 1});                                         // not a metric name
  m.gauges.push_back({"dash-name", "", here, 1});                                        // not a metric name
  m.gauges.push_back({"ok_a", "", {Cluster::Options, 0, {{"__reserved", "x"}}}, 1});     // reserved label
  m.gauges.push_back({"ok_b", "", {Cluster::Options, 0, {{"cluster", "x"}}}, 1});        // set by the writer
  m.gauges.push_back({"ok_c", "", {Cluster::Options, 0, {{"bad-label", "x"}}}, 1});      // not a label name
  m.gauges.push_back({"ok_d", "", {Cluster::Options, 0, {{"k", "1"}, {"k", "2"}}}, 1});  // twice
  m.gauges.push_back({"frames_total", "", here, 1});  // the counter family ws_source_frames_total
  m.counters.push_back({"connected", "", here, 1});   // ws_source_connected_total: a new, valid family
  m.counters.push_back({"frames", "", here, 1});      // the same series as the worker's
  m.gauges.push_back({"lat_count", "A gauge.", here, 1});
  m.histograms.push_back({"lat", "Latency.", here, HistogramSnapshot{}});  // would write ws_source_lat_count too
  m.gauges.push_back({"good", "Kept.", here, 3});
  const std::string text = to_prometheus(m);
  const Exposition e = parse_exposition(text);
  for (const std::string gone : {"ws_source_ok_a", "ws_source_ok_b", "ws_source_ok_c", "ws_source_ok_d"}) {
    EXPECT_EQ(e.count(gone), 0U) << gone;
  }
  EXPECT_EQ(text.find("bad name"), std::string::npos);
  EXPECT_EQ(text.find("dash-name"), std::string::npos);
  EXPECT_EQ(e.count("ws_source_frames_total"), 1U);
  EXPECT_EQ(e.value("ws_source_frames_total", at("options", "0")), 6);  // the worker's, not the extra's
  EXPECT_EQ(e.value("ws_source_connected_total", at("options", "0")), 1);
  EXPECT_EQ(e.count("ws_source_lat_count"), 1U);  // the gauge's
  EXPECT_EQ(e.type.at("ws_source_lat_count"), "gauge");
  EXPECT_FALSE(e.type.contains("ws_source_lat"));
  EXPECT_EQ(e.count("ws_source_lat_bucket"), 0U);
  EXPECT_EQ(e.value("ws_source_good", at("options", "0")), 3);
}

// The stats of a real manager whose configuration holds a key: no text form of it reaches the
// metrics. (Stats carry no strings today; this guards against a field that would.)
TEST(Prometheus, NeverContainsTheApiKey) {
  constexpr std::string_view kKey = "secret-key-123";
  WsConfig config;
  config.api_keys = {ApiKey(std::string(kKey))};
  config.base_url = "ws://127.0.0.1:1";  // nothing listens: the attempts fail at once
  ConnectionManager manager(config);
  ASSERT_FALSE(manager.config_error().has_value()) << *manager.config_error();
  auto stream = manager.run();
  ManagerStats stats;
  for (int i = 0; i < 200; ++i) {
    stats = manager.stats();
    bool attempted = !stats.workers.empty();
    for (const WorkerStats& w : stats.workers) attempted = attempted && w.attempts > 0;
    if (attempted) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  manager.stop();
  MetricsSnapshot m;
  m.stats = stats;
  m.gauges.push_back({"note", "A host's gauge.", {Cluster::Options, 0, {{"key", "ApiKey(***)"}}}, 1});
  const std::string text = to_prometheus(m);
  static_cast<void>(parse_exposition(text));
  ASSERT_FALSE(stats.workers.empty());
  EXPECT_NE(text.find("ws_source_connection_attempts_total{cluster=\"options\",shard=\"0\"}"), std::string::npos);
  EXPECT_EQ(text.find(kKey), std::string::npos) << text;
}

}  // namespace
