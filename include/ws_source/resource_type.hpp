// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The four feeds (`ResourceType`) and the two clusters (`Cluster`) that serve them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

namespace ws_source {

/// A Massive WebSocket cluster: the URL path `/stocks` or `/options`.
enum class Cluster : std::uint8_t { Stocks, Options };

/// "stocks" or "options": the URL path segment and the metric/log label.
[[nodiscard]] constexpr std::string_view path(Cluster c) noexcept {
  return c == Cluster::Stocks ? "stocks" : "options";
}

/// One of the four feeds ws-source ingests. The enumerator order is the batch order of a parsed
/// frame and the index into per-feed arrays (`index()`).
enum class ResourceType : std::uint8_t { OptionsQuotes, OptionsTrades, EquityQuotes, EquityTrades };

/// Every feed, in enumerator order.
inline constexpr std::array<ResourceType, 4> kAllResourceTypes{ResourceType::OptionsQuotes, ResourceType::OptionsTrades,
                                                               ResourceType::EquityQuotes, ResourceType::EquityTrades};

/// 0..3, the feed's position in `kAllResourceTypes`.
[[nodiscard]] constexpr std::size_t index(ResourceType rt) noexcept { return static_cast<std::size_t>(rt); }

/// The cluster that serves the feed: options quotes and trades share `/options`.
[[nodiscard]] constexpr Cluster cluster(ResourceType rt) noexcept {
  return rt == ResourceType::OptionsQuotes || rt == ResourceType::OptionsTrades ? Cluster::Options : Cluster::Stocks;
}

/// True for the two quote feeds.
[[nodiscard]] constexpr bool is_quotes(ResourceType rt) noexcept {
  return rt == ResourceType::OptionsQuotes || rt == ResourceType::EquityQuotes;
}

/// The channel prefix of subscribe messages: "Q" for quotes, "T" for trades.
[[nodiscard]] constexpr std::string_view channel_prefix(ResourceType rt) noexcept { return is_quotes(rt) ? "Q" : "T"; }

/// Whether the feed accepts the `*` wildcard: every feed but options quotes.
[[nodiscard]] constexpr bool supports_wildcard(ResourceType rt) noexcept { return rt != ResourceType::OptionsQuotes; }

/// The documented per-connection subscription limit: 1,000 contracts for options quotes, none
/// for the others.
[[nodiscard]] constexpr std::optional<std::size_t> subscription_limit(ResourceType rt) noexcept {
  if (rt == ResourceType::OptionsQuotes) {
    return 1000;
  }
  return std::nullopt;
}

/// The feed of an event: `is_quote` for `Q`, `is_option` for an `O:` symbol.
[[nodiscard]] constexpr ResourceType resource_type_of(bool is_quote, bool is_option) noexcept {
  if (is_option) {
    return is_quote ? ResourceType::OptionsQuotes : ResourceType::OptionsTrades;
  }
  return is_quote ? ResourceType::EquityQuotes : ResourceType::EquityTrades;
}

/// "options_quotes", "options_trades", "equity_quotes", "equity_trades": the name used in logs,
/// metrics, configuration and formatted output.
[[nodiscard]] constexpr std::string_view to_string(ResourceType rt) noexcept {
  switch (rt) {
    case ResourceType::OptionsQuotes:
      return "options_quotes";
    case ResourceType::OptionsTrades:
      return "options_trades";
    case ResourceType::EquityQuotes:
      return "equity_quotes";
    case ResourceType::EquityTrades:
      return "equity_trades";
  }
  return "unknown";
}

inline std::ostream& operator<<(std::ostream& os, ResourceType rt) { return os << to_string(rt); }
inline std::ostream& operator<<(std::ostream& os, Cluster c) { return os << path(c); }

}  // namespace ws_source
