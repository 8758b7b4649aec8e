// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// fuzz_config: the configuration reader (parse_config, TOML text -> WsConfig), validate and
// to_toml on arbitrary text. The first byte picks how the text is framed (the rest is the text):
//   0: the text as is;
//   1: `api_keys = ["<marker>"]` on the first line, then the text;
//   2: `api_keys = ["<marker>` followed by the text (which decides how the key's string ends).
// Checks:
//  - nothing but std::bad_alloc escapes (anything else traps with its what());
//  - an error names a position or a field: Syntax has a line >= 1 and no field; Schema a field
//    and a line >= 1; parse_config never returns Invalid or a path; messages are valid UTF-8 and
//    a Syntax message has no control bytes (it is logged on one line);
//  - the API key (the marker) never appears in any text produced: the error, to_toml,
//    operator<<, validate's error (unless the text itself contains the marker, e.g. as a
//    symbol, which validate may quote);
//  - on success: validate() gives the same answer twice; to_toml() reads back (parse_config)
//    to a configuration whose to_toml() is the same text and which is equal to the original but
//    for the keys (written "***"; compared when no value is NaN), and whose validate() with the
//    original keys restored gives the same answer; a validate error is Invalid, names a field,
//    and has no line.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ws_source/config.hpp"

namespace {

using namespace ws_source;

constexpr std::string_view kMarker = "zQ7kFuzzApiKeyMarker9x";

bool has_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return true;
    }
  }
  return false;
}

bool any_nan(const WsConfig& c) {
  const double values[] = {c.backoff.multiplier,
                           c.backoff.jitter,
                           c.backpressure.queue_high_ratio,
                           c.backpressure.shed_fraction,
                           c.backpressure.restore_step,
                           c.scheduler.exploration_fraction,
                           c.scheduler.hysteresis,
                           c.scheduler.half_life_s,
                           c.scheduler.volume_weight,
                           c.scheduler.put_call_pooling};
  for (double v : values) {
    if (std::isnan(v)) {
      return true;
    }
  }
  return false;
}

std::string describe(const Result<void, ConfigError>& r) { return r ? std::string("ok") : r.error().to_string(); }

void check_parse_error(const ConfigError& e, std::string_view text, bool marker_may_appear) {
  const std::string line = e.to_string();
  auto ctx = [&] { return line + "\n--- text:\n" + std::string(text); };
  FUZZ_CHECK(e.path.empty(), ctx());
  FUZZ_CHECK(!e.message.empty(), ctx());
  FUZZ_CHECK(ws_fuzz::is_utf8(line), ctx());
  switch (e.kind) {
    case ConfigError::Kind::Syntax:
      FUZZ_CHECK(e.line >= 1 && e.field.empty(), ctx());
      FUZZ_CHECK(!has_control(e.message), ctx());
      break;
    case ConfigError::Kind::Schema:
      // The field is the key's dotted path; a key that is the empty string (`"" = 1`) is named
      // by its line alone.
      FUZZ_CHECK(e.line >= 1 && (!e.field.empty() || e.message.starts_with("unknown key")), ctx());
      break;
    case ConfigError::Kind::Io:
    case ConfigError::Kind::Invalid:
      FUZZ_CHECK(false && "parse_config returned Io or Invalid", ctx());
  }
  if (!marker_may_appear) {
    FUZZ_CHECK(line.find(kMarker) == std::string::npos, ctx());
  }
}

void check_config(const WsConfig& c, std::string_view text, bool marker_may_appear) {
  const std::string toml = to_toml(c);
  auto ctx = [&] { return "--- text:\n" + std::string(text) + "\n--- to_toml:\n" + toml; };
  FUZZ_CHECK(marker_may_appear || toml.find(kMarker) == std::string::npos, ctx());
  std::ostringstream os;
  os << c;
  FUZZ_CHECK(os.str() == toml, ctx());

  const auto v1 = validate(c);
  const auto v2 = validate(c);
  FUZZ_CHECK(v1.has_value() == v2.has_value() && (v1 || v1.error() == v2.error()), ctx());
  if (!v1) {
    const ConfigError& e = v1.error();
    FUZZ_CHECK(e.kind == ConfigError::Kind::Invalid && !e.field.empty() && !e.message.empty() && e.line == 0,
               ctx() + "\n--- validate: " + e.to_string());
    if (!marker_may_appear) {
      FUZZ_CHECK(e.to_string().find(kMarker) == std::string::npos, ctx() + "\n--- validate: " + e.to_string());
    }
  } else {
    (void)cluster_url(c, Cluster::Options);
  }

  // to_toml reads back.
  auto back = parse_config(toml);
  FUZZ_CHECK(back.has_value(), ctx() + "\n--- reparse: " + (back ? std::string() : back.error().to_string()));
  FUZZ_CHECK(to_toml(*back) == toml, ctx());
  FUZZ_CHECK(back->api_keys.size() == c.api_keys.size(), ctx());
  for (const ApiKey& k : back->api_keys) {
    FUZZ_CHECK(k.expose() == "***", ctx());
  }
  back->api_keys = c.api_keys;
  if (!any_nan(c)) {
    FUZZ_CHECK(*back == c, ctx());
  }
  const auto v3 = validate(*back);
  FUZZ_CHECK(v3.has_value() == v1.has_value() && (v1 || v1.error() == v3.error()),
             ctx() + "\n--- validate: " + describe(v1) + " <> " + describe(v3));
}

void run(std::string_view text, bool marker_may_appear) {
  auto parsed = parse_config(text);
  if (!parsed) {
    check_parse_error(parsed.error(), text, marker_may_appear);
    return;
  }
  check_config(*parsed, text, marker_may_appear);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool marker_in_rest = rest.find(kMarker) != std::string_view::npos;
  std::string text;
  switch (data[0] % 3) {
    case 0:
      text = rest;
      break;
    case 1:
      text = "api_keys = [\"" + std::string(kMarker) + "\"]\n" + std::string(rest);
      break;
    default:
      text = "api_keys = [\"" + std::string(kMarker) + std::string(rest);
      break;
  }
  try {
    run(text, marker_in_rest);
  } catch (const std::bad_alloc&) {
    // Allowed by the contract (config.hpp: "nothing throws except std::bad_alloc").
  } catch (const std::exception& e) {
    FUZZ_CHECK(false && "an exception escaped", std::string(e.what()) + "\n--- text:\n" + text);
  }
  return 0;
}
