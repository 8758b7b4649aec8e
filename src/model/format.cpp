// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Text forms of the model: one line of key=value pairs per row, used by logs, the golden files
// and anyone printing a row. Doubles are printed in shortest round-trip form, so the text
// identifies the value exactly.
#include <charconv>
#include <cstdio>

#include "ws_source/model.hpp"

namespace ws_source {
namespace {

struct Num {
  double v;
};
std::ostream& operator<<(std::ostream& os, Num n) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n.v);
  if (ec != std::errc{}) {
    return os << "?";
  }
  return os.write(buf, end - buf);
}

template <class T>
struct Opt {
  const std::optional<T>& v;
};
template <class T>
std::ostream& operator<<(std::ostream& os, Opt<T> o) {
  if (!o.v) {
    return os << '-';
  }
  if constexpr (std::is_same_v<T, double>) {
    return os << Num{*o.v};
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    return os << static_cast<unsigned>(*o.v);
  } else {
    return os << *o.v;
  }
}
template <class T>
Opt(const std::optional<T>&) -> Opt<T>;

std::ostream& operator<<(std::ostream& os, const Codes& c) {
  os << '[';
  for (std::size_t i = 0; i < c.size(); ++i) {
    os << (i ? "," : "") << c[i];
  }
  return os << ']';
}

}  // namespace

std::ostream& operator<<(std::ostream& os, Source) { return os << "ws"; }
std::ostream& operator<<(std::ostream& os, Quality) { return os << "prelim"; }
std::ostream& operator<<(std::ostream& os, ConnectionState c) {
  return os << (c == ConnectionState::Connected ? "connected" : "disconnected");
}
std::ostream& operator<<(std::ostream& os, OptionRight r) { return os << (r == OptionRight::Call ? 'C' : 'P'); }

std::ostream& operator<<(std::ostream& os, const Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", static_cast<unsigned>(d.year), static_cast<unsigned>(d.month),
                static_cast<unsigned>(d.day));
  return os << buf;
}

std::ostream& operator<<(std::ostream& os, const OptionContract& c) {
  char strike[24];
  std::snprintf(strike, sizeof strike, "%u.%03u", c.strike_milli / 1000, c.strike_milli % 1000);
  return os << c.root << ' ' << c.expiry << ' ' << c.right << ' ' << strike;
}

std::ostream& operator<<(std::ostream& os, const EquityTrade& t) {
  return os << "EquityTrade sym=" << t.symbol << " x=" << t.exchange << " i=" << t.trade_id << " z=" << Opt{t.tape}
            << " p=" << Num{t.price} << " s=" << t.size << " ds=" << Opt{t.fractional_size} << " c=" << t.conditions
            << " t=" << t.sip_ts_ns << " q=" << t.sequence << " trfi=" << Opt{t.trf_id} << " trft=" << Opt{t.trf_ts_ns};
}

std::ostream& operator<<(std::ostream& os, const OptionTrade& t) {
  return os << "OptionTrade sym=" << t.symbol << " contract=(" << t.contract << ") x=" << t.exchange
            << " p=" << Num{t.price} << " s=" << t.size << " c=" << t.conditions << " t=" << t.sip_ts_ns
            << " q=" << t.sequence;
}

std::ostream& operator<<(std::ostream& os, const Nbbo& q) {
  os << "Nbbo sym=" << q.symbol;
  if (q.contract) {
    os << " contract=(" << *q.contract << ')';
  }
  return os << " bx=" << q.bid_exchange << " ax=" << q.ask_exchange << " bp=" << Num{q.bid_price}
            << " ap=" << Num{q.ask_price} << " bs=" << q.bid_size << " as=" << q.ask_size << " c=" << Opt{q.condition}
            << " i=" << q.indicators << " t=" << q.sip_ts_ns << " q=" << q.sequence << " z=" << Opt{q.tape};
}

std::ostream& operator<<(std::ostream& os, const TradeOrNbbo& row) {
  std::visit([&os](const auto& r) { os << r; }, row);
  return os;
}

std::string_view to_string(DisconnectReason r) noexcept {
  switch (r) {
    case DisconnectReason::Connect:
      return "connect";
    case DisconnectReason::AuthTimeout:
      return "auth_timeout";
    case DisconnectReason::AuthFailed:
      return "auth_failed";
    case DisconnectReason::Stalled:
      return "stalled";
    case DisconnectReason::MaxConnections:
      return "max_connections";
    case DisconnectReason::SlowConsumer:
      return "slow_consumer";
    case DisconnectReason::ForceDisconnect:
      return "force_disconnect";
    case DisconnectReason::Closed:
      return "closed";
    case DisconnectReason::Protocol:
      return "protocol";
    case DisconnectReason::Shutdown:
      return "shutdown";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, DisconnectReason r) { return os << to_string(r); }

std::ostream& operator<<(std::ostream& os, const Gap& g) {
  return os << "gap(" << g.reason << ", " << g.start_ns << ".." << g.end_ns << ")";
}

std::ostream& operator<<(std::ostream& os, const BatchMeta& m) {
  os << "source=" << m.source << " quality=" << m.quality << " feed=" << m.resource_type << " shard=" << m.shard_id
     << " watermark_ts_ns=" << m.watermark_ts_ns << " received_at_ns=" << m.received_at_ns
     << " connection=" << m.connection << " dropped_since_last=" << m.dropped_since_last
     << " batch_seq=" << m.batch_seq;
  // Only when set, so frames parsed in isolation (the golden files) print as before.
  if (m.conflated_since_last != 0) os << " conflated_since_last=" << m.conflated_since_last;
  if (m.late_rows != 0) os << " late_rows=" << m.late_rows;
  if (m.gap) os << " " << *m.gap;
  return os;
}

}  // namespace ws_source
