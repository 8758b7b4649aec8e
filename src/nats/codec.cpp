// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The batch encoding of nats_codec.hpp (version 1). Signed differences are computed in unsigned
// arithmetic (wrapping, no overflow), so any int64 pair round-trips.
#include <bit>
#include <cstring>
#include <limits>
#include <string_view>

#include "ws_source/nats_codec.hpp"

namespace ws_source {
namespace {

// A field added to BatchMeta or a row must be added to the encoding (and its version bumped
// when the layout changes): this trips first. (x86-64 layout.)
#if defined(__x86_64__)
static_assert(sizeof(BatchMeta) == 104, "BatchMeta changed: update nats_codec.hpp and codec.cpp");
static_assert(sizeof(OptionTrade) == 104 && sizeof(EquityTrade) == 160 && sizeof(Nbbo) == 136,
              "a row type changed: update nats_codec.hpp and codec.cpp");
#endif

constexpr std::uint8_t kMagic[3] = {'W', 'S', 'B'};
constexpr std::size_t kFixedHeader = 13;
constexpr std::uint8_t kFlagGap = 1;

enum RowKind : std::uint8_t { kOptionTrade = 0, kEquityTrade = 1, kNbbo = 2 };
// Tag bits 2-7, by kind.
constexpr std::uint8_t kBit2 = 1U << 2, kBit3 = 1U << 3, kBit4 = 1U << 4, kBit5 = 1U << 5;

std::uint64_t zigzag(std::int64_t v) noexcept {
  const auto u = static_cast<std::uint64_t>(v);
  return (u << 1) ^ (v < 0 ? ~std::uint64_t{0} : std::uint64_t{0});
}
std::int64_t unzigzag(std::uint64_t u) noexcept {
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));  // ^ 0 or ^ all ones
}
// a - b and a + d, wrapping.
std::int64_t diff(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t add(std::int64_t a, std::int64_t d) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(d));
}

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void varu(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void vars(std::int64_t v) { varu(zigzag(v)); }
  void f64(double d) {
    const auto bits = std::bit_cast<std::uint64_t>(d);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
  }
  void str(std::string_view s) {
    u8(static_cast<std::uint8_t>(s.size()));  // inline strings: < 256 bytes
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void codes(const Codes& c) {
    u8(static_cast<std::uint8_t>(c.size()));
    for (const std::uint16_t v : c) varu(v);
  }
  void contract(const OptionContract& c) {
    str(c.root.view());
    varu(c.expiry.year);
    u8(c.expiry.month);
    u8(c.expiry.day);
    u8(c.right == OptionRight::Call ? 0 : 1);
    varu(c.strike_milli);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

// Whether the contract is what the symbol parses to (then it is implicit on the wire).
bool implicit_contract(const Symbol& symbol, const OptionContract& contract) noexcept {
  const auto parsed = OptionContract::parse(symbol.view());
  return parsed && *parsed == contract;
}

void encode_row(Writer& w, const OptionTrade& t, std::int64_t base) {
  const bool explicit_contract = !implicit_contract(t.symbol, t.contract);
  w.u8(static_cast<std::uint8_t>(kOptionTrade | (explicit_contract ? kBit2 : 0)));
  w.str(t.symbol.view());
  if (explicit_contract) w.contract(t.contract);
  w.varu(t.exchange);
  w.f64(t.price);
  w.varu(t.size);
  w.codes(t.conditions);
  w.vars(diff(t.sip_ts_ns, base));
  w.varu(t.sequence);
}

void encode_row(Writer& w, const EquityTrade& t, std::int64_t base) {
  const auto tag = static_cast<std::uint8_t>(kEquityTrade | (t.tape ? kBit2 : 0) | (t.fractional_size ? kBit3 : 0) |
                                             (t.trf_id ? kBit4 : 0) | (t.trf_ts_ns ? kBit5 : 0));
  w.u8(tag);
  w.str(t.symbol.view());
  w.varu(t.exchange);
  w.str(t.trade_id.view());
  if (t.tape) w.u8(*t.tape);
  w.f64(t.price);
  w.varu(t.size);
  if (t.fractional_size) w.f64(*t.fractional_size);
  w.codes(t.conditions);
  w.vars(diff(t.sip_ts_ns, base));
  w.varu(t.sequence);
  if (t.trf_id) w.varu(*t.trf_id);
  if (t.trf_ts_ns) w.vars(diff(*t.trf_ts_ns, t.sip_ts_ns));
}

void encode_row(Writer& w, const Nbbo& q, std::int64_t base) {
  const bool explicit_contract = q.contract && !implicit_contract(q.symbol, *q.contract);
  const auto tag = static_cast<std::uint8_t>(kNbbo | (q.contract ? kBit2 : 0) | (explicit_contract ? kBit3 : 0) |
                                             (q.condition ? kBit4 : 0) | (q.tape ? kBit5 : 0));
  w.u8(tag);
  w.str(q.symbol.view());
  if (explicit_contract) w.contract(*q.contract);
  w.varu(q.bid_exchange);
  w.varu(q.ask_exchange);
  w.f64(q.bid_price);
  w.f64(q.ask_price);
  w.varu(q.bid_size);
  w.varu(q.ask_size);
  if (q.condition) w.varu(*q.condition);
  w.codes(q.indicators);
  w.vars(diff(q.sip_ts_ns, base));
  w.varu(q.sequence);
  if (q.tape) w.u8(*q.tape);
}

// ---- decoding ----

struct Fail {
  std::size_t offset;
  const char* what;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] std::size_t left() const noexcept { return in_.size() - pos_; }
  [[nodiscard]] const std::optional<Fail>& error() const noexcept { return err_; }
  [[nodiscard]] bool ok() const noexcept { return !err_; }

  void fail_at(const char* what) {
    if (!err_) err_ = Fail{pos_, what};
  }

  std::uint8_t u8() {
    if (!ok() || left() < 1) {
      fail_at("truncated");
      return 0;
    }
    return in_[pos_++];
  }
  std::uint64_t varu() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!ok() || left() < 1) {
        fail_at("truncated varint");
        return 0;
      }
      const std::uint8_t b = in_[pos_++];
      if (shift == 63 && b > 1) {
        fail_at("varint overflows 64 bits");
        return 0;
      }
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    fail_at("varint longer than 10 bytes");
    return 0;
  }
  std::int64_t vars() { return unzigzag(varu()); }
  template <class T>
  T bounded(const char* what) {
    const std::uint64_t v = varu();
    if (v > std::numeric_limits<T>::max()) {
      fail_at(what);
      return 0;
    }
    return static_cast<T>(v);
  }
  double f64() {
    if (!ok() || left() < 8) {
      fail_at("truncated double");
      return 0;
    }
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<std::uint64_t>(in_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    pos_ += 8;
    return std::bit_cast<double>(bits);
  }
  std::string_view str() {
    const std::size_t n = u8();
    if (!ok() || left() < n) {
      fail_at("truncated string");
      return {};
    }
    const std::string_view s(reinterpret_cast<const char*>(in_.data() + pos_), n);  // NOLINT(*-reinterpret-cast)
    pos_ += n;
    return s;
  }
  template <class S>
  S inline_string(const char* what) {
    const std::size_t at = pos_;
    const std::string_view s = str();
    if (!ok() || s.empty()) return S{};  // empty: a default-constructed value
    auto made = S::make(s);
    if (!made) {
      if (!err_) err_ = Fail{at, what};
      return S{};
    }
    return *made;
  }
  Codes codes() {
    const std::size_t at = pos_;
    const std::size_t n = u8();
    Codes c;
    if (n > Codes::kCapacity) {
      if (!err_) err_ = Fail{at, "more than 8 codes"};
      return c;
    }
    for (std::size_t i = 0; i < n && ok(); ++i) (void)c.push_back(bounded<std::uint16_t>("code above 65535"));
    return c;
  }
  OptionContract contract() {
    OptionContract c;
    c.root = inline_string<OptionRoot>("bad option root");
    // Carried as given (an explicit contract is one that does not match its symbol anyway).
    const auto year = bounded<std::uint16_t>("expiry year above 65535");
    const std::uint8_t month = u8();
    const std::uint8_t day = u8();
    c.expiry = Date{year, month, day};
    const std::uint8_t right = u8();
    if (ok() && right > 1) fail_at("bad option right");
    c.right = right == 0 ? OptionRight::Call : OptionRight::Put;
    c.strike_milli = bounded<std::uint32_t>("strike above 2^32");
    return c;
  }
  // The contract a symbol implies (its parse), or an error.
  OptionContract implied_contract(const Symbol& symbol, std::size_t symbol_at) {
    auto parsed = OptionContract::parse(symbol.view());
    if (!parsed) {
      if (!err_) err_ = Fail{symbol_at, "option symbol does not parse and no contract is given"};
      return {};
    }
    return *parsed;
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_{0};
  std::optional<Fail> err_;
};

OptionTrade decode_option_trade(Reader& r, std::uint8_t tag, std::int64_t base) {
  OptionTrade t;
  const std::size_t symbol_at = r.pos();
  t.symbol = r.inline_string<Symbol>("bad symbol");
  t.contract = (tag & kBit2) != 0 ? r.contract() : r.implied_contract(t.symbol, symbol_at);
  t.exchange = r.bounded<std::uint16_t>("exchange above 65535");
  t.price = r.f64();
  t.size = r.varu();
  t.conditions = r.codes();
  t.sip_ts_ns = add(base, r.vars());
  t.sequence = r.varu();
  return t;
}

EquityTrade decode_equity_trade(Reader& r, std::uint8_t tag, std::int64_t base) {
  EquityTrade t;
  t.symbol = r.inline_string<Symbol>("bad symbol");
  t.exchange = r.bounded<std::uint16_t>("exchange above 65535");
  t.trade_id = r.inline_string<TradeId>("bad trade id");
  if ((tag & kBit2) != 0) t.tape = r.u8();
  t.price = r.f64();
  t.size = r.varu();
  if ((tag & kBit3) != 0) t.fractional_size = r.f64();
  t.conditions = r.codes();
  t.sip_ts_ns = add(base, r.vars());
  t.sequence = r.varu();
  if ((tag & kBit4) != 0) t.trf_id = r.bounded<std::uint16_t>("trf id above 65535");
  if ((tag & kBit5) != 0) t.trf_ts_ns = add(t.sip_ts_ns, r.vars());
  return t;
}

Nbbo decode_nbbo(Reader& r, std::uint8_t tag, std::int64_t base) {
  Nbbo q;
  const std::size_t symbol_at = r.pos();
  q.symbol = r.inline_string<Symbol>("bad symbol");
  if ((tag & kBit2) != 0) {
    q.contract = (tag & kBit3) != 0 ? r.contract() : r.implied_contract(q.symbol, symbol_at);
  }
  q.bid_exchange = r.bounded<std::uint16_t>("exchange above 65535");
  q.ask_exchange = r.bounded<std::uint16_t>("exchange above 65535");
  q.bid_price = r.f64();
  q.ask_price = r.f64();
  q.bid_size = r.varu();
  q.ask_size = r.varu();
  if ((tag & kBit4) != 0) q.condition = r.bounded<std::uint16_t>("condition above 65535");
  q.indicators = r.codes();
  q.sip_ts_ns = add(base, r.vars());
  q.sequence = r.varu();
  if ((tag & kBit5) != 0) q.tape = r.u8();
  return q;
}

// Tag bits each kind may set.
constexpr std::uint8_t kAllowedBits[3] = {kBit2, kBit2 | kBit3 | kBit4 | kBit5, kBit2 | kBit3 | kBit4 | kBit5};

}  // namespace

std::ostream& operator<<(std::ostream& os, const BatchDecodeError& e) {
  return os << e.what << " at byte " << e.offset;
}

void encode_batch(const DataBatch<TradeOrNbbo>& batch, std::vector<std::uint8_t>& out) {
  const BatchMeta& m = batch.meta;
  Writer w(out);
  out.reserve(out.size() + 40 + batch.rows.size() * 48);
  for (const std::uint8_t b : kMagic) w.u8(b);
  w.u8(kBatchEncodingVersion);
  w.u32(static_cast<std::uint32_t>(batch.rows.size()));
  w.u8(m.gap ? kFlagGap : 0);
  w.u8(static_cast<std::uint8_t>(m.resource_type));
  w.u8(static_cast<std::uint8_t>(m.source));
  w.u8(static_cast<std::uint8_t>(m.quality));
  w.u8(static_cast<std::uint8_t>(m.connection));
  w.varu(m.shard_id);
  const std::int64_t base = m.watermark_ts_ns;
  w.vars(base);
  w.vars(diff(m.received_at_ns, base));
  w.varu(m.dropped_since_last);
  w.varu(m.conflated_since_last);
  w.varu(m.batch_seq);
  w.varu(m.late_rows);
  if (m.gap) {
    w.vars(diff(m.gap->start_ns, base));
    w.vars(diff(m.gap->end_ns, m.gap->start_ns));
    w.u8(static_cast<std::uint8_t>(m.gap->reason));
  }
  for (const TradeOrNbbo& row : batch.rows) {
    std::visit([&](const auto& r) { encode_row(w, r, base); }, row);
  }
}

std::vector<std::uint8_t> encode_batch(const DataBatch<TradeOrNbbo>& batch) {
  std::vector<std::uint8_t> out;
  encode_batch(batch, out);
  return out;
}

std::optional<std::uint32_t> encoded_row_count(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < kFixedHeader || std::memcmp(bytes.data(), kMagic, 3) != 0 || bytes[3] != kBatchEncodingVersion) {
    return std::nullopt;
  }
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(bytes[4 + i]) << (8 * i);
  return n;
}

Result<void, BatchDecodeError> decode_batch(std::span<const std::uint8_t> bytes, DataBatch<TradeOrNbbo>& out) {
  out.rows.clear();
  out.meta = BatchMeta{};
  if (bytes.size() < kFixedHeader) return fail(BatchDecodeError{bytes.size(), "shorter than the 13-byte header"});
  if (std::memcmp(bytes.data(), kMagic, 3) != 0) return fail(BatchDecodeError{0, "not a ws-source batch (magic)"});
  if (bytes[3] != kBatchEncodingVersion) {
    return fail(BatchDecodeError{3, "unsupported encoding version " + std::to_string(bytes[3])});
  }
  Reader r(bytes);
  for (int i = 0; i < 4; ++i) (void)r.u8();
  std::uint32_t rows = 0;
  for (int i = 0; i < 4; ++i) rows |= static_cast<std::uint32_t>(r.u8()) << (8 * i);
  const std::uint8_t flags = r.u8();
  if ((flags & ~kFlagGap) != 0) return fail(BatchDecodeError{8, "unknown flag bits"});
  const std::uint8_t feed = r.u8();
  const std::uint8_t source = r.u8();
  const std::uint8_t quality = r.u8();
  const std::uint8_t state = r.u8();
  if (feed > static_cast<std::uint8_t>(ResourceType::EquityTrades)) return fail(BatchDecodeError{9, "unknown feed"});
  if (source != 0) return fail(BatchDecodeError{10, "unknown source"});
  if (quality != 0) return fail(BatchDecodeError{11, "unknown quality"});
  if (state > 1) return fail(BatchDecodeError{12, "unknown connection state"});
  BatchMeta& m = out.meta;
  m.resource_type = static_cast<ResourceType>(feed);
  m.connection = state == 0 ? ConnectionState::Connected : ConnectionState::Disconnected;
  m.shard_id = r.bounded<std::size_t>("shard id too large");
  const std::int64_t base = r.vars();
  m.watermark_ts_ns = base;
  m.received_at_ns = add(base, r.vars());
  m.dropped_since_last = r.varu();
  m.conflated_since_last = r.varu();
  m.batch_seq = r.varu();
  m.late_rows = r.varu();
  if ((flags & kFlagGap) != 0) {
    Gap g;
    g.start_ns = add(base, r.vars());
    g.end_ns = add(g.start_ns, r.vars());
    const std::size_t at = r.pos();
    const std::uint8_t reason = r.u8();
    if (r.ok() && reason > static_cast<std::uint8_t>(DisconnectReason::Shutdown)) {
      return fail(BatchDecodeError{at, "unknown disconnect reason"});
    }
    g.reason = static_cast<DisconnectReason>(reason);
    m.gap = g;
  }
  // Every row takes at least 13 bytes: never reserve more than the input can hold.
  if (r.ok() && rows > r.left() / 13) return fail(BatchDecodeError{4, "row count larger than the payload can hold"});
  out.rows.reserve(rows);
  for (std::uint32_t i = 0; i < rows && r.ok(); ++i) {
    const std::size_t at = r.pos();
    const std::uint8_t tag = r.u8();
    if (!r.ok()) break;
    const std::uint8_t kind = tag & 3;
    if (kind > kNbbo) return fail(BatchDecodeError{at, "unknown row kind " + std::to_string(kind)});
    if ((tag & ~3 & ~kAllowedBits[kind]) != 0 || (kind == kNbbo && (tag & kBit3) != 0 && (tag & kBit2) == 0)) {
      return fail(BatchDecodeError{at, "unknown row flags"});
    }
    switch (kind) {
      case kOptionTrade:
        out.rows.emplace_back(decode_option_trade(r, tag, base));
        break;
      case kEquityTrade:
        out.rows.emplace_back(decode_equity_trade(r, tag, base));
        break;
      default:
        out.rows.emplace_back(decode_nbbo(r, tag, base));
        break;
    }
  }
  if (const auto& e = r.error()) return fail(BatchDecodeError{e->offset, e->what});
  if (r.left() != 0) return fail(BatchDecodeError{r.pos(), "bytes left after the last row"});
  return {};
}

Result<DataBatch<TradeOrNbbo>, BatchDecodeError> decode_batch(std::span<const std::uint8_t> bytes) {
  DataBatch<TradeOrNbbo> out;
  auto r = decode_batch(bytes, out);
  if (!r) return fail(std::move(r.error()));
  return out;
}

}  // namespace ws_source
