// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The typed rows (`EquityTrade`, `OptionTrade`, `Nbbo`, `TradeOrNbbo`) and the batches that
/// carry them (`BatchMeta`, `DataBatch<T>`).
///
/// Times are Unix nanoseconds in `std::int64_t`; the wire's milliseconds are converted exactly.
/// Every row is a value type with no heap storage (symbols and codes are inline).

#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>
#include <variant>
#include <vector>

#include "ws_source/option_contract.hpp"
#include "ws_source/resource_type.hpp"
#include "ws_source/symbol.hpp"

namespace ws_source {

/// A stock trade (`ev: "T"` on `/stocks`).
struct EquityTrade {
  Symbol symbol;                          ///< `sym`
  std::uint16_t exchange{0};              ///< `x`, exchange id
  TradeId trade_id;                       ///< `i`
  std::optional<std::uint8_t> tape;       ///< `z`: 1 NYSE, 2 AMEX, 3 Nasdaq
  double price{0};                        ///< `p`, finite and > 0
  std::uint64_t size{0};                  ///< `s`, shares (0 for a fractional-only trade)
  std::optional<double> fractional_size;  ///< `ds`, sent as a decimal string
  Codes conditions;                       ///< `c`
  std::int64_t sip_ts_ns{0};              ///< `t` (ms) in ns
  std::uint64_t sequence{0};              ///< `q`, increasing per ticker, not contiguous
  std::optional<std::uint16_t> trf_id;    ///< `trfi`
  std::optional<std::int64_t> trf_ts_ns;  ///< `trft` (ms) in ns
  friend bool operator==(const EquityTrade&, const EquityTrade&) = default;
};

/// An option trade (`ev: "T"` with an `O:` symbol on `/options`).
struct OptionTrade {
  Symbol symbol;              ///< `sym`, `O:` + OCC
  OptionContract contract;    ///< `sym` taken apart
  std::uint16_t exchange{0};  ///< `x`
  double price{0};            ///< `p`, finite and > 0, per share
  std::uint64_t size{0};      ///< `s`, contracts
  Codes conditions;           ///< `c`
  std::int64_t sip_ts_ns{0};  ///< `t` (ms) in ns
  std::uint64_t sequence{0};  ///< `q`

  /// price × size × 100 (the standard multiplier).
  [[nodiscard]] double premium() const noexcept { return price * static_cast<double>(size) * 100.0; }
  friend bool operator==(const OptionTrade&, const OptionTrade&) = default;
};

/// A quote (`ev: "Q"`): the national best bid and offer of a stock or an option contract.
/// A price of 0 means that side is empty; locked and crossed quotes are passed through as sent.
struct Nbbo {
  Symbol symbol;                           ///< `sym`
  std::optional<OptionContract> contract;  ///< set for option quotes
  std::uint16_t bid_exchange{0};           ///< `bx`
  std::uint16_t ask_exchange{0};           ///< `ax`
  double bid_price{0};                     ///< `bp`, finite and >= 0
  double ask_price{0};                     ///< `ap`, finite and >= 0
  std::uint64_t bid_size{0};               ///< `bs` (round lots for stocks)
  std::uint64_t ask_size{0};               ///< `as`
  std::optional<std::uint16_t> condition;  ///< `c` (stocks: a single code)
  Codes indicators;                        ///< `i` (stocks)
  std::int64_t sip_ts_ns{0};               ///< `t` (ms) in ns
  std::uint64_t sequence{0};               ///< `q`
  std::optional<std::uint8_t> tape;        ///< `z` (stocks)

  [[nodiscard]] bool is_option() const noexcept { return contract.has_value(); }
  friend bool operator==(const Nbbo&, const Nbbo&) = default;
};

/// One row of any feed.
using TradeOrNbbo = std::variant<OptionTrade, EquityTrade, Nbbo>;

/// The row's symbol.
[[nodiscard]] inline const Symbol& symbol_of(const TradeOrNbbo& row) noexcept {
  return std::visit([](const auto& r) -> const Symbol& { return r.symbol; }, row);
}
/// The row's SIP time in ns.
[[nodiscard]] inline std::int64_t sip_ts_ns_of(const TradeOrNbbo& row) noexcept {
  return std::visit([](const auto& r) { return r.sip_ts_ns; }, row);
}
/// The row's sequence number.
[[nodiscard]] inline std::uint64_t sequence_of(const TradeOrNbbo& row) noexcept {
  return std::visit([](const auto& r) { return r.sequence; }, row);
}
/// The feed the row belongs to.
[[nodiscard]] inline ResourceType resource_type_of(const TradeOrNbbo& row) noexcept {
  switch (row.index()) {
    case 0:
      return ResourceType::OptionsTrades;
    case 1:
      return ResourceType::EquityTrades;
    default:
      return std::get<Nbbo>(row).is_option() ? ResourceType::OptionsQuotes : ResourceType::EquityQuotes;
  }
}

/// Where a batch came from. ws-source has one source: Massive's WebSocket feed.
enum class Source : std::uint8_t { Ws };
/// How final the data is. WebSocket data is preliminary (corrections come later, elsewhere).
enum class Quality : std::uint8_t { Prelim };
/// The state of the batch's connection when the batch was made.
enum class ConnectionState : std::uint8_t { Connected, Disconnected };

/// Why a connection went down: the reason a `Gap` carries and connection events report.
enum class DisconnectReason : std::uint8_t {
  Connect,          ///< could not connect (resolve, TCP, TLS, WebSocket handshake)
  AuthTimeout,      ///< no `connected` + `auth_success` in time, or the server's `auth_timeout`
  AuthFailed,       ///< the key was refused (fatal: the worker stops)
  Stalled,          ///< no data and no pong for ping interval + pong timeout: half-open
  MaxConnections,   ///< another client on the account took the connection
  SlowConsumer,     ///< the server dropped us as a slow consumer
  ForceDisconnect,  ///< the server forced the connection closed
  Closed,           ///< the server or the network closed the connection
  Protocol,         ///< the server broke the protocol (e.g. an unexpected frame in the handshake)
  Shutdown,         ///< `stop()`
};

/// A window during which a connection was down: rows of its feeds whose SIP times fall in
/// [start_ns, end_ns) may have been missed (Massive does not replay). Reported once per feed, on
/// the first batch of that feed after the connection is back (and in the connection events).
struct Gap {
  std::int64_t start_ns{0};  ///< wall time the connection was lost (Unix ns)
  std::int64_t end_ns{0};    ///< wall time it was subscribed again
  DisconnectReason reason{DisconnectReason::Closed};
  friend bool operator==(const Gap&, const Gap&) = default;
};

/// What a consumer needs to know about a batch besides its rows.
struct BatchMeta {
  Source source{Source::Ws};
  Quality quality{Quality::Prelim};
  ResourceType resource_type{ResourceType::OptionsQuotes};
  std::size_t shard_id{0};
  /// The connection's watermark after this batch: the largest SIP time (ns) seen on it. While
  /// the connection is down it does not advance. A parsed frame's batch carries the largest SIP
  /// time among its own rows.
  std::int64_t watermark_ts_ns{0};
  std::int64_t received_at_ns{0};  ///< wall time (ns) the frame was read, or the heartbeat made
  ConnectionState connection{ConnectionState::Connected};
  /// Rows of this feed dropped since the previous batch (the ring or its pool was full): lost.
  std::uint64_t dropped_since_last{0};
  /// Option quotes of this feed superseded since the previous batch while the consumer fell behind
  /// (conflation): a newer quote of the same contract is in this batch or an earlier one, and the
  /// latest quote of every contract is always delivered.
  std::uint64_t conflated_since_last{0};
  std::uint64_t batch_seq{0};  ///< per connection and feed, +1 per delivered batch
  /// Rows of this batch whose SIP time is below a watermark already emitted on this connection:
  /// delivered, but late (a consumer that closed that window should treat them as corrections).
  std::uint64_t late_rows{0};
  /// Set on the first batch of this feed after a reconnection: what the downtime may have missed.
  std::optional<Gap> gap;
  friend bool operator==(const BatchMeta&, const BatchMeta&) = default;
};

/// Rows of one feed from one connection, with their meta. A batch without rows is a heartbeat.
/// Owns its rows (a `std::vector`); moving a batch moves the storage, copying copies it.
template <class T>
struct DataBatch {
  std::vector<T> rows;
  BatchMeta meta;

  [[nodiscard]] bool is_heartbeat() const noexcept { return rows.empty(); }
  friend bool operator==(const DataBatch&, const DataBatch&) = default;
};

std::ostream& operator<<(std::ostream& os, Source s);
std::ostream& operator<<(std::ostream& os, Quality q);
std::ostream& operator<<(std::ostream& os, ConnectionState c);
/// "connect", "auth_timeout", … "shutdown": the metric and log label.
[[nodiscard]] std::string_view to_string(DisconnectReason r) noexcept;
std::ostream& operator<<(std::ostream& os, DisconnectReason r);
std::ostream& operator<<(std::ostream& os, const Gap& g);
std::ostream& operator<<(std::ostream& os, OptionRight r);
std::ostream& operator<<(std::ostream& os, const Date& d);
/// `SPY 2025-12-19 C 650.000`
std::ostream& operator<<(std::ostream& os, const OptionContract& c);
/// One line of `key=value` pairs with every field; doubles in shortest round-trip form.
std::ostream& operator<<(std::ostream& os, const EquityTrade& t);
std::ostream& operator<<(std::ostream& os, const OptionTrade& t);
std::ostream& operator<<(std::ostream& os, const Nbbo& q);
std::ostream& operator<<(std::ostream& os, const TradeOrNbbo& row);
std::ostream& operator<<(std::ostream& os, const BatchMeta& m);

}  // namespace ws_source
