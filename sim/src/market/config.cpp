// Copyright (c) James Kassemi, SC, US. All rights reserved.
// MarketConfig's presets and Feed names.
#include <array>
#include <chrono>

#include "massive_sim/market.hpp"

namespace massive_sim {

std::string_view to_string(Feed f) noexcept {
  switch (f) {
    case Feed::OptionQuotes:
      return "option_quotes";
    case Feed::OptionTrades:
      return "option_trades";
    case Feed::StockQuotes:
      return "stock_quotes";
    case Feed::StockTrades:
      break;
  }
  return "stock_trades";
}

MarketConfig MarketConfig::stationary() {
  MarketConfig c;
  c.spot_vol_per_sqrt_hour = 0.0;
  c.spot_drift_per_hour = 0.0;
  c.burst_rate_per_s = 0.0;
  return c;
}

MarketConfig MarketConfig::drifting() {
  MarketConfig c;
  c.spot_vol_per_sqrt_hour = 0.03;
  c.spot_drift_per_hour = 0.02;
  return c;
}

MarketConfig MarketConfig::bursty() {
  MarketConfig c;
  c.burst_rate_per_s = 0.5;
  c.burst_alpha = 1.1;
  c.burst_max_share = 0.3;
  return c;
}

MarketConfig MarketConfig::new_listings() {
  MarketConfig c;
  c.listing_interval = std::chrono::seconds(600);
  c.listing_underlyings = 20;
  return c;
}

MarketConfig MarketConfig::small() {
  MarketConfig c;
  c.underlyings = 40;
  c.chain_scale = 0.25;
  return c;
}

std::optional<MarketConfig> MarketConfig::preset(std::string_view name) {
  if (name == "default") {
    return MarketConfig{};
  }
  if (name == "stationary") {
    return stationary();
  }
  if (name == "drifting") {
    return drifting();
  }
  if (name == "bursty") {
    return bursty();
  }
  if (name == "new-listings" || name == "new_listings") {
    return new_listings();
  }
  return std::nullopt;
}

std::span<const std::string_view> MarketConfig::preset_names() noexcept {
  static constexpr std::array<std::string_view, 5> kNames{"default", "stationary", "drifting", "bursty",
                                                          "new-listings"};
  return kNames;
}

}  // namespace massive_sim
