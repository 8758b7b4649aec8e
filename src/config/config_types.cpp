// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The small functions of the configuration's plain structs, and cluster_url.
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/config.hpp"

namespace ws_source {

const FeedConfig& FeedsConfig::get(ResourceType rt) const noexcept {
  switch (rt) {
    case ResourceType::OptionsQuotes:
      return options_quotes;
    case ResourceType::OptionsTrades:
      return options_trades;
    case ResourceType::EquityQuotes:
      return equity_quotes;
    case ResourceType::EquityTrades:
      break;
  }
  return equity_trades;
}

FeedConfig& FeedsConfig::get(ResourceType rt) noexcept {
  return const_cast<FeedConfig&>(
      static_cast<const FeedsConfig&>(*this).get(rt));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

std::vector<ResourceType> FeedsConfig::enabled_on(Cluster c) const {
  std::vector<ResourceType> out;
  for (ResourceType rt : kAllResourceTypes) {
    if (cluster(rt) == c && get(rt).enabled) {
      out.push_back(rt);
    }
  }
  return out;
}

std::string_view to_string(ExplorationWeighting w) noexcept {
  switch (w) {
    case ExplorationWeighting::Uniform:
      return "uniform";
    case ExplorationWeighting::Priority:
      return "priority";
    case ExplorationWeighting::Posterior:
      break;
  }
  return "posterior";
}

std::ostream& operator<<(std::ostream& os, ExplorationWeighting w) { return os << to_string(w); }

std::string cluster_url(const WsConfig& config, Cluster c) {
  std::string_view base = config.base_url;
  // Trailing slashes go, but not those of "scheme://" itself.
  const auto scheme_end = base.find("://");
  const std::size_t keep = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  while (base.size() > keep && base.back() == '/') {
    base.remove_suffix(1);
  }
  std::string out(base);
  out += '/';
  out += path(c);
  return out;
}

}  // namespace ws_source
