// Copyright (c) James Kassemi, SC, US. All rights reserved.
// JSON lines (moved here from examples/ws-ingest/jsonl.cpp, which `--jsonl` used): the row
// encoding, and the file sink.
#include "ws_source/jsonl_sink.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <new>
#include <string_view>

#include "ws_source/logging.hpp"

namespace ws_source {
namespace {

void num(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc{}) {
    out += "null";
    return;
  }
  out.append(buf.data(), end);
}

template <std::integral T>
void num(std::string& out, T v) {
  std::array<char, 24> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  (void)ec;  // 24 characters hold every 64-bit integer
  out.append(buf.data(), end);
}

// A JSON string of printable ASCII (what symbols and ids are), `"` and `\` escaped; any other
// byte below 0x20 as \u00XX.
void str(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      out += kHex[static_cast<unsigned char>(c) & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

// ,"key":
void key(std::string& out, std::string_view k) {
  out += ",\"";
  out += k;
  out += "\":";
}

void codes(std::string& out, std::string_view k, const Codes& c) {
  key(out, k);
  out += '[';
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i != 0) out += ',';
    num(out, c[i]);
  }
  out += ']';
}

void row(std::string& out, const EquityTrade& t) {
  out += R"({"type":"equity_trade","sym":)";
  str(out, t.symbol.view());
  key(out, "x");
  num(out, t.exchange);
  key(out, "i");
  str(out, t.trade_id.view());
  key(out, "p");
  num(out, t.price);
  key(out, "s");
  num(out, t.size);
  if (t.fractional_size) {
    key(out, "ds");
    num(out, *t.fractional_size);
  }
  if (t.tape) {
    key(out, "z");
    num(out, static_cast<unsigned>(*t.tape));
  }
  codes(out, "c", t.conditions);
  key(out, "t_ns");
  num(out, t.sip_ts_ns);
  key(out, "q");
  num(out, t.sequence);
  if (t.trf_id) {
    key(out, "trfi");
    num(out, *t.trf_id);
  }
  if (t.trf_ts_ns) {
    key(out, "trft_ns");
    num(out, *t.trf_ts_ns);
  }
  out += '}';
}

void row(std::string& out, const OptionTrade& t) {
  out += R"({"type":"option_trade","sym":)";
  str(out, t.symbol.view());
  key(out, "x");
  num(out, t.exchange);
  key(out, "p");
  num(out, t.price);
  key(out, "s");
  num(out, t.size);
  codes(out, "c", t.conditions);
  key(out, "t_ns");
  num(out, t.sip_ts_ns);
  key(out, "q");
  num(out, t.sequence);
  out += '}';
}

void row(std::string& out, const Nbbo& q) {
  out += q.is_option() ? R"({"type":"option_quote","sym":)" : R"({"type":"equity_quote","sym":)";
  str(out, q.symbol.view());
  key(out, "bx");
  num(out, q.bid_exchange);
  key(out, "ax");
  num(out, q.ask_exchange);
  key(out, "bp");
  num(out, q.bid_price);
  key(out, "ap");
  num(out, q.ask_price);
  key(out, "bs");
  num(out, q.bid_size);
  key(out, "as");
  num(out, q.ask_size);
  if (q.condition) {
    key(out, "c");
    num(out, *q.condition);
  }
  if (!q.indicators.empty()) codes(out, "i", q.indicators);
  if (q.tape) {
    key(out, "z");
    num(out, static_cast<unsigned>(*q.tape));
  }
  key(out, "t_ns");
  num(out, q.sip_ts_ns);
  key(out, "q");
  num(out, q.sequence);
  out += '}';
}

void batch_line(std::string& out, const DataBatch<TradeOrNbbo>& b) {
  const BatchMeta& m = b.meta;
  out += R"({"type":"batch","feed":)";
  str(out, to_string(m.resource_type));
  key(out, "shard");
  num(out, m.shard_id);
  key(out, "seq");
  num(out, m.batch_seq);
  key(out, "rows");
  num(out, b.rows.size());
  key(out, "watermark_ns");
  num(out, m.watermark_ts_ns);
  key(out, "received_ns");
  num(out, m.received_at_ns);
  key(out, "connection");
  str(out, m.connection == ConnectionState::Connected ? "connected" : "disconnected");
  key(out, "dropped");
  num(out, m.dropped_since_last);
  key(out, "conflated");
  num(out, m.conflated_since_last);
  key(out, "late");
  num(out, m.late_rows);
  if (m.gap) {
    out += R"(,"gap":{"start_ns":)";
    num(out, m.gap->start_ns);
    key(out, "end_ns");
    num(out, m.gap->end_ns);
    key(out, "reason");
    str(out, to_string(m.gap->reason));
    out += '}';
  }
  out += "}\n";
}

constexpr std::size_t kFileBuffer = std::size_t{1} << 20;

std::string errno_text(int err) {
  std::array<char, 128> buf{};
  // The GNU strerror_r returns the message (maybe not in buf).
  const char* msg = strerror_r(err, buf.data(), buf.size());
  return msg != nullptr ? std::string(msg) : std::string("errno ") + std::to_string(err);
}

}  // namespace

void append_jsonl(std::string& out, const DataBatch<TradeOrNbbo>& batch, const JsonlOptions& options) {
  if (options.batches) batch_line(out, batch);
  for (const TradeOrNbbo& r : batch.rows) {
    std::visit([&out](const auto& x) { row(out, x); }, r);
    out += '\n';
  }
}

void write_jsonl(std::ostream& os, const DataBatch<TradeOrNbbo>& batch, const JsonlOptions& options) {
  std::string text;
  append_jsonl(text, batch, options);
  os.write(text.data(), static_cast<std::streamsize>(text.size()));
}

struct JsonlFileSink::Impl {
  struct FileCloser {
    void operator()(std::FILE* f) const noexcept { (void)std::fclose(f); }
  };
  std::filesystem::path path;
  JsonlOptions options;
  std::unique_ptr<std::FILE, FileCloser> file;
  std::unique_ptr<char[]> buffer;  // the stdio buffer: must outlive the FILE
  std::string text;                // reused per write
  bool failed{false};
  std::atomic<std::uint64_t> batches_in{0}, rows_in{0}, batches_out{0}, rows_out{0}, batches_failed{0}, rows_failed{0};

  Result<void, SinkError> io_error(std::string_view what, int err) {
    failed = true;
    return fail(SinkError{SinkError::Kind::Io, std::string(what) + " " + path.string() + ": " + errno_text(err)});
  }

  Result<void, SinkError> close_file() noexcept {
    if (!file) return {};
    std::FILE* f = file.release();
    if (std::fclose(f) != 0) return io_error("cannot close", errno);
    return {};
  }
};

JsonlFileSink::JsonlFileSink(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

Result<std::unique_ptr<JsonlFileSink>, SinkError> JsonlFileSink::open(const std::filesystem::path& path,
                                                                      JsonlOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  impl->file.reset(std::fopen(path.c_str(), "wb"));
  if (!impl->file) {
    return fail(SinkError{SinkError::Kind::Io, "cannot open " + path.string() + " for writing: " + errno_text(errno)});
  }
  impl->buffer = std::make_unique<char[]>(kFileBuffer);
  (void)std::setvbuf(impl->file.get(), impl->buffer.get(), _IOFBF, kFileBuffer);
  return std::unique_ptr<JsonlFileSink>(new JsonlFileSink(std::move(impl)));
}

JsonlFileSink::~JsonlFileSink() {
  if (auto r = close(); !r) {
    log_line(LogLevel::Error, LogLine("jsonl sink: closing failed").kv("error", r.error().message).str());
  }
}

Result<void, SinkError> JsonlFileSink::write(const DataBatch<TradeOrNbbo>& batch) noexcept {
  Impl& s = *impl_;
  const std::uint64_t rows = batch.rows.size();
  s.batches_in.fetch_add(1, std::memory_order_relaxed);
  s.rows_in.fetch_add(rows, std::memory_order_relaxed);
  const auto refuse = [&](Result<void, SinkError> e) {
    s.batches_failed.fetch_add(1, std::memory_order_relaxed);
    s.rows_failed.fetch_add(rows, std::memory_order_relaxed);
    return e;
  };
  if (s.failed || !s.file) {
    return refuse(fail(SinkError{SinkError::Kind::Closed, "jsonl sink " + s.path.string() + " is closed"}));
  }
  try {
    s.text.clear();
    append_jsonl(s.text, batch, s.options);
  } catch (const std::bad_alloc&) {
    return refuse(fail(SinkError{SinkError::Kind::Internal, "out of memory formatting a batch"}));
  }
  if (!s.text.empty() && std::fwrite(s.text.data(), 1, s.text.size(), s.file.get()) != s.text.size()) {
    return refuse(s.io_error("cannot write", errno));
  }
  s.batches_out.fetch_add(1, std::memory_order_relaxed);
  s.rows_out.fetch_add(rows, std::memory_order_relaxed);
  return {};
}

Result<void, SinkError> JsonlFileSink::flush(std::chrono::milliseconds /*timeout*/) noexcept {
  Impl& s = *impl_;
  if (s.failed || !s.file)
    return fail(SinkError{SinkError::Kind::Closed, "jsonl sink " + s.path.string() + " is closed"});
  if (std::fflush(s.file.get()) != 0) return s.io_error("cannot write", errno);
  return {};
}

Result<void, SinkError> JsonlFileSink::close() noexcept { return impl_->close_file(); }

SinkStats JsonlFileSink::stats() const noexcept {
  const Impl& s = *impl_;
  SinkStats out;
  out.batches_in = s.batches_in.load(std::memory_order_relaxed);
  out.rows_in = s.rows_in.load(std::memory_order_relaxed);
  out.batches_out = s.batches_out.load(std::memory_order_relaxed);
  out.rows_out = s.rows_out.load(std::memory_order_relaxed);
  out.batches_failed = s.batches_failed.load(std::memory_order_relaxed);
  out.rows_failed = s.rows_failed.load(std::memory_order_relaxed);
  return out;
}

std::string JsonlFileSink::describe() const { return "jsonl:" + impl_->path.string(); }

}  // namespace ws_source
