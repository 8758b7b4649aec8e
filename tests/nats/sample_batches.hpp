// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Deterministic batches of every feed for the NATS tests and the benchmark: batch `i` is of feed
// i % 4, has `rows` rows (0: a heartbeat), batch_seq i, and every 7th carries a gap. Rows look
// like the parser's (valid symbols, OCC contracts, whole-ms SIP times).

#include <cstdint>
#include <string>

#include "ws_source/model.hpp"
#include "ws_source/option_contract.hpp"

namespace ws_source::test {

inline OptionContract sample_contract(std::uint64_t k) {
  OptionContract c;
  c.root = *OptionRoot::make(k % 3 == 0 ? "SPY" : (k % 3 == 1 ? "AAPL" : "QQQ"));
  c.expiry = Date{2025, 12, static_cast<std::uint8_t>(1 + k % 28)};
  c.right = k % 2 == 0 ? OptionRight::Call : OptionRight::Put;
  c.strike_milli = static_cast<std::uint32_t>(100'000 + (k % 400) * 5'000);
  return c;
}

inline TradeOrNbbo sample_row(ResourceType feed, std::uint64_t k, std::int64_t ts) {
  switch (feed) {
    case ResourceType::OptionsQuotes: {
      Nbbo q;
      q.contract = sample_contract(k);
      q.symbol = q.contract->to_symbol();
      q.bid_exchange = static_cast<std::uint16_t>(k % 20);
      q.ask_exchange = static_cast<std::uint16_t>((k + 3) % 20);
      q.bid_price = static_cast<double>(100 + k % 900) / 100.0;
      q.ask_price = q.bid_price + 0.05;
      q.bid_size = 1 + k % 50;
      q.ask_size = 2 + k % 40;
      q.sip_ts_ns = ts;
      q.sequence = 1'000'000 + k;
      return q;
    }
    case ResourceType::OptionsTrades: {
      OptionTrade t;
      t.contract = sample_contract(k);
      t.symbol = t.contract.to_symbol();
      t.exchange = static_cast<std::uint16_t>(k % 70);
      t.price = static_cast<double>(5 + k % 500) / 100.0;
      t.size = 1 + k % 10;
      (void)t.conditions.push_back(static_cast<std::uint16_t>(200 + k % 30));
      t.sip_ts_ns = ts;
      t.sequence = 2'000'000 + k;
      return t;
    }
    case ResourceType::EquityQuotes: {
      Nbbo q;
      q.symbol = *Symbol::make(k % 2 == 0 ? "AAPL" : "BRK.A");
      q.bid_exchange = 11;
      q.ask_exchange = 12;
      q.bid_price = 229.8 + static_cast<double>(k % 10) / 100.0;
      q.ask_price = q.bid_price + 0.01;
      q.bid_size = 2;
      q.ask_size = 3;
      q.condition = 1;
      (void)q.indicators.push_back(604);
      q.tape = 3;
      q.sip_ts_ns = ts;
      q.sequence = 3'000'000 + k;
      return q;
    }
    case ResourceType::EquityTrades:
      break;
  }
  EquityTrade e;
  e.symbol = *Symbol::make("MSFT");
  e.exchange = 4;
  e.trade_id = *TradeId::make(std::to_string(52983525034825ULL + k));
  e.tape = 3;
  e.price = 412.5 + static_cast<double>(k % 100) / 100.0;
  e.size = 100;
  if (k % 5 == 0) e.fractional_size = 0.5;
  (void)e.conditions.push_back(12);
  (void)e.conditions.push_back(37);
  e.sip_ts_ns = ts;
  e.sequence = 4'000'000 + k;
  if (k % 3 == 0) {
    e.trf_id = 201;
    e.trf_ts_ns = ts - 1'000'000;
  }
  return e;
}

inline DataBatch<TradeOrNbbo> sample_batch(std::uint64_t i, std::size_t rows) {
  constexpr std::int64_t kBase = 1'732'546'800'000'000'000;  // 2024-11-25, whole ms
  DataBatch<TradeOrNbbo> b;
  const ResourceType feed = kAllResourceTypes[i % 4];
  const std::int64_t ts0 = kBase + static_cast<std::int64_t>(i) * 1'000'000;
  b.rows.reserve(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    b.rows.push_back(sample_row(feed, i * 1'000 + r, ts0 + static_cast<std::int64_t>(r % 5) * 1'000'000));
  }
  b.meta.resource_type = feed;
  b.meta.shard_id = i % 3 == 0 ? 1 : 0;
  b.meta.watermark_ts_ns =
      ts0 + (rows != 0 ? static_cast<std::int64_t>(std::min<std::size_t>(rows - 1, 4)) * 1'000'000 : 0);
  b.meta.received_at_ns = ts0 + 3'000'000;
  b.meta.connection = rows == 0 && i % 2 == 0 ? ConnectionState::Disconnected : ConnectionState::Connected;
  b.meta.dropped_since_last = i % 11 == 0 ? 5 : 0;
  b.meta.batch_seq = i;
  b.meta.late_rows = i % 13 == 0 && rows != 0 ? 1 : 0;
  if (i % 7 == 3) b.meta.gap = Gap{ts0 - 5'000'000'000, ts0 - 1'000'000'000, DisconnectReason::Closed};
  return b;
}

}  // namespace ws_source::test
