// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The frame parser on simdjson On Demand. This is the only translation unit that includes
// simdjson: On Demand's value parsing is compiled into it with the kernel chosen by the build
// (WS_SOURCE_SIMDJSON_KERNEL, see CMakeLists.txt), so keep it the only one.
//
// Shape of the hot path, per event: read `ev` (normally the first key), rewind the object, walk
// its fields once, decoding each field the event type uses straight into a flat `Wire` record
// (no allocation: strings are views into simdjson's buffer, symbols are copied into inline
// storage), then validate and append one row to the feed's row vector, which is reused frame
// after frame. Everything on the error path (messages, excerpts, diagnosis) is built only once a
// frame has failed.

#include <simdjson.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <utility>

#include "parse/fast_scan.hpp"
#include "parse/frame_scan.hpp"
#include "ws_source/parse.hpp"
#include "ws_source/timestamp.hpp"

namespace ws_source {

static_assert(kParsePadding == simdjson::SIMDJSON_PADDING, "kParsePadding must match simdjson");

namespace od = simdjson::SIMDJSON_BUILTIN_IMPLEMENTATION::ondemand;

std::string_view parser_kernel() noexcept { return SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION); }

bool parser_kernel_supported() noexcept {
#if defined(__x86_64__) || defined(_M_X64)
  const std::string_view k = parser_kernel();
  if (k == "icelake") {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
           __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
           __builtin_cpu_supports("pclmul");
  }
  if (k == "haswell") {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("pclmul");
  }
  if (k == "westmere") {
    return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
  }
#endif
  return true;
}

namespace {

// ---- Wire record -------------------------------------------------------------------------------

// Every field an ingested event may carry, as a bit index.
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
  kStatus,
  kMessage,
  kFieldCount,
  kUnknown = 0xFF,
};

constexpr std::array<std::string_view, kFieldCount> kFieldNames{"ev", "sym", "x",  "i",  "z",    "p",      "s",
                                                                "ds", "c",   "t",  "q",  "trfi", "trft",   "bx",
                                                                "ax", "bp",  "ap", "bs", "as",   "status", "message"};

constexpr std::uint32_t bit(Field f) noexcept { return std::uint32_t{1} << f; }

// Fields each event type reads; any other key is skipped unread.
constexpr std::uint32_t kTradeFields = bit(kSym) | bit(kX) | bit(kI) | bit(kZ) | bit(kP) | bit(kS) | bit(kDs) |
                                       bit(kC) | bit(kT) | bit(kQ) | bit(kTrfi) | bit(kTrft);
constexpr std::uint32_t kQuoteFields = bit(kSym) | bit(kBx) | bit(kAx) | bit(kBp) | bit(kAp) | bit(kBs) | bit(kAs) |
                                       bit(kC) | bit(kI) | bit(kT) | bit(kQ) | bit(kZ);
constexpr std::uint32_t kStatusFields = bit(kStatus) | bit(kMessage);

enum class EventType : std::uint8_t { Trade, Quote, Status, Other };

// The event type an `ev` value names, and the fields that type reads (`wanted`); Other (and no
// fields) for the rest, which are skipped and counted.
[[gnu::always_inline]] inline EventType event_type(std::string_view ev, std::uint32_t& wanted) noexcept {
  if (ev.size() == 1 && ev[0] == 'T') {
    wanted = kTradeFields;
    return EventType::Trade;
  }
  if (ev.size() == 1 && ev[0] == 'Q') {
    wanted = kQuoteFields;
    return EventType::Quote;
  }
  if (ev == "status") {
    wanted = kStatusFields;
    return EventType::Status;
  }
  return EventType::Other;
}

struct Wire {
  std::uint32_t present{0};
  std::string_view sym;
  std::string_view i_id;  // `i` as a string (trade id)
  bool i_is_list{false};
  Codes i_codes;  // `i` as an array (indicators)
  std::string_view ds;
  std::string_view status;
  std::string_view message;
  Codes c_codes;
  bool c_is_list{false};
  std::int64_t x{0}, z{0}, s{0}, t{0}, trfi{0}, trft{0}, bx{0}, ax{0}, bs{0}, as{0};
  std::uint64_t q{0};
  double p{0}, bp{0}, ap{0};

  [[nodiscard]] bool has(Field f) const noexcept { return (present & bit(f)) != 0; }
};

// A failure inside one event, before the frame-level context is added.
struct EventFailure {
  ParseErrorKind kind;
  Field field;
  std::string detail;
};

// Maps a raw key (the bytes after the opening quote) to a Field. Keys with escapes or longer
// than 7 bytes go through `slow_key`.
inline Field match_key(std::string_view k) noexcept {
  // Compare bytes, not strings: this runs ten times per event.
  const auto c = [&k](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(k[i])); };
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
      switch ((c(0) << 8) | c(1)) {
        case ('e' << 8) | 'v':
          return kEv;
        case ('b' << 8) | 'x':
          return kBx;
        case ('a' << 8) | 'x':
          return kAx;
        case ('b' << 8) | 'p':
          return kBp;
        case ('a' << 8) | 'p':
          return kAp;
        case ('b' << 8) | 's':
          return kBs;
        case ('a' << 8) | 's':
          return kAs;
        case ('d' << 8) | 's':
          return kDs;
        default:
          return kUnknown;
      }
    case 3:
      return std::memcmp(k.data(), "sym", 3) == 0 ? kSym : kUnknown;
    case 4:
      if (std::memcmp(k.data(), "trf", 3) == 0) {
        return k[3] == 'i' ? kTrfi : k[3] == 't' ? kTrft : kUnknown;
      }
      return kUnknown;
    case 6:
      return std::memcmp(k.data(), "status", 6) == 0 ? kStatus : kUnknown;
    case 7:
      return std::memcmp(k.data(), "message", 7) == 0 ? kMessage : kUnknown;
    default:
      return kUnknown;
  }
}

// The key of `field` as a Field, matched on its raw bytes in the input. A key written with escapes
// is never unescaped (no known key needs them; and unescaping a key twice, as a rescan of the
// object would, overruns simdjson's string buffer): it is simply not a known key.
inline Field key_of(od::field& field) noexcept {
  const char* raw = field.key().raw();  // after the opening quote; stage 1 saw the closing one
  std::size_t n = 0;
  while (n < 8 && raw[n] != '"' && raw[n] != '\\') {
    ++n;
  }
  return raw[n] == '"' ? match_key({raw, n}) : kUnknown;
}

const char* json_type_name(od::value& v) noexcept {
  od::json_type t;
  if (v.type().get(t) != simdjson::SUCCESS) {
    return "an invalid JSON value";
  }
  switch (t) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown JSON value";
}

std::string token_text(od::value& v) {
  std::string_view raw = v.raw_json_token();
  std::size_t end = detail::value_end(raw, 0);
  return detail::excerpt(raw.substr(0, end), 40);
}

// Builds the failure for a value that did not decode as `expected`: null counts as absent (the
// caller treats it so), a non-JSON token (NaN, Infinity) is invalid JSON, any other value is the
// wrong type, or a number out of range.
EventFailure type_failure(od::value& v, Field f, simdjson::error_code err, const char* expected) {
  std::string tok = token_text(v);
  if (err == simdjson::NUMBER_ERROR || err == simdjson::NUMBER_OUT_OF_RANGE) {
    od::json_type t;
    if (v.type().get(t) == simdjson::SUCCESS && t == od::json_type::number) {
      const bool price = f == kP || f == kBp || f == kAp;
      return {price ? ParseErrorKind::InvalidPrice : ParseErrorKind::WrongType, f,
              (price ? "invalid price " : "expected " + std::string(expected) + ", found ") + tok +
                  (price ? " (out of the range of a double)" : " (out of range)")};
    }
  }
  const char* found = json_type_name(v);
  if (std::strcmp(found, "an invalid JSON value") == 0 || err == simdjson::TAPE_ERROR) {
    return {ParseErrorKind::InvalidJson, f, tok + " is not a valid JSON value"};
  }
  return {ParseErrorKind::WrongType, f, "expected " + std::string(expected) + ", found " + found + " " + tok};
}

inline bool is_null(od::value& v) noexcept {
  bool null = false;
  return v.is_null().get(null) == simdjson::SUCCESS && null;
}

// Reads an integer in [lo, hi]. Returns false and fills `fail` on error; `absent` for null.
[[gnu::always_inline]] inline bool read_int(od::value& v, Field f, std::int64_t lo, std::int64_t hi, std::int64_t& out,
                                            bool& absent, EventFailure& failure) {
  // Unsigned fields (all but timestamps) read as u64: slightly cheaper, and the common case.
  if (std::uint64_t u = 0; lo == 0 && v.get_uint64().get(u) == simdjson::SUCCESS && u <= static_cast<std::uint64_t>(hi))
      [[likely]] {
    out = static_cast<std::int64_t>(u);
    return true;
  }
  std::int64_t n = 0;
  auto err = v.get_int64().get(n);
  if (err != simdjson::SUCCESS) [[unlikely]] {
    if (is_null(v)) {
      absent = true;
      return true;
    }
    // A u64 beyond i64 is a number simdjson reads as unsigned: out of range for us too.
    const char* what = hi == std::numeric_limits<std::int64_t>::max() ? "an integer" : "an integer code";
    failure = type_failure(v, f, err, what);
    return false;
  }
  if (n < lo || n > hi) [[unlikely]] {
    if (lo == 0 && n < 0 && (f == kS || f == kBs || f == kAs)) {
      failure = {ParseErrorKind::NegativeSize, f, "negative size " + std::to_string(n)};
    } else {
      failure = {
          ParseErrorKind::WrongType, f,
          "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", found " + std::to_string(n)};
    }
    return false;
  }
  out = n;
  return true;
}

[[gnu::always_inline]] inline bool read_u64(od::value& v, Field f, std::uint64_t& out, bool& absent,
                                            EventFailure& failure) {
  auto err = v.get_uint64().get(out);
  if (err != simdjson::SUCCESS) [[unlikely]] {
    if (is_null(v)) {
      absent = true;
      return true;
    }
    failure = type_failure(v, f, err, "an unsigned integer");
    return false;
  }
  return true;
}

[[gnu::always_inline]] inline bool read_double(od::value& v, Field f, double& out, bool& absent,
                                               EventFailure& failure) {
  auto err = v.get_double().get(out);
  if (err != simdjson::SUCCESS) [[unlikely]] {
    if (is_null(v)) {
      absent = true;
      return true;
    }
    failure = type_failure(v, f, err, "a number");
    return false;
  }
  return true;
}

[[gnu::always_inline]] inline bool read_string(od::value& v, Field f, std::string_view& out, bool& absent,
                                               EventFailure& failure) {
  auto err = v.get_string().get(out);
  if (err != simdjson::SUCCESS) [[unlikely]] {
    if (is_null(v)) {
      absent = true;
      return true;
    }
    failure = type_failure(v, f, err, "a string");
    return false;
  }
  return true;
}

// Reads an array of u16 codes into `out`.
bool read_codes(od::array arr, Field f, Codes& out, EventFailure& failure) {
  std::size_t k = 0;
  for (auto el : arr) {
    od::value v;
    if (auto e = std::move(el).get(v)) {
      failure = {ParseErrorKind::InvalidJson, f, std::string("broken array: ") + simdjson::error_message(e)};
      return false;
    }
    std::int64_t n = 0;
    bool absent = false;
    if (!read_int(v, f, 0, 65535, n, absent, failure) || absent) {
      if (absent) {
        failure = {ParseErrorKind::WrongType, f, "expected an integer code, found null"};
      }
      failure.detail = "element " + std::to_string(k) + ": " + failure.detail;
      return false;
    }
    if (!out.push_back(static_cast<std::uint16_t>(n))) {
      failure = {ParseErrorKind::TooManyCodes, f,
                 "more than " + std::to_string(Codes::kCapacity) + " codes in one event"};
      return false;
    }
    ++k;
  }
  return true;
}

// `c`: one integer code, or an array of them. `i`: a string (trade id) or an array (indicators).
bool read_code_or_list(od::value& v, Field f, Wire& w, bool& absent, EventFailure& failure) {
  od::json_type t;
  if (auto e = v.type().get(t)) {
    failure = {ParseErrorKind::InvalidJson, f, std::string("invalid value: ") + simdjson::error_message(e)};
    return false;
  }
  Codes& codes = f == kC ? w.c_codes : w.i_codes;
  bool& is_list = f == kC ? w.c_is_list : w.i_is_list;
  switch (t) {
    case od::json_type::null:
      absent = true;
      return true;
    case od::json_type::array: {
      od::array arr;
      if (auto e = v.get_array().get(arr)) {
        failure = {ParseErrorKind::InvalidJson, f, simdjson::error_message(e)};
        return false;
      }
      is_list = true;
      return read_codes(arr, f, codes, failure);
    }
    case od::json_type::number:
      if (f == kC) {
        std::int64_t n = 0;
        if (!read_int(v, f, 0, 65535, n, absent, failure)) {
          return false;
        }
        (void)codes.push_back(static_cast<std::uint16_t>(n));
        return true;
      }
      break;
    case od::json_type::string:
      if (f == kI) {
        return read_string(v, f, w.i_id, absent, failure);
      }
      break;
    default:
      break;
  }
  failure = type_failure(v, f, simdjson::INCORRECT_TYPE,
                         f == kC ? "an integer code or an array of codes" : "a trade id string or an array of codes");
  return false;
}

// Decodes one field's value into `w`. Returns false with `failure` set on error.
inline bool read_field(Field f, od::value& v, Wire& w, EventFailure& failure) {
  bool absent = false;
  bool ok = true;
  switch (f) {
    case kSym:
      ok = read_string(v, f, w.sym, absent, failure);
      break;
    case kX:
      ok = read_int(v, f, 0, 65535, w.x, absent, failure);
      break;
    case kBx:
      ok = read_int(v, f, 0, 65535, w.bx, absent, failure);
      break;
    case kAx:
      ok = read_int(v, f, 0, 65535, w.ax, absent, failure);
      break;
    case kTrfi:
      ok = read_int(v, f, 0, 65535, w.trfi, absent, failure);
      break;
    case kZ:
      ok = read_int(v, f, 0, 255, w.z, absent, failure);
      break;
    case kS:
      ok = read_int(v, f, 0, std::numeric_limits<std::int64_t>::max(), w.s, absent, failure);
      break;
    case kBs:
      ok = read_int(v, f, 0, std::numeric_limits<std::int64_t>::max(), w.bs, absent, failure);
      break;
    case kAs:
      ok = read_int(v, f, 0, std::numeric_limits<std::int64_t>::max(), w.as, absent, failure);
      break;
    case kT:
      ok = read_int(v, f, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), w.t,
                    absent, failure);
      break;
    case kTrft:
      ok = read_int(v, f, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), w.trft,
                    absent, failure);
      break;
    case kQ:
      ok = read_u64(v, f, w.q, absent, failure);
      break;
    case kP:
      ok = read_double(v, f, w.p, absent, failure);
      break;
    case kBp:
      ok = read_double(v, f, w.bp, absent, failure);
      break;
    case kAp:
      ok = read_double(v, f, w.ap, absent, failure);
      break;
    case kDs:
      ok = read_string(v, f, w.ds, absent, failure);
      break;
    case kStatus:
      ok = read_string(v, f, w.status, absent, failure);
      break;
    case kMessage:
      ok = read_string(v, f, w.message, absent, failure);
      break;
    case kC:
    case kI:
      ok = read_code_or_list(v, f, w, absent, failure);
      break;
    default:
      return true;
  }
  if (ok && !absent) {
    w.present |= bit(f);
  }
  return ok;
}

// ---- Validation into rows ---------------------------------------------------------------------

struct Checks {
  std::optional<FutureLimit> limit;
  // The latest acceptable timestamp in ns, as ms_to_ns computes it from `limit` (the maximum
  // without one): the hot path compares against it and calls ms_to_ns only for an error.
  std::int64_t bound_ns{std::numeric_limits<std::int64_t>::max()};

  explicit Checks(const FrameContext& ctx) noexcept {
    if (ctx.max_future_skew_ns) {
      limit = FutureLimit{ctx.received_at_ns, *ctx.max_future_skew_ns};
      constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
      const std::int64_t skew = limit->max_skew_ns < 0 ? 0 : limit->max_skew_ns;
      bound_ns = limit->received_at_ns > kMax - skew ? kMax : limit->received_at_ns + skew;
    }
  }
};

inline bool require(const Wire& w, Field f, EventFailure& failure) {
  if (!w.has(f)) [[unlikely]] {
    failure = {ParseErrorKind::MissingField, f, "missing required field"};
    return false;
  }
  return true;
}

std::string number_text(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

inline bool price(const Wire& w, Field f, double v, bool allow_zero, double& out, EventFailure& failure) {
  if (!require(w, f, failure)) {
    return false;
  }
  const bool ok = std::isfinite(v) && (allow_zero ? v >= 0.0 : v > 0.0);
  if (!ok) [[unlikely]] {
    failure = {ParseErrorKind::InvalidPrice, f, "invalid price " + number_text(v)};
    return false;
  }
  out = v;
  return true;
}

inline bool timestamp(const Wire& w, Field f, std::int64_t ms, const Checks& checks, std::int64_t& out,
                      EventFailure& failure) {
  if (!require(w, f, failure)) {
    return false;
  }
  if (ms >= kMinPlausibleMs && ms < kMaxPlausibleMs) [[likely]] {  // ms_to_ns's checks, inline
    const std::int64_t ns = ms * kNanosPerMilli;
    if (ns <= checks.bound_ns) [[likely]] {
      out = ns;
      return true;
    }
  }
  auto ns = ms_to_ns(ms, checks.limit);
  if (!ns) [[unlikely]] {
    failure = {ParseErrorKind::InvalidTimestamp, f, "implausible timestamp: " + ns.error().message()};
    return false;
  }
  out = *ns;
  return true;
}

// `starts_with("O:")` without the library call.
[[gnu::always_inline]] inline bool is_option_symbol(std::string_view s) noexcept {
  return s.size() >= 2 && s[0] == 'O' && s[1] == ':';
}

inline bool symbol(const Wire& w, Symbol& sym, std::optional<OptionContract>& contract, EventFailure& failure) {
  if (!require(w, kSym, failure)) {
    return false;
  }
  auto invalid_symbol = [&](const InlineStringError& e) {
    failure = {ParseErrorKind::InvalidSymbol, kSym,
               "invalid symbol \"" + detail::excerpt(w.sym, 40) + "\": " + e.message()};
    return false;
  };
  if (is_option_symbol(w.sym)) {
    // The OCC rule is stricter than Symbol's (A-Z0-9, digits, C/P, at most 23 bytes): a contract
    // that parses is a valid Symbol, so the bytes are checked once.
    auto c = OptionContract::parse(w.sym);
    if (!c) [[unlikely]] {
      if (auto s = Symbol::make(w.sym); !s) {
        return invalid_symbol(s.error());
      }
      failure = {ParseErrorKind::InvalidOccSymbol, kSym,
                 "malformed option symbol \"" + std::string(w.sym) + "\": " + std::string(describe(c.error()))};
      return false;
    }
    contract = *c;
    sym = Symbol::unchecked(w.sym);
    return true;
  }
  auto s = Symbol::make(w.sym);
  if (!s) [[unlikely]] {
    return invalid_symbol(s.error());
  }
  sym = *s;
  return true;
}

bool fractional_size(std::string_view ds, double& out) noexcept {
  // A plain decimal: digits, at most one '.', at least one digit; no sign, exponent or spaces.
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

bool make_trade(const Wire& w, const Checks& checks, std::vector<TradeOrNbbo>* rows, std::int64_t& ts,
                EventFailure& failure) {
  Symbol sym;
  std::optional<OptionContract> contract;
  double p = 0;
  std::int64_t t = 0;
  if (!symbol(w, sym, contract, failure) || !require(w, kX, failure) || !price(w, kP, w.p, false, p, failure) ||
      !require(w, kS, failure) || !timestamp(w, kT, w.t, checks, t, failure) || !require(w, kQ, failure)) {
    return false;
  }
  ts = t;
  if (contract) {
    auto& row = rows[index(ResourceType::OptionsTrades)].emplace_back(std::in_place_type<OptionTrade>);
    auto& o = std::get<OptionTrade>(row);
    o.symbol = sym;
    o.contract = *contract;
    o.exchange = static_cast<std::uint16_t>(w.x);
    o.price = p;
    o.size = static_cast<std::uint64_t>(w.s);
    o.conditions = w.c_codes;
    o.sip_ts_ns = t;
    o.sequence = w.q;
    return true;
  }
  if (!require(w, kI, failure)) {
    return false;
  }
  if (w.i_is_list) {
    failure = {ParseErrorKind::WrongType, kI, "expected a trade id string, found an array"};
    return false;
  }
  auto id = TradeId::make(w.i_id);
  if (!id) {
    failure = {ParseErrorKind::InvalidSymbol, kI,
               "invalid trade id \"" + detail::excerpt(w.i_id, 40) + "\": " + id.error().message()};
    return false;
  }
  std::optional<double> ds;
  if (w.has(kDs)) {
    double v = 0;
    if (!fractional_size(w.ds, v)) {
      failure = {ParseErrorKind::InvalidFractionalSize, kDs,
                 "invalid fractional size \"" + detail::excerpt(w.ds, 40) + "\""};
      return false;
    }
    ds = v;
  }
  std::optional<std::int64_t> trft;
  if (w.has(kTrft)) {
    std::int64_t v = 0;
    if (!timestamp(w, kTrft, w.trft, checks, v, failure)) {
      return false;
    }
    trft = v;
  }
  auto& row = rows[index(ResourceType::EquityTrades)].emplace_back(std::in_place_type<EquityTrade>);
  auto& e = std::get<EquityTrade>(row);
  e.symbol = sym;
  e.exchange = static_cast<std::uint16_t>(w.x);
  e.trade_id = *id;
  if (w.has(kZ)) {
    e.tape = static_cast<std::uint8_t>(w.z);
  }
  e.price = p;
  e.size = static_cast<std::uint64_t>(w.s);
  e.fractional_size = ds;
  e.conditions = w.c_codes;
  e.sip_ts_ns = t;
  e.sequence = w.q;
  if (w.has(kTrfi)) {
    e.trf_id = static_cast<std::uint16_t>(w.trfi);
  }
  e.trf_ts_ns = trft;
  return true;
}

// The quote's fields into `q`, a row already in place (so nothing is copied twice); false with
// `failure` set, the checks in the same order as ever.
inline bool fill_quote(const Wire& w, const Checks& checks, Nbbo& q, EventFailure& failure) {
  if (!symbol(w, q.symbol, q.contract, failure) || !require(w, kBx, failure) || !require(w, kAx, failure) ||
      !price(w, kBp, w.bp, true, q.bid_price, failure) || !price(w, kAp, w.ap, true, q.ask_price, failure) ||
      !require(w, kBs, failure) || !require(w, kAs, failure) || !timestamp(w, kT, w.t, checks, q.sip_ts_ns, failure) ||
      !require(w, kQ, failure)) {
    return false;
  }
  if (w.has(kC)) {
    if (w.c_codes.size() > 1) {
      failure = {ParseErrorKind::WrongType, kC, "expected one quote condition, found an array of several"};
      return false;
    }
    if (!w.c_codes.empty()) {
      q.condition = w.c_codes[0];
    }
  }
  if (w.has(kI) && !w.i_is_list) {
    failure = {ParseErrorKind::WrongType, kI, "expected an array of indicator codes, found a string"};
    return false;
  }
  q.bid_exchange = static_cast<std::uint16_t>(w.bx);
  q.ask_exchange = static_cast<std::uint16_t>(w.ax);
  q.bid_size = static_cast<std::uint64_t>(w.bs);
  q.ask_size = static_cast<std::uint64_t>(w.as);
  q.indicators = w.i_codes;
  q.sequence = w.q;
  if (w.has(kZ)) {
    q.tape = static_cast<std::uint8_t>(w.z);
  }
  return true;
}

bool make_quote(const Wire& w, const Checks& checks, std::vector<TradeOrNbbo>* rows, std::int64_t& ts,
                EventFailure& failure) {
  // The feed follows from the symbol (an `O:` one either parses as a contract or is an error).
  auto& feed = rows[index(is_option_symbol(w.sym) ? ResourceType::OptionsQuotes : ResourceType::EquityQuotes)];
  auto& q = std::get<Nbbo>(feed.emplace_back(std::in_place_type<Nbbo>));
  if (!fill_quote(w, checks, q, failure)) [[unlikely]] {
    feed.pop_back();
    return false;
  }
  ts = q.sip_ts_ns;
  return true;
}

// ---- Frame -------------------------------------------------------------------------------------

// A frame-level failure: where, what. Turned into a ParseError with excerpt by `finish_error`.
struct FrameFailure {
  ParseErrorKind kind{ParseErrorKind::InvalidJson};
  std::optional<std::size_t> event_index;
  Field field{kUnknown};
  std::string ev;
  std::string sym;
  std::string detail;
  bool simdjson_setup_failed{false};
};

std::string json_error(simdjson::error_code e) { return std::string("invalid JSON: ") + simdjson::error_message(e); }

// ---- Canonical fast path ---------------------------------------------------------------------
// Massive's frames have one shape: an array of flat objects whose first key is `ev`, keys without
// escapes, plain numbers and strings, codes as arrays of small integers. This scanner reads such a
// frame straight from the bytes, fills the same `Wire` and runs the same validation (make_trade,
// make_quote) as the general path. Anything outside that shape, and any event that fails
// validation, makes it give up ("bail"): the caller then parses the whole frame again with
// simdjson On Demand, which produces the same rows or the error. So the fast path never decides an
// error and never accepts what the general path would reject (the kernel_agreement and property
// tests compare the two on every corpus frame). Bytes outside ASCII make it bail, so it needs no
// UTF-8 pass; the general path validates.

namespace fast = detail::fast;

// `,"key":` of each field as the bytes of a little-endian 64-bit word, with the mask of its
// length (keys of up to 4 bytes fit; longer ones are never predicted).
struct KeyPattern {
  std::uint64_t bytes{0};
  std::uint64_t mask{0};
  std::size_t length{0};
};

constexpr KeyPattern key_pattern(std::string_view name) {
  KeyPattern kp;
  const std::size_t n = name.size() + 4;  // , " name " :
  if (n > 8) {
    return kp;  // mask 0 with bytes 0 would match anything: length 0 marks "never"
  }
  const auto put = [&kp](std::size_t i, char c) {
    kp.bytes |= static_cast<std::uint64_t>(static_cast<unsigned char>(c)) << (8 * i);
  };
  put(0, ',');
  put(1, '"');
  for (std::size_t i = 0; i < name.size(); ++i) {
    put(2 + i, name[i]);
  }
  put(2 + name.size(), '"');
  put(3 + name.size(), ':');
  kp.mask = n == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
  kp.length = n;
  return kp;
}

constexpr std::array<KeyPattern, kFieldCount> make_key_patterns() {
  std::array<KeyPattern, kFieldCount> out{};
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    out[f] = key_pattern(kFieldNames[f]);
  }
  return out;
}
constexpr std::array<KeyPattern, kFieldCount> kKeyPatterns = make_key_patterns();
static_assert(kKeyPatterns[kStatus].length == 0 && kKeyPatterns[kTrft].length == 8);

// The order Massive writes each event type's fields in (absent ones are passed over).
constexpr std::array<Field, 12> kTradeOrder{kSym, kX, kI, kZ, kP, kS, kDs, kC, kT, kQ, kTrfi, kTrft};
constexpr std::array<Field, 12> kQuoteOrder{kSym, kBx, kAx, kBp, kAp, kBs, kAs, kC, kI, kT, kQ, kZ};

// Reads `[n, n, …]` of u16 codes into `codes`.
inline bool fast_codes(const char*& p, const char* end, Codes& codes) noexcept {
  ++p;  // '['
  p = fast::skip_ws(p, end);
  if (p < end && *p == ']') {
    ++p;
    return true;
  }
  while (true) {
    std::uint64_t v = 0;
    if (!fast::unsigned_int(p, end, v) || v > 65535 || !codes.push_back(static_cast<std::uint16_t>(v))) {
      return false;
    }
    p = fast::skip_ws(p, end);
    if (p < end && *p == ',') {
      p = fast::skip_ws(p + 1, end);
      continue;
    }
    if (p < end && *p == ']') {
      ++p;
      return true;
    }
    return false;
  }
}

[[gnu::always_inline]] inline bool fast_int(const char*& p, const char* end, std::uint64_t max,
                                            std::int64_t& out) noexcept {
  std::uint64_t v = 0;
  if (!fast::unsigned_int(p, end, v) || v > max) {
    return false;
  }
  out = static_cast<std::int64_t>(v);
  return true;
}

// One field value of a wanted field into `w`. Inlined where `f` is a constant, the switch goes.
[[gnu::always_inline]] inline bool fast_field(Field f, const char*& p, const char* end, Wire& w) noexcept {
  constexpr auto kI64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  bool ok = false;
  switch (f) {
    case kSym:
      ok = p < end && *p == '"' && fast::string(p, end, w.sym);
      break;
    case kDs:
      ok = p < end && *p == '"' && fast::string(p, end, w.ds);
      break;
    case kStatus:
      ok = p < end && *p == '"' && fast::string(p, end, w.status);
      break;
    case kMessage:
      ok = p < end && *p == '"' && fast::string(p, end, w.message);
      break;
    case kX:
      ok = fast_int(p, end, 65535, w.x);
      break;
    case kBx:
      ok = fast_int(p, end, 65535, w.bx);
      break;
    case kAx:
      ok = fast_int(p, end, 65535, w.ax);
      break;
    case kTrfi:
      ok = fast_int(p, end, 65535, w.trfi);
      break;
    case kZ:
      ok = fast_int(p, end, 255, w.z);
      break;
    case kS:
      ok = fast_int(p, end, kI64, w.s);
      break;
    case kBs:
      ok = fast_int(p, end, kI64, w.bs);
      break;
    case kAs:
      ok = fast_int(p, end, kI64, w.as);
      break;
    case kT:
      ok = fast_int(p, end, kI64, w.t);
      break;
    case kTrft:
      ok = fast_int(p, end, kI64, w.trft);
      break;
    case kQ:
      ok = fast::unsigned_int(p, end, w.q);
      break;
    case kP:
      ok = fast::decimal(p, end, w.p);
      break;
    case kBp:
      ok = fast::decimal(p, end, w.bp);
      break;
    case kAp:
      ok = fast::decimal(p, end, w.ap);
      break;
    case kC:
      if (p < end && *p == '[') {
        w.c_is_list = true;
        ok = fast_codes(p, end, w.c_codes);
      } else {
        std::int64_t v = 0;
        ok = fast_int(p, end, 65535, v) && w.c_codes.push_back(static_cast<std::uint16_t>(v));
      }
      break;
    case kI:
      if (p < end && *p == '[') {
        w.i_is_list = true;
        ok = fast_codes(p, end, w.i_codes);
      } else {
        ok = p < end && *p == '"' && fast::string(p, end, w.i_id);
      }
      break;
    default:
      return false;
  }
  if (ok) {
    w.present |= bit(f);
  }
  return ok;
}

// fast_field for a key read at run time (not inlined: one copy of the switch).
[[gnu::noinline]] bool fast_field_any(Field f, const char*& p, const char* end, Wire& w) noexcept {
  return fast_field(f, p, end, w);
}

// One field of the predicted order: when the bytes at `p` are `,"key":` of F exactly as Massive
// writes them (one 8-byte compare; the frame is padded, so the load may run past `end`), reads
// F's value. Otherwise leaves `p` and returns true: the
// next field of the order is tried, and keys that match none are read by the general loop.
template <Field F>
[[gnu::always_inline]] inline bool predicted_field(const char*& p, const char* end, Wire& w,
                                                   std::uint32_t& seen) noexcept {
  constexpr KeyPattern kp = kKeyPatterns[F];
  if constexpr (kp.length == 0) {
    return true;
  } else {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if ((word & kp.mask) != kp.bytes) {
      return true;
    }
    // A match that runs into the padding leaves `p` past `end` (by at most 8 bytes, well inside
    // the padding): every value reader refuses to start there, so the frame bails.
    p = fast::skip_ws(p + kp.length, end);
    // Each field comes once in the order and the order runs first: no duplicate is possible yet.
    seen |= bit(F);
    return fast_field(F, p, end, w);
  }
}

template <const auto& Order, std::size_t... I>
[[gnu::always_inline]] inline bool predicted_fields(const char*& p, const char* end, Wire& w, std::uint32_t& seen,
                                                    std::index_sequence<I...>) noexcept {
  return (predicted_field<Order[I]>(p, end, w, seen) && ...);
}

// The fields of `Order` that come in that order, straight-line; false to bail.
template <const auto& Order>
[[gnu::always_inline]] inline bool predicted_fields(const char*& p, const char* end, Wire& w,
                                                    std::uint32_t& seen) noexcept {
  return predicted_fields<Order>(p, end, w, seen, std::make_index_sequence<Order.size()>{});
}

// The whole frame, or false to bail. Fills `rows`, `max_ts` and `out.statuses` as parse_frame does.
bool parse_canonical(const char* data, std::size_t size, const Checks& checks, std::vector<TradeOrNbbo>* rows,
                     std::array<std::int64_t, 4>& max_ts, ParsedFrame& out) noexcept {
  const char* end = data + size;
  const char* p = fast::skip_ws(data, end);
  if (p >= end || *p != '[') {
    return false;
  }
  p = fast::skip_ws(p + 1, end);
  if (p < end && *p == ']') {
    return fast::skip_ws(p + 1, end) == end;
  }
  EventFailure ignored{ParseErrorKind::InvalidJson, kUnknown, {}};
  // One record for the frame, reset per event: only what is read without a `present` check (the
  // code lists and their kind, the status strings) needs resetting besides `present` itself.
  Wire w;
  while (true) {
    if (p >= end || *p != '{') {
      return false;
    }
    EventType type;
    std::uint32_t wanted = 0;
    // `{"ev":"Q"` or `{"ev":"T"` exactly as Massive writes them: one 8-byte compare.
    constexpr std::uint64_t kEvHead = 0x22'3A'22'76'65'22'7BULL;  // {"ev":" little-endian
    std::uint64_t head;
    std::memcpy(&head, p, 8);
    if ((head & 0x00FF'FFFF'FFFF'FFFFULL) == kEvHead && (p[7] == 'Q' || p[7] == 'T') && p[8] == '"' && p + 9 <= end)
        [[likely]] {
      type = p[7] == 'Q' ? EventType::Quote : EventType::Trade;
      wanted = p[7] == 'Q' ? kQuoteFields : kTradeFields;
      p += 9;
    } else {
      p = fast::skip_ws(p + 1, end);
      // The first key must be `ev`.
      std::string_view key;
      std::string_view ev;
      if (p >= end || *p != '"' || !fast::string(p, end, key) || key != "ev") {
        return false;
      }
      p = fast::skip_ws(p, end);
      if (p >= end || *p != ':') {
        return false;
      }
      p = fast::skip_ws(p + 1, end);
      if (p >= end || *p != '"' || !fast::string(p, end, ev)) {
        return false;
      }
      type = event_type(ev, wanted);
      if (type == EventType::Other) {
        return false;  // skipped event types: the general path counts them
      }
    }
    w.present = 0;
    w.c_codes = {};
    w.i_codes = {};
    w.c_is_list = false;
    w.i_is_list = false;
    w.status = {};
    w.message = {};
    std::uint32_t seen = bit(kEv);
    // Massive's order first, straight-line; whatever is left (keys out of that order, unknown
    // keys, whitespace) is read key by key below.
    if (type == EventType::Quote) {
      if (!predicted_fields<kQuoteOrder>(p, end, w, seen)) {
        return false;
      }
    } else if (type == EventType::Trade) {
      if (!predicted_fields<kTradeOrder>(p, end, w, seen)) {
        return false;
      }
    }
    while (true) {
      p = fast::skip_ws(p, end);
      if (p < end && *p == '}') [[likely]] {
        ++p;
        break;
      }
      if (p >= end || *p != ',') {
        return false;
      }
      std::string_view key;
      p = fast::skip_ws(p + 1, end);
      if (p >= end || *p != '"' || !fast::string(p, end, key)) {
        return false;
      }
      p = fast::skip_ws(p, end);
      if (p >= end || *p != ':') {
        return false;
      }
      const Field f = match_key(key);
      p = fast::skip_ws(p + 1, end);
      if (f == kUnknown || (wanted & bit(f)) == 0) {
        if (f != kUnknown) {
          if (seen & bit(f)) {
            return false;
          }
          seen |= bit(f);
        }
        if (!fast::skip_scalar(p, end)) {
          return false;
        }
        continue;
      }
      if ((seen & bit(f)) || !fast_field_any(f, p, end, w)) {
        return false;
      }
      seen |= bit(f);
    }
    std::int64_t ts = 0;
    if (type == EventType::Status) {
      out.statuses.push_back(StatusMessage::from_wire(w.status, w.message));
    } else {
      const bool ok = type == EventType::Trade ? make_trade(w, checks, rows, ts, ignored)
                                               : make_quote(w, checks, rows, ts, ignored);
      if (!ok) {
        return false;  // the general path reports it, with its context
      }
      const std::size_t feed = index(resource_type_of(type == EventType::Quote, is_option_symbol(w.sym)));
      max_ts[feed] = std::max(max_ts[feed], ts);
    }
    p = fast::skip_ws(p, end);
    if (p < end && *p == ',') {
      p = fast::skip_ws(p + 1, end);
      continue;
    }
    if (p < end && *p == ']') {
      return fast::skip_ws(p + 1, end) == end;
    }
    return false;
  }
}

}  // namespace

struct Parser::Impl {
  od::parser parser;
  bool fast_path{true};
  ParserStats stats;
  // simdjson's portable stage 1 (picked at run time on CPUs without SSE4.2, or when forced)
  // checks UTF-8 only inside strings; the SIMD ones check the whole document. Check it ourselves
  // then, so that every CPU rejects the same frames.
  bool validate_utf8 = simdjson::get_active_implementation()->name() == "fallback";
  // The fast path needs no UTF-8 check of its own (below), but it runs only where simdjson has a
  // usable implementation, as when it called simdjson::validate_utf8 first: with none (a bad
  // SIMDJSON_FORCE_IMPLEMENTATION), that check failed for every frame and every parse is an error.
  bool simdjson_usable = simdjson::validate_utf8("[]", 2);
  std::vector<char> scratch;  // padded copy of a frame that came without padding
};

Parser::Parser() : Parser(ParserOptions{}) {}

Parser::Parser(ParserOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->fast_path = options.canonical_fast_path;
  if (!parser_kernel_supported()) {
    std::fprintf(stderr,
                 "ws_source: this library was built with the simdjson '%.*s' kernel "
                 "(WS_SOURCE_SIMDJSON_KERNEL), which this CPU cannot run; rebuild with "
                 "-DWS_SOURCE_SIMDJSON_KERNEL=fallback\n",
                 static_cast<int>(parser_kernel().size()), parser_kernel().data());
    std::abort();
  }
}
Parser::~Parser() = default;
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;

namespace {

// Passes over the value of a field that is not read. simdjson 3.0.1's own skip of an unread
// value (json_iterator::skip_child) takes a string followed by ':' for a key and skips on past the
// object's end, so that `[{"ev":"Q","a":"b":"c"},"sym":"AAPL",…}]` read `sym` and the rest as
// fields of the first event and made a row of invalid JSON (found by fuzz/fuzz_parser.cpp). A
// string is therefore consumed as a string (no unescaping: its raw form), after which the ':' is
// the "missing comma" error it is; other values keep simdjson's skip (brackets balanced).
inline void skip_value(od::field& field) noexcept {
  od::value v = field.value();
  od::json_type t;
  if (v.type().get(t) == simdjson::SUCCESS && t == od::json_type::string) {
    od::raw_json_string raw;
    (void)v.get_raw_json_string().get(raw);
  }
}

// Parses the frame at [data, data + size) with `capacity` readable bytes. Fills `rows` and
// `out.statuses`; on failure returns false with `failure` set.
bool parse_frame(od::parser& parser, const char* data, std::size_t size, std::size_t capacity, const FrameContext& ctx,
                 std::vector<TradeOrNbbo>* rows, std::array<std::int64_t, 4>& max_ts, ParsedFrame& out,
                 FrameFailure& failure) {
  od::document doc;
  if (auto e = parser.iterate(data, size, capacity).get(doc)) {
    failure = {ParseErrorKind::InvalidJson, std::nullopt, kUnknown, {}, {}, json_error(e)};
    failure.simdjson_setup_failed = e == simdjson::UNSUPPORTED_ARCHITECTURE || e == simdjson::MEMALLOC;
    return false;
  }
  od::array arr;
  if (auto e = doc.get_array().get(arr)) {
    od::json_type t;
    const bool valid_other = e == simdjson::INCORRECT_TYPE && doc.type().get(t) == simdjson::SUCCESS;
    failure = {valid_other ? ParseErrorKind::NotAnArray : ParseErrorKind::InvalidJson,
               std::nullopt,
               kUnknown,
               {},
               {},
               valid_other ? "frame is not a JSON array" : json_error(e)};
    return false;
  }
  const Checks checks(ctx);
  std::size_t ev_index = 0;
  EventFailure ef{ParseErrorKind::InvalidJson, kUnknown, {}};
  for (auto element : arr) {
    od::value value;
    if (auto e = std::move(element).get(value)) {
      failure = {ParseErrorKind::InvalidJson, ev_index, kUnknown, {}, {}, json_error(e)};
      return false;
    }
    od::object obj;
    if (auto e = value.get_object().get(obj)) {
      od::json_type t;
      const bool valid_other = e == simdjson::INCORRECT_TYPE && value.type().get(t) == simdjson::SUCCESS;
      failure = {valid_other ? ParseErrorKind::NotAnObject : ParseErrorKind::InvalidJson,
                 ev_index,
                 kUnknown,
                 {},
                 {},
                 valid_other ? "event is not a JSON object" : json_error(e)};
      return false;
    }
    // One pass over the fields. `ev` decides which fields are read; Massive sends it first, so the
    // pass reads it and goes on. When another key comes first, `ev` is looked up and the object
    // walked again from the start.
    std::string_view ev;
    EventType type = EventType::Other;
    std::uint32_t wanted = 0;
    auto classify = [&](od::value& evv) {
      bool absent = false;
      if (!read_string(evv, kEv, ev, absent, ef) || absent) {
        if (absent) {
          ef = {ParseErrorKind::MissingField, kEv, "missing required field"};
        }
        failure = {ef.kind, ev_index, kEv, {}, {}, ef.detail};
        return false;
      }
      type = event_type(ev, wanted);
      return true;
    };
    Wire w;
    std::uint32_t seen = 0;
    bool have_ev = false;
    bool rescan = false;
    // Walks the object's fields; returns false on a failure (already recorded).
    auto walk = [&]() {
      for (auto field_result : obj) {
        od::field field;
        if (auto e = std::move(field_result).get(field)) {
          failure = {ParseErrorKind::InvalidJson, ev_index, kUnknown, detail::excerpt(ev, 32), {}, json_error(e)};
          return false;
        }
        const Field f = key_of(field);
        if (!have_ev) {  // the first key
          if (f != kEv) {
            rescan = true;
            return true;
          }
          od::value evv = field.value();
          if (!classify(evv)) {
            return false;
          }
          have_ev = true;
          seen |= bit(kEv);
          continue;
        }
        // A skipped event's fields are walked too (keys read, values skipped), so that a broken
        // object is still an error, not a skip; nothing else about them is checked.
        if (f == kUnknown || type == EventType::Other) {
          skip_value(field);
          continue;
        }
        if (seen & bit(f)) [[unlikely]] {
          failure = {ParseErrorKind::WrongType, ev_index, f,
                     detail::excerpt(ev, 32),   {},       "duplicate field `" + std::string(kFieldNames[f]) + "`"};
          return false;
        }
        seen |= bit(f);
        if ((wanted & bit(f)) == 0) {
          skip_value(field);
          continue;
        }
        od::value v = field.value();
        if (!read_field(f, v, w, ef)) [[unlikely]] {
          failure = {ef.kind, ev_index, ef.field, detail::excerpt(ev, 32), {}, std::move(ef.detail)};
          return false;
        }
      }
      return true;
    };
    if (!walk()) {
      return false;
    }
    if (rescan) {  // `ev` was not the first key: find it, then walk again from the start
      bool rewound = false;
      od::value evv;
      auto e = obj.reset().get(rewound);
      if (e == simdjson::SUCCESS) {
        e = obj.find_field_unordered("ev").get(evv);
      }
      if (e == simdjson::NO_SUCH_FIELD) {
        failure = {ParseErrorKind::MissingField, ev_index, kEv, {}, {}, "missing required field"};
        return false;
      }
      if (e != simdjson::SUCCESS) {
        failure = {ParseErrorKind::InvalidJson, ev_index, kEv, {}, {}, json_error(e)};
        return false;
      }
      if (!classify(evv)) {
        return false;
      }
      have_ev = true;  // the walk now checks `ev` like any key (a second one is a duplicate)
      if (auto e2 = obj.reset().get(rewound)) {
        failure = {ParseErrorKind::InvalidJson, ev_index, kUnknown, detail::excerpt(ev, 32), {}, json_error(e2)};
        return false;
      }
      if (!walk()) {
        return false;
      }
    } else if (!have_ev) {  // an empty object
      failure = {ParseErrorKind::MissingField, ev_index, kEv, {}, {}, "missing required field"};
      return false;
    }
    if (type == EventType::Other) {
      if (out.skipped_events++ == 0) {
        auto name = InlineString<15>::make(ev.substr(0, 15));
        out.first_skipped_ev = name ? *name : InlineString<15>{};
      }
      ++ev_index;
      continue;
    }
    std::int64_t ts = 0;
    switch (type) {
      case EventType::Trade:
      case EventType::Quote: {
        const bool ok =
            type == EventType::Trade ? make_trade(w, checks, rows, ts, ef) : make_quote(w, checks, rows, ts, ef);
        if (!ok) [[unlikely]] {
          failure = {ef.kind, ev_index, ef.field, detail::excerpt(ev, 32), {}, std::move(ef.detail)};
          return false;
        }
        // The row just appended decides the feed.
        const bool is_option = is_option_symbol(w.sym);
        const std::size_t feed = index(resource_type_of(type == EventType::Quote, is_option));
        max_ts[feed] = std::max(max_ts[feed], ts);
        break;
      }
      case EventType::Status:
        out.statuses.push_back(StatusMessage::from_wire(w.status, w.message));
        break;
      case EventType::Other:
        break;
    }
    ++ev_index;
  }
  if (const char* rest = nullptr; doc.current_location().get(rest) == simdjson::SUCCESS) {
    failure = {ParseErrorKind::InvalidJson,
               std::nullopt,
               kUnknown,
               {},
               {},
               "invalid JSON: trailing characters after the array"};
    return false;
  }
  return true;
}

}  // namespace

namespace {

// Turns a frame-level failure into the public error: excerpt of the event (or the frame), the
// event's `sym` when it can be read, and a located event for invalid UTF-8.
ParseError finish_error(FrameFailure&& f, std::string_view frame) {
  ParseError e;
  e.kind = f.kind;
  e.event_index = f.event_index;
  e.detail = std::move(f.detail);
  e.ev = std::move(f.ev);
  if (f.field != kUnknown) {
    e.field = std::string(kFieldNames[f.field]);
  }
  if (!e.event_index && e.kind == ParseErrorKind::InvalidJson) {
    if (auto bad = detail::first_invalid_utf8(frame)) {
      e.detail = "invalid JSON: the frame is not valid UTF-8 (byte " + std::to_string(*bad) + ")";
      if (auto pos = detail::element_at(frame, *bad)) {
        e.event_index = pos->index;
      }
    }
  }
  if (!e.event_index && e.kind == ParseErrorKind::InvalidJson && !frame.empty() &&
      e.detail == json_error(simdjson::INCOMPLETE_ARRAY_OR_OBJECT)) {  // truncated: blame the last event
    if (auto pos = detail::element_at(frame, frame.size() - 1)) {
      e.event_index = pos->index;
    }
  }
  std::string_view scope = frame;
  if (e.event_index) {
    if (auto text = detail::element_text(frame, *e.event_index)) {
      scope = *text;
    }
    if (e.ev.empty()) {
      e.ev = detail::peek_string_field(scope, "ev", 32);
    }
    e.sym = detail::peek_string_field(scope, "sym", 32);
  }
  e.excerpt = detail::excerpt(scope, kExcerptLen);
  return e;
}

}  // namespace

ParserStats Parser::stats() const noexcept { return impl_->stats; }

void Parser::emit_batches(ParsedFrame& out, const FrameContext& ctx, const std::array<std::int64_t, 4>& max_ts) {
  for (ResourceType rt : kAllResourceTypes) {
    auto& rows = out.spare_[index(rt)];
    if (rows.empty()) {
      continue;
    }
    BatchMeta meta;
    meta.resource_type = rt;
    meta.shard_id = ctx.shard_id;
    meta.watermark_ts_ns = max_ts[index(rt)];
    meta.received_at_ns = ctx.received_at_ns;
    meta.connection = ConnectionState::Connected;
    out.batches.push_back(DataBatch<TradeOrNbbo>{std::move(rows), meta});
  }
}

Result<void, ParseError> Parser::parse(std::span<const char> buffer, std::size_t frame_size, const FrameContext& ctx,
                                       ParsedFrame& out) noexcept {
  try {
    out.clear();
    if (frame_size > buffer.size()) {
      ParseError e;
      e.kind = ParseErrorKind::InvalidJson;
      e.detail = "frame size " + std::to_string(frame_size) + " exceeds the buffer (" + std::to_string(buffer.size()) +
                 " bytes)";
      return fail(std::move(e));
    }
    const char* data = buffer.data();
    std::size_t capacity = buffer.size();
    // A padded copy of the frame in the scratch buffer, its padding zeroed (it may hold a
    // previous, longer frame's bytes).
    auto copy_to_scratch = [&] {
      auto& scratch = impl_->scratch;
      if (scratch.size() < frame_size + kParsePadding) {
        scratch.resize(frame_size + kParsePadding);
      }
      if (frame_size > 0) {
        std::memcpy(scratch.data(), buffer.data(), frame_size);
      }
      std::memset(scratch.data() + frame_size, 0, kParsePadding);
      data = scratch.data();
      capacity = scratch.size();
    };
    const bool in_place = capacity >= frame_size + kParsePadding;
    if (!in_place) {
      copy_to_scratch();
    }
    std::array<std::int64_t, 4> max_ts{};
    FrameFailure failure;
    if (impl_->validate_utf8 && !simdjson::validate_utf8(data, frame_size)) [[unlikely]] {
      return fail(finish_error(
          {ParseErrorKind::InvalidJson, std::nullopt, kUnknown, {}, {}, json_error(simdjson::UTF8_ERROR), false},
          std::string_view(buffer.data(), frame_size)));
    }
    // The fast path needs no UTF-8 check: it bails on any byte outside ASCII (fast::string), and
    // the general path checks (simdjson's SIMD stage 1, or the check above on `fallback`).
    if (impl_->fast_path && impl_->simdjson_usable) {
      const Checks checks(ctx);
      if (parse_canonical(data, frame_size, checks, out.spare_.data(), max_ts, out)) {
        emit_batches(out, ctx, max_ts);
        ++impl_->stats.fast_path_frames;
        return {};
      }
      out.clear();  // bail: the general path parses the frame from the start
      max_ts = {};
    }
    ++impl_->stats.general_path_frames;
    bool parsed = parse_frame(impl_->parser, data, frame_size, capacity, ctx, out.spare_.data(), max_ts, out, failure);
    if (!parsed && in_place && !failure.simdjson_setup_failed) {
      // On a malformed frame simdjson may read the first padding byte as a structural character
      // (`}` closes the open object, `]` triggers an extra balance check: simdjson issue #1834),
      // so the error would depend on the padding's content. Rejected frames are parsed again from
      // a zero-padded copy, as the copying path parses them: the padding stays irrelevant, and
      // only frames that fail pay for it (found by fuzz/fuzz_parser.cpp).
      out.clear();
      max_ts = {};
      failure = {};
      copy_to_scratch();
      parsed = parse_frame(impl_->parser, data, frame_size, capacity, ctx, out.spare_.data(), max_ts, out, failure);
    }
    if (!parsed) {
      out.clear();
      if (failure.simdjson_setup_failed) {
        // simdjson could not set its buffers up (no usable implementation, e.g. a bad
        // SIMDJSON_FORCE_IMPLEMENTATION, or out of memory): a parser in that state must not be
        // used again (simdjson 3.0.1 crashes on the next iterate), so start from a fresh one.
        impl_->parser = od::parser{};
      }
      return fail(finish_error(std::move(failure), std::string_view(buffer.data(), frame_size)));
    }
    emit_batches(out, ctx, max_ts);
    return {};
  } catch (...) {  // out of memory while building an error: still a value, built without allocating
    out.clear();
    ParseError e;
    e.kind = ParseErrorKind::InvalidJson;
    e.detail = "out of memory";  // fits std::string's inline buffer
    return fail(std::move(e));
  }
}

std::size_t ParsedFrame::row_count() const noexcept {
  std::size_t n = 0;
  for (const auto& b : batches) {
    n += b.rows.size();
  }
  return n;
}

void ParsedFrame::clear() noexcept {
  for (auto& b : batches) {
    auto& spare = spare_[index(b.meta.resource_type)];
    if (spare.capacity() < b.rows.capacity()) {
      spare = std::move(b.rows);  // keep the larger storage
    }
  }
  for (auto& rows : spare_) {
    rows.clear();
  }
  batches.clear();
  statuses.clear();
  skipped_events = 0;
  first_skipped_ev = {};
}

FrameContext FrameContext::now() noexcept { return at(now_ns()); }

FrameContext FrameContext::at(std::int64_t received_at_ns) noexcept {
  FrameContext c;
  c.received_at_ns = received_at_ns;
  return c;
}

Result<std::vector<DataBatch<TradeOrNbbo>>, ParseError> parse_payload(std::span<const char> payload) {
  Parser parser;
  ParsedFrame frame;
  if (auto r = parser.parse(payload, FrameContext::now(), frame); !r) {
    return fail(std::move(r).error());
  }
  return std::move(frame.batches);
}

}  // namespace ws_source
