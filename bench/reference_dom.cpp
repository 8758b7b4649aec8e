// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The DOM baseline: simdjson::dom::parser builds the whole tape, then one walk over each event's
// fields decodes, validates and appends a row, with the rules of ws_source::Parser (see
// reference_dom.hpp). Written the way one would write it without tuning: `ev` by key lookup,
// then a pass over the key/value pairs with a switch on the key.

#include "reference_dom.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <system_error>

#include "ws_source/option_contract.hpp"
#include "ws_source/symbol.hpp"
#include "ws_source/timestamp.hpp"

namespace ws_source::bench {

namespace {

namespace dom = simdjson::dom;

enum Field : std::uint8_t {
  kEv,
  kSym,
  kX,
  kI,
  kZ,
  kP,
  kS,
  kDs,
  kC,
  kT,
  kQ,
  kTrfi,
  kTrft,
  kBx,
  kAx,
  kBp,
  kAp,
  kBs,
  kAs,
  kUnknown = 0xFF,
};

constexpr std::uint32_t bit(Field f) noexcept { return std::uint32_t{1} << f; }

constexpr std::uint32_t kTradeFields = bit(kSym) | bit(kX) | bit(kI) | bit(kZ) | bit(kP) | bit(kS) | bit(kDs) |
                                       bit(kC) | bit(kT) | bit(kQ) | bit(kTrfi) | bit(kTrft);
constexpr std::uint32_t kQuoteFields = bit(kSym) | bit(kBx) | bit(kAx) | bit(kBp) | bit(kAp) | bit(kBs) | bit(kAs) |
                                       bit(kC) | bit(kI) | bit(kT) | bit(kQ) | bit(kZ);

Field match_key(std::string_view k) noexcept {
  switch (k.size()) {
    case 1:
      switch (k[0]) {
        case 'x':
          return kX;
        case 'i':
          return kI;
        case 'z':
          return kZ;
        case 'p':
          return kP;
        case 's':
          return kS;
        case 'c':
          return kC;
        case 't':
          return kT;
        case 'q':
          return kQ;
        default:
          return kUnknown;
      }
    case 2:
      if (k == "ev") return kEv;
      if (k == "bx") return kBx;
      if (k == "ax") return kAx;
      if (k == "bp") return kBp;
      if (k == "ap") return kAp;
      if (k == "bs") return kBs;
      if (k == "as") return kAs;
      if (k == "ds") return kDs;
      return kUnknown;
    case 3:
      return k == "sym" ? kSym : kUnknown;
    case 4:
      if (k == "trfi") return kTrfi;
      if (k == "trft") return kTrft;
      return kUnknown;
    default:
      return kUnknown;
  }
}

struct Wire {
  std::uint32_t present{0};
  std::string_view sym;
  std::string_view i_id;
  bool i_is_list{false};
  Codes i_codes;
  std::string_view ds;
  Codes c_codes;
  std::int64_t x{0}, z{0}, s{0}, t{0}, trfi{0}, trft{0}, bx{0}, ax{0}, bs{0}, as{0};
  std::uint64_t q{0};
  double p{0}, bp{0}, ap{0};

  [[nodiscard]] bool has(Field f) const noexcept { return (present & bit(f)) != 0; }
};

constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();

// Each reader returns nullptr or an error message; null sets `absent`.
const char* read_int(dom::element v, std::int64_t lo, std::int64_t hi, std::int64_t& out, bool& absent) noexcept {
  if (v.get_int64().get(out) != simdjson::SUCCESS) {
    if (v.is_null()) {
      absent = true;
      return nullptr;
    }
    return "expected an integer";
  }
  if (out < lo || out > hi) {
    return lo == 0 && out < 0 ? "negative value" : "integer out of range";
  }
  return nullptr;
}

const char* read_u64(dom::element v, std::uint64_t& out, bool& absent) noexcept {
  if (v.get_uint64().get(out) != simdjson::SUCCESS) {
    if (v.is_null()) {
      absent = true;
      return nullptr;
    }
    return "expected an unsigned integer";
  }
  return nullptr;
}

const char* read_double(dom::element v, double& out, bool& absent) noexcept {
  if (v.get_double().get(out) != simdjson::SUCCESS) {
    if (v.is_null()) {
      absent = true;
      return nullptr;
    }
    return "expected a number";
  }
  return nullptr;
}

const char* read_string(dom::element v, std::string_view& out, bool& absent) noexcept {
  if (v.get_string().get(out) != simdjson::SUCCESS) {
    if (v.is_null()) {
      absent = true;
      return nullptr;
    }
    return "expected a string";
  }
  return nullptr;
}

const char* read_codes(dom::array arr, Codes& out) noexcept {
  for (dom::element el : arr) {
    std::int64_t n = 0;
    bool absent = false;
    if (const char* e = read_int(el, 0, 65535, n, absent)) {
      return e;
    }
    if (absent) {
      return "null condition code";
    }
    if (!out.push_back(static_cast<std::uint16_t>(n))) {
      return "too many codes";
    }
  }
  return nullptr;
}

// `c`: one code or an array; `i`: a trade id string or an array of indicator codes.
const char* read_code_or_list(dom::element v, Field f, Wire& w, bool& absent) noexcept {
  Codes& codes = f == kC ? w.c_codes : w.i_codes;
  switch (v.type()) {
    case dom::element_type::NULL_VALUE:
      absent = true;
      return nullptr;
    case dom::element_type::ARRAY: {
      if (f == kI) {
        w.i_is_list = true;
      }
      dom::array arr;
      if (v.get_array().get(arr) != simdjson::SUCCESS) {
        return "broken array";
      }
      return read_codes(arr, codes);
    }
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      if (f == kC) {
        std::int64_t n = 0;
        if (const char* e = read_int(v, 0, 65535, n, absent)) {
          return e;
        }
        (void)codes.push_back(static_cast<std::uint16_t>(n));
        return nullptr;
      }
      break;
    case dom::element_type::STRING:
      if (f == kI) {
        return read_string(v, w.i_id, absent);
      }
      break;
    default:
      break;
  }
  return f == kC ? "expected a code or an array of codes" : "expected a trade id or an array of codes";
}

const char* read_field(Field f, dom::element v, Wire& w) noexcept {
  bool absent = false;
  const char* e = nullptr;
  switch (f) {
    case kSym:
      e = read_string(v, w.sym, absent);
      break;
    case kX:
      e = read_int(v, 0, 65535, w.x, absent);
      break;
    case kBx:
      e = read_int(v, 0, 65535, w.bx, absent);
      break;
    case kAx:
      e = read_int(v, 0, 65535, w.ax, absent);
      break;
    case kTrfi:
      e = read_int(v, 0, 65535, w.trfi, absent);
      break;
    case kZ:
      e = read_int(v, 0, 255, w.z, absent);
      break;
    case kS:
      e = read_int(v, 0, kI64Max, w.s, absent);
      break;
    case kBs:
      e = read_int(v, 0, kI64Max, w.bs, absent);
      break;
    case kAs:
      e = read_int(v, 0, kI64Max, w.as, absent);
      break;
    case kT:
      e = read_int(v, kI64Min, kI64Max, w.t, absent);
      break;
    case kTrft:
      e = read_int(v, kI64Min, kI64Max, w.trft, absent);
      break;
    case kQ:
      e = read_u64(v, w.q, absent);
      break;
    case kP:
      e = read_double(v, w.p, absent);
      break;
    case kBp:
      e = read_double(v, w.bp, absent);
      break;
    case kAp:
      e = read_double(v, w.ap, absent);
      break;
    case kDs:
      e = read_string(v, w.ds, absent);
      break;
    case kC:
    case kI:
      e = read_code_or_list(v, f, w, absent);
      break;
    default:
      return nullptr;
  }
  if (e == nullptr && !absent) {
    w.present |= bit(f);
  }
  return e;
}

bool valid_price(double v, bool allow_zero) noexcept { return std::isfinite(v) && (allow_zero ? v >= 0.0 : v > 0.0); }

const char* timestamp(std::int64_t ms, const std::optional<FutureLimit>& limit, std::int64_t& out) noexcept {
  auto ns = ms_to_ns(ms, limit);
  if (!ns) {
    return "implausible timestamp";
  }
  out = *ns;
  return nullptr;
}

const char* symbol(const Wire& w, Symbol& sym, std::optional<OptionContract>& contract) noexcept {
  if (!w.has(kSym)) {
    return "missing sym";
  }
  auto s = Symbol::make(w.sym);
  if (!s) {
    return "invalid symbol";
  }
  sym = *s;
  if (w.sym.starts_with("O:")) {
    auto c = OptionContract::parse(w.sym);
    if (!c) {
      return "malformed option symbol";
    }
    contract = *c;
  }
  return nullptr;
}

bool fractional_size(std::string_view ds, double& out) noexcept {
  bool digit = false;
  bool dot = false;
  for (char ch : ds) {
    if (ch >= '0' && ch <= '9') {
      digit = true;
    } else if (ch == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  if (!digit) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(ds.data(), ds.data() + ds.size(), out);
  return ec == std::errc{} && ptr == ds.data() + ds.size() && std::isfinite(out);
}

const char* make_trade(const Wire& w, const std::optional<FutureLimit>& limit, ReferenceFrame& out,
                       std::int64_t& ts) noexcept {
  Symbol sym;
  std::optional<OptionContract> contract;
  if (const char* e = symbol(w, sym, contract)) {
    return e;
  }
  if (!w.has(kX) || !w.has(kP) || !w.has(kS) || !w.has(kT) || !w.has(kQ)) {
    return "missing required field";
  }
  if (!valid_price(w.p, false)) {
    return "invalid price";
  }
  if (const char* e = timestamp(w.t, limit, ts)) {
    return e;
  }
  if (contract) {
    auto& row = out.feeds[index(ResourceType::OptionsTrades)].rows.emplace_back(std::in_place_type<OptionTrade>);
    auto& o = std::get<OptionTrade>(row);
    o.symbol = sym;
    o.contract = *contract;
    o.exchange = static_cast<std::uint16_t>(w.x);
    o.price = w.p;
    o.size = static_cast<std::uint64_t>(w.s);
    o.conditions = w.c_codes;
    o.sip_ts_ns = ts;
    o.sequence = w.q;
    return nullptr;
  }
  if (!w.has(kI)) {
    return "missing trade id";
  }
  if (w.i_is_list) {
    return "trade id is an array";
  }
  auto id = TradeId::make(w.i_id);
  if (!id) {
    return "invalid trade id";
  }
  std::optional<double> ds;
  if (w.has(kDs)) {
    double v = 0;
    if (!fractional_size(w.ds, v)) {
      return "invalid fractional size";
    }
    ds = v;
  }
  std::optional<std::int64_t> trft;
  if (w.has(kTrft)) {
    std::int64_t v = 0;
    if (const char* e = timestamp(w.trft, limit, v)) {
      return e;
    }
    trft = v;
  }
  auto& row = out.feeds[index(ResourceType::EquityTrades)].rows.emplace_back(std::in_place_type<EquityTrade>);
  auto& e = std::get<EquityTrade>(row);
  e.symbol = sym;
  e.exchange = static_cast<std::uint16_t>(w.x);
  e.trade_id = *id;
  if (w.has(kZ)) {
    e.tape = static_cast<std::uint8_t>(w.z);
  }
  e.price = w.p;
  e.size = static_cast<std::uint64_t>(w.s);
  e.fractional_size = ds;
  e.conditions = w.c_codes;
  e.sip_ts_ns = ts;
  e.sequence = w.q;
  if (w.has(kTrfi)) {
    e.trf_id = static_cast<std::uint16_t>(w.trfi);
  }
  e.trf_ts_ns = trft;
  return nullptr;
}

const char* make_quote(const Wire& w, const std::optional<FutureLimit>& limit, ReferenceFrame& out,
                       std::int64_t& ts) noexcept {
  Symbol sym;
  std::optional<OptionContract> contract;
  if (const char* e = symbol(w, sym, contract)) {
    return e;
  }
  if (!w.has(kBx) || !w.has(kAx) || !w.has(kBp) || !w.has(kAp) || !w.has(kBs) || !w.has(kAs) || !w.has(kT) ||
      !w.has(kQ)) {
    return "missing required field";
  }
  if (!valid_price(w.bp, true) || !valid_price(w.ap, true)) {
    return "invalid price";
  }
  if (const char* e = timestamp(w.t, limit, ts)) {
    return e;
  }
  std::optional<std::uint16_t> condition;
  if (w.has(kC)) {
    if (w.c_codes.size() > 1) {
      return "more than one quote condition";
    }
    if (!w.c_codes.empty()) {
      condition = w.c_codes[0];
    }
  }
  if (w.has(kI) && !w.i_is_list) {
    return "indicators are not an array";
  }
  const ResourceType rt = contract ? ResourceType::OptionsQuotes : ResourceType::EquityQuotes;
  auto& row = out.feeds[index(rt)].rows.emplace_back(std::in_place_type<Nbbo>);
  auto& q = std::get<Nbbo>(row);
  q.symbol = sym;
  q.contract = contract;
  q.bid_exchange = static_cast<std::uint16_t>(w.bx);
  q.ask_exchange = static_cast<std::uint16_t>(w.ax);
  q.bid_price = w.bp;
  q.ask_price = w.ap;
  q.bid_size = static_cast<std::uint64_t>(w.bs);
  q.ask_size = static_cast<std::uint64_t>(w.as);
  q.condition = condition;
  q.indicators = w.i_codes;
  q.sip_ts_ns = ts;
  q.sequence = w.q;
  if (w.has(kZ)) {
    q.tape = static_cast<std::uint8_t>(w.z);
  }
  return nullptr;
}

}  // namespace

std::size_t ReferenceFrame::row_count() const noexcept {
  std::size_t n = 0;
  for (const auto& b : feeds) {
    n += b.rows.size();
  }
  return n;
}

void ReferenceFrame::clear() noexcept {
  for (auto& b : feeds) {
    b.rows.clear();
    b.meta = BatchMeta{};
  }
}

struct ReferenceDomParser::Impl {
  dom::parser parser;
  std::string implementation;
  std::string error;
  bool ok{false};
};

ReferenceDomParser::ReferenceDomParser(std::string_view kernel) : impl_(std::make_unique<Impl>()) {
  // dom::parser binds to the active implementation when it first allocates: make the wanted
  // one active for that moment, allocate (64 KiB, far more than any benchmark frame, so it never
  // reallocates), and put the previous one back.
  // The first use of the active implementation resolves simdjson's runtime dispatch (and honours
  // SIMDJSON_FORCE_IMPLEMENTATION); read it after that.
  (void)simdjson::get_active_implementation()->name();
  const simdjson::implementation* previous = simdjson::get_active_implementation();
  const simdjson::implementation* wanted = previous;
  if (!kernel.empty()) {
    wanted = simdjson::get_available_implementations()[kernel];
    if (wanted == nullptr) {
      impl_->error = "simdjson has no implementation '" + std::string(kernel) + "'";
      return;
    }
    if (!wanted->supported_by_runtime_system()) {
      impl_->error = "simdjson implementation '" + std::string(kernel) + "' is not supported by this CPU";
      return;
    }
  }
  simdjson::get_active_implementation() = wanted;
  const auto err = impl_->parser.allocate(64 * 1024);
  simdjson::get_active_implementation() = previous;
  if (err != simdjson::SUCCESS) {
    impl_->error = std::string("dom::parser::allocate: ") + simdjson::error_message(err);
    return;
  }
  impl_->implementation = std::string(wanted->name());
  impl_->ok = true;
}

ReferenceDomParser::~ReferenceDomParser() = default;

bool ReferenceDomParser::ok() const noexcept { return impl_->ok; }
const std::string& ReferenceDomParser::error() const noexcept { return impl_->error; }
const std::string& ReferenceDomParser::implementation() const noexcept { return impl_->implementation; }

const char* ReferenceDomParser::parse(std::span<const char> buffer, std::size_t frame_size, const FrameContext& ctx,
                                      ReferenceFrame& out) noexcept {
  out.clear();
  const char* e = parse_events(buffer, frame_size, ctx, out);
  if (e != nullptr) {
    out.clear();  // like ws_source::Parser: a rejected frame yields no rows
  }
  return e;
}

const char* ReferenceDomParser::parse_events(std::span<const char> buffer, std::size_t frame_size,
                                             const FrameContext& ctx, ReferenceFrame& out) noexcept {
  if (frame_size + kParsePadding > buffer.size()) {
    return "the buffer lacks the padding";
  }
  dom::element root;
  if (impl_->parser.parse(buffer.data(), frame_size, false).get(root) != simdjson::SUCCESS) {
    return "invalid JSON";
  }
  dom::array arr;
  if (root.get_array().get(arr) != simdjson::SUCCESS) {
    return "frame is not an array";
  }
  std::optional<FutureLimit> limit;
  if (ctx.max_future_skew_ns) {
    limit = FutureLimit{ctx.received_at_ns, *ctx.max_future_skew_ns};
  }
  std::array<std::int64_t, 4> max_ts{};
  try {
    for (dom::element el : arr) {
      dom::object obj;
      if (el.get_object().get(obj) != simdjson::SUCCESS) {
        return "event is not an object";
      }
      std::string_view ev;
      {
        dom::element evv;
        if (obj["ev"].get(evv) != simdjson::SUCCESS) {
          return "missing ev";
        }
        if (evv.get_string().get(ev) != simdjson::SUCCESS) {
          return "ev is not a string";
        }
      }
      std::uint32_t wanted = 0;
      bool quote = false;
      if (ev == "T") {
        wanted = kTradeFields;
      } else if (ev == "Q") {
        wanted = kQuoteFields;
        quote = true;
      } else {
        continue;  // status and other event types: not rows
      }
      Wire w;
      std::uint32_t seen = 0;
      for (dom::key_value_pair kv : obj) {
        const Field f = match_key(kv.key);
        if (f == kUnknown) {
          continue;
        }
        if ((seen & bit(f)) != 0) {
          return "duplicate field";
        }
        seen |= bit(f);
        if ((wanted & bit(f)) == 0) {
          continue;
        }
        if (const char* e = read_field(f, kv.value, w)) {
          return e;
        }
      }
      std::int64_t ts = 0;
      if (const char* e = quote ? make_quote(w, limit, out, ts) : make_trade(w, limit, out, ts)) {
        return e;
      }
      const std::size_t feed = index(resource_type_of(quote, w.sym.starts_with("O:")));
      max_ts[feed] = std::max(max_ts[feed], ts);
    }
  } catch (...) {  // row storage growth failed
    return "out of memory";
  }
  for (ResourceType rt : kAllResourceTypes) {
    auto& b = out.feeds[index(rt)];
    if (b.rows.empty()) {
      continue;
    }
    b.meta.resource_type = rt;
    b.meta.shard_id = ctx.shard_id;
    b.meta.watermark_ts_ns = max_ts[index(rt)];
    b.meta.received_at_ns = ctx.received_at_ns;
    b.meta.connection = ConnectionState::Connected;
  }
  return nullptr;
}

std::string simdjson_dispatch_implementation() { return std::string(simdjson::get_active_implementation()->name()); }

}  // namespace ws_source::bench
