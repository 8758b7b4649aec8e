// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "generators.hpp"

#include "wire_encoder.hpp"
#include "ws_source/option_contract.hpp"

namespace ws_source::test_support {
namespace {

rc::Gen<std::string> gen_chars(std::string_view alphabet, std::size_t min_len, std::size_t max_len) {
  return rc::gen::mapcat(rc::gen::inRange(min_len, max_len + 1), [alphabet](std::size_t n) {
    return rc::gen::container<std::string>(n, rc::gen::elementOf(std::string(alphabet)));
  });
}

rc::Gen<Symbol> gen_ticker() {
  return rc::gen::map(gen_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ.", 1, 8), [](const std::string& s) {
    auto sym = Symbol::make(s);
    return sym ? *sym : *Symbol::make("X");
  });
}

rc::Gen<OptionContract> gen_contract() {
  return rc::gen::apply(
      [](const std::string& root, int yy, int mm, int dd, bool call, std::uint32_t strike) {
        OptionContract c;
        c.root = *OptionRoot::make(root);
        const int day = is_valid_date(2000 + yy, mm, dd) ? dd : 28;
        c.expiry =
            Date{static_cast<std::uint16_t>(2000 + yy), static_cast<std::uint8_t>(mm), static_cast<std::uint8_t>(day)};
        c.right = call ? OptionRight::Call : OptionRight::Put;
        c.strike_milli = strike;
        return c;
      },
      gen_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1, 6), rc::gen::inRange(0, 100), rc::gen::inRange(1, 13),
      rc::gen::inRange(1, 32), rc::gen::arbitrary<bool>(), rc::gen::inRange<std::uint32_t>(0, 100'000'000));
}

// Prices as the wire sends them: up to 4 decimals.
rc::Gen<double> gen_price(bool allow_zero) {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(allow_zero ? 0 : 1, 100'000'000'000),
                      [](std::int64_t ticks) { return static_cast<double>(ticks) / 10'000.0; });
}

rc::Gen<std::int64_t> gen_ts() {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(1'577'836'800'000, 1'893'456'000'000),
                      [](std::int64_t ms) { return ms * 1'000'000; });
}

rc::Gen<Codes> gen_codes(std::size_t max) {
  return rc::gen::map(rc::gen::container<std::vector<std::uint16_t>>(rc::gen::arbitrary<std::uint16_t>()),
                      [max](const std::vector<std::uint16_t>& v) {
                        Codes c;
                        for (std::size_t i = 0; i < v.size() && i < max; ++i) {
                          (void)c.push_back(v[i]);
                        }
                        return c;
                      });
}

template <class T>
rc::Gen<std::optional<T>> maybe(rc::Gen<T> g) {
  return rc::gen::oneOf(rc::gen::just(std::optional<T>{}), rc::gen::map(g, [](T v) { return std::optional<T>(v); }));
}

rc::Gen<std::uint64_t> gen_size() { return rc::gen::inRange<std::uint64_t>(0, std::uint64_t{1} << 53); }

rc::Gen<TradeOrNbbo> gen_equity_trade() {
  return rc::gen::apply(
      [](Symbol sym, std::uint16_t x, const std::string& id, std::optional<std::uint8_t> z, double p, std::uint64_t s,
         std::optional<std::int64_t> ds_milli, Codes c, std::int64_t t, std::uint64_t q,
         std::optional<std::uint16_t> trfi, std::optional<std::int64_t> trft) {
        EquityTrade e;
        e.symbol = sym;
        e.exchange = x;
        e.trade_id = *TradeId::make(id);
        e.tape = z;
        e.price = p;
        e.size = s;
        if (ds_milli) {
          e.fractional_size = static_cast<double>(*ds_milli) / 1000.0;
        }
        e.conditions = c;
        e.sip_ts_ns = t;
        e.sequence = q;
        e.trf_id = trfi;
        e.trf_ts_ns = trft;
        return TradeOrNbbo{e};
      },
      gen_ticker(), rc::gen::arbitrary<std::uint16_t>(), gen_chars("0123456789ABCDEF", 1, 31),
      maybe(rc::gen::arbitrary<std::uint8_t>()), gen_price(false), gen_size(),
      maybe(rc::gen::inRange<std::int64_t>(0, 10'000'000)), gen_codes(Codes::kCapacity), gen_ts(),
      rc::gen::arbitrary<std::uint64_t>(), maybe(rc::gen::arbitrary<std::uint16_t>()), maybe(gen_ts()));
}

rc::Gen<TradeOrNbbo> gen_option_trade() {
  return rc::gen::apply(
      [](OptionContract contract, std::uint16_t x, double p, std::uint64_t s, Codes c, std::int64_t t,
         std::uint64_t q) {
        OptionTrade o;
        o.contract = contract;
        o.symbol = contract.to_symbol();
        o.exchange = x;
        o.price = p;
        o.size = s;
        o.conditions = c;
        o.sip_ts_ns = t;
        o.sequence = q;
        return TradeOrNbbo{o};
      },
      gen_contract(), rc::gen::arbitrary<std::uint16_t>(), gen_price(false), gen_size(), gen_codes(Codes::kCapacity),
      gen_ts(), rc::gen::arbitrary<std::uint64_t>());
}

rc::Gen<TradeOrNbbo> gen_quote(bool option) {
  return rc::gen::apply(
      [option](OptionContract contract, Symbol ticker, std::uint16_t bx, std::uint16_t ax, double bp, double ap,
               std::uint64_t bs, std::uint64_t as, std::optional<std::uint16_t> c, Codes i, std::int64_t t,
               std::uint64_t q, std::optional<std::uint8_t> z) {
        Nbbo n;
        if (option) {
          n.contract = contract;
          n.symbol = contract.to_symbol();
        } else {
          n.symbol = ticker;
          n.condition = c;
          n.indicators = i;
          n.tape = z;
        }
        n.bid_exchange = bx;
        n.ask_exchange = ax;
        n.bid_price = bp;
        n.ask_price = ap;
        n.bid_size = bs;
        n.ask_size = as;
        n.sip_ts_ns = t;
        n.sequence = q;
        return TradeOrNbbo{n};
      },
      gen_contract(), gen_ticker(), rc::gen::arbitrary<std::uint16_t>(), rc::gen::arbitrary<std::uint16_t>(),
      gen_price(true), gen_price(true), gen_size(), gen_size(), maybe(rc::gen::arbitrary<std::uint16_t>()),
      gen_codes(Codes::kCapacity), gen_ts(), rc::gen::arbitrary<std::uint64_t>(),
      maybe(rc::gen::arbitrary<std::uint8_t>()));
}

}  // namespace

rc::Gen<TradeOrNbbo> gen_row() {
  return rc::gen::oneOf(gen_equity_trade(), gen_option_trade(), gen_quote(true), gen_quote(false));
}

rc::Gen<std::string> gen_valid_frame() {
  return rc::gen::map(rc::gen::container<std::vector<TradeOrNbbo>>(gen_row()),
                      [](const std::vector<TradeOrNbbo>& rows) {
                        std::string out = "[";
                        for (std::size_t k = 0; k < rows.size(); ++k) {
                          if (k) {
                            out += ',';
                          }
                          if (k % 7 == 3) {
                            encode_status(StatusMessage::from_wire("success", "subscribed to: Q.AAPL"), out);
                            out += ',';
                          }
                          encode_event(rows[k], out);
                        }
                        out += ']';
                        return out;
                      });
}

}  // namespace ws_source::test_support
