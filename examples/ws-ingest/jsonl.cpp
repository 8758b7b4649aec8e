// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "jsonl.hpp"

#include <iomanip>

namespace ws_ingest {
namespace {

using namespace ws_source;

void codes(std::ostream& os, const char* key, const Codes& c) {
  os << ",\"" << key << "\":[";
  for (std::size_t i = 0; i < c.size(); ++i) os << (i ? "," : "") << c.begin()[i];
  os << ']';
}

// Symbols and trade ids are printable ASCII without quotes or backslashes (the model checks).
void row(std::ostream& os, const EquityTrade& t) {
  os << "{\"type\":\"equity_trade\",\"sym\":\"" << t.symbol.view() << "\",\"x\":" << t.exchange << ",\"i\":\""
     << t.trade_id.view() << "\",\"p\":" << t.price << ",\"s\":" << t.size;
  if (t.fractional_size) os << ",\"ds\":" << *t.fractional_size;
  if (t.tape) os << ",\"z\":" << static_cast<int>(*t.tape);
  codes(os, "c", t.conditions);
  os << ",\"t_ns\":" << t.sip_ts_ns << ",\"q\":" << t.sequence;
  if (t.trf_id) os << ",\"trfi\":" << *t.trf_id;
  if (t.trf_ts_ns) os << ",\"trft_ns\":" << *t.trf_ts_ns;
  os << '}';
}

void row(std::ostream& os, const OptionTrade& t) {
  os << "{\"type\":\"option_trade\",\"sym\":\"" << t.symbol.view() << "\",\"x\":" << t.exchange << ",\"p\":" << t.price
     << ",\"s\":" << t.size;
  codes(os, "c", t.conditions);
  os << ",\"t_ns\":" << t.sip_ts_ns << ",\"q\":" << t.sequence << '}';
}

void row(std::ostream& os, const Nbbo& q) {
  os << "{\"type\":\"" << (q.is_option() ? "option_quote" : "equity_quote") << "\",\"sym\":\"" << q.symbol.view()
     << "\",\"bx\":" << q.bid_exchange << ",\"ax\":" << q.ask_exchange << ",\"bp\":" << q.bid_price
     << ",\"ap\":" << q.ask_price << ",\"bs\":" << q.bid_size << ",\"as\":" << q.ask_size;
  if (q.condition) os << ",\"c\":" << *q.condition;
  if (q.indicators.size() != 0) codes(os, "i", q.indicators);
  if (q.tape) os << ",\"z\":" << static_cast<int>(*q.tape);
  os << ",\"t_ns\":" << q.sip_ts_ns << ",\"q\":" << q.sequence << '}';
}

}  // namespace

void write_jsonl(std::ostream& os, const DataBatch<TradeOrNbbo>& batch) {
  const auto flags = os.flags();
  os << std::setprecision(17);
  for (const TradeOrNbbo& r : batch.rows) {
    std::visit([&os](const auto& x) { row(os, x); }, r);
    os << '\n';
  }
  os.flags(flags);
}

}  // namespace ws_ingest
