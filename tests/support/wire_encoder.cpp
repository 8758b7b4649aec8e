// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "wire_encoder.hpp"

#include <charconv>
#include <cstdio>

namespace ws_source::test_support {
namespace {

// Plain decimals, as Massive sends them (the shortest fixed form that reads back exactly).
void num(std::string& out, double v) {
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, end);
}

template <class I>
void num(std::string& out, I v) {
  out += std::to_string(v);
}

void key(std::string& out, std::string_view k) {
  out += ",\"";
  out += k;
  out += "\":";
}

void codes(std::string& out, const Codes& c) {
  out += '[';
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i) {
      out += ',';
    }
    num(out, c[i]);
  }
  out += ']';
}

std::int64_t ms(std::int64_t ns) { return ns / 1'000'000; }

}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

void encode_event(const TradeOrNbbo& row, std::string& out) {
  if (const auto* t = std::get_if<EquityTrade>(&row)) {
    out += "{\"ev\":\"T\",\"sym\":" + json_string(t->symbol.view());
    key(out, "x");
    num(out, t->exchange);
    key(out, "i");
    out += json_string(t->trade_id.view());
    if (t->tape) {
      key(out, "z");
      num(out, static_cast<unsigned>(*t->tape));
    }
    key(out, "p");
    num(out, t->price);
    key(out, "s");
    num(out, t->size);
    if (t->fractional_size) {
      key(out, "ds");
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *t->fractional_size, std::chars_format::fixed);
      out += '"';
      out.append(buf, end);
      out += '"';
    }
    if (!t->conditions.empty()) {
      key(out, "c");
      codes(out, t->conditions);
    }
    key(out, "t");
    num(out, ms(t->sip_ts_ns));
    key(out, "q");
    num(out, t->sequence);
    if (t->trf_id) {
      key(out, "trfi");
      num(out, *t->trf_id);
    }
    if (t->trf_ts_ns) {
      key(out, "trft");
      num(out, ms(*t->trf_ts_ns));
    }
    out += '}';
  } else if (const auto* o = std::get_if<OptionTrade>(&row)) {
    out += "{\"ev\":\"T\",\"sym\":" + json_string(o->symbol.view());
    key(out, "x");
    num(out, o->exchange);
    key(out, "p");
    num(out, o->price);
    key(out, "s");
    num(out, o->size);
    if (!o->conditions.empty()) {
      key(out, "c");
      codes(out, o->conditions);
    }
    key(out, "t");
    num(out, ms(o->sip_ts_ns));
    key(out, "q");
    num(out, o->sequence);
    out += '}';
  } else {
    const auto& q = std::get<Nbbo>(row);
    out += "{\"ev\":\"Q\",\"sym\":" + json_string(q.symbol.view());
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
    if (!q.indicators.empty()) {
      key(out, "i");
      codes(out, q.indicators);
    }
    key(out, "t");
    num(out, ms(q.sip_ts_ns));
    key(out, "q");
    num(out, q.sequence);
    if (q.tape) {
      key(out, "z");
      num(out, static_cast<unsigned>(*q.tape));
    }
    out += '}';
  }
}

void encode_status(const StatusMessage& status, std::string& out) {
  out += "{\"ev\":\"status\",\"status\":" + json_string(status.status) + ",\"message\":" + json_string(status.message) +
         "}";
}

std::string encode_frame(std::span<const TradeOrNbbo> rows) {
  std::string out = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i) {
      out += ',';
    }
    encode_event(rows[i], out);
  }
  out += ']';
  return out;
}

}  // namespace ws_source::test_support
