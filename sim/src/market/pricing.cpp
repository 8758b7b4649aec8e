// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "market/pricing.hpp"

#include <algorithm>
#include <numbers>

namespace massive_sim::detail {
namespace {

// Standard normal density.
double normal_pdf(double x) noexcept { return 0.3989422804014327 * std::exp(-0.5 * x * x); }

}  // namespace

double normal_cdf(double x) noexcept {
  const double z = std::abs(x) / std::numbers::sqrt2;
  const double t = 1.0 / (1.0 + 0.3275911 * z);
  const double poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const double erf = 1.0 - poly * std::exp(-z * z);
  return x >= 0.0 ? 0.5 * (1.0 + erf) : 0.5 * (1.0 - erf);
}

double theo(double spot, double strike, double years, double iv, Right right) noexcept {
  const double sigma = std::max(spot * iv * std::sqrt(std::max(years, 1.0 / 8760.0)), 1e-6);
  const double d = (spot - strike) / sigma;
  const double v = right == Right::Call ? (spot - strike) * normal_cdf(d) + sigma * normal_pdf(d)
                                        : (strike - spot) * normal_cdf(-d) + sigma * normal_pdf(d);
  return std::isfinite(v) ? std::max(v, 0.0) : 0.0;
}

ExpiryFactors expiry_factors(double days, double iv, double tte_decay) noexcept {
  if (days <= 0.0) {
    return ExpiryFactors{1.0, 0.0, 0.0};
  }
  const double width = 0.01 + iv * std::sqrt(days / 365.0);
  const double tte_q = 1.0 / std::pow(days + 0.5, tte_decay);
  return ExpiryFactors{1.0 / width, tte_q, tte_q * std::sqrt(tte_q)};
}

}  // namespace massive_sim::detail
