// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `SimConfig`: everything a `massive_sim::Server` runs with. Plain values with defaults;
/// `validate()` names the bad field.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <massive_sim/faults.hpp>
#include <massive_sim/market.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace massive_sim {

/// The key the simulator accepts by default (the demo and most tests use it). Not a secret.
inline constexpr std::string_view kDemoKey = "massive-sim-demo-key";

/// Replay mode: instead of the live market, every connection of `feed`'s cluster that holds an
/// accepted subscription of `feed`'s kind (`Q.…` for quotes, `T.…` for trades) is sent
/// `frames` pre-encoded frames of `events_per_frame` events, round and round, as fast as the
/// socket takes them. The frames are encoded once at start from the market (timestamps from the
/// minute before the start, so no client sees them as from the future). The ceiling the client
/// benchmarks need; nothing else is sent to such a connection except status frames.
struct ReplayConfig {
  Feed feed{Feed::OptionQuotes};
  std::size_t frames{256};
  std::size_t events_per_frame{100};
};

/// A simulator's configuration.
struct SimConfig {
  std::string bind_address{"127.0.0.1"};  ///< an IPv4 or IPv6 literal
  std::uint16_t port{0};                  ///< 0 = any free port (see `Server::port()`)
  std::vector<std::string> api_keys{std::string(kDemoKey)};
  bool entitled_stocks{true};   ///< false: every channel on /stocks is answered `not authorized`
  bool entitled_options{true};  ///< false: every channel on /options is answered `not authorized`
  std::chrono::milliseconds auth_timeout{10'000};
  MarketConfig market{};
  std::uint64_t seed{1};
  /// false: the market clock starts at the wall clock (timestamps are "now", as on the real
  /// service); true: at `market.start_unix_ms` (reproducible timestamps).
  bool fixed_clock{false};
  std::size_t events_per_frame{100};
  /// The per-connection bound of queued, unwritten data bytes; past it the connection is sent
  /// `slow_consumer` and closed.
  std::size_t send_buffer_bytes{16U << 20U};
  std::size_t options_quote_limit{1000};  ///< `Q` channels per /options connection
  bool record_sent{false};                ///< keep every (symbol, q) written per connection (`Server::sent`)
  std::vector<Fault> faults;              ///< policies for every connection
  std::chrono::microseconds step{1000};   ///< the generator's tick (>= 100 µs)
  std::size_t io_threads{1};              ///< threads running the sockets
  /// false (the default, and what the real service does in effect): each frame is one WebSocket
  /// message in one frame. true: Beast's auto_fragment splits messages into 4 KB frames, to test
  /// clients against fragmented messages (and costing them 2-3x).
  bool auto_fragment{false};
  std::optional<ReplayConfig> replay;

  /// The configuration the tests start from: auth timeout 200 ms, `MarketConfig::small()`,
  /// `record_sent` on.
  [[nodiscard]] static SimConfig for_tests();

  /// The first bad field as "`field`: reason", or nullopt when valid.
  [[nodiscard]] std::optional<std::string> validate() const;
};

}  // namespace massive_sim
