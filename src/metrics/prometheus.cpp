// Copyright (c) James Kassemi, SC, US. All rights reserved.
// to_prometheus: ManagerStats and extra series as Prometheus text exposition format 0.0.4.
// Samples are collected per family (so that a family's samples stay together whatever order the
// workers and extras come in) and written out in the order the families first appear.
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ws_source/metrics.hpp"

namespace ws_source {
namespace {

constexpr std::string_view kPrefix = "ws_source_";

enum class Type : std::uint8_t { Counter, Gauge, Histogram };

std::string_view type_name(Type t) {
  switch (t) {
    case Type::Counter:
      return "counter";
    case Type::Gauge:
      return "gauge";
    case Type::Histogram:
      return "histogram";
  }
  return "untyped";
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view n) {
  if (n.empty() || !(is_name_start(n[0]) || n[0] == ':')) return false;
  for (const char c : n) {
    if (!is_name_char(c) && c != ':') return false;
  }
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, not reserved (`__…`), not one the writer sets itself.
bool valid_extra_label_name(std::string_view n) {
  if (n.empty() || !is_name_start(n[0]) || n.starts_with("__")) return false;
  if (n == "cluster" || n == "shard" || n == "le") return false;
  for (const char c : n) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

// Label values: backslash, double quote and line feed escaped.
void append_label_value(std::string& out, std::string_view v) {
  for (const char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// HELP text: backslash and line feed escaped.
void append_help(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A float as Go's ParseFloat reads it: shortest round trip, NaN, +Inf, -Inf.
void append_double(std::string& out, double v, std::chars_format fmt = std::chars_format::general) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[400];  // fixed notation of the largest double needs ~310 characters
    const auto r = std::to_chars(buf, buf + sizeof buf, v, fmt);
    out.append(buf, r.ptr);
  }
}

double ns_to_seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }
double ns_to_seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

// `{cluster="…",shard="…",extra…` without the closing brace (buckets add `le`).
std::string open_labels(Cluster cluster, std::size_t shard, const std::vector<MetricLabel>& extra) {
  std::string s = "{cluster=\"";
  s += path(cluster);
  s += "\",shard=\"";
  append_uint(s, shard);
  s += '"';
  for (const MetricLabel& l : extra) {
    s += ',';
    s += l.name;
    s += "=\"";
    append_label_value(s, l.value);
    s += '"';
  }
  return s;
}

struct Family {
  std::string name;  // with the prefix (and `_total` for counters)
  std::string help;
  Type type{Type::Counter};
  std::string samples;  // rendered sample lines
};

class Writer {
 public:
  void counter(std::string_view name, std::string_view help, const SeriesLabels& labels, std::uint64_t value) {
    std::string full = full_name(name);
    if (!full.ends_with("_total")) full += "_total";
    Family* f = family(std::move(full), help, Type::Counter);
    const auto l = series_labels(f, labels);
    if (!l) return;
    sample(f->samples, f->name, *l + '}');
    append_uint(f->samples, value);
    f->samples += '\n';
  }

  void gauge(std::string_view name, std::string_view help, const SeriesLabels& labels, double value) {
    Family* f = family(full_name(name), help, Type::Gauge);
    const auto l = series_labels(f, labels);
    if (!l) return;
    sample(f->samples, f->name, *l + '}');
    append_double(f->samples, value);
    f->samples += '\n';
  }

  void histogram(std::string_view name, std::string_view help, const SeriesLabels& labels, const HistogramSnapshot& h) {
    Family* f = family(full_name(name), help, Type::Histogram);
    const auto l = series_labels(f, labels);
    if (!l) return;
    const std::string bucket = f->name + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < HistogramSnapshot::kBuckets; ++i) {
      cumulative += h.counts[i];
      std::string le = *l + ",le=\"";
      if (i < kLatencyBucketBoundsNs.size()) {
        append_double(le, ns_to_seconds(kLatencyBucketBoundsNs[i]), std::chars_format::fixed);
      } else {
        le += "+Inf";
      }
      le += "\"}";
      sample(f->samples, bucket, le);
      append_uint(f->samples, cumulative);
      f->samples += '\n';
    }
    sample(f->samples, f->name + "_sum", *l + '}');
    append_double(f->samples, ns_to_seconds(h.sum_ns));
    f->samples += '\n';
    // `_count` equals the `+Inf` bucket, as the format requires.
    sample(f->samples, f->name + "_count", *l + '}');
    append_uint(f->samples, cumulative);
    f->samples += '\n';
  }

  [[nodiscard]] std::string finish() const {
    std::size_t size = 0;
    for (const Family& f : families_) size += f.samples.size() + f.help.size() + 2 * f.name.size() + 32;
    std::string out;
    out.reserve(size);
    for (const Family& f : families_) {
      if (f.samples.empty()) continue;
      out += "# HELP ";
      out += f.name;
      out += ' ';
      append_help(out, f.help);
      out += "\n# TYPE ";
      out += f.name;
      out += ' ';
      out += type_name(f.type);
      out += '\n';
      out += f.samples;
    }
    return out;
  }

 private:
  static std::string full_name(std::string_view name) {
    if (name.starts_with(kPrefix)) return std::string(name);
    std::string s(kPrefix);
    s += name;
    return s;
  }

  static void sample(std::string& out, std::string_view name, std::string_view labels) {
    out += name;
    out += labels;
    out += ' ';
  }

  // The family `name` (made on first use); nullptr when the name is invalid or taken by a family
  // of another type.
  // A histogram's family also owns the sample names `_bucket`, `_sum` and `_count`.
  Family* family(std::string name, std::string_view help, Type type) {
    if (!valid_metric_name(name)) return nullptr;
    const auto it = index_.find(name);
    if (it != index_.end()) {
      Family& f = families_[it->second];
      return f.type == type ? &f : nullptr;
    }
    if (sample_names_.contains(name)) return nullptr;
    if (type == Type::Histogram) {
      for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
        std::string sample_name = name + std::string(suffix);
        if (index_.contains(sample_name) || sample_names_.contains(sample_name)) return nullptr;
      }
      for (const std::string_view suffix : {"_bucket", "_sum", "_count"})
        sample_names_.insert(name + std::string(suffix));
    }
    sample_names_.insert(name);
    index_.emplace(name, families_.size());
    families_.push_back(Family{std::move(name), std::string(help), type, {}});
    return &families_.back();
  }

  // The series' open label set, or nothing when the family is refused, a label is invalid, or
  // this family already has the series.
  std::optional<std::string> series_labels(const Family* f, const SeriesLabels& labels) {
    if (f == nullptr) return std::nullopt;
    for (const MetricLabel& l : labels.extra) {
      if (!valid_extra_label_name(l.name)) return std::nullopt;
    }
    for (std::size_t i = 0; i < labels.extra.size(); ++i) {
      for (std::size_t j = i + 1; j < labels.extra.size(); ++j) {
        if (labels.extra[i].name == labels.extra[j].name) return std::nullopt;
      }
    }
    std::string l = open_labels(labels.cluster, labels.shard, labels.extra);
    if (!seen_.insert(f->name + l).second) return std::nullopt;
    return l;
  }

  std::vector<Family> families_;
  std::unordered_map<std::string, std::size_t> index_;
  std::unordered_set<std::string> seen_;          // family name + labels of every series written
  std::unordered_set<std::string> sample_names_;  // every sample name a family writes
};

// One worker's counters and gauges.
void write_worker(Writer& w, const WorkerStats& s) {
  const SeriesLabels l{s.cluster, s.shard, {}};
  const auto with = [&](std::string_view name, std::string_view value) {
    return SeriesLabels{s.cluster, s.shard, {MetricLabel{std::string(name), std::string(value)}}};
  };
  w.counter("connects", "Successful connections (authenticated and subscribed).", l, s.connects);
  w.counter("connection_attempts", "Connection attempts, successful or not.", l, s.attempts);
  w.counter("connection_failures", "Connection attempts that did not connect.", l, s.failed_attempts);
  w.counter("reconnects", "Successful connections after the first one.", l, s.connects > 0 ? s.connects - 1 : 0);
  // Connections that ended, by reason. The stats count only some reasons on their own; `other`
  // is the rest (it includes connections ended by max_connections, which is also counted, with
  // the attempts it refused, in ws_source_max_connections_total).
  constexpr std::string_view kDisconnectsHelp = "Connections that ended (failed attempts not included), by reason.";
  const std::uint64_t known = s.slow_consumer + s.force_disconnect + s.stalls;
  w.counter("disconnects", kDisconnectsHelp, with("reason", "slow_consumer"), s.slow_consumer);
  w.counter("disconnects", kDisconnectsHelp, with("reason", "force_disconnect"), s.force_disconnect);
  w.counter("disconnects", kDisconnectsHelp, with("reason", "stalled"), s.stalls);
  w.counter("disconnects", kDisconnectsHelp, with("reason", "other"),
            s.disconnects > known ? s.disconnects - known : 0);
  w.counter("max_connections", "max_connections statuses received: another client on the account took the connection.",
            l, s.max_connections);
  w.counter("frames", "Data messages read.", l, s.frames);
  w.counter("events_received", "Rows parsed from the data messages.", l, s.rows);
  w.counter("events_delivered", "Rows handed to the consumer (in batches pushed into its ring).", l, s.rows_delivered);
  constexpr std::string_view kDroppedHelp =
      "Rows not delivered, by reason: queue_full (lost: the ring was full), conflated (an option quote superseded by "
      "a newer quote of its contract while the consumer fell behind).";
  w.counter("events_dropped", kDroppedHelp, with("reason", "queue_full"), s.rows_dropped_queue_full);
  w.counter("events_dropped", kDroppedHelp, with("reason", "conflated"), s.rows_conflated);
  w.counter("events_consumed", "Rows in the batches the consumer took from the ring.", l, s.rows_consumed);
  w.counter("events_skipped", "Events of types ws-source does not ingest (e.g. AM).", l, s.skipped_events);
  w.counter("late_events", "Rows below a watermark already emitted (delivered, flagged late).", l, s.late_rows);
  w.counter("batches", "Batches handed to the consumer's ring, heartbeats included.", l, s.batches);
  w.counter("heartbeats", "Empty batches handed to the consumer's ring.", l, s.heartbeats);
  w.counter("parse_errors", "Data messages the parser rejected (their rows are not delivered).", l, s.parse_errors);
  w.counter("gaps", "Downtime windows reported to the consumer.", l, s.gaps);
  w.counter("subscription_errors", "Channels the server refused.", l, s.subscription_errors);
  w.gauge("connected", "1 while the connection is up (authenticated and subscribed), else 0.", l,
          s.connected ? 1.0 : 0.0);
  w.gauge("subs_active", "Channels in the desired subscription set.", l, static_cast<double>(s.subs_active));
  // Scheduling of option quotes (0 on connections without scheduled quotes).
  w.counter("rebalances", "Rebalances of the scheduled option quotes.", l, s.rebalances);
  w.counter("evictions", "Scheduled contracts unsubscribed by rebalances.", l, s.evictions);
  w.gauge("scheduled_subs_active", "Contracts the scheduler holds now.", l, static_cast<double>(s.scheduled));
  w.gauge("scheduled_capacity", "Slots the last rebalance could use.", l, static_cast<double>(s.scheduled_capacity));
  w.gauge("rebalance_last_seconds", "The longest stretch the last rebalance held the io thread.", l,
          ns_to_seconds(s.rebalance_last_ns));
  w.gauge("rebalance_max_seconds", "The longest stretch any rebalance held the io thread.", l,
          ns_to_seconds(s.rebalance_max_ns));
  w.gauge("rebalance_max_cpu_seconds", "The io thread's CPU time in the longest-CPU stretch of any rebalance.", l,
          ns_to_seconds(s.rebalance_max_cpu_ns));
  w.gauge("watermark_timestamp_seconds", "The largest watermark over the connection's feeds, Unix seconds.", l,
          ns_to_seconds(s.watermark_ts_ns));
  // Backpressure.
  w.gauge("queue_depth", "Batches in the ring between the connection and the consumer.", l,
          static_cast<double>(s.queue_depth));
  w.gauge("queue_capacity", "Batches the ring holds.", l, static_cast<double>(s.queue_capacity));
  w.gauge("queue_wait_seconds", "How long the oldest batch in the ring has waited since its frame was read.", l,
          ns_to_seconds(s.staleness_ns));
  w.gauge("conflating", "1 while option quotes are conflated (the consumer fell behind), else 0.", l,
          s.conflating ? 1.0 : 0.0);
  w.counter("sheds", "Times scheduled option quotes were shed (the consumer fell behind).", l, s.sheds);
  w.counter("shed_contracts", "Scheduled contracts unsubscribed by shedding.", l, s.shed_contracts);
  w.counter("restores", "Times shed option-quote capacity was given back.", l, s.restores);
  w.gauge("shed_capacity", "The backpressure cap on scheduled option-quote slots.", l,
          static_cast<double>(s.shed_capacity));
  constexpr std::string_view kStalenessHelp =
      "Staleness at the consumer: batch = taken minus frame read (batches with rows); event = taken minus SIP time "
      "(every row).";
  w.histogram("staleness_seconds", kStalenessHelp, with("kind", "batch"), s.staleness_batch);
  w.histogram("staleness_seconds", kStalenessHelp, with("kind", "event"), s.staleness_event);
}

}  // namespace

std::string to_prometheus(const MetricsSnapshot& snapshot) {
  Writer w;
  for (const WorkerStats& s : snapshot.stats.workers) write_worker(w, s);
  for (const CounterSeries& c : snapshot.counters) w.counter(c.name, c.help, c.labels, c.value);
  for (const GaugeSeries& g : snapshot.gauges) w.gauge(g.name, g.help, g.labels, g.value);
  for (const HistogramSeries& h : snapshot.histograms) w.histogram(h.name, h.help, h.labels, h.histogram);
  return w.finish();
}

std::string to_prometheus(const ManagerStats& stats) {
  MetricsSnapshot s;
  s.stats = stats;
  return to_prometheus(s);
}

}  // namespace ws_source
